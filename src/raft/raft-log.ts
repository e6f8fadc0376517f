/**
 * RaftLog: one node's view of the replicated log (etcd's raftLog) = what storage has persisted plus
 * the unstable tail, with the two cursors of §5.3:
 * - `committed`: the highest index known to be committed (stored on a majority, of the leader's term).
 * - `applied`: the highest index the application has applied; applied <= committed always.
 * and `applying`: the highest committed index already handed to the application in a Ready
 * (applied <= applying <= committed), so the next Ready hands out only newer committed entries.
 */
import { assert } from '../core/assert.js';
import type { Entry, RaftStorage, Snapshot } from './raft-types.js';
import { Unstable } from './unstable.js';

export class RaftLog {
  readonly unstable: Unstable;
  committed: number;
  applied: number;
  applying: number;

  constructor(readonly storage: RaftStorage) {
    this.unstable = new Unstable(storage.lastIndex() + 1);
    // Everything a snapshot covers is committed and (restored into the application) applied.
    this.committed = storage.firstIndex() - 1;
    this.applied = storage.firstIndex() - 1;
    this.applying = this.applied;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** Term of the entry at `index`, or undefined if it is compacted or beyond the end. index 0 has term 0. */
  term(index: number): number | undefined {
    // The entry just before firstIndex (the snapshot's or the compaction dummy) still has a known term.
    if (index < this.firstIndex() - 1 || index > this.lastIndex()) return undefined;
    return this.unstable.maybeTerm(index) ?? this.storage.term(index);
  }

  lastTerm(): number {
    const t = this.term(this.lastIndex());
    assert(t !== undefined, `RaftLog: no term for lastIndex ${this.lastIndex()}`);
    return t;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /**
   * The election restriction (§5.4.1): a candidate's log (lastIndex, lastTerm) is at least as
   * up-to-date as ours if its last term is higher, or equal with a last index at least as high.
   */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * The follower side of AppendEntries (§5.3): if our log has an entry at prevIndex with prevTerm
   * (the consistency check), append `ents`, deleting any conflicting suffix, and advance the commit
   * index to min(leaderCommit, index of the last new entry). Returns the last index now known to match
   * the leader, or undefined when the consistency check fails.
   */
  maybeAppend(prevIndex: number, prevTerm: number, leaderCommit: number, ents: readonly Entry[]): number | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = prevIndex + ents.length;
    const conflict = this.findConflict(ents);
    if (conflict !== 0) {
      // Log Matching (§5.3) + Leader Completeness (§5.4): a committed entry never conflicts.
      assert(conflict > this.committed, `RaftLog: entry ${conflict} conflicts with the committed prefix (${this.committed})`);
      this.append(ents.slice(conflict - (prevIndex + 1)));
    }
    this.commitTo(Math.min(leaderCommit, lastNew));
    return lastNew;
  }

  /**
   * The index of the first entry of `ents` that is new or whose term differs from ours, or 0 if we
   * already have them all (a duplicate or reordered MsgApp must not truncate anything).
   */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * The fast back-off hint (etcd's findConflictByTerm): the largest index <= `index` whose term is
   * <= `term`, with that term. The leader uses it to skip a whole divergent term per round trip
   * instead of one entry. If the term at some index is unknown (compacted), returns it with term 0.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (let i = index; i > 0; i--) {
      const t = this.term(i);
      if (t === undefined) return { index: i, term: 0 };
      if (t <= term) return { index: i, term: t };
    }
    return { index: 0, term: 0 };
  }

  /** Appends entries after the committed prefix; returns the new last index. */
  append(ents: readonly Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0]!.index - 1;
    assert(after >= this.committed, `RaftLog.append: ${after} is below committed ${this.committed}`);
    assert(after <= this.lastIndex(), `RaftLog.append: gap after lastIndex ${this.lastIndex()} (appending at ${after + 1})`);
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /**
   * Entries from `lo`, at most `maxCount` of them; undefined if `lo` is compacted (the leader must
   * then send a snapshot, §7).
   */
  entriesFrom(lo: number, maxCount: number): Entry[] | undefined {
    if (lo < this.firstIndex()) return undefined;
    const hi = Math.min(this.lastIndex() + 1, lo + maxCount);
    if (lo >= hi) return [];
    return this.slice(lo, hi);
  }

  /** Entries in [lo, hi), spanning storage and the unstable tail. */
  slice(lo: number, hi: number): Entry[] {
    assert(lo >= this.firstIndex() && hi <= this.lastIndex() + 1 && lo <= hi, `RaftLog.slice: [${lo}, ${hi}) out of range`);
    const offset = this.unstable.offset;
    const out: Entry[] = [];
    if (lo < offset) out.push(...this.storage.entries(lo, Math.min(hi, offset)));
    if (hi > offset) out.push(...this.unstable.slice(Math.max(lo, offset), hi));
    return out;
  }

  /**
   * A leader's commit rule (§5.3, §5.4.2): `maxIndex` is stored on a majority; commit it only if its
   * entry is from the current term (earlier-term entries then commit indirectly, Log Matching).
   */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && this.term(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  /** Commit never moves backwards (a stale or reordered message may carry an older commit). */
  commitTo(index: number): void {
    if (index <= this.committed) return;
    assert(index <= this.lastIndex(), `RaftLog.commitTo: ${index} is past lastIndex ${this.lastIndex()} (corrupt log?)`);
    this.committed = index;
  }

  appliedTo(index: number): void {
    if (index === 0) return;
    assert(
      index >= this.applied && index <= this.committed,
      `RaftLog.appliedTo: ${index} is not in [applied ${this.applied}, committed ${this.committed}]`,
    );
    this.applied = index;
    this.applying = Math.max(this.applying, index);
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  /** Committed entries not yet handed to the application (none while a snapshot is being installed). */
  hasNextCommittedEntries(): boolean {
    return !this.hasPendingSnapshot() && this.committed > this.applying;
  }

  nextCommittedEntries(): Entry[] {
    if (!this.hasNextCommittedEntries()) return [];
    const lo = Math.max(this.applying + 1, this.firstIndex());
    return this.slice(lo, this.committed + 1);
  }

  unstableEntries(): readonly Entry[] {
    return this.unstable.entries;
  }

  /** The latest snapshot: the unstable one being installed, else storage's. */
  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  /** A follower installs a leader's snapshot (§7): the log now starts after it, and it is committed. */
  restore(snapshot: Snapshot): void {
    this.committed = snapshot.metadata.index;
    this.unstable.restore(snapshot);
  }

  stableTo(index: number, term: number): void {
    this.unstable.stableTo(index, term);
  }

  stableSnapTo(index: number): void {
    this.unstable.stableSnapTo(index);
  }
}
