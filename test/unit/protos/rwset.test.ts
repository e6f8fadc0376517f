import { describe, expect, it } from 'vitest';
import { parseBlock } from '../../../src/protos/block.js';
import { parseEnvelopeHeaders } from '../../../src/protos/envelope.js';
import { buildKvRwSet, buildTxRwSet, parseKvRwSet, parseTxRwSet, type TxRwSet } from '../../../src/protos/rwset.js';
import { parseChaincodeAction, parseChaincodeActionPayload, parseProposalResponsePayload, parseTransaction } from '../../../src/protos/transaction.js';
import { vectorBytes } from '../../helpers/config-vectors.js';
import { decodeError } from '../../helpers/expect-error.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Minimal protobuf writer for hand-made wire bytes (google-protobuf cannot write some of them). */
function varint(value: bigint): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}
const field = (num: number, bytes: Uint8Array): Uint8Array => Uint8Array.from([...varint(BigInt((num << 3) | 2)), ...varint(BigInt(bytes.length)), ...bytes]);
const varintField = (num: number, value: bigint): Uint8Array => Uint8Array.from([...varint(BigInt(num << 3)), ...varint(value)]);
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

/** The TxReadWriteSet bytes of the first transaction of a real Fabric block. */
function vectorRwset(name: string, index = 0): Uint8Array {
  const envelope = parseBlock(vectorBytes(name)).data[index] as Uint8Array;
  const tx = parseTransaction(parseEnvelopeHeaders(envelope).payload.data);
  const cap = parseChaincodeActionPayload(tx.actions[0]?.payload ?? new Uint8Array());
  return parseChaincodeAction(parseProposalResponsePayload(cap.action.proposalResponsePayload).extension).results;
}

const SAMPLE: TxRwSet = {
  nsRwsets: [
    {
      namespace: 'basic',
      collectionHashedRwsetCount: 0,
      rwset: {
        reads: [
          { key: 'asset1', version: { blockNum: 4, txNum: 2 } },
          { key: 'missing', version: undefined },
        ],
        rangeQueriesInfo: [
          { startKey: 'a', endKey: 'b', itrExhausted: true, rawReads: [{ key: 'a1', version: { blockNum: 1, txNum: 0 } }] },
          { startKey: 'c', endKey: '', itrExhausted: false, readsMerkleHashes: { maxDegree: 50, maxLevel: 2, maxLevelHashes: [Uint8Array.of(1, 2), Uint8Array.of(3)] } },
          { startKey: 'x', endKey: 'y', itrExhausted: true },
        ],
        writes: [
          { key: 'asset1', isDelete: false, value: utf8('blue') },
          { key: 'asset2', isDelete: true, value: new Uint8Array() },
        ],
        metadataWrites: [{ key: 'asset1', entries: [{ name: 'VALIDATION_PARAMETER', value: Uint8Array.of(9) }] }, { key: 'asset3', entries: [] }],
      },
    },
    { namespace: 'other', collectionHashedRwsetCount: 0, rwset: { reads: [], rangeQueriesInfo: [], writes: [], metadataWrites: [] } },
  ],
};

describe('rwset.TxReadWriteSet / kvrwset.KVRWSet', () => {
  it('round-trips every field, including both range-query forms and absent versions', () => {
    expect(parseTxRwSet(buildTxRwSet(SAMPLE))).toEqual(SAMPLE);
  });

  it('reads a real Fabric v2.5 rwset (the _lifecycle read a peer adds, then the chaincode write) and re-encodes it byte for byte', () => {
    const bytes = vectorRwset('block5-lifecycle.pb');
    const set = parseTxRwSet(bytes);
    expect(set.nsRwsets.map((ns) => ns.namespace)).toEqual(['_lifecycle', 'kv']);
    expect(set.nsRwsets[0]?.rwset.reads).toEqual([{ key: 'namespaces/fields/kv/Sequence', version: { blockNum: 3, txNum: 0 } }]);
    expect(set.nsRwsets[1]?.rwset.writes).toEqual([{ key: 'warm', isDelete: false, value: utf8('x') }]);
    expect(Buffer.from(buildTxRwSet(set)).equals(Buffer.from(bytes))).toBe(true);
    for (let i = 0; i < 10; i++) {
      const real = vectorRwset('block105-10tx.pb', i);
      expect(Buffer.from(buildTxRwSet(parseTxRwSet(real))).equals(Buffer.from(real))).toBe(true);
    }
  });

  it('counts collection hashed rwsets on parse', () => {
    // NsReadWriteSet { namespace: "pdc", rwset: <empty>, collection_hashed_rwset: [{collection_name: "c"}] }
    const ns = concat(field(1, utf8('pdc')), field(3, field(1, utf8('c'))));
    expect(parseTxRwSet(field(2, ns)).nsRwsets[0]).toMatchObject({ namespace: 'pdc', collectionHashedRwsetCount: 1 });
  });

  it('turns bad bytes into PROTO_MALFORMED naming the message, and the namespace whose rwset is bad', () => {
    const garbage = Uint8Array.of(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01);
    expect(decodeError(() => parseTxRwSet(garbage))).toContain('rwset.TxReadWriteSet');
    expect(decodeError(() => parseKvRwSet(garbage))).toContain('kvrwset.KVRWSet');
    const badNs = buildTxRwSet({ nsRwsets: [] });
    const withBadRwset = concat(badNs, field(2, concat(field(1, utf8('mycc')), field(2, garbage))));
    const message = decodeError(() => parseTxRwSet(withBadRwset));
    expect(message).toContain('kvrwset.KVRWSet of namespace "mycc"');
  });

  it('refuses a data model other than KV', () => {
    expect(decodeError(() => parseTxRwSet(varintField(1, 1n)))).toContain('data_model is 1');
  });

  it('refuses block and tx numbers above Number.MAX_SAFE_INTEGER, naming the namespace and key', () => {
    const read = (version: Uint8Array): Uint8Array => field(1, concat(field(1, utf8('k')), field(2, version)));
    const tx = (kvrwset: Uint8Array): Uint8Array => field(2, concat(field(1, utf8('cc')), field(2, kvrwset)));
    expect(parseTxRwSet(tx(read(varintField(1, 2n ** 53n - 1n)))).nsRwsets[0]?.rwset.reads[0]?.version).toEqual({ blockNum: Number.MAX_SAFE_INTEGER, txNum: 0 });
    const big = decodeError(() => parseTxRwSet(tx(read(varintField(1, 2n ** 64n - 1n)))));
    expect(big).toContain('namespace "cc", read of key "k": its block_num');
    expect(decodeError(() => parseTxRwSet(tx(read(varintField(2, 2n ** 60n)))))).toContain('tx_num');
  });

  it('refuses, as a fabsim bug, building private data or a range query with both oneof forms', () => {
    expect(() => buildTxRwSet({ nsRwsets: [{ ...SAMPLE.nsRwsets[1]!, collectionHashedRwsetCount: 1 }] })).toThrow(/collectionHashedRwsetCount 1/);
    expect(() =>
      buildKvRwSet({ reads: [], writes: [], metadataWrites: [], rangeQueriesInfo: [{ startKey: 'a', endKey: 'b', itrExhausted: true, rawReads: [], readsMerkleHashes: { maxDegree: 1, maxLevel: 1, maxLevelHashes: [] } }] }),
    ).toThrow(/oneof/);
  });
});
