import { describe, expect, it } from 'vitest';
import { EMPTY_STATE_HASH, nextStateHash } from '../../../src/sim/raft-history.js';
import type { EntryRecord, HistoryEvent } from '../../../src/sim/raft-history.js';
import { checkHistory, RaftInvariantChecker } from '../../../src/sim/raft-invariants.js';
import { ALL_FAULTS } from '../../../src/sim/fault-params.js';
import { runSimulation } from '../../../src/sim/sim-raft-cluster.js';

/**
 * The checker must be able to fail: hand-written histories break one Raft safety property each
 * (Raft paper §5.2 Figure 3) and must be flagged with that property; correct ones must pass.
 */
const VOTERS = [1, 2, 3];

const e = (index: number, term: number, key: string): EntryRecord => ({ index, term, key });

/** Builds a history, tracking each node's application state hash so apply events are well formed. */
class History {
  readonly events: HistoryEvent[] = [];
  private readonly hash = new Map<number, number>();

  status(node: number, term: number, role: 'follower' | 'candidate' | 'preCandidate' | 'leader'): this {
    this.events.push({ kind: 'status', node, term, role });
    return this;
  }

  persist(nodes: number[], ...entries: EntryRecord[]): this {
    for (const node of nodes) this.events.push({ kind: 'persist', node, entries });
    return this;
  }

  apply(nodes: number[], entry: EntryRecord): this {
    for (const node of nodes) {
      const h = nextStateHash(this.hash.get(node) ?? EMPTY_STATE_HASH, entry);
      this.hash.set(node, h);
      this.events.push({ kind: 'apply', node, entry, stateHash: h });
    }
    return this;
  }

  /** A crash and a restart from the disk's snapshot at `appliedIndex` with state hash `stateHash`. */
  crashRestart(node: number, appliedIndex: number, stateHash: number): this {
    this.events.push({ kind: 'crash', node }, { kind: 'restart', node, appliedIndex, stateHash });
    this.hash.set(node, stateHash);
    return this;
  }

  stateHash(node: number): number {
    return this.hash.get(node) ?? EMPTY_STATE_HASH;
  }

  push(event: HistoryEvent): this {
    this.events.push(event);
    return this;
  }
}

/** A correct start: node 1 leads term 1 and commits a no-op and "a" on all three nodes. */
function healthyStart(): History {
  return new History()
    .status(1, 1, 'candidate')
    .status(1, 1, 'leader')
    .status(2, 1, 'follower')
    .status(3, 1, 'follower')
    .persist([1, 2, 3], e(1, 1, 'noop'), e(2, 1, 'n:a'))
    .apply([1, 2, 3], e(1, 1, 'noop'))
    .apply([1, 2, 3], e(2, 1, 'n:a'));
}

describe('RaftInvariantChecker accepts correct histories', () => {
  it('accepts a leader change, an overwritten uncommitted suffix, a snapshot and a crash-restart', () => {
    const h = healthyStart()
      // node 1 appends an entry only it persists; node 2 wins term 2 without it and overwrites it
      .persist([1], e(3, 1, 'n:lost'))
      .status(2, 2, 'leader')
      .status(1, 2, 'follower')
      .persist([2, 3], e(3, 2, 'noop'))
      .persist([1], e(3, 2, 'noop'), e(4, 2, 'n:b'))
      .persist([2, 3], e(4, 2, 'n:b'))
      .apply([2, 1], e(3, 2, 'noop'))
      .apply([2, 1], e(4, 2, 'n:b'));
    // node 2 snapshots at 4; node 3 (which applied up to 2) gets it; node 1 crashes and restarts from its disk
    h.push({ kind: 'compact', node: 2, index: 4, term: 2 })
      .push({ kind: 'persist', node: 3, snapshot: { index: 4, term: 2 }, entries: [] })
      .push({ kind: 'restoreSnapshot', node: 3, index: 4, term: 2, stateHash: h.stateHash(2) })
      .crashRestart(1, 0, EMPTY_STATE_HASH)
      .status(1, 2, 'follower')
      .apply([1], e(1, 1, 'noop'));
    expect(checkHistory(h.events, VOTERS)).toBeUndefined();
  });

  it('accepts a node that joins later with an empty disk (membership change)', () => {
    const h = healthyStart()
      .persist([4], e(1, 1, 'noop'), e(2, 1, 'n:a'))
      .status(4, 1, 'follower')
      .apply([4], e(1, 1, 'noop'))
      .apply([4], e(2, 1, 'n:a'));
    expect(checkHistory(h.events, VOTERS, { minVoters: 3 })).toBeUndefined();
  });

  it('accepts the history of a real simulated run, and flags it once corrupted', () => {
    const run = runSimulation({ seed: 7, nodes: 3, faults: new Set(ALL_FAULTS), durationMs: 4000, recordHistory: true });
    expect(run.failure).toBeUndefined();
    const history = run.history ?? [];
    expect(history.length).toBeGreaterThan(1000);
    expect(checkHistory(history, VOTERS)).toBeUndefined();
    // corrupt the last apply of a client payload: another node applied the real entry there
    const at = history.findLastIndex((ev) => ev.kind === 'apply' && ev.entry.key.startsWith('n:'));
    const original = history[at];
    if (original?.kind !== 'apply') throw new Error('the run applied nothing');
    const forged = { ...original.entry, key: 'n:forged' };
    const corrupted = [...history];
    corrupted[at] = { ...original, entry: forged };
    const v = checkHistory(corrupted, VOTERS);
    expect(v?.invariant).toBe('state machine safety');
    expect(v?.eventNumber).toBe(at);
  });
});

describe('RaftInvariantChecker flags broken histories', () => {
  it('two leaders in one term (election safety, §5.2)', () => {
    const h = healthyStart().status(2, 1, 'leader');
    const v = checkHistory(h.events, VOTERS);
    expect(v?.invariant).toBe('election safety');
    expect(v?.message).toContain('nodes 1 and 2 are both leader in term 1');
    expect(v?.eventNumber).toBe(h.events.length - 1);
  });

  it('diverging applied entries at the same index (state machine safety, §5.4.3)', () => {
    const h = healthyStart().persist([1, 2, 3], e(3, 1, 'n:b')).apply([1], e(3, 1, 'n:b')).apply([2], e(3, 1, 'n:c'));
    const v = checkHistory(h.events, VOTERS);
    expect(v?.invariant).toBe('state machine safety');
    expect(v?.message).toContain('node 1 applied n:b (term 1) at index 3 but node 2 applied n:c (term 1)');
  });

  it('a committed entry missing from a later leader (leader completeness, §5.4)', () => {
    const h = new History()
      .status(1, 1, 'leader')
      .persist([1, 2, 3], e(1, 1, 'noop'))
      .persist([1, 2], e(2, 1, 'n:a'))
      .apply([1], e(1, 1, 'noop'))
      .apply([1], e(2, 1, 'n:a'))
      // node 3 lacks entry 2, committed in term 1, yet becomes leader of term 2
      .status(3, 2, 'leader');
    const v = checkHistory(h.events, VOTERS);
    expect(v?.invariant).toBe('leader completeness');
    expect(v?.message).toContain('node 3 became leader of term 2 without entry 2');
  });

  it('an index applied twice in one incarnation (apply order)', () => {
    const h = healthyStart().apply([1], e(2, 1, 'n:a'));
    const v = checkHistory(h.events, VOTERS);
    expect(v?.invariant).toBe('apply order');
    expect(v?.message).toContain('node 1 applied entry 2 twice or out of order');
  });

  it('logs that hold different data under the same index and term (log matching, §5.3)', () => {
    const h = healthyStart().persist([1], e(3, 1, 'n:x')).persist([2], e(3, 1, 'n:y'));
    expect(checkHistory(h.events, VOTERS)?.invariant).toBe('log matching');
  });

  it('logs that agree at an entry but differ before it (log matching, §5.3)', () => {
    const h = new History()
      .persist([1], e(1, 1, 'noop'), e(2, 2, 'n:a'))
      .persist([2], e(1, 2, 'noop'), e(2, 2, 'n:a'));
    const v = checkHistory(h.events, VOTERS);
    expect(v?.invariant).toBe('log matching');
    expect(v?.message).toContain('follows term 1 on node 1 but term 2 on node 2');
  });

  it('a committed entry overwritten on a disk (committed entry lost)', () => {
    const h = healthyStart().persist([2], e(2, 2, 'n:other'));
    const v = checkHistory(h.events, VOTERS);
    expect(v?.invariant).toBe('committed entry lost');
    expect(v?.message).toContain('node 2 held committed entry 2');
  });

  it('an entry applied before a majority persisted it (committed entry lost)', () => {
    const h = new History().status(1, 1, 'leader').persist([1], e(1, 1, 'noop')).apply([1], e(1, 1, 'noop'));
    const v = checkHistory(h.events, VOTERS);
    expect(v?.invariant).toBe('committed entry lost');
    expect(v?.message).toContain('only 1 disks hold it');
  });

  it('a snapshot whose state differs from the applied entries (state machine safety)', () => {
    const h = healthyStart();
    h.push({ kind: 'compact', node: 1, index: 2, term: 1 })
      .push({ kind: 'crash', node: 3 })
      .push({ kind: 'restart', node: 3, appliedIndex: 2, stateHash: 12345 });
    const v = checkHistory(h.events, VOTERS);
    expect(v?.invariant).toBe('state machine safety');
    expect(v?.message).toContain('restarted from snapshot 2 whose state differs');
  });

  it('a node that votes twice in one term across a restart (vote safety, §5.2)', () => {
    const h = new History()
      .push({ kind: 'persist', node: 3, entries: [], hardState: { term: 4, vote: 1, commit: 0 } })
      .push({ kind: 'grantVote', node: 3, term: 4, candidate: 1 })
      .crashRestart(3, 0, EMPTY_STATE_HASH)
      .push({ kind: 'persist', node: 3, entries: [], hardState: { term: 4, vote: 2, commit: 0 } });
    const v = checkHistory(h.events, VOTERS);
    expect(v?.invariant).toBe('vote safety');
    expect(v?.message).toContain('persisted a vote for 2 in term 4 after voting for 1');
  });

  it('a vote granted before it was persisted (persist before send, §5.1)', () => {
    const h = new History().push({ kind: 'persist', node: 3, entries: [], hardState: { term: 4, vote: 0, commit: 0 } }).push({ kind: 'grantVote', node: 3, term: 4, candidate: 1 });
    const v = checkHistory(h.events, VOTERS);
    expect(v?.invariant).toBe('persist before send');
    expect(v?.message).toContain('granted its vote to 1 in term 4 before persisting it');
  });

  it('accepts a vote whose term is already superseded on disk (the node can never vote in it again)', () => {
    const h = new History().push({ kind: 'persist', node: 3, entries: [], hardState: { term: 5, vote: 1, commit: 0 } }).push({ kind: 'grantVote', node: 3, term: 4, candidate: 1 });
    expect(checkHistory(h.events, VOTERS)).toBeUndefined();
  });

  it('entries acknowledged before they were persisted (persist before send)', () => {
    const h = healthyStart()
      .push({ kind: 'persist', node: 2, entries: [], hardState: { term: 1, vote: 1, commit: 2 } })
      .push({ kind: 'ackAppend', node: 2, term: 1, index: 2 })
      .push({ kind: 'ackAppend', node: 2, term: 1, index: 3 });
    const v = checkHistory(h.events, VOTERS);
    expect(v?.invariant).toBe('persist before send');
    expect(v?.message).toContain('acknowledged entries up to 3');
    expect(v?.eventNumber).toBe(h.events.length - 1);
    // the same ack in a term the disk has not reached yet
    const early = checkHistory(healthyStart().push({ kind: 'ackAppend', node: 2, term: 1, index: 2 }).events, VOTERS);
    expect(early?.message).toContain('acknowledged entries in term 1 before persisting that term');
  });

  it('accepts a stale ack of an older term for entries the same Ready truncated', () => {
    // node 3 acks 4/1 for leader 1, then (same Ready) a term-2 leader's entry replaces index 3
    const h = healthyStart()
      .persist([3], e(3, 1, 'n:b'), e(4, 1, 'n:c'))
      .push({ kind: 'persist', node: 3, entries: [e(3, 2, 'noop')], hardState: { term: 2, vote: 0, commit: 2 } })
      .push({ kind: 'ackAppend', node: 3, term: 1, index: 4 });
    expect(checkHistory(h.events, VOTERS)).toBeUndefined();
  });

  it('stops at the first violation and keeps reporting it', () => {
    const checker = new RaftInvariantChecker(VOTERS);
    for (const ev of healthyStart().events) expect(checker.observe(ev)).toBeUndefined();
    const first = checker.observe({ kind: 'status', node: 3, term: 1, role: 'leader' });
    expect(first?.invariant).toBe('election safety');
    expect(checker.observe({ kind: 'status', node: 2, term: 5, role: 'leader' })).toBe(first);
  });
});
