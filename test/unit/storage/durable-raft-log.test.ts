import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AssertionError } from '../../../src/core/assert.js';
import { SeededRng } from '../../../src/core/rng.js';
import { MemoryRaftStorage } from '../../../src/raft/memory-raft-storage.js';
import { encodeEntry } from '../../../src/raft/raft-codec.js';
import type { Entry, HardState, Snapshot } from '../../../src/raft/raft-types.js';
import { DurableRaftLog } from '../../../src/storage/durable-raft-log.js';
import type { KvBatchOp, KvStore, KvWriteOptions } from '../../../src/storage/kv-store.js';
import { LevelKvStore } from '../../../src/storage/level-kv-store.js';
import { MemoryKvStore } from '../../../src/storage/memory-kv-store.js';
import { StorageError } from '../../../src/storage/storage-error.js';
import { makeTempDir } from '../../helpers/repo.js';

const temp = makeTempDir('durable-raft-log');
afterAll(() => temp.cleanup());
let dirs = 0;

/** A store under test, and how to get "the same disk after a restart". */
interface Disk {
  store: KvStore;
  restart(): Promise<void>;
  close(): Promise<void>;
}

const disks: Record<string, () => Promise<Disk>> = {
  MemoryKvStore: async () => {
    const store = new MemoryKvStore();
    // A memory store survives a "restart" of the log object (the simulator's disk does the same).
    return { store, restart: async () => undefined, close: () => store.close() };
  },
  LevelKvStore: async () => {
    const dir = join(temp.dir, `db-${dirs++}`);
    const disk: Disk = {
      store: await LevelKvStore.open(dir),
      restart: async () => {
        await disk.store.close();
        disk.store = await LevelKvStore.open(dir);
      },
      close: () => disk.store.close(),
    };
    return disk;
  },
};

const ent = (index: number, term: number, data = `e${index}t${term}`): Entry => ({ index, term, type: 'normal', data: new TextEncoder().encode(data) });
const range = (from: number, to: number, term: number): Entry[] => Array.from({ length: to - from + 1 }, (_, i) => ent(from + i, term));
const snap = (index: number, term: number, voters = [1, 2, 3]): Snapshot => ({
  metadata: { index, term, confState: { voters } },
  data: new TextEncoder().encode(`state@${index}`),
});
const indices = (entries: readonly Entry[]): string => entries.map((e) => `${e.index}:${e.term}`).join(' ');

/** The entry indices that have a key in the store (what is really on disk, not the mirror). */
async function storedEntryIndices(store: KvStore): Promise<number[]> {
  const out: number[] = [];
  for await (const [key] of store.iterate()) {
    const text = new TextDecoder().decode(key.subarray(0, 12));
    if (text.startsWith('raft/ch1/e')) out.push(Number(new DataView(key.buffer, key.byteOffset).getBigUint64(key.byteLength - 8)));
  }
  return out;
}

for (const [name, makeDisk] of Object.entries(disks)) {
  describe(`DurableRaftLog over ${name}`, () => {
    const withDisk = async (f: (disk: Disk) => Promise<void>): Promise<void> => {
      const disk = await makeDisk();
      try {
        await f(disk);
      } finally {
        await disk.close();
      }
    };
    const reopen = async (disk: Disk, namespace = 'ch1'): Promise<DurableRaftLog> => {
      await disk.restart();
      return DurableRaftLog.open(disk.store, namespace);
    };

    it('a new log is empty: zero hard state, no snapshot, no entries', () =>
      withDisk(async (disk) => {
        const log = await DurableRaftLog.open(disk.store, 'ch1');
        expect(log.load()).toEqual({ hardState: { term: 0, vote: 0, commit: 0 }, snapshot: undefined, entries: [] });
        expect([log.firstIndex(), log.lastIndex()]).toEqual([1, 0]);
      }));

    it('save then load, before and after a restart (§5.1: term, vote and log are persistent)', () =>
      withDisk(async (disk) => {
        const log = await DurableRaftLog.open(disk.store, 'ch1');
        const hs: HardState = { term: 2, vote: 3, commit: 4 };
        await log.save({ hardState: hs, entries: range(1, 5, 2) });
        await log.save({ entries: [ent(6, 2)] });
        const expected = { hardState: hs, snapshot: undefined, entries: range(1, 6, 2) };
        expect(log.load()).toEqual(expected);
        const again = await reopen(disk);
        expect(again.load()).toEqual(expected);
        expect([again.firstIndex(), again.lastIndex()]).toEqual([1, 6]);
      }));

    it('an append at index i replaces i and everything after it, and deletes the stale keys (§5.3)', () =>
      withDisk(async (disk) => {
        const log = await DurableRaftLog.open(disk.store, 'ch1');
        await log.save({ entries: range(1, 10, 1) });
        await log.save({ entries: [ent(6, 2), ent(7, 2)], hardState: { term: 2, vote: 0, commit: 5 } });
        expect(indices(log.load().entries)).toBe('1:1 2:1 3:1 4:1 5:1 6:2 7:2');
        expect(await storedEntryIndices(disk.store)).toEqual([1, 2, 3, 4, 5, 6, 7]);
        await log.save({ entries: [ent(8, 2)] }); // right after the last one
        await log.save({ entries: range(3, 12, 3) }); // longer than what it replaces
        expect(indices(log.load().entries)).toBe(indices([...range(1, 2, 1), ...range(3, 12, 3)]));
        const again = await reopen(disk);
        expect(again.load().entries).toEqual([...range(1, 2, 1), ...range(3, 12, 3)]);
        expect(await storedEntryIndices(disk.store)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
        await expect(again.save({ entries: [ent(14, 3)] })).rejects.toThrow(/missing entries between 12 and 14/);
        await expect(again.save({ entries: [ent(5, 3), ent(7, 3)] })).rejects.toThrow(AssertionError);
        expect(again.load().entries).toHaveLength(12);
      }));

    it('a snapshot in a save replaces the whole log; entries after it follow (§7 InstallSnapshot)', () =>
      withDisk(async (disk) => {
        const log = await DurableRaftLog.open(disk.store, 'ch1');
        await log.save({ entries: range(1, 10, 1), hardState: { term: 1, vote: 1, commit: 8 } });
        await log.save({ snapshot: snap(15, 3), entries: [ent(16, 3), ent(17, 3)], hardState: { term: 3, vote: 0, commit: 15 } });
        const expected = { hardState: { term: 3, vote: 0, commit: 15 }, snapshot: snap(15, 3), entries: [ent(16, 3), ent(17, 3)] };
        expect(log.load()).toEqual(expected);
        expect(await storedEntryIndices(disk.store)).toEqual([16, 17]);
        const again = await reopen(disk);
        expect(again.load()).toEqual(expected);
        expect([again.firstIndex(), again.lastIndex()]).toEqual([16, 17]);
        await again.save({ snapshot: snap(15, 3), entries: [] }); // the same snapshot again: nothing changes
        expect(again.load()).toEqual(expected);
        await expect(again.save({ snapshot: snap(14, 3), entries: [] })).rejects.toThrow(/older than the persisted snapshot 15/);
        await again.save({ entries: [ent(14, 3), ent(15, 3), ent(16, 4)] }); // entries the snapshot covers are ignored
        expect(indices(again.load().entries)).toBe('16:4');
      }));

    it('a snapshot beyond the last entry leaves an empty log after it', () =>
      withDisk(async (disk) => {
        let log = await DurableRaftLog.open(disk.store, 'ch1');
        await log.save({ snapshot: snap(0, 0, [1]), entries: [] }); // a bootstrap snapshot (MemoryRaftStorage.bootstrap)
        log = await reopen(disk);
        expect(log.load().snapshot).toEqual(snap(0, 0, [1]));
        await log.save({ entries: range(1, 3, 1) });
        await log.save({ snapshot: snap(40, 5), entries: [] });
        expect([log.firstIndex(), log.lastIndex()]).toEqual([41, 40]);
        expect((await reopen(disk)).load().entries).toEqual([]);
      }));

    it('compact persists a newer snapshot and deletes the entries it covers, atomically (§7)', () =>
      withDisk(async (disk) => {
        const log = await DurableRaftLog.open(disk.store, 'ch1');
        await log.save({ entries: [...range(1, 4, 1), ...range(5, 10, 2)], hardState: { term: 2, vote: 2, commit: 10 } });
        await log.compact(snap(6, 2));
        expect(indices(log.load().entries)).toBe('7:2 8:2 9:2 10:2');
        expect(await storedEntryIndices(disk.store)).toEqual([7, 8, 9, 10]);
        const again = await reopen(disk);
        expect(again.load()).toEqual({ hardState: { term: 2, vote: 2, commit: 10 }, snapshot: snap(6, 2), entries: range(7, 10, 2) });
        await again.compact(snap(10, 2)); // everything
        expect(again.load().entries).toEqual([]);
        expect([again.firstIndex(), again.lastIndex()]).toEqual([11, 10]);
        await again.save({ entries: [ent(11, 3)] });
        const third = await reopen(disk);
        expect(third.load().entries).toEqual([ent(11, 3)]);
        await expect(third.compact(snap(10, 2))).rejects.toThrow(/not newer than the persisted snapshot 10/);
        await expect(third.compact(snap(12, 3))).rejects.toThrow(/past the last entry 11/);
        await expect(third.compact(snap(11, 2))).rejects.toThrow(/has term 2, but entry 11 has term 3/);
      }));

    it('namespaces keep several Raft groups apart in one store', () =>
      withDisk(async (disk) => {
        const a = await DurableRaftLog.open(disk.store, 'ch1');
        const b = await DurableRaftLog.open(disk.store, 'ch1x'); // a namespace that extends another
        await a.save({ entries: range(1, 3, 1), hardState: { term: 1, vote: 1, commit: 1 } });
        await b.save({ entries: range(1, 5, 7), hardState: { term: 7, vote: 2, commit: 2 } });
        await b.compact(snap(2, 7));
        await disk.restart();
        const a2 = await DurableRaftLog.open(disk.store, 'ch1');
        const b2 = await DurableRaftLog.open(disk.store, 'ch1x');
        expect(a2.load()).toEqual({ hardState: { term: 1, vote: 1, commit: 1 }, snapshot: undefined, entries: range(1, 3, 1) });
        expect(b2.load()).toEqual({ hardState: { term: 7, vote: 2, commit: 2 }, snapshot: snap(2, 7), entries: range(3, 5, 7) });
        await expect(DurableRaftLog.open(disk.store, 'a/b')).rejects.toMatchObject({ code: 'STORAGE_INVALID_ARGUMENT' });
        await expect(DurableRaftLog.open(disk.store, '')).rejects.toMatchObject({ code: 'STORAGE_INVALID_ARGUMENT' });
      }));

    it('reports a log that does not add up as STORAGE_CORRUPT', () =>
      withDisk(async (disk) => {
        const log = await DurableRaftLog.open(disk.store, 'ch1');
        await log.save({ entries: range(1, 5, 1) });
        const key = (suffix: number[]): Uint8Array => new Uint8Array([...new TextEncoder().encode('raft/ch1/'), ...suffix]);
        const entryKey = (i: number): Uint8Array => key([0x65, 0, 0, 0, 0, 0, 0, 0, i]);
        const opens = async (): Promise<StorageError> => {
          await disk.restart();
          const err = await DurableRaftLog.open(disk.store, 'ch1').then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err).toBeInstanceOf(StorageError);
          expect((err as StorageError).code).toBe('STORAGE_CORRUPT');
          return err as StorageError;
        };
        await disk.store.del(entryKey(3));
        expect((await opens()).message).toMatch(/the Raft log of "ch1" is corrupt: entries 2 and 4 are not contiguous; restore/);
        await disk.store.put(entryKey(3), new Uint8Array([1, 1, 0]));
        expect((await opens()).message).toMatch(/entry 3 cannot be decoded \(malformed Raft entry/);
        await disk.store.put(entryKey(3), (await disk.store.get(entryKey(4)))!);
        expect((await opens()).message).toMatch(/the entry stored under index 3 says it is entry 4/);
        await disk.store.put(entryKey(3), encodeEntry(ent(3, 1))); // repaired
        expect((await reopen(disk)).load().entries).toEqual(range(1, 5, 1));
        await disk.store.put(key([0x7a]), new Uint8Array());
        expect((await opens()).message).toMatch(/unexpected key 7a/);
      }));
  });
}

/** A KvStore that counts batches and can be told to fail the next one (a disk error). */
class FlakyStore extends MemoryKvStore {
  batches = 0;
  failNext = false;
  override async batch(ops: readonly KvBatchOp[], options?: KvWriteOptions): Promise<void> {
    this.batches++;
    if (this.failNext) {
      this.failNext = false;
      throw new StorageError('STORAGE_IO', 'injected disk failure');
    }
    return super.batch(ops, options);
  }
}

describe('DurableRaftLog atomicity and ordering', () => {
  it('persists each save as exactly one batch; a failed batch changes neither the disk nor load()', async () => {
    const store = new FlakyStore();
    const log = await DurableRaftLog.open(store, 'ch1');
    await log.save({ entries: range(1, 5, 1), hardState: { term: 1, vote: 1, commit: 2 } });
    expect(store.batches).toBe(1);
    await log.save({ snapshot: snap(7, 2), entries: range(8, 9, 2), hardState: { term: 2, vote: 0, commit: 7 } });
    expect(store.batches).toBe(2);
    const before = log.load();
    store.failNext = true;
    await expect(log.save({ entries: [ent(9, 3), ent(10, 3)], hardState: { term: 3, vote: 3, commit: 8 } })).rejects.toThrow(/injected disk failure/);
    store.failNext = true;
    await expect(log.compact(snap(8, 2))).rejects.toThrow(/injected disk failure/);
    expect(log.load()).toEqual(before);
    expect((await DurableRaftLog.open(store, 'ch1')).load()).toEqual(before);
    await log.save({ entries: [], hardState: undefined }); // nothing to do: no batch
    expect(store.batches).toBe(4);
  });

  it('saves and compacts issued without waiting run in call order', async () => {
    const store = new MemoryKvStore();
    const log = await DurableRaftLog.open(store, 'ch1');
    await Promise.all([
      log.save({ entries: range(1, 4, 1) }),
      log.save({ entries: range(3, 6, 2) }),
      log.compact(snap(2, 1)),
      log.save({ entries: [ent(7, 2)], hardState: { term: 2, vote: 1, commit: 7 } }),
    ]);
    expect(indices(log.load().entries)).toBe('3:2 4:2 5:2 6:2 7:2');
    expect((await DurableRaftLog.open(store, 'ch1')).load()).toEqual(log.load());
  });

  it('behaves like MemoryRaftStorage over random histories, and restarts to the same state (LevelKvStore)', async () => {
    const rng = new SeededRng(7);
    const dir = join(temp.dir, `model-${dirs++}`);
    let store = await LevelKvStore.open(dir);
    try {
      let log = await DurableRaftLog.open(store, 'ch1', { sync: false });
      const model = new MemoryRaftStorage();
      let term = 1;
      for (let step = 0; step < 300; step++) {
        const first = model.firstIndex();
        const last = model.lastIndex();
        const choice = rng.nextInt(10);
        if (choice < 6) {
          // append, possibly overwriting a suffix, possibly starting inside the snapshot
          if (rng.nextInt(4) === 0) term++;
          const start = Math.max(1, first - rng.nextInt(2) * 2 + rng.nextInt(last - first + 2));
          const entries = range(start, start + rng.nextInt(5), term);
          const hs = rng.nextInt(2) === 0 ? { term, vote: rng.nextInt(4), commit: rng.nextInt(last + 1) } : undefined;
          model.append(entries);
          if (hs !== undefined) model.setHardState(hs);
          await log.save({ entries, ...(hs === undefined ? {} : { hardState: hs }) });
        } else if (choice < 8 && last > model.snapshot().metadata.index) {
          const index = model.snapshot().metadata.index + 1 + rng.nextInt(last - model.snapshot().metadata.index);
          const s = model.createSnapshot(index, { voters: [1, 2, 3] }, new Uint8Array([step & 0xff]));
          model.compact(index);
          await log.compact(s);
        } else if (choice === 8) {
          term++;
          const s = snap(model.snapshot().metadata.index + 1 + rng.nextInt(12), term);
          const after = rng.nextInt(2) === 0 ? range(s.metadata.index + 1, s.metadata.index + 1 + rng.nextInt(3), term) : [];
          model.applySnapshot(s);
          model.append(after);
          await log.save({ snapshot: s, entries: after });
        } else {
          await store.close();
          store = await LevelKvStore.open(dir);
          log = await DurableRaftLog.open(store, 'ch1', { sync: false });
        }
        const state = log.load();
        const expectedSnapshot = model.snapshot().metadata.index === 0 ? undefined : model.snapshot();
        expect(state.snapshot?.metadata).toEqual(expectedSnapshot?.metadata);
        expect(indices(state.entries), `step ${step}`).toBe(indices(model.entries(model.firstIndex(), model.lastIndex() + 1)));
        expect(state.entries).toEqual(model.entries(model.firstIndex(), model.lastIndex() + 1));
        expect(state.hardState).toEqual(model.initialState().hardState);
        expect([log.firstIndex(), log.lastIndex()]).toEqual([model.firstIndex(), model.lastIndex()]);
      }
      expect(term).toBeGreaterThan(10);
    } finally {
      await store.close();
    }
  });
});
