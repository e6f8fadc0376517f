/**
 * Progress: what a leader knows about one follower's log (etcd's tracker.Progress), §5.3.
 *
 * - `match`: the highest index known to be replicated on the follower (the paper's matchIndex).
 * - `next`: the index of the next entry to send (the paper's nextIndex).
 *
 * The leader replicates in one of three states (etcd's flow control, not in the paper):
 * - probe: the leader does not know where the follower's log ends; it sends one MsgApp at a time
 *   (pausing until a response or a heartbeat response) and walks `next` back on each rejection.
 * - replicate: the follower's log is known to match; the leader streams MsgApp optimistically,
 *   advancing `next` as it sends, bounded by the Inflights window.
 * - snapshot: the entries the follower needs are compacted (§7); the leader sent a MsgSnap and
 *   sends nothing else until the snapshot is reported (reportSnapshot) or acknowledged.
 */
import { Inflights } from './inflights.js';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** In the snapshot state: the index of the snapshot that was sent. */
  pendingSnapshot = 0;
  /** Heard from since the last CheckQuorum (or since this node became leader). */
  recentActive = false;
  /** Probe state: a MsgApp was sent and we wait for its response (or a heartbeat response). */
  probeSent = false;
  /** Snapshot state: the snapshot was already pending at the previous CheckQuorum round (see stepLeader). */
  snapshotStale = false;
  readonly inflights: Inflights;

  constructor(next: number, maxInflightMsgs: number) {
    this.next = next;
    this.inflights = new Inflights(maxInflightMsgs);
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.snapshotStale = false;
    this.state = state;
    this.inflights.reset();
  }

  /** Back to probing. After a snapshot, the follower has at least the snapshot's entries. */
  becomeProbe(): void {
    if (this.state === 'snapshot') {
      const pending = this.pendingSnapshot;
      this.resetState('probe');
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState('probe');
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  /**
   * A successful MsgAppResp acknowledged `index`. Returns false if it is stale (older than `match`).
   * The leader never lowers `match`: a follower never loses acknowledged (persisted) entries.
   */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /**
   * A MsgAppResp rejected the MsgApp whose prevLogIndex was `rejected`; `nextProbeIndex` is the
   * leader's guess (from the follower's hint) of where the logs may match. Returns false if the
   * rejection is stale. This is the fast back-off: the paper decrements nextIndex by one per round
   * trip (§5.3); the hint lets a divergent or far-behind follower converge in a few.
   */
  maybeDecrTo(rejected: number, nextProbeIndex: number): boolean {
    if (this.state === 'replicate') {
      // Stale unless it rejects something above what we know matches.
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    // Probe (or snapshot): only the response to the latest probe counts.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, nextProbeIndex + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  /** Flow control: whether the leader must not send this follower another MsgApp now. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }

  /** Bookkeeping after sending a MsgApp carrying `count` entries, the last one at `lastIndex`. */
  sentEntries(count: number, lastIndex: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }
}
