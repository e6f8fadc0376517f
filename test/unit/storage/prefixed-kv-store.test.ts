import { describe, expect, it } from 'vitest';
import type { KvStore } from '../../../src/storage/kv-store.js';
import { MemoryKvStore } from '../../../src/storage/memory-kv-store.js';
import { prefixed } from '../../../src/storage/prefixed-kv-store.js';
import { kvStoreSuite } from './kv-store-suite.js';

const b = (...bytes: number[]): Uint8Array => new Uint8Array(bytes);

/** A store holding keys just outside `prefix` on both sides, which a view must never show. */
async function noisyStore(prefix: Uint8Array): Promise<MemoryKvStore> {
  const store = new MemoryKvStore();
  const noise = [b(), b(0x00), prefix.slice(0, -1), b(...prefix.slice(0, -1), (prefix.at(-1)! + 0xff) % 0x100), b(0xff, 0xff, 0xfe), b(...prefix.slice(0, -1), 0xff, 0xff, 0xff, 0xff)];
  for (const k of noise) {
    if (k.byteLength >= prefix.byteLength && prefix.every((x, i) => k[i] === x)) continue;
    await store.put(k, b(0xde, 0xad));
  }
  return store;
}

for (const prefix of [b(0x01, 0xff), b(0xff, 0xff), b(0x00)]) {
  kvStoreSuite({
    name: `prefixed(MemoryKvStore, ${Buffer.from(prefix).toString('hex')})`,
    create: async () => prefixed(await noisyStore(prefix), prefix),
    closeReleases: false,
  });
}

describe('prefixed', () => {
  it('stores under the prefix in the underlying store and hides everything else', async () => {
    const store = new MemoryKvStore();
    const a: KvStore = prefixed(store, b(0x61, 0x2f));
    const ab: KvStore = prefixed(store, b(0x62, 0x2f));
    await a.put(b(1), b(1));
    await ab.batch([{ type: 'put', key: b(1), value: b(2) }]);
    await store.put(b(0x61), b(9));
    expect(await store.get(b(0x61, 0x2f, 1))).toEqual(b(1));
    expect(await store.get(b(0x62, 0x2f, 1))).toEqual(b(2));
    const seen: string[] = [];
    for await (const [k, v] of a.iterate()) seen.push(`${Buffer.from(k).toString('hex')}=${Buffer.from(v).toString('hex')}`);
    expect(seen).toEqual(['01=01']);
    await a.close(); // a view does not close the store it looks into
    expect(await ab.get(b(1))).toEqual(b(2));
  });
});
