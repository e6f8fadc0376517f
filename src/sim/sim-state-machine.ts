import { assert } from '../core/assert.js';
import type { Entry, Snapshot } from '../raft/raft-types.js';
import { EMPTY_STATE_HASH, entryRecord, nextStateHash } from './raft-history.js';
import type { EntryRecord } from './raft-history.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface SnapshotBody {
  readonly index: number;
  readonly stateHash: number;
  readonly payloads: readonly string[];
}

/**
 * The simulated application: the ordered list of applied client payloads, plus a hash chain over
 * every applied entry (no-ops and conf changes included) so two replicas can be compared in O(1).
 * Volatile: a crash loses it; it is rebuilt from the disk's snapshot and re-applied entries.
 */
export class SimStateMachine {
  private constructor(
    private index: number,
    private hash: number,
    private readonly list: string[],
  ) {}

  static empty(): SimStateMachine {
    return new SimStateMachine(0, EMPTY_STATE_HASH, []);
  }

  /** The application state a snapshot carries (index 0 with no data: the empty state). */
  static fromSnapshot(snapshot: Snapshot): SimStateMachine {
    if (snapshot.data.length === 0) {
      assert(snapshot.metadata.index === 0, `snapshot ${snapshot.metadata.index} has no application data`);
      return SimStateMachine.empty();
    }
    const body = JSON.parse(decoder.decode(snapshot.data)) as SnapshotBody;
    assert(body.index === snapshot.metadata.index, `snapshot data is for index ${body.index}, metadata says ${snapshot.metadata.index}`);
    return new SimStateMachine(body.index, body.stateHash, [...body.payloads]);
  }

  get appliedIndex(): number {
    return this.index;
  }

  get stateHash(): number {
    return this.hash;
  }

  get payloads(): readonly string[] {
    return this.list;
  }

  /** Applies the next committed entry; returns what the invariant checker is told. */
  apply(entry: Entry): EntryRecord {
    const record = entryRecord(entry);
    this.index = entry.index;
    this.hash = nextStateHash(this.hash, record);
    if (entry.type === 'normal' && entry.data.length > 0) this.list.push(decoder.decode(entry.data));
    return record;
  }

  snapshotData(): Uint8Array {
    const body: SnapshotBody = { index: this.index, stateHash: this.hash, payloads: this.list };
    return encoder.encode(JSON.stringify(body));
  }
}
