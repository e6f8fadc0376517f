import { prefixUpperBound } from '../storage/compare-bytes.js';
import { ByteReader, ByteWriter } from './byte-writer.js';

/**
 * How the peer ledger lays out its records in one channel's KvStore (the caller hands PeerLedger a
 * store already prefixed per channel). Each record family has its own first byte, so families never
 * interleave, and block-store.ts owns 'B':
 *
 *   'B' u64(blockNum)                                    → block bytes            (block-store.ts)
 *   'S' ns 0x00 key                                      → versioned value        (world state, Fabric's statedb)
 *   'H' ns 0x00 u32(len(key)) key u64(blockNum) u32(txNum) → history record      (Fabric's historydb)
 *   'T' txId                                             → transaction location  (Fabric's tx-id index)
 *   'X' headerHash                                       → u64(blockNum)          (block-by-hash index)
 *   'Z' u64(height)                                      → 32-byte state hash     (state-hash.ts)
 *
 * Strings are UTF-8; integers big-endian (byte-writer.ts), so they sort numerically.
 *
 * World state ('S'), like Fabric's `ns 0x00 key`: within a namespace, bytewise order of the store
 * keys is bytewise order of the UTF-8 keys (the order of Fabric's GetStateByRange), because every
 * key of a namespace shares the prefix `'S' ns 0x00`. Namespaces never interleave because a
 * namespace may not contain U+0000 (checkNamespace): the prefix of namespace "a" ('S' a 0x00) is
 * then never a prefix of another namespace's keys ("ab" continues with 'b', not 0x00). Keys may
 * contain U+0000 (composite keys start with it).
 *
 * History ('H') length-prefixes the key, as Fabric 2.x does, so the entries of key "a" are not
 * mixed with those of key "a\u0000…": a (namespace, key) pair owns exactly the keys that start with
 * `'H' ns 0x00 u32(len) key`, and within it entries sort by (blockNum, txNum), oldest first.
 *
 * Namespaces and keys must be well-formed UTF-16 (no lone surrogates), or two different JavaScript
 * strings would encode to the same bytes (TextEncoder turns a lone surrogate into U+FFFD); Fabric
 * likewise requires valid UTF-8 keys.
 */
export const LedgerKeyPrefix = {
  STATE: 0x53, // 'S'
  HISTORY: 0x48, // 'H'
  TX_ID: 0x54, // 'T'
  BLOCK_HASH: 0x58, // 'X'
  STATE_HASH: 0x5a, // 'Z'
} as const;

const LONE_SURROGATE = /\p{Surrogate}/u;

/** Why `namespace` cannot be stored, or undefined when it can. */
export function namespaceProblem(namespace: string): string | undefined {
  if (namespace.includes('\u0000')) return `namespace ${JSON.stringify(namespace)} contains U+0000, which separates namespace from key in the state's key encoding`;
  if (LONE_SURROGATE.test(namespace)) return `namespace ${JSON.stringify(namespace)} is not valid Unicode (a lone surrogate): it has no UTF-8 encoding`;
  return undefined;
}

/** Why `key` cannot be stored, or undefined when it can. */
export function keyProblem(key: string): string | undefined {
  if (LONE_SURROGATE.test(key)) return `key ${JSON.stringify(key)} is not valid Unicode (a lone surrogate): it has no UTF-8 encoding`;
  return undefined;
}

/** `'S' ns 0x00`: the prefix of every state key of `namespace`. */
export function stateNamespacePrefix(namespace: string): Uint8Array {
  return new ByteWriter(namespace.length + 2).u8(LedgerKeyPrefix.STATE).utf8(namespace).u8(0).finish();
}

export function stateKey(namespace: string, key: string): Uint8Array {
  return new ByteWriter(namespace.length + key.length + 2).u8(LedgerKeyPrefix.STATE).utf8(namespace).u8(0).utf8(key).finish();
}

/**
 * The store range of `namespace`'s keys in [startKey, endKey); an empty endKey means to the end of
 * the namespace. Undefined when the range is empty (startKey >= endKey bytewise).
 */
export function stateRange(namespace: string, startKey: string, endKey: string): { gte: Uint8Array; lt: Uint8Array } | undefined {
  const prefix = stateNamespacePrefix(namespace);
  const gte = new ByteWriter(prefix.byteLength + startKey.length).bytes(prefix).utf8(startKey).finish();
  const lt = endKey === '' ? (prefixUpperBound(prefix) as Uint8Array) : new ByteWriter(prefix.byteLength + endKey.length).bytes(prefix).utf8(endKey).finish();
  if (endKey !== '' && Buffer.compare(gte, lt) >= 0) return undefined;
  return { gte, lt };
}

/** `'H' ns 0x00 u32(len) key`: the prefix of every history entry of one key. */
export function historyKeyPrefix(namespace: string, key: string): Uint8Array {
  return new ByteWriter(namespace.length + key.length + 8).u8(LedgerKeyPrefix.HISTORY).utf8(namespace).u8(0).lpUtf8(key).finish();
}

export function historyKey(namespace: string, key: string, blockNum: number, txNum: number): Uint8Array {
  return new ByteWriter(namespace.length + key.length + 20).u8(LedgerKeyPrefix.HISTORY).utf8(namespace).u8(0).lpUtf8(key).u64(blockNum).u32(txNum).finish();
}

/** The (blockNum, txNum) at the end of a history key. */
export function parseHistoryKeySuffix(storeKey: Uint8Array): { blockNum: number; txNum: number } {
  const r = new ByteReader(storeKey, storeKey.byteLength - 12);
  return { blockNum: r.u64(), txNum: r.u32() };
}

export function txIdKey(txId: string): Uint8Array {
  return new ByteWriter(txId.length + 1).u8(LedgerKeyPrefix.TX_ID).utf8(txId).finish();
}

export function blockHashKey(headerHash: Uint8Array): Uint8Array {
  return new ByteWriter(headerHash.byteLength + 1).u8(LedgerKeyPrefix.BLOCK_HASH).bytes(headerHash).finish();
}

export function stateHashKey(height: number): Uint8Array {
  return new ByteWriter(9).u8(LedgerKeyPrefix.STATE_HASH).u64(height).finish();
}
