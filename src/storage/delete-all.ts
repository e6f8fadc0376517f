import type { KvStore } from './kv-store.js';

/** Deletes every key of `store` (typically a prefixed part: a channel's data), in batches of 1,000. */
export async function deleteAll(store: KvStore): Promise<void> {
  let keys: Uint8Array[] = [];
  for await (const [key] of store.iterate()) {
    keys.push(key);
    if (keys.length >= 1000) {
      await store.batch(keys.map((k) => ({ type: 'del' as const, key: k })));
      keys = [];
    }
  }
  if (keys.length > 0) await store.batch(keys.map((k) => ({ type: 'del' as const, key: k })));
}
