import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelResources } from '../../../../src/common/channel-resources.js';
import { utf8 } from '../../../../src/core/bytes.js';
import type { StateReader, TxIdLookup, VersionedValue } from '../../../../src/ledger/ledger-types.js';
import { verifyEcdsa, verifyEcdsaInThreadPool, type AsyncSignatureVerifier } from '../../../../src/msp/ecdsa.js';
import type { SigningIdentity } from '../../../../src/msp/signing-identity.js';
import { chaincodeDefinition, MapChaincodeDefinitions } from '../../../../src/peer/validation/chaincode-definition.js';
import { compareKeys } from '../../../../src/peer/validation/key-order.js';
import { serializeStateMetadata } from '../../../../src/peer/validation/state-metadata.js';
import { validateBlock, type BlockValidation, type ValidateBlockInput } from '../../../../src/peer/validation/validate-block.js';
import { blockDataHash, parseBlock, type Block } from '../../../../src/protos/block.js';
import { buildChannelConfig } from '../../../../src/protos/channel-config.js';
import { parseConfigBlock } from '../../../../src/protos/config-block.js';
import { HeaderType } from '../../../../src/protos/envelope.js';
import { buildSerializedIdentity } from '../../../../src/protos/identity.js';
import { buildKvRwSet, parseKvRwSet } from '../../../../src/protos/rwset.js';
import { TxValidationCode } from '../../../../src/protos/tx-validation-code.js';
import { makeChannelFixture, NOW, signedEnvelope, type ChannelFixture } from '../../../helpers/channel-fixture.js';
import { buildEndorsedTransaction, type EndorsedTransactionSpec, type NsRwSetSpec } from '../../../helpers/endorsed-transaction.js';

/** Committed world state in memory, iterated in UTF-8 byte order as the real state database is. */
class MemoryState implements StateReader {
  private readonly data = new Map<string, Map<string, VersionedValue>>();

  put(namespace: string, key: string, value: string, blockNum: number, txNum: number, metadata?: Uint8Array): this {
    let keys = this.data.get(namespace);
    if (keys === undefined) this.data.set(namespace, (keys = new Map()));
    keys.set(key, { value: utf8(value), version: { blockNum, txNum }, ...(metadata === undefined ? {} : { metadata }) });
    return this;
  }

  async getState(namespace: string, key: string): Promise<VersionedValue | undefined> {
    return this.data.get(namespace)?.get(key);
  }

  async *rangeScan(namespace: string, startKey: string, endKey: string): AsyncIterable<{ key: string; version: { blockNum: number; txNum: number } }> {
    const keys = [...(this.data.get(namespace) ?? new Map<string, VersionedValue>())].sort(([a], [b]) => compareKeys(a, b));
    for (const [key, v] of keys) {
      if (compareKeys(key, startKey) < 0) continue;
      if (endKey !== '' && compareKeys(key, endKey) >= 0) break;
      yield { key, version: v.version };
    }
  }
}

class MemoryTxIds implements TxIdLookup {
  constructor(readonly ids: Set<string> = new Set()) {}
  async hasTxId(txId: string): Promise<boolean> {
    return this.ids.has(txId);
  }
}

const CHANNEL = 'mychannel';
const GARBAGE = new Uint8Array([0xff, 0xff]);
const chaincodes = new MapChaincodeDefinitions([
  chaincodeDefinition({ name: 'basic', version: '1.0' }),
  chaincodeDefinition({ name: 'strict', version: '1.0', endorsementPolicy: "AND('Org1MSP.peer','Org2MSP.peer')" }),
  chaincodeDefinition({ name: 'org1only', version: '1.0', endorsementPolicy: "OR('Org1MSP.peer')" }),
]);

let fx: ChannelFixture;
let resources: ChannelResources;
let client: SigningIdentity;
let peer1: SigningIdentity;
let peer2: SigningIdentity;
let admin1: SigningIdentity;

beforeAll(async () => {
  fx = await makeChannelFixture('validation');
  resources = fx.registry.get(CHANNEL)!;
  [client, peer1, peer2, admin1] = await Promise.all([fx.user('org1'), fx.peer('org1'), fx.peer('org2'), fx.user('org1', 'Admin')]);
}, 60_000);
afterAll(() => fx?.cleanup());

/** A transaction of `basic` by User1@org1, endorsed by both peers, unless overridden. */
function tx(rwsets: readonly NsRwSetSpec[], overrides: Partial<EndorsedTransactionSpec> = {}) {
  return buildEndorsedTransaction({ channelId: CHANNEL, creator: client, endorsers: [peer1, peer2], chaincode: { name: 'basic' }, rwsets, ...overrides });
}

function blockOf(number: number, data: readonly Uint8Array[]): Block {
  return { header: { number, previousHash: new Uint8Array(32), dataHash: blockDataHash(data) }, data, metadata: [] };
}

function validate(block: Block, state: StateReader, txIds: TxIdLookup = new MemoryTxIds(), extra: Partial<ValidateBlockInput> = {}): Promise<BlockValidation> {
  return validateBlock({ block, channelId: CHANNEL, resources, chaincodes, state, txIds, verify: verifyEcdsaInThreadPool, nowMs: NOW, ...extra });
}

describe('validateBlock: one block with every code, valid transactions among invalid ones', () => {
  let result: BlockValidation;
  const cases: Array<{ readonly code: string; readonly says: readonly string[] }> = [];
  let validTxId = '';
  let ledgerDuplicateId = '';

  beforeAll(async () => {
    const state = new MemoryState().put('basic', 'asset1', 'old', 3, 0).put('basic', 'asset2', 'two', 4, 1).put('basic', 'r1', 'x', 2, 0).put('basic', 'r2', 'y', 2, 1).put('basic', 'r3', 'z', 4, 0);
    const unknownMsp = buildSerializedIdentity({ mspId: 'Org9MSP', idBytes: client.serialized.subarray(0, 10) });
    const data: Uint8Array[] = [];
    const add = (envelope: Uint8Array, code: string, ...says: string[]): void => {
      data.push(envelope);
      cases.push({ code, says });
    };
    const valid = tx([{ namespace: 'basic', reads: [{ key: 'asset1', version: { blockNum: 3, txNum: 0 } }], writes: [{ key: 'asset1', value: 'new' }] }]);
    validTxId = valid.txId;
    const ledgerDuplicate = tx([{ namespace: 'basic', writes: [{ key: 'd', value: '1' }] }]);
    ledgerDuplicateId = ledgerDuplicate.txId;

    add(valid.envelope, 'VALID', 'basic 1.0 endorsed by peer0.org1.example.com (Org1MSP), peer0.org2.example.com (Org2MSP), satisfying /Channel/Application/Endorsement (MAJORITY Endorsement); writes basic/asset1');
    add(new Uint8Array(), 'NIL_ENVELOPE', 'empty entry');
    add(GARBAGE, 'INVALID_OTHER_REASON', 'not a common.Envelope');
    add(tx([], { tamper: { payload: GARBAGE } }).envelope, 'BAD_PAYLOAD', 'not a common.Payload');
    add(tx([], { tamper: { channelHeader: GARBAGE } }).envelope, 'BAD_COMMON_HEADER', 'channel header does not decode');
    add(tx([], { tamper: { headerType: HeaderType.MESSAGE } }).envelope, 'BAD_COMMON_HEADER', 'MESSAGE (0) is not one a block may carry', 'not UNKNOWN_TX_TYPE');
    add(tx([], { tamper: { corruptCreatorSignature: true } }).envelope, 'BAD_CREATOR_SIGNATURE', "signature is not the creator's", 'does not verify with User1@org1.example.com');
    add(tx([], { tamper: { creatorBytes: unknownMsp } }).envelope, 'BAD_CREATOR_SIGNATURE', 'not a valid member of channel mychannel', 'Org9MSP');
    add(tx([], { tamper: { txId: 'abc' } }).envelope, 'BAD_PROPOSAL_TXID', 'tx_id "abc" is not SHA-256(nonce ‖ creator)');
    add(tx([], { tamper: { proposalHash: new Uint8Array(32) } }).envelope, 'INVALID_ENDORSER_TRANSACTION', 'proposal hash', 'another proposal');
    add(tx([], { tamper: { headerType: HeaderType.CONFIG_UPDATE } }).envelope, 'UNSUPPORTED_TX_PAYLOAD', 'CONFIG_UPDATE (2)');
    add(tx([], { tamper: { channelId: 'otherchannel' } }).envelope, 'TARGET_CHAIN_NOT_FOUND', 'for channel "otherchannel"', 'of channel mychannel');
    add(ledgerDuplicate.envelope, 'DUPLICATE_TXID', 'already committed on this channel');
    add(tx([], { tamper: { headerExtension: GARBAGE } }).envelope, 'BAD_HEADER_EXTENSION', 'not a ChaincodeHeaderExtension');
    add(tx([], { tamper: { chaincodeAction: GARBAGE } }).envelope, 'BAD_RESPONSE_PAYLOAD', 'not a ChaincodeAction');
    add(tx([], { tamper: { results: GARBAGE } }).envelope, 'BAD_RWSET', 'not a read-write set');
    add(tx([], { chaincode: { name: 'nope' } }).envelope, 'INVALID_CHAINCODE', 'chaincode nope is not defined on channel mychannel (defined: basic, org1only, strict)');
    add(tx([], { chaincode: { name: 'basic', version: '2.0' } }).envelope, 'INVALID_CHAINCODE', 'version 2.0 of chaincode basic, but the channel defines version 1.0');
    add(tx([{ namespace: 'basic' }, { namespace: 'basic' }]).envelope, 'ILLEGAL_WRITESET', 'namespace "basic" twice');
    add(
      tx([{ namespace: 'basic', writes: [{ key: 'e', value: '1' }] }], { endorsers: [peer1] }).envelope,
      'ENDORSEMENT_POLICY_FAILURE',
      "chaincode basic's endorsement policy /Channel/Application/Endorsement (MAJORITY Endorsement) needs 2 of Org1MSP, Org2MSP; endorsed by peer0.org1.example.com (Org1MSP) only",
      'Evaluation: MAJORITY Endorsement not satisfied: 1 of 2 organizations satisfied it, 2 required',
    );
    add(tx([{ namespace: 'basic', writes: [{ key: '', value: 'x' }] }]).envelope, 'INVALID_WRITESET', 'the write of basic/ has an empty key');
    add(valid.envelope, 'DUPLICATE_TXID', 'already appears earlier in this block (#0)');
    add(tx([{ namespace: 'basic', reads: [{ key: 'asset2', version: { blockNum: 4, txNum: 0 } }], writes: [{ key: 'f', value: '1' }] }]).envelope, 'MVCC_READ_CONFLICT', 'read basic/asset2 at version 4:0, but the ledger has 4:1');
    add(tx([{ namespace: 'basic', reads: [{ key: 'asset1', version: { blockNum: 3, txNum: 0 } }] }]).envelope, 'MVCC_READ_CONFLICT', `read basic/asset1 at version 3:0, but tx ${validTxId.slice(0, 8)}… (#0 earlier in this block) wrote it`);
    add(
      tx([{ namespace: 'basic', rangeQueriesInfo: [{ startKey: 'r', endKey: 's', itrExhausted: true, rawReads: [{ key: 'r1', version: { blockNum: 2, txNum: 0 } }, { key: 'r2', version: { blockNum: 2, txNum: 1 } }] }] }]).envelope,
      'PHANTOM_READ_CONFLICT',
      'range basic/["r", "s") saw 2 key(s) when simulated, but now basic/r3 appeared in it (committed at 4:0)',
    );
    add(tx([{ namespace: 'basic', reads: [{ key: 'asset2', version: { blockNum: 4, txNum: 1 } }] }]).envelope, 'VALID', 'it writes nothing (a read-only transaction)');

    result = await validate(blockOf(7, data), state, new MemoryTxIds(new Set([ledgerDuplicateId])));
  });

  it('gives each transaction its code and a specific explanation', () => {
    expect(result.transactions).toHaveLength(cases.length);
    result.transactions.forEach((t, i) => {
      const c = cases[i]!;
      expect({ i, code: t.code }).toEqual({ i, code: c.code });
      expect(t.explanation.startsWith(`${c.code}: `)).toBe(true);
      for (const s of c.says) expect(t.explanation).toContain(s);
      expect(t.explanation).not.toContain('\n');
      expect(t.txNum).toBe(i);
    });
  });

  it('writes the codes into the TRANSACTIONS_FILTER bytes, one per transaction', () => {
    expect([...result.filter]).toEqual(cases.map((c) => TxValidationCode[c.code as keyof typeof TxValidationCode]));
  });

  it('gives updates to VALID transactions only, and tx ids where the header could be read', () => {
    const first = result.transactions[0]!;
    expect(first.txId).toBe(validTxId);
    expect(first.updates).toEqual([{ kind: 'put', namespace: 'basic', key: 'asset1', value: utf8('new') }]);
    for (const t of result.transactions.filter((x) => x.code !== 'VALID')) expect(t.updates).toEqual([]);
    expect(result.transactions[1]!.txId).toBe('');
    expect(result.transactions[12]!.txId).toBe(ledgerDuplicateId);
  });
});

describe('validateBlock: MVCC against committed versions and earlier transactions of the block', () => {
  it('a read of a key as absent conflicts with a committed key; a read of a deleted key conflicts too', async () => {
    const state = new MemoryState().put('basic', 'a', '1', 5, 2);
    const absent = tx([{ namespace: 'basic', reads: [{ key: 'a' }] }]);
    const deleted = tx([{ namespace: 'basic', reads: [{ key: 'gone', version: { blockNum: 1, txNum: 0 } }] }]);
    const { transactions } = await validate(blockOf(9, [absent.envelope, deleted.envelope]), state);
    expect(transactions.map((t) => t.code)).toEqual(['MVCC_READ_CONFLICT', 'MVCC_READ_CONFLICT']);
    expect(transactions[0]!.explanation).toBe(
      'MVCC_READ_CONFLICT: read basic/a as absent, but the ledger has 5:2; submit the transaction again so that it is endorsed against the current state',
    );
    expect(transactions[1]!.explanation).toContain('read basic/gone at version 1:0, but the ledger no longer has the key (it was deleted)');
  });

  it('an invalid earlier transaction does not conflict with a later one; a deleted key conflicts with a later read', async () => {
    const state = new MemoryState().put('basic', 'k', 'v', 2, 0);
    const failsPolicy = tx([{ namespace: 'basic', writes: [{ key: 'k', value: 'x' }] }], { endorsers: [peer2] });
    const deletes = tx([{ namespace: 'basic', reads: [{ key: 'k', version: { blockNum: 2, txNum: 0 } }], writes: [{ key: 'k', isDelete: true }] }]);
    const readsAfter = tx([{ namespace: 'basic', reads: [{ key: 'k', version: { blockNum: 2, txNum: 0 } }] }]);
    const { transactions } = await validate(blockOf(3, [failsPolicy.envelope, deletes.envelope, readsAfter.envelope]), state);
    expect(transactions.map((t) => t.code)).toEqual(['ENDORSEMENT_POLICY_FAILURE', 'VALID', 'MVCC_READ_CONFLICT']);
    expect(transactions[1]!.updates).toEqual([{ kind: 'delete', namespace: 'basic', key: 'k' }]);
    expect(transactions[1]!.explanation).toContain('deletes basic/k');
    expect(transactions[2]!.explanation).toContain(`but tx ${deletes.txId.slice(0, 8)}… (#1 earlier in this block) deleted it`);
  });
});

describe('validateBlock: phantom reads', () => {
  const range = (reads: Array<[string, number, number]>, extra: { startKey?: string; endKey?: string; itrExhausted?: boolean } = {}) => ({
    startKey: extra.startKey ?? 'k1',
    endKey: extra.endKey ?? 'k9',
    itrExhausted: extra.itrExhausted ?? true,
    rawReads: reads.map(([key, blockNum, txNum]) => ({ key, version: { blockNum, txNum } })),
  });
  const committed = (): MemoryState => new MemoryState().put('basic', 'k2', 'a', 1, 0).put('basic', 'k4', 'b', 1, 1).put('basic', 'z', 'outside', 1, 2);
  const seen: Array<[string, number, number]> = [
    ['k2', 1, 0],
    ['k4', 1, 1],
  ];

  it('a range that still holds the same keys and versions is valid', async () => {
    const { transactions } = await validate(blockOf(2, [tx([{ namespace: 'basic', rangeQueriesInfo: [range(seen)] }]).envelope]), committed());
    expect(transactions[0]!.code).toBe('VALID');
  });

  it('an insert into the range by an earlier transaction of the block is a phantom', async () => {
    const inserts = tx([{ namespace: 'basic', writes: [{ key: 'k3', value: 'new' }] }]);
    const scans = tx([{ namespace: 'basic', rangeQueriesInfo: [range(seen)] }]);
    const { transactions } = await validate(blockOf(2, [inserts.envelope, scans.envelope]), committed());
    expect(transactions.map((t) => t.code)).toEqual(['VALID', 'PHANTOM_READ_CONFLICT']);
    expect(transactions[1]!.explanation).toContain(`now basic/k3 appeared in it (written by tx ${inserts.txId.slice(0, 8)}… earlier in this block)`);
  });

  it('a delete inside the range by an earlier transaction of the block is a phantom', async () => {
    const deletes = tx([{ namespace: 'basic', writes: [{ key: 'k2', isDelete: true }] }]);
    const scans = tx([{ namespace: 'basic', rangeQueriesInfo: [range(seen)] }]);
    const { transactions } = await validate(blockOf(2, [deletes.envelope, scans.envelope]), committed());
    expect(transactions.map((t) => t.code)).toEqual(['VALID', 'PHANTOM_READ_CONFLICT']);
    expect(transactions[1]!.explanation).toContain(`basic/k2 (read at 1:0) is gone (deleted by tx ${deletes.txId.slice(0, 8)}… earlier in this block)`);
  });

  it('a committed delete, and a changed version, inside the range are phantoms', async () => {
    const gone = await validate(blockOf(2, [tx([{ namespace: 'basic', rangeQueriesInfo: [range([['k1x', 1, 0], ...seen])] }]).envelope]), committed());
    expect(gone.transactions[0]!.explanation).toContain('basic/k1x (read at 1:0) is gone from the ledger');
    const changed = await validate(blockOf(2, [tx([{ namespace: 'basic', rangeQueriesInfo: [range([['k2', 1, 0], ['k4', 0, 9]])] }]).envelope]), committed());
    expect(changed.transactions[0]!.explanation).toContain('basic/k4 changed from 0:9 to 1:1 (committed at 1:1)');
  });

  it('an iterator the chaincode stopped early includes its end key, and nothing after it counts', async () => {
    // The chaincode read k2 and stopped: endKey is the last key seen; k4 beyond it is no phantom.
    const stopped = range([['k2', 1, 0]], { endKey: 'k2', itrExhausted: false });
    const ok = await validate(blockOf(2, [tx([{ namespace: 'basic', rangeQueriesInfo: [stopped] }]).envelope]), committed());
    expect(ok.transactions[0]!.code).toBe('VALID');
    // The same range recorded as exhausted ([k1, k2), which excludes k2) now differs from the state.
    const exhausted = range([['k2', 1, 0]], { endKey: 'k2', itrExhausted: true });
    const bad = await validate(blockOf(2, [tx([{ namespace: 'basic', rangeQueriesInfo: [exhausted] }]).envelope]), committed());
    expect(bad.transactions[0]!.explanation).toContain('basic/k2 (read at 1:0) is gone');
  });

  it('an open-ended range sees keys up to the end of the namespace; merkle-hashed range info is refused as unsupported', async () => {
    const open = await validate(blockOf(2, [tx([{ namespace: 'basic', rangeQueriesInfo: [range(seen, { endKey: '' })] }]).envelope]), committed());
    expect(open.transactions[0]!.explanation).toContain('range basic/["k1", end) saw 2 key(s) when simulated, but now basic/z appeared in it');
    const merkle = { startKey: 'a', endKey: 'b', itrExhausted: true, readsMerkleHashes: { maxDegree: 50, maxLevel: 1, maxLevelHashes: [new Uint8Array(32)] } };
    const hashed = await validate(blockOf(2, [tx([{ namespace: 'basic', rangeQueriesInfo: [merkle] }]).envelope]), committed());
    expect(hashed.transactions[0]!.code).toBe('INVALID_OTHER_REASON');
    expect(hashed.transactions[0]!.explanation).toContain('merkle hashes');
  });
});

describe('validateBlock: endorsements', () => {
  const write = [{ namespace: 'strict', writes: [{ key: 'k', value: 'v' }] }];

  it('two endorsements by the same peer do not make AND(Org1, Org2)', async () => {
    const twice = tx(write, { chaincode: { name: 'strict' }, endorsers: [peer1, peer1] });
    const both = tx(write, { chaincode: { name: 'strict' }, endorsers: [peer1, peer2] });
    const { transactions } = await validate(blockOf(2, [twice.envelope, both.envelope]), new MemoryState());
    expect(transactions.map((t) => t.code)).toEqual(['ENDORSEMENT_POLICY_FAILURE', 'VALID']);
    expect(transactions[0]!.explanation).toContain(
      "chaincode strict's endorsement policy AND('Org1MSP.peer','Org2MSP.peer') needs 2 of 'Org1MSP.peer', 'Org2MSP.peer'; endorsed by peer0.org1.example.com (Org1MSP) only (endorsement #2 by peer0.org1.example.com (Org1MSP) counted once (same endorser as #1))",
    );
  });

  it('an endorsement with a bad signature, or by a client, is left out, and an admin is no peer; the rest still decide', async () => {
    const badSig = tx(write, { chaincode: { name: 'strict' }, endorsers: [peer1, peer2], tamper: { corruptEndorsementSignature: 1 } });
    const extra = tx([{ namespace: 'org1only', writes: [{ key: 'k', value: 'v' }] }], { chaincode: { name: 'org1only' }, endorsers: [peer2, peer1], tamper: { corruptEndorsementSignature: 0 } });
    const byClient = tx(write, { chaincode: { name: 'strict' }, endorsers: [peer1, admin1] });
    const { transactions } = await validate(blockOf(2, [badSig.envelope, extra.envelope, byClient.envelope]), new MemoryState());
    expect(transactions.map((t) => t.code)).toEqual(['ENDORSEMENT_POLICY_FAILURE', 'VALID', 'ENDORSEMENT_POLICY_FAILURE']);
    expect(transactions[0]!.explanation).toContain('endorsement #2 by peer0.org2.example.com (Org2MSP) left out: the signature does not verify');
    expect(transactions[1]!.explanation).toContain('endorsed by peer0.org1.example.com (Org1MSP) (endorsement #1 by peer0.org2.example.com (Org2MSP) left out');
    expect(transactions[2]!.explanation).toContain('endorsed by peer0.org1.example.com (Org1MSP), Admin@org1.example.com (Org1MSP)');
    expect(transactions[2]!.explanation).toContain('Org2MSP.peer: no signature from Org2MSP');
  });

  it("writing another chaincode's namespace makes its policy apply too; an undefined namespace is INVALID_CHAINCODE", async () => {
    const cross = [{ namespace: 'basic', writes: [{ key: 'a', value: '1' }] }, { namespace: 'strict', writes: [{ key: 'b', value: '2' }] }];
    const org1Only = tx(cross, { endorsers: [peer1], chaincode: { name: 'basic' } });
    const readsOnly = tx([{ namespace: 'org1only', writes: [{ key: 'a', value: '1' }] }, { namespace: 'strict', reads: [{ key: 'b' }] }], { chaincode: { name: 'org1only' }, endorsers: [peer1] });
    const undefinedNs = tx([{ namespace: 'basic', writes: [{ key: 'a', value: '1' }] }, { namespace: 'ghost', writes: [{ key: 'b', value: '2' }] }]);
    const both = tx(cross);
    const { transactions } = await validate(blockOf(2, [org1Only.envelope, readsOnly.envelope, undefinedNs.envelope, both.envelope]), new MemoryState());
    expect(transactions.map((t) => t.code)).toEqual(['ENDORSEMENT_POLICY_FAILURE', 'VALID', 'INVALID_CHAINCODE', 'VALID']);
    expect(transactions[0]!.explanation).toContain("chaincode basic's endorsement policy /Channel/Application/Endorsement (MAJORITY Endorsement) needs 2 of Org1MSP, Org2MSP");
    expect(transactions[2]!.explanation).toContain('writes namespace ghost, which is not a chaincode defined on channel mychannel');
    expect(transactions[3]!.explanation).toContain("satisfying /Channel/Application/Endorsement (MAJORITY Endorsement) and AND('Org1MSP.peer','Org2MSP.peer'); writes basic/a, strict/b");
  });
});

describe('validateBlock: state updates', () => {
  it('a value write keeps the committed metadata; a metadata write keeps the value; metadata of a missing key is a no-op', async () => {
    const committedMeta = serializeStateMetadata([{ name: 'VALIDATION_PARAMETER', value: utf8('p') }]);
    const state = new MemoryState().put('basic', 'withMeta', 'old', 1, 0, committedMeta).put('basic', 'plain', 'v', 1, 1);
    const entries = [{ name: 'owner', value: utf8('org1') }];
    const t = tx([
      {
        namespace: 'basic',
        writes: [{ key: 'withMeta', value: 'new' }, { key: 'fresh', value: 'f' }],
        metadataWrites: [
          { key: 'plain', entries },
          { key: 'fresh', entries },
          { key: 'missing', entries },
        ],
      },
    ]);
    const { transactions } = await validate(blockOf(2, [t.envelope]), state);
    expect(transactions[0]!.code).toBe('VALID');
    expect(transactions[0]!.updates).toEqual([
      { kind: 'put', namespace: 'basic', key: 'withMeta', value: utf8('new'), metadata: committedMeta },
      { kind: 'put', namespace: 'basic', key: 'fresh', value: utf8('f'), metadata: serializeStateMetadata(entries) },
      { kind: 'put', namespace: 'basic', key: 'plain', value: utf8('v'), metadata: serializeStateMetadata(entries) },
    ]);
  });

  it('serializes state metadata as Fabric does: a KVMetadataWrite with an empty key', () => {
    const entries = [
      { name: 'a', value: utf8('1') },
      { name: 'VALIDATION_PARAMETER', value: new Uint8Array(200).fill(7) },
    ];
    // buildKvRwSet wraps the same message as field 4: tag 0x22, varint length, then the message.
    const wrapped = buildKvRwSet({ reads: [], rangeQueriesInfo: [], writes: [], metadataWrites: [{ key: '', entries }] });
    const own = serializeStateMetadata(entries);
    expect(Buffer.from(wrapped).subarray(wrapped.length - own.length).equals(Buffer.from(own))).toBe(true);
    expect(parseKvRwSet(wrapped).metadataWrites[0]!.entries).toEqual(entries);
  });
});

describe('validateBlock: config transactions and the genesis block', () => {
  it('block 0 is the genesis config: VALID, not validated', async () => {
    const genesis = parseBlock(fx.genesis.get(CHANNEL)!.block);
    const { transactions, filter } = await validate(genesis, new MemoryState());
    expect(transactions[0]!.code).toBe('VALID');
    expect(transactions[0]!.explanation).toContain('the genesis config of channel mychannel');
    expect([...filter]).toEqual([0]);
  });

  it('a CONFIG transaction with the next sequence is VALID but not applied; another sequence is INVALID_CONFIG_TRANSACTION', async () => {
    const spec = parseConfigBlock(fx.genesis.get(CHANNEL)!.block).config.spec;
    const next = signedEnvelope(admin1, { channelId: CHANNEL, type: HeaderType.CONFIG, data: buildChannelConfig({ ...spec, sequence: 1 }) }, NOW);
    const stale = signedEnvelope(admin1, { channelId: CHANNEL, type: HeaderType.CONFIG, data: buildChannelConfig({ ...spec, sequence: 0 }) }, NOW);
    const garbage = signedEnvelope(admin1, { channelId: CHANNEL, type: HeaderType.CONFIG, data: GARBAGE }, NOW);
    const { transactions } = await validate(blockOf(4, [next, stale, garbage]), new MemoryState());
    expect(transactions.map((t) => t.code)).toEqual(['VALID', 'INVALID_CONFIG_TRANSACTION', 'INVALID_CONFIG_TRANSACTION']);
    expect(transactions[0]!.explanation).toContain('fabsim does not apply config updates yet, so the channel keeps config sequence 0');
    expect(transactions[1]!.explanation).toContain('the config has sequence 0, but the channel is at sequence 0, so the next config must be 1');
    expect(transactions[2]!.explanation).toContain("ConfigEnvelope does not decode");
    for (const t of transactions) expect(t.updates).toEqual([]);
  });
});

describe('validateBlock: time and signature verification', () => {
  it('validates certificates at nowMs, not at the transaction timestamp', async () => {
    const t = tx([{ namespace: 'basic', writes: [{ key: 'a', value: '1' }] }]);
    const later = client.certificate.notAfterMs + 1;
    const { transactions } = await validate(blockOf(2, [t.envelope]), new MemoryState(), new MemoryTxIds(), { nowMs: later });
    expect(transactions[0]!.code).toBe('BAD_CREATOR_SIGNATURE');
    expect(transactions[0]!.explanation).toContain('is not a valid member of channel mychannel');
  });

  it("starts every signature check of the block before awaiting any (creators' and endorsers')", async () => {
    let started = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const verify: AsyncSignatureVerifier = async (key, message, signature) => {
      started++;
      await gate;
      return verifyEcdsa(key, message, signature);
    };
    const envelopes = [0, 1, 2].map((i) => tx([{ namespace: 'basic', writes: [{ key: `p${i}`, value: '1' }] }]).envelope);
    const pending = validate(blockOf(2, envelopes), new MemoryState(), new MemoryTxIds(), { verify });
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(started).toBe(3 * 3); // 3 creators + 3 × 2 endorsers
    release();
    const { transactions } = await pending;
    expect(transactions.map((t) => t.code)).toEqual(['VALID', 'VALID', 'VALID']);
  });
});

describe('validateBlock: the speculative pass and the re-run when a signature fails', () => {
  it("a transaction whose signature fails counts for nothing: later transactions' MVCC and duplicate checks are decided again with the real verdicts", async () => {
    // Speculatively (every signature valid) #0 writes asset9 so #1 conflicts; #2 is VALID so its
    // repeat #3 is a duplicate; #4 satisfies AND(Org1, Org2) so #5 conflicts. With the real verdicts
    // #0, #2 and #3 are BAD_CREATOR_SIGNATURE, #4 fails its policy, and #1 and #5 are VALID.
    const forged = tx([{ namespace: 'basic', reads: [{ key: 'asset9' }], writes: [{ key: 'asset9', value: 'forged' }] }], { tamper: { corruptCreatorSignature: true } });
    const honest = tx([{ namespace: 'basic', reads: [{ key: 'asset9' }], writes: [{ key: 'asset9', value: 'honest' }] }]);
    const forgedTwice = tx([{ namespace: 'basic', writes: [{ key: 'twice', value: '1' }] }], { tamper: { corruptCreatorSignature: true } });
    const badEndorsement = tx([{ namespace: 'strict', reads: [{ key: 's' }], writes: [{ key: 's', value: 'bad' }] }], { chaincode: { name: 'strict' }, tamper: { corruptEndorsementSignature: 1 } });
    const after = tx([{ namespace: 'strict', reads: [{ key: 's' }], writes: [{ key: 's', value: 'good' }] }], { chaincode: { name: 'strict' } });
    let calls = 0;
    const verify: AsyncSignatureVerifier = async (key, message, signature) => {
      calls++;
      return verifyEcdsa(key, message, signature);
    };
    const block = blockOf(2, [forged.envelope, honest.envelope, forgedTwice.envelope, forgedTwice.envelope, badEndorsement.envelope, after.envelope]);
    const result = await validate(block, new MemoryState(), new MemoryTxIds(), { verify });
    expect(result.transactions.map((t) => t.code)).toEqual(['BAD_CREATOR_SIGNATURE', 'VALID', 'BAD_CREATOR_SIGNATURE', 'BAD_CREATOR_SIGNATURE', 'ENDORSEMENT_POLICY_FAILURE', 'VALID']);
    expect(result.transactions[1]!.explanation).toContain('writes basic/asset9');
    expect(result.transactions[1]!.updates).toEqual([{ kind: 'put', namespace: 'basic', key: 'asset9', value: utf8('honest') }]);
    expect(result.transactions[3]!.explanation).toContain("the envelope's signature is not the creator's");
    expect(result.transactions[4]!.explanation).toContain('endorsement #2 by peer0.org2.example.com (Org2MSP) left out: the signature does not verify');
    expect(result.transactions[5]!.updates).toEqual([{ kind: 'put', namespace: 'strict', key: 's', value: utf8('good') }]);
    expect([...result.filter]).toEqual(result.transactions.map((t) => TxValidationCode[t.code]));
    expect(result.transactions.filter((t) => t.code !== 'VALID').every((t) => t.updates.length === 0)).toBe(true);
    // The re-run decides from the verdicts already verified: no signature is checked twice.
    expect(calls).toBe(6 * 3); // a creator and two endorsements per transaction, each verified once
  });

  it('when every signature verifies, the speculative answer is the answer', async () => {
    const a = tx([{ namespace: 'basic', reads: [{ key: 'k' }], writes: [{ key: 'k', value: '1' }] }]);
    const b = tx([{ namespace: 'basic', reads: [{ key: 'k' }], writes: [{ key: 'k', value: '2' }] }]);
    const { transactions } = await validate(blockOf(2, [a.envelope, b.envelope]), new MemoryState());
    expect(transactions.map((t) => t.code)).toEqual(['VALID', 'MVCC_READ_CONFLICT']);
  });
});
