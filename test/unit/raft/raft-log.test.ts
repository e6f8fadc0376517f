/** RaftLog and Unstable (etcd's raftLog/unstable): the log view a node reasons with (§5.3, §5.4.1). */
import { describe, expect, it } from 'vitest';
import { MemoryRaftStorage } from '../../../src/raft/index.js';
import { RaftLog } from '../../../src/raft/raft-log.js';
import { committedIndex, voteResult } from '../../../src/raft/quorum.js';
import { entry } from './helpers/test-network.js';

function logWith(stored: number[], unstable: number[] = []): RaftLog {
  const storage = new MemoryRaftStorage({ entries: stored.map((t, i) => entry(i + 1, t)) });
  const log = new RaftLog(storage);
  if (unstable.length > 0) log.append(unstable.map((t, i) => entry(stored.length + i + 1, t)));
  return log;
}

describe('RaftLog', () => {
  it('spans storage and the unstable tail', () => {
    const log = logWith([1, 1], [2, 3]);
    expect([log.firstIndex(), log.lastIndex(), log.lastTerm(), log.term(0), log.term(3), log.term(5)]).toEqual([1, 4, 3, 0, 2, undefined]);
    expect(log.slice(1, 5).map((e) => e.term)).toEqual([1, 1, 2, 3]);
    expect(log.entriesFrom(2, 2)!.map((e) => e.index)).toEqual([2, 3]);
    log.stableTo(3, 2);
    expect(log.unstableEntries().map((e) => e.index)).toEqual([4]);
    log.stableTo(4, 9); // wrong term: the entry was replaced meanwhile; nothing is dropped
    expect(log.unstableEntries().map((e) => e.index)).toEqual([4]);
  });

  it('§5.4.1 isUpToDate compares last terms, then last indexes', () => {
    const log = logWith([1, 2, 2]);
    expect(log.isUpToDate(3, 2)).toBe(true);
    expect(log.isUpToDate(2, 2)).toBe(false);
    expect(log.isUpToDate(1, 3)).toBe(true);
    expect(log.isUpToDate(9, 1)).toBe(false);
  });

  it('§5.3 maybeAppend: consistency check, conflict truncation, commit bounded by the last new entry', () => {
    const log = logWith([1, 2, 2]);
    expect(log.maybeAppend(3, 1, 3, [entry(4, 3)])).toBeUndefined();
    expect(log.maybeAppend(1, 1, 10, [entry(2, 3)])).toBe(2);
    expect(log.slice(1, log.lastIndex() + 1).map((e) => e.term)).toEqual([1, 3]);
    expect(log.committed).toBe(2);
    expect(() => log.maybeAppend(0, 0, 2, [entry(1, 9)])).toThrow(/committed/);
  });

  it('findConflictByTerm: the last index at or before `index` whose term is <= `term`', () => {
    const log = logWith([1, 1, 1, 4, 4, 5, 5, 6, 6, 6]);
    expect(log.findConflictByTerm(10, 3)).toEqual({ index: 3, term: 1 });
    expect(log.findConflictByTerm(10, 5)).toEqual({ index: 7, term: 5 });
    expect(log.findConflictByTerm(10, 6)).toEqual({ index: 10, term: 6 });
    expect(log.findConflictByTerm(10, 0)).toEqual({ index: 0, term: 0 });
  });

  it('§5.4.2 maybeCommit: only an index of the given term commits; commit never goes back', () => {
    const log = logWith([1, 1, 2]);
    expect(log.maybeCommit(2, 2)).toBe(false);
    expect(log.maybeCommit(3, 2)).toBe(true);
    expect(log.committed).toBe(3);
    log.commitTo(1);
    expect(log.committed).toBe(3);
  });
});

describe('quorum', () => {
  it('committedIndex is the highest index stored on a majority', () => {
    const match = new Map([[1, 5], [2, 3], [3, 9], [4, 1], [5, 3]]);
    expect(committedIndex([1, 2, 3, 4, 5], (id) => match.get(id)!)).toBe(3);
    expect(committedIndex([1, 3], (id) => match.get(id)!)).toBe(5);
    expect(committedIndex([], () => 7)).toBe(0);
  });

  it('voteResult: won, lost or pending', () => {
    const voters = [1, 2, 3, 4, 5];
    expect(voteResult(voters, new Map([[1, true], [2, true], [3, true]]))).toBe('won');
    expect(voteResult(voters, new Map([[1, true], [2, false], [3, false], [4, false]]))).toBe('lost');
    expect(voteResult(voters, new Map([[1, true], [2, false]]))).toBe('pending');
  });
});
