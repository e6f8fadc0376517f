import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toHex } from '../../../src/core/bytes.js';
import { silentLogger } from '../../../src/core/logger.js';
import { SeededRng } from '../../../src/core/rng.js';
import type { ChannelResources } from '../../../src/common/channel-resources.js';
import { BlockStore } from '../../../src/ledger/block-store.js';
import { PeerLedger } from '../../../src/ledger/peer-ledger.js';
import { verifyEcdsa, type AsyncSignatureVerifier } from '../../../src/msp/ecdsa.js';
import { loadSigningIdentity, type SigningIdentity } from '../../../src/msp/signing-identity.js';
import { BlockWriter } from '../../../src/orderer/block-writer.js';
import { BlockRejectedError, Committer, withTransactionsFilter, type CommittedBlock } from '../../../src/peer/committer.js';
import { chaincodeDefinition, MapChaincodeDefinitions } from '../../../src/peer/validation/chaincode-definition.js';
import { BlockMetadataSlot, blockDataHash, blockHeaderHash, buildBlock, buildMetadataValue, parseBlock, parseMetadataValue, type Block } from '../../../src/protos/block.js';
import { parseConfigBlock } from '../../../src/protos/config-block.js';
import { TxValidationCode } from '../../../src/protos/tx-validation-code.js';
import { MemoryKvStore } from '../../../src/storage/memory-kv-store.js';
import { makeChannelFixture, type ChannelFixture } from '../../helpers/channel-fixture.js';
import { buildEndorsedTransaction, type EndorsedTransaction, type NsRwSetSpec } from '../../helpers/endorsed-transaction.js';

/**
 * The committer (Fabric's committer/txvalidator + kvledger commit) over a real PeerLedger in a
 * MemoryKvStore, with blocks written and signed the way an orderer's BlockWriter does.
 */

const CHANNEL = 'mychannel';
const GARBAGE = new Uint8Array([0xff, 0xff, 0xff]);
const verify: AsyncSignatureVerifier = async (key, message, signature) => verifyEcdsa(key, message, signature);
const chaincodes = new MapChaincodeDefinitions([chaincodeDefinition({ name: 'basic', version: '1.0' })]);

let fx: ChannelFixture;
let resources: ChannelResources;
let genesis: Uint8Array;
let genesisTxId: string;
let orderer: SigningIdentity;
let client: SigningIdentity;
let peer1: SigningIdentity;
let peer2: SigningIdentity;

beforeAll(async () => {
  fx = await makeChannelFixture('committer');
  resources = fx.registry.get(CHANNEL)!;
  genesis = fx.genesis.get(CHANNEL)!.block;
  genesisTxId = parseConfigBlock(genesis).channelHeader.txId;
  orderer = await loadSigningIdentity(join(fx.cryptoDir, 'ordererOrganizations', 'example.com', 'orderers', 'orderer.example.com', 'msp'), 'OrdererMSP');
  [client, peer1, peer2] = await Promise.all([fx.user('org1'), fx.peer('org1'), fx.peer('org2')]);
}, 60_000);
afterAll(() => fx?.cleanup());

/** The ordering service's copy of the chain: appends blocks after the genesis block and signs them. */
class OrdererChain {
  private constructor(private readonly store: BlockStore) {}

  static async create(): Promise<OrdererChain> {
    const store = await BlockStore.open(new MemoryKvStore());
    await store.append(genesis);
    return new OrdererChain(store);
  }

  /** The next block with `data`, written and signed by `signer` (the orderer by default). */
  async next(data: readonly Uint8Array[], signer: SigningIdentity = orderer): Promise<Uint8Array> {
    const block: Block = { header: { number: this.store.height, previousHash: this.store.lastHash, dataHash: blockDataHash(data) }, data: [...data], metadata: [] };
    return new BlockWriter(this.store, signer, new SeededRng(this.store.height), [1], 0).write(block, this.store.height + 4);
  }
}

/** A `basic` transaction by User1@org1, endorsed by both peers (MAJORITY of Org1, Org2) unless told otherwise. */
function tx(rwset: NsRwSetSpec, endorsers: readonly SigningIdentity[] = [peer1, peer2], tamper?: { corruptCreatorSignature: true }): EndorsedTransaction {
  return buildEndorsedTransaction({ channelId: CHANNEL, creator: client, endorsers, chaincode: { name: 'basic' }, rwsets: [rwset], ...(tamper === undefined ? {} : { tamper }) });
}

const write = (key: string, value: string): NsRwSetSpec => ({ namespace: 'basic', reads: [{ key }], writes: [{ key, value }] });
const text = (bytes: Uint8Array | undefined): string | undefined => (bytes === undefined ? undefined : new TextDecoder().decode(bytes));

interface Peer {
  readonly kv: MemoryKvStore;
  readonly ledger: PeerLedger;
  readonly committer: Committer;
}

async function newPeer(): Promise<Peer> {
  const kv = new MemoryKvStore();
  const ledger = await PeerLedger.open(kv);
  const committer = new Committer({ channelId: CHANNEL, ledger, resources: () => resources, chaincodes, verify, clock: fx.clock, logger: silentLogger });
  return { kv, ledger, committer };
}

/** What a refused block must leave unchanged. */
async function snapshot(p: Peer): Promise<{ height: number; keys: number; stateHash: string; asset1: string | undefined }> {
  return { height: p.ledger.height, keys: p.kv.size, stateHash: toHex((await p.ledger.stateHashAt(p.ledger.height))!), asset1: text((await p.ledger.getState('basic', 'asset1'))?.value) };
}

async function rejection(run: Promise<unknown>): Promise<BlockRejectedError> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BlockRejectedError);
  expect((err as BlockRejectedError).code).toBe('BLOCK_REJECTED');
  return err as BlockRejectedError;
}

describe('Committer.commitGenesis', () => {
  it('commits the genesis block as VALID with a TRANSACTIONS_FILTER, and the state hash of height 1', async () => {
    const p = await newPeer();
    const seen: CommittedBlock[] = [];
    p.committer.onCommitted((b) => seen.push(b));
    const committed = await p.committer.commitGenesis(genesis, genesisTxId);
    expect(committed.number).toBe(0);
    expect(committed.transactions).toEqual([expect.objectContaining({ txId: genesisTxId, txNum: 0, code: 'VALID', updates: [] })]);
    expect(p.ledger.height).toBe(1);
    expect(committed.stateHash).toBe(toHex((await p.ledger.stateHashAt(1))!));
    expect(committed.stateHash).toMatch(/^[0-9a-f]{64}$/);
    const stored = parseBlock((await p.ledger.getBlock(0))!);
    expect([...stored.metadata[BlockMetadataSlot.TRANSACTIONS_FILTER]!]).toEqual([TxValidationCode.VALID]);
    expect(toHex(blockHeaderHash(stored.header))).toBe(toHex(blockHeaderHash(parseBlock(genesis).header)));
    expect(await p.ledger.hasTxId(genesisTxId)).toBe(true);
    expect(seen.map((b) => b.number)).toEqual([0]);
  });

  it('refuses a second genesis block, and a block that is not block 0, writing nothing', async () => {
    const p = await newPeer();
    const chain = await OrdererChain.create();
    const block1 = await chain.next([tx(write('asset1', 'a')).envelope]);
    const notGenesis = await rejection(p.committer.commitGenesis(block1, 'x'));
    expect(notGenesis.message).toContain('a channel is joined with its genesis block (number 0) on an empty ledger; got block 1 at height 0');
    expect(p.ledger.height).toBe(0);
    expect(p.kv.size).toBe(0);

    await p.committer.commitGenesis(genesis, genesisTxId);
    const before = await snapshot(p);
    const again = await rejection(p.committer.commitGenesis(genesis, genesisTxId));
    expect(again.message).toContain('got block 0 at height 1');
    expect(await snapshot(p)).toEqual(before);
  });
});

describe('withTransactionsFilter', () => {
  it('sets the filter slot and keeps header, data and the other slots, also for a block with fewer metadata slots', async () => {
    const chain = await OrdererChain.create();
    const ordered = parseBlock(await chain.next([tx(write('asset1', 'a')).envelope]));
    const filtered = parseBlock(withTransactionsFilter(ordered, Uint8Array.of(TxValidationCode.MVCC_READ_CONFLICT)));
    expect([...filtered.metadata[BlockMetadataSlot.TRANSACTIONS_FILTER]!]).toEqual([TxValidationCode.MVCC_READ_CONFLICT]);
    expect(filtered.metadata.map(toHex).filter((_, i) => i !== BlockMetadataSlot.TRANSACTIONS_FILTER)).toEqual(ordered.metadata.map(toHex).filter((_, i) => i !== BlockMetadataSlot.TRANSACTIONS_FILTER));
    expect(toHex(blockHeaderHash(filtered.header))).toBe(toHex(blockHeaderHash(ordered.header)));
    expect(filtered.data.map(toHex)).toEqual(ordered.data.map(toHex));

    const short = parseBlock(withTransactionsFilter({ ...ordered, metadata: [ordered.metadata[0]!] }, Uint8Array.of(0, 0)));
    expect(toHex(short.metadata[BlockMetadataSlot.SIGNATURES]!)).toBe(toHex(ordered.metadata[BlockMetadataSlot.SIGNATURES]!));
    expect([...short.metadata[BlockMetadataSlot.TRANSACTIONS_FILTER]!]).toEqual([0, 0]);
  });
});

describe('Committer.commit', () => {
  let p: Peer;
  let chain: OrdererChain;

  beforeEach(async () => {
    p = await newPeer();
    chain = await OrdererChain.create();
    await p.committer.commitGenesis(genesis, genesisTxId);
  });

  it('gives every transaction its code, stores them in TRANSACTIONS_FILTER, applies only VALID ones, and reports the state hash', async () => {
    const valid = tx(write('asset1', 'Tomoko'));
    const oneOrg = tx(write('asset2', 'Max'), [peer1]);
    const forged = tx(write('asset3', 'Adriana'), [peer1, peer2], { corruptCreatorSignature: true });
    const stale = tx(write('asset1', 'Michel')); // read asset1 as absent, but `valid` wrote it earlier in the block
    const other = tx({ namespace: 'basic', writes: [{ key: 'asset4', value: 'Jin Soo' }] });
    const blockBytes = await chain.next([valid.envelope, oneOrg.envelope, forged.envelope, stale.envelope, other.envelope]);
    const seen: CommittedBlock[] = [];
    const seenByOther: number[] = [];
    p.committer.onCommitted((b) => seen.push(b));
    const unsubscribe = p.committer.onCommitted((b) => seenByOther.push(b.number));
    const hashBefore = toHex((await p.ledger.stateHashAt(1))!);

    const committed = await p.committer.commit(blockBytes);

    const codes = ['VALID', 'ENDORSEMENT_POLICY_FAILURE', 'BAD_CREATOR_SIGNATURE', 'MVCC_READ_CONFLICT', 'VALID'] as const;
    expect(committed?.number).toBe(1);
    expect(committed?.transactions.map((t) => t.code)).toEqual(codes);
    expect(committed?.transactions.map((t) => t.txId)).toEqual([valid.txId, oneOrg.txId, forged.txId, stale.txId, other.txId]);
    const stored = parseBlock((await p.ledger.getBlock(1))!);
    expect([...stored.metadata[BlockMetadataSlot.TRANSACTIONS_FILTER]!]).toEqual(codes.map((c) => TxValidationCode[c]));
    expect(toHex(committed!.blockBytes)).toBe(toHex((await p.ledger.getBlock(1))!));
    // The header (and so the chain) is the orderer's; only the filter slot changed.
    const ordered = parseBlock(blockBytes);
    expect(toHex(blockHeaderHash(stored.header))).toBe(toHex(blockHeaderHash(ordered.header)));
    expect(toHex(stored.metadata[BlockMetadataSlot.SIGNATURES]!)).toBe(toHex(ordered.metadata[BlockMetadataSlot.SIGNATURES]!));

    expect(text((await p.ledger.getState('basic', 'asset1'))?.value)).toBe('Tomoko');
    expect((await p.ledger.getState('basic', 'asset1'))?.version).toEqual({ blockNum: 1, txNum: 0 });
    expect(text((await p.ledger.getState('basic', 'asset4'))?.value)).toBe('Jin Soo');
    expect((await p.ledger.getState('basic', 'asset4'))?.version).toEqual({ blockNum: 1, txNum: 4 });
    expect(await p.ledger.getState('basic', 'asset2')).toBeUndefined();
    expect(await p.ledger.getState('basic', 'asset3')).toBeUndefined();
    expect((await p.ledger.getTransactionLocation(stale.txId))?.code).toBe('MVCC_READ_CONFLICT');

    expect(p.ledger.height).toBe(2);
    expect(committed?.stateHash).toBe(toHex((await p.ledger.stateHashAt(2))!));
    expect(committed?.stateHash).not.toBe(hashBefore);
    expect(seen).toEqual([committed]);
    expect(seenByOther).toEqual([1]);

    // Unsubscribed listeners hear nothing more; a repeated transaction is DUPLICATE_TXID.
    unsubscribe();
    const next = await p.committer.commit(await chain.next([valid.envelope]));
    expect(next?.transactions.map((t) => t.code)).toEqual(['DUPLICATE_TXID']);
    expect(seenByOther).toEqual([1]);
    expect(seen.map((b) => b.number)).toEqual([1, 2]);
    expect(next?.stateHash).toBe(toHex((await p.ledger.stateHashAt(3))!));
  });

  it('the same blocks give two peers the same codes and the same state hash', async () => {
    const blocks = [await chain.next([tx(write('asset1', 'a')).envelope, tx(write('asset1', 'b')).envelope]), await chain.next([tx(write('asset2', 'c'), [peer2]).envelope])];
    const q = await newPeer();
    await q.committer.commitGenesis(genesis, genesisTxId);
    for (const b of blocks) {
      const [mine, theirs] = [await p.committer.commit(b), await q.committer.commit(b)];
      expect(theirs?.transactions.map((t) => t.code)).toEqual(mine?.transactions.map((t) => t.code));
      expect(theirs?.stateHash).toBe(mine?.stateHash);
    }
  });

  it('ignores a block below the height (sent again after a reconnect): undefined, nothing written, no event', async () => {
    const block1 = await chain.next([tx(write('asset1', 'a')).envelope]);
    await p.committer.commit(block1);
    const before = await snapshot(p);
    let events = 0;
    p.committer.onCommitted(() => events++);
    expect(await p.committer.commit(block1)).toBeUndefined();
    expect(await p.committer.commit(genesis)).toBeUndefined();
    expect(await snapshot(p)).toEqual(before);
    expect(events).toBe(0);
  });

  describe('refuses, with BlockRejectedError and nothing written,', () => {
    let events: number;
    let before: Awaited<ReturnType<typeof snapshot>>;
    beforeEach(async () => {
      await p.committer.commit(await chain.next([tx(write('asset1', 'first')).envelope]));
      before = await snapshot(p);
      events = 0;
      p.committer.onCommitted(() => events++);
    });
    const unchanged = async (): Promise<void> => {
      expect(await snapshot(p)).toEqual(before);
      expect(events).toBe(0);
    };

    it('a block beyond the next one (a gap), then commits the missing block and the one after', async () => {
      const block2 = await chain.next([tx(write('asset1', 'second')).envelope]);
      const block3 = await chain.next([tx(write('asset5', 'third')).envelope]);
      const err = await rejection(p.committer.commit(block3));
      expect(err.message).toBe("refusing block 3 of channel mychannel: the ledger's height is 2, so block 2 must come first");
      await unchanged();
      expect((await p.committer.commit(block2))?.number).toBe(2);
      expect((await p.committer.commit(block3))?.number).toBe(3);
      expect(p.ledger.height).toBe(4);
    });

    it('bytes that are not a block', async () => {
      const err = await rejection(p.committer.commit(GARBAGE));
      expect(err.message).toMatch(/^refusing a block of channel mychannel that does not parse: /);
      await unchanged();
      const empty = await rejection(p.committer.commit(buildBlock({ header: { number: 2, previousHash: new Uint8Array(), dataHash: new Uint8Array() }, data: [], metadata: [GARBAGE] })));
      expect(empty.message).toContain('refusing block 2 of channel mychannel: ');
      await unchanged();
    });

    it('a block whose orderer signature is forged', async () => {
      const good = parseBlock(await chain.next([tx(write('asset1', 'forged')).envelope]));
      const slot = parseMetadataValue(good.metadata[BlockMetadataSlot.SIGNATURES]!);
      const forgedSlot = buildMetadataValue({ value: slot.value, signatures: slot.signatures.map((s) => ({ signatureHeader: s.signatureHeader, signature: orderer.sign(new Uint8Array([1, 2, 3])) })) });
      const metadata = good.metadata.map((m, i) => (i === BlockMetadataSlot.SIGNATURES ? forgedSlot : m));
      const err = await rejection(p.committer.commit(buildBlock({ ...good, metadata })));
      expect(err.message).toContain('refusing block 2 of channel mychannel: ');
      expect(err.message).toContain('its orderer signatures do not satisfy /Channel/Orderer/BlockValidation');
      expect(err.message).toContain('the signature does not verify with orderer.example.com (OrdererMSP)');
      await unchanged();
    });

    it('a block without an orderer signature', async () => {
      const good = parseBlock(await chain.next([tx(write('asset1', 'unsigned')).envelope]));
      const err = await rejection(p.committer.commit(buildBlock({ ...good, metadata: [] })));
      expect(err.message).toContain('refusing block 2 of channel mychannel: ');
      expect(err.message).toContain('its SIGNATURES metadata is empty: no orderer signed it');
      await unchanged();
    });

    it('a block whose data was changed after the orderer signed it', async () => {
      const good = parseBlock(await chain.next([tx(write('asset1', 'signed')).envelope]));
      const err = await rejection(p.committer.commit(buildBlock({ ...good, data: [tx(write('asset1', 'swapped')).envelope] })));
      expect(err.message).toContain("its header's data_hash");
      await unchanged();
    });

    it('a block signed by a peer (a channel member, but not an orderer)', async () => {
      const err = await rejection(p.committer.commit(await chain.next([tx(write('asset1', 'by a peer')).envelope], peer1)));
      expect(err.message).toContain('refusing block 2 of channel mychannel: ');
      expect(err.message).toContain('its orderer signatures do not satisfy /Channel/Orderer/BlockValidation');
      await unchanged();
    });

    it('a block of another chain (previous_hash does not match), signed by the orderer', async () => {
      const data = [tx(write('asset1', 'fork')).envelope];
      const fork: Block = { header: { number: 2, previousHash: new Uint8Array(32).fill(7), dataHash: blockDataHash(data) }, data, metadata: [] };
      const bytes = await signWithoutStore(fork);
      const err = await p.committer.commit(bytes).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err?.message).toContain('it belongs to another chain');
      await unchanged();
    });
  });
});

/** Signs `block` as orderer.example.com does, without a chain behind it (for a forked block). */
async function signWithoutStore(block: Block): Promise<Uint8Array> {
  const accepting = { append: async () => parseBlock(buildBlock(block)) } as unknown as BlockStore;
  return new BlockWriter(accepting, orderer, new SeededRng(9), [1], 0).write(block, 9);
}

describe('Committer.commit, pipelined: blocks handed over before the previous commit resolved', () => {
  let chain: OrdererChain;
  beforeEach(async () => {
    chain = await OrdererChain.create();
  });

  /** A peer whose ledger records the order of commits and can hold the reads of the next blocks until a commit is done. */
  async function recordingPeer(): Promise<Peer & { commits: number[]; readHeights: number[]; deferReadsUntilNextCommit: () => void }> {
    const kv = new MemoryKvStore();
    const inner = await PeerLedger.open(kv);
    const commits: number[] = [];
    const readHeights: number[] = [];
    let deferred: Promise<void> | undefined;
    let commitDone: (() => void) | undefined;
    const before = async (): Promise<void> => {
      readHeights.push(inner.height);
      if (deferred !== undefined) await deferred;
    };
    const ledger = Object.assign(Object.create(inner) as PeerLedger, {
      getStates: async (refs: Parameters<PeerLedger['getStates']>[0]) => (await before(), inner.getStates(refs)),
      hasTxIds: async (ids: readonly string[]) => (await before(), inner.hasTxIds(ids)),
      commit: async (c: Parameters<PeerLedger['commit']>[0]) => {
        await inner.commit(c);
        commits.push(c.blockNumber);
        deferred = undefined;
        commitDone?.();
      },
    });
    const committer = new Committer({ channelId: CHANNEL, ledger, resources: () => resources, chaincodes, verify, clock: fx.clock, logger: silentLogger });
    await committer.commitGenesis(genesis, genesisTxId);
    commits.length = 0;
    const deferReadsUntilNextCommit = (): void => {
      deferred = new Promise<void>((resolve) => (commitDone = resolve));
    };
    return { kv, ledger: inner, committer, commits, readHeights, deferReadsUntilNextCommit };
  }

  async function dependentBlocks(): Promise<Uint8Array[]> {
    const create = tx(write('asset1', 'one'));
    const other = tx({ namespace: 'basic', writes: [{ key: 'asset2', value: 'two' }] });
    const update = tx({ namespace: 'basic', reads: [{ key: 'asset1', version: { blockNum: 1, txNum: 0 } }], writes: [{ key: 'asset1', value: 'updated' }] });
    const stale = tx(write('asset1', 'stale')); // reads asset1 as absent: block 1 created it
    const again = tx({ namespace: 'basic', reads: [{ key: 'asset1', version: { blockNum: 2, txNum: 0 } }], writes: [{ key: 'asset1', value: 'again' }, { key: 'asset2', isDelete: true }] });
    return [
      await chain.next([create.envelope, other.envelope]),
      await chain.next([update.envelope, stale.envelope, other.envelope]), // other: committed in block 1
      await chain.next([again.envelope, update.envelope, create.envelope]), // update: in block 2, still in flight
    ];
  }

  const summary = (b: CommittedBlock | undefined) => b && { number: b.number, codes: b.transactions.map((t) => [t.code, t.explanation]), stateHash: b.stateHash, stored: toHex(b.blockBytes) };

  it('gives the same codes, explanations, stored blocks and state hashes as one at a time, committing in order', async () => {
    const blocks = await dependentBlocks();
    const one = await recordingPeer();
    const sequential: Array<CommittedBlock | undefined> = [];
    for (const b of blocks) sequential.push(await one.committer.commit(b));
    expect(sequential.map((b) => b?.transactions.map((t) => t.code))).toEqual([
      ['VALID', 'VALID'],
      ['VALID', 'MVCC_READ_CONFLICT', 'DUPLICATE_TXID'],
      ['VALID', 'DUPLICATE_TXID', 'DUPLICATE_TXID'],
    ]);

    const pipelined = await recordingPeer();
    const events: number[] = [];
    pipelined.committer.onCommitted((b) => events.push(b.number));
    const results = await Promise.all(blocks.map((b) => pipelined.committer.commit(b)));
    expect(results.map(summary)).toEqual(sequential.map(summary));
    expect(pipelined.commits).toEqual([1, 2, 3]);
    expect(events).toEqual([1, 2, 3]);
    // Blocks 2 and 3 asked the ledger for their reads before block 1 was committed.
    expect(pipelined.readHeights.filter((h) => h === 1).length).toBeGreaterThanOrEqual(6);
    expect(text((await pipelined.ledger.getState('basic', 'asset1'))?.value)).toBe('again');
    expect(await pipelined.ledger.getState('basic', 'asset2')).toBeUndefined();
  });

  it('gives the same answers when the reads of the next block see the block before it already committed', async () => {
    const blocks = await dependentBlocks();
    const one = await recordingPeer();
    const sequential: Array<CommittedBlock | undefined> = [];
    for (const b of blocks) sequential.push(await one.committer.commit(b));

    const pipelined = await recordingPeer();
    const first = pipelined.committer.commit(blocks[0]!);
    pipelined.deferReadsUntilNextCommit(); // block 2's reads run after block 1 is committed
    const second = pipelined.committer.commit(blocks[1]!);
    const third = pipelined.committer.commit(blocks[2]!);
    expect((await Promise.all([first, second, third])).map(summary)).toEqual(sequential.map(summary));
  });

  it('refuses a bad block among blocks in flight, and the blocks queued after it, writing nothing; the good blocks then commit', async () => {
    const p = await recordingPeer();
    const block1 = await chain.next([tx(write('asset1', 'a')).envelope]);
    const good2 = await chain.next([tx(write('asset2', 'b')).envelope]);
    const block3 = await chain.next([tx(write('asset3', 'c')).envelope]);
    const block4 = await chain.next([tx(write('asset4', 'd')).envelope]);
    const parsed = parseBlock(good2);
    const slot = parseMetadataValue(parsed.metadata[BlockMetadataSlot.SIGNATURES]!);
    const forgedSlot = buildMetadataValue({ value: slot.value, signatures: slot.signatures.map((s) => ({ signatureHeader: s.signatureHeader, signature: orderer.sign(new Uint8Array([1])) })) });
    const forged2 = buildBlock({ ...parsed, metadata: parsed.metadata.map((m, i) => (i === BlockMetadataSlot.SIGNATURES ? forgedSlot : m)) });

    const outcomes = await Promise.allSettled([block1, forged2, block3, block4].map((b) => p.committer.commit(b)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected']);
    const reasons = outcomes.slice(1).map((o) => (o as PromiseRejectedResult).reason as BlockRejectedError);
    expect(reasons.every((r) => r instanceof BlockRejectedError && r.code === 'BLOCK_REJECTED')).toBe(true);
    expect(reasons[0]!.message).toContain('refusing block 2 of channel mychannel: ');
    expect(reasons[0]!.message).toContain('its orderer signatures do not satisfy /Channel/Orderer/BlockValidation');
    expect(reasons[1]!.message).toBe("refusing block 3 of channel mychannel: the ledger's height is 2, so block 2 must come first");
    expect(reasons[2]!.message).toBe("refusing block 4 of channel mychannel: the ledger's height is 2, so block 2 must come first");
    expect(p.commits).toEqual([1]);
    expect(p.ledger.height).toBe(2);
    expect(await p.ledger.getState('basic', 'asset3')).toBeUndefined();

    const retried = await Promise.all([good2, block3, block4].map((b) => p.committer.commit(b)));
    expect(retried.map((b) => b?.number)).toEqual([2, 3, 4]);
    expect(p.commits).toEqual([1, 2, 3, 4]);
  });

  it('ignores a repeated block and refuses one out of order among blocks in flight, as one at a time would', async () => {
    const blocks = [await chain.next([tx(write('asset1', 'a')).envelope]), await chain.next([tx(write('asset2', 'b')).envelope]), await chain.next([tx(write('asset3', 'c')).envelope])];
    const [b1, b2, b3] = blocks as [Uint8Array, Uint8Array, Uint8Array];
    const order = [b1, b1, b3, b2, b3, genesis, GARBAGE];
    const one = await recordingPeer();
    const sequential: string[] = [];
    for (const b of order) {
      sequential.push(
        await one.committer.commit(b).then(
          (c) => `committed ${c?.number ?? 'nothing'}`,
          (e: unknown) => `refused: ${(e as Error).message}`,
        ),
      );
    }
    expect(sequential.slice(0, 5)).toEqual(['committed 1', 'committed nothing', "refused: refusing block 3 of channel mychannel: the ledger's height is 2, so block 2 must come first", 'committed 2', 'committed 3']);
    const pipelined = await recordingPeer();
    const outcomes = await Promise.all(
      order.map((b) =>
        pipelined.committer.commit(b).then(
          (c) => `committed ${c?.number ?? 'nothing'}`,
          (e: unknown) => `refused: ${(e as Error).message}`,
        ),
      ),
    );
    expect(outcomes).toEqual(sequential);
    expect(pipelined.commits).toEqual([1, 2, 3]);
    expect(toHex((await pipelined.ledger.stateHashAt(4))!)).toBe(toHex((await one.ledger.stateHashAt(4))!));
  });
});
