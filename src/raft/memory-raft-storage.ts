/**
 * MemoryRaftStorage: the persisted part of a Raft log, in memory (etcd's MemoryStorage).
 *
 * Raft (the pure core) only READS storage through the RaftStorage interface; the application WRITES
 * it while handling a Ready (persist hard state, entries and snapshot before sending messages).
 * Durable implementations (src/storage) restore one of these from disk, or implement RaftStorage
 * themselves with the same semantics.
 *
 * Layout: the log is `[dummy, e(dummy.index+1), e(dummy.index+2), ...]` where the "dummy" is the
 * index/term of the last entry that was compacted away (or of the snapshot it was replaced by). It
 * answers `term(dummy.index)`, which the consistency check of the first MsgApp after the compacted
 * prefix needs (§5.3: prevLogIndex/prevLogTerm), while `entries()` never returns it.
 */
import { assert } from '../core/assert.js';
import type { ConfState, Entry, HardState, NodeId, RaftStorage, Snapshot } from './raft-types.js';

const EMPTY_HARD_STATE: HardState = { term: 0, vote: 0, commit: 0 };

/** The snapshot of a brand-new log: index 0, term 0, no membership. */
function emptySnapshot(voters: readonly NodeId[] = []): Snapshot {
  return { metadata: { index: 0, term: 0, confState: { voters: [...voters] } }, data: new Uint8Array(0) };
}

export interface MemoryRaftStorageInit {
  readonly hardState?: HardState;
  readonly snapshot?: Snapshot;
  /** Entries following the snapshot: the first one must have index snapshot.index + 1. */
  readonly entries?: readonly Entry[];
}

export class MemoryRaftStorage implements RaftStorage {
  private hardState: HardState;
  private snap: Snapshot;
  /** index/term of the entry just before `ents[0]` (compacted, or covered by the snapshot). */
  private dummy: { index: number; term: number };
  private ents: Entry[];

  constructor(init: MemoryRaftStorageInit = {}) {
    this.hardState = init.hardState ?? EMPTY_HARD_STATE;
    this.snap = init.snapshot ?? emptySnapshot();
    this.dummy = { index: this.snap.metadata.index, term: this.snap.metadata.term };
    this.ents = [];
    if (init.entries !== undefined && init.entries.length > 0) {
      assert(
        init.entries[0]!.index === this.dummy.index + 1,
        `MemoryRaftStorage: entries must start at snapshot index + 1 (${this.dummy.index + 1}), got ${init.entries[0]!.index}`,
      );
      this.append(init.entries);
    }
  }

  /** A brand-new cluster: empty log, and a snapshot at index 0 / term 0 whose confState lists the voters. */
  static bootstrap(voters: readonly NodeId[]): MemoryRaftStorage {
    assert(voters.length > 0, 'MemoryRaftStorage.bootstrap: a cluster needs at least one voter');
    return new MemoryRaftStorage({ snapshot: emptySnapshot(voters) });
  }

  // ---- RaftStorage (what the Raft core reads) ----

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hardState, confState: this.snap.metadata.confState };
  }

  entries(lo: number, hi: number): Entry[] {
    assert(lo >= this.firstIndex(), `MemoryRaftStorage.entries: ${lo} is compacted (firstIndex ${this.firstIndex()})`);
    assert(hi <= this.lastIndex() + 1, `MemoryRaftStorage.entries: ${hi - 1} is past lastIndex ${this.lastIndex()}`);
    assert(lo <= hi, `MemoryRaftStorage.entries: lo ${lo} > hi ${hi}`);
    const offset = this.dummy.index + 1;
    return this.ents.slice(lo - offset, hi - offset);
  }

  term(index: number): number | undefined {
    if (index === this.dummy.index) return this.dummy.term;
    if (index < this.dummy.index || index > this.lastIndex()) return undefined;
    return this.ents[index - this.dummy.index - 1]!.term;
  }

  firstIndex(): number {
    return this.dummy.index + 1;
  }

  lastIndex(): number {
    return this.dummy.index + this.ents.length;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  // ---- writes (the application, while handling a Ready) ----

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  /**
   * Appends entries (contiguous). An entry at index i replaces the stored entry at i and everything
   * after it: that is how a follower's conflicting suffix is overwritten (§5.3). Entries that are
   * already compacted are ignored.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    for (let i = 1; i < entries.length; i++) {
      assert(entries[i]!.index === entries[i - 1]!.index + 1, 'MemoryRaftStorage.append: entries must be contiguous');
    }
    const first = this.firstIndex();
    const lastNew = entries[entries.length - 1]!.index;
    if (lastNew < first) return; // all of them are already compacted
    const toAppend = entries[0]!.index < first ? entries.slice(first - entries[0]!.index) : entries;
    const start = toAppend[0]!.index;
    assert(
      start <= this.lastIndex() + 1,
      `MemoryRaftStorage.append: missing entries between ${this.lastIndex()} and ${start}`,
    );
    this.ents = this.ents.slice(0, start - first).concat(toAppend);
  }

  /** Replaces the whole log with a snapshot (a follower installing the leader's snapshot, §7). */
  applySnapshot(snapshot: Snapshot): void {
    const index = snapshot.metadata.index;
    assert(
      index >= this.snap.metadata.index,
      `MemoryRaftStorage.applySnapshot: snapshot ${index} is older than the stored snapshot ${this.snap.metadata.index}`,
    );
    if (index === this.snap.metadata.index && index > 0) return; // the same snapshot again
    this.snap = snapshot;
    this.dummy = { index, term: snapshot.metadata.term };
    this.ents = [];
  }

  /**
   * Records a snapshot of the application state at `index` (§7). The log is NOT compacted: call
   * compact() afterwards to discard the entries the snapshot covers.
   */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    assert(
      index > this.snap.metadata.index,
      `MemoryRaftStorage.createSnapshot: index ${index} is not newer than the current snapshot ${this.snap.metadata.index}`,
    );
    assert(index <= this.lastIndex(), `MemoryRaftStorage.createSnapshot: index ${index} > lastIndex ${this.lastIndex()}`);
    const term = this.term(index);
    assert(term !== undefined, `MemoryRaftStorage.createSnapshot: index ${index} is already compacted`);
    this.snap = { metadata: { index, term, confState: { voters: [...confState.voters] } }, data };
    return this.snap;
  }

  /**
   * Discards the entries up to and including `index` (§7 log compaction); the entry at `index`
   * becomes the dummy, so firstIndex() becomes index + 1. Compacting what the latest snapshot does
   * not cover would leave a gap no follower could be caught up across, so it is refused.
   */
  compact(index: number): void {
    if (index <= this.dummy.index) return; // already compacted
    assert(index <= this.lastIndex(), `MemoryRaftStorage.compact: index ${index} > lastIndex ${this.lastIndex()}`);
    assert(
      index <= this.snap.metadata.index,
      `MemoryRaftStorage.compact: index ${index} is not covered by the snapshot (${this.snap.metadata.index}); createSnapshot first`,
    );
    const term = this.term(index)!;
    this.ents = this.ents.slice(index - this.dummy.index);
    this.dummy = { index, term };
  }
}
