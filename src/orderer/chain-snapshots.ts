import type { Logger, LogFields } from '../core/logger.js';
import { parseBlock, type Block } from '../protos/block.js';
import type { MemoryRaftStorage } from '../raft/memory-raft-storage.js';
import { NO_NODE, type NodeId, type Snapshot } from '../raft/raft-types.js';
import type { DurableRaftLog } from '../storage/durable-raft-log.js';
import type { BlockPuller } from './block-puller.js';
import { catchUpToBlock } from './catch-up.js';
import type { ChainLedger } from './chain-ledger.js';
import type { Scheduler } from './scheduler.js';

export interface ChainSnapshotsDeps {
  readonly channelId: string;
  readonly self: NodeId;
  readonly consenterIds: readonly NodeId[];
  readonly puller: BlockPuller;
  readonly scheduler: Scheduler;
  /** Wait between two catch-up rounds that could not reach the snapshot's block. */
  readonly retryMs: number;
  readonly storage: MemoryRaftStorage;
  readonly log: DurableRaftLog;
  readonly ledger: ChainLedger;
  readonly logger: Logger;
  readonly fields: () => LogFields;
  /** The current Raft leader (0 = none) and voters. */
  readonly leader: () => NodeId;
  readonly voters: () => readonly NodeId[];
  readonly isClosed: () => boolean;
}

/**
 * Raft snapshots of a channel's chain, as Fabric's etcdraft takes them (§7 log compaction): the
 * snapshot's data is the last written block. Taking one compacts the Raft log up to it; a follower
 * that receives one whose block is ahead of its ledger pulls the missing blocks from other
 * consenters before it applies anything after the snapshot.
 */
export class ChainSnapshots {
  private readonly sleepers = new Set<() => void>();

  constructor(private readonly d: ChainSnapshotsDeps) {}

  /** Snapshot at applied index `index` holding the last block, then compact the log (durably first). */
  async take(index: number): Promise<void> {
    const { storage, log, ledger } = this.d;
    if (index <= storage.snapshot().metadata.index) return;
    const snapshot = storage.createSnapshot(index, { voters: [...this.d.voters()] }, await ledger.lastBlockBytes());
    await log.compact(snapshot);
    storage.compact(index);
    ledger.snapshotTaken();
    this.d.logger.info('snapshot taken', { ...this.d.fields(), raftIndex: index });
  }

  /** A snapshot from the leader (already persisted): make the ledger reach its block. */
  async install(snapshot: Snapshot): Promise<void> {
    const block = parseBlock(snapshot.data);
    this.d.logger.info('snapshot received', { ...this.d.fields(), raftIndex: snapshot.metadata.index, number: block.header.number });
    this.d.ledger.snapshotTaken();
    if (block.header.number >= this.d.ledger.height) await this.catchUp(block);
  }

  /** Pulls blocks up to `target` from the other consenters (the leader first), retrying until done or closed. */
  async catchUp(target: Block): Promise<void> {
    const { ledger, self } = this.d;
    while (!this.d.isClosed()) {
      const lead = this.d.leader();
      const others = this.d.consenterIds.filter((id) => id !== self && id !== lead);
      const done = await catchUpToBlock({
        channel: this.d.channelId,
        puller: this.d.puller,
        sources: lead !== NO_NODE && lead !== self ? [lead, ...others] : others,
        blocks: ledger.blocks,
        target,
        write: (block, raftIndex) => ledger.writePulled(block, raftIndex),
        logger: this.d.logger,
      });
      if (done) return;
      this.d.logger.warn('catch-up incomplete, retrying', { ...this.d.fields(), target: target.header.number, retryMs: this.d.retryMs });
      await this.sleep(this.d.retryMs);
    }
  }

  /** Ends any wait between catch-up rounds (closing). */
  wake(): void {
    for (const wake of [...this.sleepers]) wake();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        this.sleepers.delete(wake);
        resolve();
      };
      this.sleepers.add(wake);
      this.d.scheduler.setTimeout(wake, ms);
    });
  }
}
