import { checkBatch, checkKey, checkRange } from './kv-arguments.js';
import { concatBytes, prefixUpperBound } from './compare-bytes.js';
import type { KvBatchOp, KvRange, KvStore, KvWriteOptions } from './kv-store.js';

/**
 * A view of `store` in which every key is implicitly preceded by `prefix` (like level's sublevels):
 * several owners (a channel's Raft log, its block store...) share one store without seeing each
 * other's keys. Order, ranges, atomicity and snapshots are the underlying store's.
 * `close()` does nothing: the underlying store belongs to whoever opened it.
 * Two views must not use prefixes where one is a prefix of the other, or their keys would mix.
 */
export function prefixed(store: KvStore, prefix: Uint8Array): KvStore {
  checkKey(prefix, 'prefix');
  const pre = prefix.slice();
  const withPrefix = (key: Uint8Array): Uint8Array => concatBytes(pre, key);
  return {
    get: async (key) => {
      checkKey(key);
      return store.get(withPrefix(key));
    },
    getMany: async (keys) => {
      keys.forEach((k, i) => checkKey(k, `key ${i}`));
      return store.getMany(keys.map(withPrefix));
    },
    put: async (key, value, options?: KvWriteOptions) => {
      checkKey(key);
      return store.put(withPrefix(key), value, options);
    },
    del: async (key, options?: KvWriteOptions) => {
      checkKey(key);
      return store.del(withPrefix(key), options);
    },
    batch: async (ops: readonly KvBatchOp[], options?: KvWriteOptions) => {
      checkBatch(ops);
      return store.batch(
        ops.map((op) => ({ ...op, key: withPrefix(op.key) })),
        options,
      );
    },
    iterate: async function* (range: KvRange = {}) {
      checkRange(range);
      const inner: { gt?: Uint8Array; gte?: Uint8Array; lt?: Uint8Array; lte?: Uint8Array; reverse?: boolean; limit?: number } = {};
      if (range.gt !== undefined) inner.gt = withPrefix(range.gt);
      else inner.gte = range.gte !== undefined ? withPrefix(range.gte) : pre;
      if (range.lt !== undefined) inner.lt = withPrefix(range.lt);
      else if (range.lte !== undefined) inner.lte = withPrefix(range.lte);
      else {
        const end = prefixUpperBound(pre);
        if (end !== undefined) inner.lt = end;
      }
      if (range.reverse !== undefined) inner.reverse = range.reverse;
      if (range.limit !== undefined) inner.limit = range.limit;
      for await (const [key, value] of store.iterate(inner)) {
        yield [key.slice(pre.byteLength), value] as [Uint8Array, Uint8Array];
      }
    },
    close: async () => undefined,
  };
}
