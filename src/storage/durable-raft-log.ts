import { assert } from '../core/assert.js';
import { isFabsimError } from '../core/errors.js';
import { decodeEntry, decodeHardState, decodeSnapshot, encodeEntry, encodeHardState, encodeSnapshot } from '../raft/raft-codec.js';
import type { Entry, HardState, Snapshot } from '../raft/raft-types.js';
import { compareBytes } from './compare-bytes.js';
import type { KvBatchOp, KvStore } from './kv-store.js';
import { prefixed } from './prefixed-kv-store.js';
import { HARD_STATE_KEY, SNAPSHOT_KEY, entryKey, entryKeyIndex, raftLogPrefix } from './raft-log-keys.js';
import { StorageError } from './storage-error.js';

const EMPTY_HARD_STATE: HardState = { term: 0, vote: 0, commit: 0 };

export interface DurableRaftLogOptions {
  /** fsync every save/compact before it resolves (Raft's "stable storage", §5.1 Figure 2). Default true. */
  readonly sync?: boolean;
}

export interface PersistedRaftState {
  readonly hardState: HardState;
  /** The latest snapshot, or undefined if none was ever saved. */
  readonly snapshot: Snapshot | undefined;
  /** The entries after the snapshot, in index order, contiguous. */
  readonly entries: Entry[];
}

export interface RaftLogUpdate {
  readonly hardState?: HardState;
  readonly entries: readonly Entry[];
  readonly snapshot?: Snapshot;
}

/**
 * A Raft group's persistent state (§5.1 Figure 2: currentTerm, votedFor, log[]; plus the commit index
 * and the latest snapshot, §7) in a KvStore: durable when the store is a LevelKvStore. Several groups
 * (one per channel) share a store, each under its own namespace.
 *
 * The Ready contract (raft-types.ts) asks the application to persist a Ready's snapshot, entries and
 * hard state atomically before it sends the Ready's messages. `save()` does exactly that in one
 * atomic batch, so a crash at any moment leaves either all of a Ready on disk or none of it, and a
 * node restarted from `load()` never forgets a vote or an entry it acknowledged.
 *
 * An in-memory mirror of what is persisted lets `load()` answer synchronously and lets `save()`
 * compute which keys a conflicting append makes stale without reading the store. Calls to save()
 * and compact() run one after another in call order. If one rejects, nothing of it was persisted and
 * the mirror is unchanged; the node must then stop (it must not send that Ready's messages).
 */
export class DurableRaftLog {
  private hardState: HardState;
  private snapshot: Snapshot | undefined;
  /** entries[i].index === snapshotIndex() + 1 + i */
  private entries: Entry[];
  private queue: Promise<void> = Promise.resolve();

  private constructor(
    private readonly store: KvStore,
    readonly namespace: string,
    private readonly sync: boolean,
    state: PersistedRaftState,
  ) {
    this.hardState = state.hardState;
    this.snapshot = state.snapshot;
    this.entries = state.entries;
  }

  /** Reads what `store` holds for `namespace` (creating nothing). Rejects with STORAGE_CORRUPT if it does not add up. */
  static async open(store: KvStore, namespace: string, options: DurableRaftLogOptions = {}): Promise<DurableRaftLog> {
    if (namespace.length === 0 || /[/\0]/.test(namespace)) {
      throw new StorageError(
        'STORAGE_INVALID_ARGUMENT',
        `a Raft log namespace must be a non-empty name without '/' or NUL (a channel name), got ${JSON.stringify(namespace)}`,
      );
    }
    const view = prefixed(store, raftLogPrefix(namespace));
    const corrupt = (what: string, cause?: unknown): StorageError =>
      new StorageError(
        'STORAGE_CORRUPT',
        `the Raft log of ${JSON.stringify(namespace)} is corrupt: ${what}; restore the node's data directory from a backup, or remove it to rejoin the cluster as a new, empty node`,
        { cause, context: { channel: namespace } },
      );
    const decode = <T>(what: string, f: () => T): T => {
      try {
        return f();
      } catch (err) {
        if (isFabsimError(err, 'RAFT_CODEC_MALFORMED')) throw corrupt(`${what} cannot be decoded (${err.message})`, err);
        throw err;
      }
    };
    let hardState = EMPTY_HARD_STATE;
    let snapshot: Snapshot | undefined;
    const entries: Entry[] = [];
    for await (const [key, value] of view.iterate()) {
      if (compareBytes(key, HARD_STATE_KEY) === 0) {
        hardState = decode('the hard state', () => decodeHardState(value));
      } else if (compareBytes(key, SNAPSHOT_KEY) === 0) {
        snapshot = decode('the snapshot', () => decodeSnapshot(value));
      } else {
        const index = entryKeyIndex(key);
        if (index === undefined) throw corrupt(`unexpected key ${Buffer.from(key).toString('hex')}`);
        const entry = decode(`entry ${index}`, () => decodeEntry(value));
        if (entry.index !== index) throw corrupt(`the entry stored under index ${index} says it is entry ${entry.index}`);
        entries.push(entry); // big-endian keys iterate in index order
      }
    }
    const first = (snapshot?.metadata.index ?? 0) + 1;
    entries.forEach((e, i) => {
      if (e.index !== first + i) {
        throw corrupt(i === 0 ? `the first entry is ${e.index}, expected ${first} (just after the snapshot)` : `entries ${first + i - 1} and ${e.index} are not contiguous`);
      }
    });
    return new DurableRaftLog(view, namespace, options.sync ?? true, { hardState, snapshot, entries });
  }

  /** What is persisted now: everything opened plus everything saved since. */
  load(): PersistedRaftState {
    return { hardState: this.hardState, snapshot: this.snapshot, entries: this.entries.slice() };
  }

  /** Index of the first entry still in the log (snapshot index + 1). */
  firstIndex(): number {
    return this.snapshotIndex() + 1;
  }

  /** Index of the last entry (the snapshot index when there is none after it). */
  lastIndex(): number {
    return this.snapshotIndex() + this.entries.length;
  }

  /**
   * Persists one Ready in one atomic batch, with MemoryRaftStorage's semantics, in this order:
   * - `snapshot` (if newer than the persisted one) replaces the whole log (§7 InstallSnapshot);
   * - `entries` (contiguous) are appended: an entry at index i replaces i and every persisted entry
   *   after it (a follower's conflicting suffix is overwritten, §5.3); entries the snapshot covers
   *   are ignored; a gap after the last persisted entry is a bug (assert);
   * - `hardState` replaces the persisted one.
   */
  save(update: RaftLogUpdate): Promise<void> {
    return this.enqueue(() => this.doSave(update));
  }

  /**
   * Log compaction (§7): persists `snapshot` (newer than the persisted one, at an index not past the
   * last entry) and deletes the entries up to and including its index, atomically.
   */
  compact(snapshot: Snapshot): Promise<void> {
    return this.enqueue(() => this.doCompact(snapshot));
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private snapshotIndex(): number {
    return this.snapshot?.metadata.index ?? 0;
  }

  private async doSave(update: RaftLogUpdate): Promise<void> {
    const ops: KvBatchOp[] = [];
    let snapshot = this.snapshot;
    let entries = this.entries;
    if (update.snapshot !== undefined) {
      const index = update.snapshot.metadata.index;
      assert(index >= this.snapshotIndex(), `DurableRaftLog.save: snapshot ${index} is older than the persisted snapshot ${this.snapshotIndex()}`);
      if (!(this.snapshot !== undefined && index === this.snapshotIndex() && index > 0)) {
        ops.push({ type: 'put', key: SNAPSHOT_KEY, value: encodeSnapshot(update.snapshot) });
        for (let i = this.firstIndex(); i <= this.lastIndex(); i++) ops.push({ type: 'del', key: entryKey(i) });
        snapshot = update.snapshot;
        entries = [];
      }
    }
    const appended = update.entries;
    for (let i = 1; i < appended.length; i++) {
      assert(appended[i]!.index === appended[i - 1]!.index + 1, 'DurableRaftLog.save: entries must be contiguous');
    }
    const first = (snapshot?.metadata.index ?? 0) + 1;
    const toAppend = appended.filter((e) => e.index >= first);
    if (toAppend.length > 0) {
      const start = toAppend[0]!.index;
      const last = first - 1 + entries.length;
      assert(start <= last + 1, `DurableRaftLog.save: missing entries between ${last} and ${start}`);
      const newLast = toAppend[toAppend.length - 1]!.index;
      for (let i = newLast + 1; i <= last; i++) ops.push({ type: 'del', key: entryKey(i) }); // the stale suffix
      for (const e of toAppend) ops.push({ type: 'put', key: entryKey(e.index), value: encodeEntry(e) });
      entries = entries.slice(0, start - first).concat(toAppend);
    }
    if (update.hardState !== undefined) ops.push({ type: 'put', key: HARD_STATE_KEY, value: encodeHardState(update.hardState) });
    if (ops.length === 0) return;
    await this.store.batch(ops, { sync: this.sync });
    this.snapshot = snapshot;
    this.entries = entries;
    if (update.hardState !== undefined) this.hardState = update.hardState;
  }

  private async doCompact(snapshot: Snapshot): Promise<void> {
    const index = snapshot.metadata.index;
    assert(
      this.snapshot === undefined ? index >= 0 : index > this.snapshotIndex(),
      `DurableRaftLog.compact: snapshot ${index} is not newer than the persisted snapshot ${this.snapshotIndex()}`,
    );
    assert(index <= this.lastIndex(), `DurableRaftLog.compact: snapshot ${index} is past the last entry ${this.lastIndex()}`);
    const covered = index - this.snapshotIndex(); // entries the snapshot replaces
    const last = this.entries[covered - 1];
    assert(
      last === undefined || last.term === snapshot.metadata.term,
      `DurableRaftLog.compact: snapshot ${index} has term ${snapshot.metadata.term}, but entry ${index} has term ${last?.term}`,
    );
    const ops: KvBatchOp[] = [{ type: 'put', key: SNAPSHOT_KEY, value: encodeSnapshot(snapshot) }];
    for (let i = this.firstIndex(); i <= index; i++) ops.push({ type: 'del', key: entryKey(i) });
    await this.store.batch(ops, { sync: this.sync });
    this.snapshot = snapshot;
    this.entries = this.entries.slice(covered);
  }
}
