import type { Logger } from '../core/logger.js';
import type { BlockHeader } from '../protos/block.js';
import { BlockCreator } from './block-creator.js';
import { BlockCutter, type BatchSize } from './block-cutter.js';
import { ORDER_SUCCESS, serviceUnavailable, type OrderResult } from './order-result.js';
import type { Scheduler, TimerId } from './scheduler.js';

export interface LeaderBatcherOptions {
  readonly batchSize: BatchSize;
  readonly batchTimeoutMs: number;
  /** At most this many blocks proposed to Raft and not yet applied (Fabric's MaxInflightBlocks). */
  readonly maxInflightBlocks: number;
  /** At most this many envelopes waiting for capacity; beyond it order() answers SERVICE_UNAVAILABLE. */
  readonly maxWaitingEnvelopes: number;
  readonly scheduler: Scheduler;
  /** Proposes a block (its bytes, one Raft entry); false = Raft dropped the proposal. */
  readonly propose: (blockBytes: Uint8Array, number: number) => boolean;
  /** Raft dropped a proposal: the chain must re-synchronize the batcher (stop, then start again). */
  readonly onProposalDropped: () => void;
  readonly logger: Logger;
}

interface Waiting {
  readonly envelope: Uint8Array;
  readonly resolve: (result: OrderResult) => void;
}

/**
 * The leader's side of ordering (Fabric etcdraft's leader loop): envelopes go into the BlockCutter, a
 * BatchTimeout timer cuts a pending batch, each batch becomes the next block (BlockCreator, ahead of
 * what is committed) and is proposed to Raft as one entry.
 *
 * Back-pressure: at most `maxInflightBlocks` blocks are proposed and not yet applied. Cut blocks
 * wait in a queue for a free slot, and while any block waits (or all slots are taken) no envelope
 * enters the block cutter: envelopes wait in FIFO order and their order() promise resolves SUCCESS
 * only when they enter the cutter (like Fabric, whose leader stops reading its submit channel). More
 * than `maxWaitingEnvelopes` waiting get SERVICE_UNAVAILABLE at once, so memory stays bounded.
 *
 * States: 'off' (not leader), 'waiting' (leader, not yet caught up with its log: envelopes wait),
 * 'on'. Stopping drops the pending batch and unproposed blocks (clients got SUCCESS = accepted, not
 * committed, as in Fabric) and answers waiting envelopes SERVICE_UNAVAILABLE.
 */
export class LeaderBatcher {
  private state: 'off' | 'waiting' | 'on' = 'off';
  private readonly cutter: BlockCutter;
  private creator: BlockCreator | undefined;
  private toPropose: Array<{ bytes: Uint8Array; number: number }> = [];
  private waiting: Waiting[] = [];
  private inflight = 0;
  private timer: TimerId | undefined;

  constructor(private readonly options: LeaderBatcherOptions) {
    this.cutter = new BlockCutter(options.batchSize);
  }

  get mode(): 'off' | 'waiting' | 'on' {
    return this.state;
  }

  get inflightBlocks(): number {
    return this.inflight;
  }

  get waitingEnvelopes(): number {
    return this.waiting.length;
  }

  /** Elected: accept envelopes into the waiting queue until start(). */
  hold(): void {
    if (this.state === 'on') this.dropPipeline();
    this.state = 'waiting';
  }

  /** Caught up: cut blocks after `lastHeader` (the last written block). */
  start(lastHeader: BlockHeader): void {
    this.state = 'on';
    this.creator = new BlockCreator(lastHeader);
    this.inflight = 0;
    this.pump();
  }

  /** Not leader any more (or closing): drops the pipeline, answers waiting envelopes with `info`. Returns what was dropped. */
  stop(info: string): { pendingEnvelopes: number; unproposedBlocks: number; waitingEnvelopes: number } {
    const dropped = { pendingEnvelopes: this.cutter.pendingCount, unproposedBlocks: this.toPropose.length, waitingEnvelopes: this.waiting.length };
    this.dropPipeline();
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w.resolve(serviceUnavailable(info));
    this.state = 'off';
    return dropped;
  }

  /** A leader's envelope: resolves SUCCESS once it is in the block cutter. */
  submit(envelope: Uint8Array): Promise<OrderResult> {
    if (this.state === 'off') return Promise.resolve(serviceUnavailable('this orderer is not the Raft leader'));
    if (this.waiting.length >= this.options.maxWaitingEnvelopes) {
      return Promise.resolve(
        serviceUnavailable(
          `the leader already holds ${this.waiting.length} envelopes waiting for ordering capacity (${this.inflight} of ${this.options.maxInflightBlocks} blocks in flight); retry later or send more slowly`,
        ),
      );
    }
    return new Promise((resolve) => {
      this.waiting.push({ envelope, resolve });
      this.pump();
    });
  }

  /** One of this leader's blocks was applied: a slot is free. */
  blockApplied(): void {
    if (this.state !== 'on') return;
    if (this.inflight > 0) this.inflight--;
    this.pump();
  }

  private pump(): void {
    while (this.state === 'on') {
      while (this.toPropose.length > 0 && this.inflight < this.options.maxInflightBlocks) {
        const next = this.toPropose.shift()!;
        if (!this.options.propose(next.bytes, next.number)) {
          this.options.logger.warn('raft dropped a block proposal', { number: next.number });
          this.options.onProposalDropped();
          return;
        }
        this.inflight++;
      }
      if (this.toPropose.length > 0 || this.inflight >= this.options.maxInflightBlocks) return;
      const next = this.waiting.shift();
      if (next === undefined) return;
      this.accept(next.envelope);
      next.resolve(ORDER_SUCCESS);
    }
  }

  private accept(envelope: Uint8Array): void {
    const { batches, pending } = this.cutter.ordered(envelope);
    for (const batch of batches) this.enqueueBlock(batch);
    if (!pending) this.clearTimer();
    else if (this.timer === undefined) this.timer = this.options.scheduler.setTimeout(() => this.onBatchTimeout(), this.options.batchTimeoutMs);
  }

  private onBatchTimeout(): void {
    this.timer = undefined;
    if (this.state !== 'on') return;
    const batch = this.cutter.cut();
    if (batch.length > 0) this.enqueueBlock(batch);
    this.pump();
  }

  private enqueueBlock(batch: Uint8Array[]): void {
    const { block, bytes } = this.creator!.createNextBlock(batch);
    this.toPropose.push({ bytes, number: block.header.number });
  }

  private dropPipeline(): void {
    this.clearTimer();
    this.cutter.cut();
    this.toPropose = [];
    this.creator = undefined;
    this.inflight = 0;
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.options.scheduler.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
