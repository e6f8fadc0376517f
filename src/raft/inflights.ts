/**
 * Inflights: the MsgApp a leader has sent to one follower and not yet seen acknowledged (etcd's
 * tracker.Inflights). It is the window of the leader's flow control: in the replicate state the
 * leader streams appends optimistically, but stops when `maxInflightMsgs` are unacknowledged, so a
 * slow or cut-off follower cannot make it buffer an unbounded number of messages.
 *
 * Each element is the index of the last entry of one MsgApp; they are added in increasing order.
 */
import { assert } from '../core/assert.js';

export class Inflights {
  private readonly lastIndexes: number[] = [];

  constructor(readonly capacity: number) {
    assert(Number.isInteger(capacity) && capacity > 0, `Inflights: capacity must be a positive integer, got ${capacity}`);
  }

  get count(): number {
    return this.lastIndexes.length;
  }

  full(): boolean {
    return this.lastIndexes.length >= this.capacity;
  }

  /** Records one MsgApp whose last entry is `lastIndex`. */
  add(lastIndex: number): void {
    assert(!this.full(), 'Inflights.add: the window is full');
    const last = this.lastIndexes[this.lastIndexes.length - 1];
    assert(last === undefined || lastIndex > last, `Inflights.add: ${lastIndex} is not after ${String(last)}`);
    this.lastIndexes.push(lastIndex);
  }

  /** The follower acknowledged everything up to `index`: those messages are no longer in flight. */
  freeLE(index: number): void {
    let n = 0;
    while (n < this.lastIndexes.length && this.lastIndexes[n]! <= index) n++;
    if (n > 0) this.lastIndexes.splice(0, n);
  }

  /** Frees the oldest slot (a heartbeat response proves the follower is alive; see stepLeader). */
  freeFirstOne(): void {
    this.lastIndexes.shift();
  }

  reset(): void {
    this.lastIndexes.length = 0;
  }
}
