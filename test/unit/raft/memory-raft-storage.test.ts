/** MemoryRaftStorage (etcd's MemoryStorage): the persisted log, hard state and snapshot (§5.3, §7). */
import { describe, expect, it } from 'vitest';
import { MemoryRaftStorage } from '../../../src/raft/index.js';
import { bytes, entry } from './helpers/test-network.js';

const terms = (s: MemoryRaftStorage): number[] => s.entries(s.firstIndex(), s.lastIndex() + 1).map((e) => e.term);

describe('MemoryRaftStorage', () => {
  it('bootstrap: empty log, snapshot 0/0 carrying the voters', () => {
    const s = MemoryRaftStorage.bootstrap([1, 2, 3]);
    expect(s.initialState()).toEqual({ hardState: { term: 0, vote: 0, commit: 0 }, confState: { voters: [1, 2, 3] } });
    expect([s.firstIndex(), s.lastIndex(), s.term(0), s.term(1)]).toEqual([1, 0, 0, undefined]);
    expect(() => MemoryRaftStorage.bootstrap([])).toThrow();
  });

  it('append: contiguous; an entry at index i replaces i and everything after it (§5.3)', () => {
    const s = new MemoryRaftStorage();
    s.append([entry(1, 1), entry(2, 1), entry(3, 1)]);
    s.append([entry(2, 2)]);
    expect(terms(s)).toEqual([1, 2]);
    s.append([entry(3, 2), entry(4, 2)]);
    expect(terms(s)).toEqual([1, 2, 2, 2]);
    expect(() => s.append([entry(6, 2)])).toThrow(/missing entries/);
    expect(() => s.append([entry(5, 2), entry(7, 2)])).toThrow(/contiguous/);
  });

  it('entries and term respect the bounds', () => {
    const s = new MemoryRaftStorage({ entries: [entry(1, 1), entry(2, 2)] });
    expect(s.entries(1, 3).map((e) => e.index)).toEqual([1, 2]);
    expect(() => s.entries(1, 4)).toThrow(/past lastIndex/);
    expect(s.term(2)).toBe(2);
    expect(s.term(3)).toBeUndefined();
  });

  it('createSnapshot + compact (§7): entries up to the index are dropped; its term stays known', () => {
    const s = new MemoryRaftStorage({ entries: [entry(1, 1), entry(2, 1), entry(3, 2), entry(4, 2)] });
    expect(() => s.compact(2)).toThrow(/createSnapshot first/);
    const snap = s.createSnapshot(3, { voters: [1, 2] }, bytes('state'));
    expect(snap.metadata).toEqual({ index: 3, term: 2, confState: { voters: [1, 2] } });
    s.compact(3);
    expect([s.firstIndex(), s.lastIndex(), s.term(3), s.term(2)]).toEqual([4, 4, 2, undefined]);
    expect(() => s.entries(3, 5)).toThrow(/compacted/);
    expect(s.initialState().confState).toEqual({ voters: [1, 2] });
    s.compact(2); // already compacted: no-op
    expect(() => s.createSnapshot(3, { voters: [1] }, bytes(''))).toThrow(/not newer/);
    expect(() => s.createSnapshot(9, { voters: [1] }, bytes(''))).toThrow(/lastIndex/);
    // appending across the compaction point ignores the compacted part
    s.append([entry(3, 2), entry(4, 3), entry(5, 3)]);
    expect(terms(s)).toEqual([3, 3]);
  });

  it('applySnapshot replaces the log; older snapshots are refused', () => {
    const s = new MemoryRaftStorage({ entries: [entry(1, 1), entry(2, 1)] });
    s.applySnapshot({ metadata: { index: 10, term: 3, confState: { voters: [1] } }, data: bytes('x') });
    expect([s.firstIndex(), s.lastIndex(), s.term(10)]).toEqual([11, 10, 3]);
    expect(() => s.applySnapshot({ metadata: { index: 5, term: 2, confState: { voters: [1] } }, data: bytes('') })).toThrow(/older/);
    s.append([entry(11, 3)]);
    expect(s.lastIndex()).toBe(11);
  });

  it('the constructor restores a persisted state (what a durable log reloads)', () => {
    const s = new MemoryRaftStorage({
      hardState: { term: 4, vote: 2, commit: 6 },
      snapshot: { metadata: { index: 5, term: 3, confState: { voters: [1, 2, 3] } }, data: bytes('') },
      entries: [entry(6, 4), entry(7, 4)],
    });
    expect(s.initialState().hardState).toEqual({ term: 4, vote: 2, commit: 6 });
    expect([s.firstIndex(), s.lastIndex(), s.term(5), s.term(7)]).toEqual([6, 7, 3, 4]);
    expect(() => new MemoryRaftStorage({ entries: [entry(2, 1)] })).toThrow(/must start/);
  });
});
