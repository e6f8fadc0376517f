/**
 * Unstable: the tail of the log that Raft holds but the application has not yet persisted (etcd's
 * `unstable`). New entries (a leader's proposals, a follower's appends) and an incoming snapshot
 * live here until a Ready hands them to the application and advance() confirms they are on disk
 * (stableTo / stableSnapTo). Entries here always come after everything in storage, except that an
 * append may replace a suffix of storage (a conflicting follower log, §5.3).
 */
import type { Entry, Snapshot } from './raft-types.js';

export class Unstable {
  /** A snapshot received from the leader, not yet persisted. */
  snapshot: Snapshot | undefined;
  /** Entries not yet persisted; entries[i] has index offset + i. */
  entries: Entry[] = [];
  offset: number;

  constructor(offset: number) {
    this.offset = offset;
  }

  /** The first index, if an unstable snapshot exists (the log then starts after it). */
  maybeFirstIndex(): number | undefined {
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index + 1;
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot?.metadata.index;
  }

  maybeTerm(index: number): number | undefined {
    if (index < this.offset) {
      if (this.snapshot !== undefined && this.snapshot.metadata.index === index) return this.snapshot.metadata.term;
      return undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || index > last) return undefined;
    return this.entries[index - this.offset]?.term;
  }

  /** Entries up to (index, term) are persisted: drop them. A mismatching term means they were replaced meanwhile. */
  stableTo(index: number, term: number): void {
    if (index < this.offset) return;
    if (this.maybeTerm(index) !== term) return;
    this.entries = this.entries.slice(index + 1 - this.offset);
    this.offset = index + 1;
  }

  stableSnapTo(index: number): void {
    if (this.snapshot !== undefined && this.snapshot.metadata.index === index) this.snapshot = undefined;
  }

  restore(snapshot: Snapshot): void {
    this.offset = snapshot.metadata.index + 1;
    this.entries = [];
    this.snapshot = snapshot;
  }

  /** Appends `ents` (contiguous), replacing any entry at or after ents[0].index (§5.3 conflict truncation). */
  truncateAndAppend(ents: readonly Entry[]): void {
    const from = ents[0]!.index;
    if (from === this.offset + this.entries.length) {
      this.entries = this.entries.concat(ents);
    } else if (from <= this.offset) {
      // Replaces everything unstable, and (once persisted) the stored entries from `from` on.
      this.offset = from;
      this.entries = [...ents];
    } else {
      this.entries = this.entries.slice(0, from - this.offset).concat(ents);
    }
  }

  /** Unstable entries in [lo, hi); the caller checked the bounds. */
  slice(lo: number, hi: number): Entry[] {
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
