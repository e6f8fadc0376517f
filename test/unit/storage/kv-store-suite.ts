import { afterEach, describe, expect, it } from 'vitest';
import { SeededRng } from '../../../src/core/rng.js';
import { compareBytes } from '../../../src/storage/compare-bytes.js';
import type { KvBatchOp, KvRange, KvStore } from '../../../src/storage/kv-store.js';
import { StorageError } from '../../../src/storage/storage-error.js';

/**
 * The one contract test every KvStore implementation passes (DESIGN.md "Testing": one shared suite
 * per interface). Each implementation's test file calls kvStoreSuite with a target.
 */
export interface KvStoreSuiteTarget {
  readonly name: string;
  /** A fresh, empty store. */
  create(): Promise<KvStore>;
  /** Close `store` and open what it persisted again (persistent implementations only). */
  reopen?: (store: KvStore) => Promise<KvStore>;
  /** Whether close() makes the store unusable (false for views such as prefixed()). Default true. */
  readonly closeReleases?: boolean;
}

const b = (...bytes: number[]): Uint8Array => new Uint8Array(bytes);
const hex = (bytes: Uint8Array): string => Array.from(bytes, (x) => x.toString(16).padStart(2, '0')).join('');

async function collect(store: KvStore, range?: KvRange): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  for await (const [k, v] of store.iterate(range)) out.push([hex(k), hex(v)]);
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<StorageError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(StorageError);
    return err as StorageError;
  }
  throw new Error('expected a rejection');
}

/** Binary keys around the edges of bytewise order: empty, 0x00 runs, the signed/unsigned boundary, 0xff runs. */
const EDGE_KEYS_SORTED: Uint8Array[] = [
  b(),
  b(0x00),
  b(0x00, 0x00),
  b(0x00, 0xff),
  b(0x01),
  b(0x7f),
  b(0x7f, 0xff, 0xff),
  b(0x80),
  b(0x80, 0x00),
  b(0xfe, 0xff),
  b(0xff),
  b(0xff, 0x00),
  b(0xff, 0xff),
  b(0xff, 0xff, 0xff),
];

export function kvStoreSuite(target: KvStoreSuiteTarget): void {
  describe(`KvStore contract: ${target.name}`, () => {
    const open: KvStore[] = [];
    const create = async (): Promise<KvStore> => {
      const store = await target.create();
      open.push(store);
      return store;
    };
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });

    it('get returns undefined for a missing key, and what put stored', async () => {
      const s = await create();
      expect(await s.get(b(1))).toBeUndefined();
      await s.put(b(1), b(10, 11));
      expect(await s.get(b(1))).toEqual(b(10, 11));
      expect(await s.get(b(1, 0))).toBeUndefined();
      expect(await s.get(b())).toBeUndefined();
    });

    it('returns plain Uint8Arrays that do not alias the stored bytes', async () => {
      const s = await create();
      const value = b(1, 2, 3);
      await s.put(b(7), value);
      value[0] = 99; // the caller reuses its buffer
      const got = await s.get(b(7));
      expect(got?.constructor).toBe(Uint8Array);
      expect(got).toEqual(b(1, 2, 3));
      got![1] = 99; // the caller scribbles on what it got
      expect(await s.get(b(7))).toEqual(b(1, 2, 3));
      for await (const [k, v] of s.iterate()) {
        expect(k.constructor).toBe(Uint8Array);
        expect(v.constructor).toBe(Uint8Array);
      }
    });

    it('put overwrites, del deletes, deleting a missing key is fine', async () => {
      const s = await create();
      await s.put(b(1), b(1));
      await s.put(b(1), b(2));
      expect(await s.get(b(1))).toEqual(b(2));
      await s.put(b(2), b());
      expect(await s.get(b(2))).toEqual(b()); // an empty value is a value, not a missing key
      await s.del(b(1));
      await s.del(b(3));
      expect(await s.get(b(1))).toBeUndefined();
      expect(await collect(s)).toEqual([['02', '']]);
    });

    it('getMany answers in the order asked, undefined where missing', async () => {
      const s = await create();
      await s.put(b(2), b(20));
      await s.put(b(1), b(10));
      expect(await s.getMany([b(1), b(3), b(2), b(1)])).toEqual([b(10), undefined, b(20), b(10)]);
      expect(await s.getMany([])).toEqual([]);
    });

    it('orders binary keys bytewise (unsigned; a proper prefix first), including 0x00 and 0xff', async () => {
      const s = await create();
      const shuffled = [...EDGE_KEYS_SORTED].reverse();
      shuffled.push(shuffled.splice(3, 1)[0]!, shuffled.splice(5, 1)[0]!);
      for (const [i, k] of shuffled.entries()) await s.put(k, b(i));
      const keys = (await collect(s)).map(([k]) => k);
      expect(keys).toEqual(EDGE_KEYS_SORTED.map(hex));
      expect((await collect(s, { reverse: true })).map(([k]) => k)).toEqual(EDGE_KEYS_SORTED.map(hex).reverse());
    });

    it('honours gt, gte, lt and lte bounds exactly', async () => {
      const s = await create();
      for (const k of EDGE_KEYS_SORTED) await s.put(k, b(0));
      const keys = async (range: KvRange): Promise<string[]> => (await collect(s, range)).map(([k]) => k);
      expect(await keys({ gte: b(0x00), lt: b(0x01) })).toEqual(['00', '0000', '00ff']);
      expect(await keys({ gt: b(0x00), lte: b(0x01) })).toEqual(['0000', '00ff', '01']);
      expect(await keys({ gt: b(0x7f), lt: b(0x80) })).toEqual(['7fffff']);
      expect(await keys({ gte: b(0xff) })).toEqual(['ff', 'ff00', 'ffff', 'ffffff']);
      expect(await keys({ gt: b(0xff, 0xff) })).toEqual(['ffffff']);
      expect(await keys({ lt: b(0x00) })).toEqual(['']);
      expect(await keys({ lte: b() })).toEqual(['']);
      expect(await keys({ gt: b(0x10), lt: b(0x10) })).toEqual([]);
      expect(await keys({ gte: b(0x80), lte: b(0x7f) })).toEqual([]); // an empty (inverted) range
      expect(await keys({ gte: b(0x05), lt: b(0x06) })).toEqual([]); // bounds that are not keys
    });

    it('reverse and limit: limit counts from the start of the iteration direction', async () => {
      const s = await create();
      for (let i = 0; i < 10; i++) await s.put(b(i), b(i * 2));
      const keys = async (range: KvRange): Promise<string[]> => (await collect(s, range)).map(([k]) => k);
      expect(await keys({ limit: 3 })).toEqual(['00', '01', '02']);
      expect(await keys({ limit: 3, reverse: true })).toEqual(['09', '08', '07']);
      expect(await keys({ limit: 0 })).toEqual([]);
      expect(await keys({ limit: 100 })).toHaveLength(10);
      expect(await keys({ gte: b(4), lt: b(8), reverse: true, limit: 2 })).toEqual(['07', '06']);
      expect(await keys({ gt: b(4), lte: b(8), reverse: true })).toEqual(['08', '07', '06', '05']);
      expect(await collect(s, { gte: b(9) })).toEqual([['09', '12']]);
    });

    it('matches a reference model over random binary keys, bounds, directions and limits', async () => {
      const rng = new SeededRng(2024);
      const s = await create();
      const model = new Map<string, Uint8Array>();
      const randomKey = (): Uint8Array => {
        // short keys over a small alphabet so that prefixes, 0x00 and 0xff collide often
        const alphabet = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];
        return new Uint8Array(Array.from({ length: rng.nextInt(4) }, () => alphabet[rng.nextInt(alphabet.length)]!));
      };
      for (let round = 0; round < 300; round++) {
        const ops: KvBatchOp[] = [];
        for (let n = rng.nextInt(4) + 1; n > 0; n--) {
          const key = randomKey();
          if (rng.nextInt(4) === 0) ops.push({ type: 'del', key });
          else ops.push({ type: 'put', key, value: new Uint8Array([round, n]) });
        }
        await s.batch(ops);
        for (const op of ops) {
          if (op.type === 'put') model.set(hex(op.key), op.value);
          else model.delete(hex(op.key));
        }
      }
      const sorted = [...model.entries()].map(([k, v]) => ({ k, key: Uint8Array.from(Buffer.from(k, 'hex')), v: hex(v) }));
      sorted.sort((x, y) => compareBytes(x.key, y.key));
      expect(await collect(s)).toEqual(sorted.map((e) => [e.k, e.v]));
      for (let q = 0; q < 200; q++) {
        const range: { gt?: Uint8Array; gte?: Uint8Array; lt?: Uint8Array; lte?: Uint8Array; reverse?: boolean; limit?: number } = {};
        const lower = rng.nextInt(3);
        if (lower === 1) range.gt = randomKey();
        if (lower === 2) range.gte = randomKey();
        const upper = rng.nextInt(3);
        if (upper === 1) range.lt = randomKey();
        if (upper === 2) range.lte = randomKey();
        if (rng.nextInt(2) === 0) range.reverse = true;
        if (rng.nextInt(2) === 0) range.limit = rng.nextInt(6);
        let expected = sorted.filter(
          (e) =>
            (range.gt === undefined || compareBytes(e.key, range.gt) > 0) &&
            (range.gte === undefined || compareBytes(e.key, range.gte) >= 0) &&
            (range.lt === undefined || compareBytes(e.key, range.lt) < 0) &&
            (range.lte === undefined || compareBytes(e.key, range.lte) <= 0),
        );
        if (range.reverse === true) expected = expected.reverse();
        if (range.limit !== undefined) expected = expected.slice(0, range.limit);
        expect(await collect(s, range), JSON.stringify({ q, range: Object.fromEntries(Object.entries(range).map(([k, v]) => [k, v instanceof Uint8Array ? hex(v) : v])) })).toEqual(
          expected.map((e) => [e.k, e.v]),
        );
      }
    });

    it('batch applies puts and dels in order (a later op on the same key wins)', async () => {
      const s = await create();
      await s.put(b(1), b(1));
      await s.batch([
        { type: 'put', key: b(2), value: b(2) },
        { type: 'del', key: b(1) },
        { type: 'put', key: b(3), value: b(3) },
        { type: 'put', key: b(3), value: b(33) },
        { type: 'put', key: b(4), value: b(4) },
        { type: 'del', key: b(4) },
      ]);
      expect(await collect(s)).toEqual([
        ['02', '02'],
        ['03', '21'],
      ]);
      await s.batch([]);
      expect(await collect(s)).toHaveLength(2);
    });

    it('batch is atomic: a batch with an invalid operation writes nothing', async () => {
      const s = await create();
      await s.put(b(1), b(1));
      const bad: unknown[][] = [
        [{ type: 'put', key: b(2), value: b(2) }, { type: 'del', key: b(1) }, { type: 'put', key: undefined, value: b(3) }],
        [{ type: 'put', key: b(2), value: b(2) }, { type: 'del', key: b(1) }, { type: 'put', key: b(3), value: 'text' }],
        [{ type: 'del', key: b(1) }, { type: 'merge', key: b(3), value: b(3) }],
        [{ type: 'del', key: b(1) }, null],
        [{ type: 'del', key: b(1) }, { type: 'del', key: [1, 2] }],
      ];
      for (const ops of bad) {
        const err = await rejection(s.batch(ops as KvBatchOp[]));
        expect(err.code).toBe('STORAGE_INVALID_ARGUMENT');
        expect(err.message).toMatch(/batch operation \d/);
        expect(await collect(s)).toEqual([['01', '01']]);
      }
    });

    it('rejects invalid keys, values and ranges with STORAGE_INVALID_ARGUMENT', async () => {
      const s = await create();
      expect((await rejection(s.put('k' as unknown as Uint8Array, b(1)))).code).toBe('STORAGE_INVALID_ARGUMENT');
      expect((await rejection(s.put(b(1), undefined as unknown as Uint8Array))).code).toBe('STORAGE_INVALID_ARGUMENT');
      expect((await rejection(s.get(undefined as unknown as Uint8Array))).code).toBe('STORAGE_INVALID_ARGUMENT');
      expect((await rejection(collect(s, { gt: b(1), gte: b(1) }))).code).toBe('STORAGE_INVALID_ARGUMENT');
      expect((await rejection(collect(s, { lt: b(1), lte: b(1) }))).code).toBe('STORAGE_INVALID_ARGUMENT');
      expect((await rejection(collect(s, { limit: -1 }))).code).toBe('STORAGE_INVALID_ARGUMENT');
      expect((await rejection(collect(s, { limit: 1.5 }))).code).toBe('STORAGE_INVALID_ARGUMENT');
      expect(await collect(s)).toEqual([]);
    });

    it('an iteration sees a snapshot: writes made after it started do not show', async () => {
      const s = await create();
      for (let i = 0; i < 5; i++) await s.put(b(i), b(i));
      const seen: string[] = [];
      for await (const [k, v] of s.iterate()) {
        seen.push(`${hex(k)}=${hex(v)}`);
        if (seen.length === 1) {
          await s.put(b(2), b(0xee));
          await s.del(b(3));
          await s.put(b(9), b(9));
        }
      }
      expect(seen).toEqual(['00=00', '01=01', '02=02', '03=03', '04=04']);
      expect((await collect(s)).map(([k, v]) => `${k}=${v}`)).toEqual(['00=00', '01=01', '02=ee', '04=04', '09=09']);
    });

    it('breaking out of an iteration releases it (the store stays usable and closes)', async () => {
      const s = await create();
      for (let i = 0; i < 50; i++) await s.put(b(i), b(i));
      for (let round = 0; round < 20; round++) {
        for await (const [k] of s.iterate({ gte: b(round) })) {
          expect(k).toEqual(b(round));
          break;
        }
      }
      await s.put(b(100), b(1));
      expect(await s.get(b(100))).toEqual(b(1));
    });

    if (target.closeReleases !== false) {
      it('after close() every operation rejects with STORAGE_CLOSED; close() is idempotent', async () => {
        const s = await create();
        await s.put(b(1), b(1));
        await s.close();
        await s.close();
        expect((await rejection(s.get(b(1)))).code).toBe('STORAGE_CLOSED');
        expect((await rejection(s.getMany([b(1)]))).code).toBe('STORAGE_CLOSED');
        expect((await rejection(s.put(b(1), b(2)))).code).toBe('STORAGE_CLOSED');
        expect((await rejection(s.del(b(1)))).code).toBe('STORAGE_CLOSED');
        expect((await rejection(s.batch([{ type: 'del', key: b(1) }]))).code).toBe('STORAGE_CLOSED');
        expect((await rejection(collect(s))).code).toBe('STORAGE_CLOSED');
      });
    }

    const reopen = target.reopen;
    if (reopen !== undefined) {
      it('keeps everything across close and reopen (puts, overwrites, deletes, batches, order)', async () => {
        const s = await create();
        for (const [i, k] of EDGE_KEYS_SORTED.entries()) await s.put(k, b(i));
        await s.put(b(0x80), b(0xaa));
        await s.del(b(0x01));
        await s.batch([
          { type: 'put', key: b(0x42), value: b(0x42) },
          { type: 'del', key: b(0xff) },
        ]);
        await s.put(b(0x43), b(0x43), { sync: true });
        const before = await collect(s);
        const again = await reopen(s);
        open.push(again);
        expect(await collect(again)).toEqual(before);
        expect(await again.get(b(0x80))).toEqual(b(0xaa));
        expect(await again.get(b(0x01))).toBeUndefined();
        expect(await again.get(b(0xff))).toBeUndefined();
        expect(await again.get(b(0x42))).toEqual(b(0x42));
        expect(await again.get(b(0x43))).toEqual(b(0x43));
      });
    }
  });
}
