/**
 * Fabric's block cutter (orderer/common/blockcutter): groups ordered envelopes into batches, one
 * batch per block, by BatchSize. Pure logic: the BatchTimeout timer belongs to the caller (the chain),
 * which calls `cut()` when the timer fires.
 *
 * Rules, as in Fabric:
 * - a batch holds at most `maxMessageCount` envelopes;
 * - an envelope larger than `preferredMaxBytes` is cut into a batch of its own (after cutting what
 *   was pending);
 * - if adding an envelope would push the pending batch past `preferredMaxBytes`, the pending batch is
 *   cut first;
 * - envelopes over `absoluteMaxBytes` never get here: Broadcast rejects them.
 */
export interface BatchSize {
  readonly maxMessageCount: number;
  readonly absoluteMaxBytes: number;
  readonly preferredMaxBytes: number;
}

export interface OrderedResult {
  /** Batches ready to become blocks, in order (0, 1 or 2 of them). */
  readonly batches: Uint8Array[][];
  /** True when envelopes remain pending: the caller should (keep) run(ning) the BatchTimeout timer. */
  readonly pending: boolean;
}

export class BlockCutter {
  private pendingBatch: Uint8Array[] = [];
  private pendingBytes = 0;

  constructor(private batchSize: BatchSize) {}

  /** A config update may change BatchSize; it applies to the next envelope. */
  setBatchSize(batchSize: BatchSize): void {
    this.batchSize = batchSize;
  }

  ordered(envelope: Uint8Array): OrderedResult {
    const batches: Uint8Array[][] = [];
    const size = envelope.length;
    if (size > this.batchSize.preferredMaxBytes) {
      if (this.pendingBatch.length > 0) batches.push(this.cut());
      batches.push([envelope]);
      return { batches, pending: false };
    }
    if (this.pendingBytes + size > this.batchSize.preferredMaxBytes && this.pendingBatch.length > 0) {
      batches.push(this.cut());
    }
    this.pendingBatch.push(envelope);
    this.pendingBytes += size;
    if (this.pendingBatch.length >= this.batchSize.maxMessageCount) batches.push(this.cut());
    return { batches, pending: this.pendingBatch.length > 0 };
  }

  /** Returns the pending batch (possibly empty) and starts a new one. */
  cut(): Uint8Array[] {
    const batch = this.pendingBatch;
    this.pendingBatch = [];
    this.pendingBytes = 0;
    return batch;
  }

  get pendingCount(): number {
    return this.pendingBatch.length;
  }
}
