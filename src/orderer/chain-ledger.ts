import { utf8 } from '../core/bytes.js';
import { FabsimError } from '../core/errors.js';
import type { Logger, LogFields } from '../core/logger.js';
import type { Rng } from '../core/rng.js';
import { BlockStore } from '../ledger/block-store.js';
import { parseBlock, type Block, type BlockHeader } from '../protos/block.js';
import type { Entry } from '../raft/raft-types.js';
import type { KvStore } from '../storage/kv-store.js';
import { prefixed } from '../storage/prefixed-kv-store.js';
import type { BlockSigner } from './block-signer.js';
import { BlockWriter, readWrittenMetadata } from './block-writer.js';
import type { ChainSnapshotOptions } from './raft-chain-options.js';

export type ChainErrorCode = 'ORDERER_BAD_OPTIONS' | 'ORDERER_NO_GENESIS' | 'ORDERER_BLOCK_GAP' | 'ORDERER_BAD_ENTRY' | 'ORDERER_NOT_LEADER';
export class ChainError extends FabsimError<ChainErrorCode> {}

/** Where a channel's blocks live inside the channel's store. */
export const BLOCKS_PREFIX = utf8('blocks/');

/**
 * The ledger side of a channel's Raft chain: the BlockStore, writing committed blocks exactly once,
 * and the bookkeeping that decides when to snapshot.
 *
 * Exactly once: a committed entry carries block N. It is written only if N == height; N < height
 * means the block is already written (the entry is applied again, e.g. after a restart), and is
 * skipped. Each written block records the Raft index of its entry (etcdraft BlockMetadata.raft_index),
 * and a restarted chain resumes applying after the last block's raft_index, as Fabric does.
 */
export class ChainLedger {
  private header: BlockHeader;
  private bytesSinceSnapshot = 0;
  private blocksSinceSnapshot = 0;

  private constructor(
    readonly blocks: BlockStore,
    private readonly writer: BlockWriter,
    lastBlock: Block,
    /** raft_index of the last block when the chain opened (0 for the genesis block). */
    readonly openedAtRaftIndex: number,
    private readonly snapshotOptions: ChainSnapshotOptions,
    private readonly logger: Logger,
    private readonly fields: () => LogFields,
  ) {
    this.header = lastBlock.header;
  }

  static async open(p: {
    readonly store: KvStore;
    readonly genesisBlock?: Uint8Array;
    readonly channelId: string;
    readonly signer: BlockSigner;
    readonly rng: Rng;
    readonly consenterIds: readonly number[];
    readonly snapshot: ChainSnapshotOptions;
    readonly logger: Logger;
    readonly fields: () => LogFields;
  }): Promise<ChainLedger> {
    const blocks = await BlockStore.open(prefixed(p.store, BLOCKS_PREFIX));
    if (blocks.height === 0) {
      if (p.genesisBlock === undefined) {
        throw new ChainError('ORDERER_NO_GENESIS', `the store of channel ${p.channelId} holds no block and no genesis block was given; join the channel with its genesis block first`, {
          context: { channel: p.channelId },
        });
      }
      await blocks.append(p.genesisBlock, { sync: true });
    }
    const last = parseBlock((await blocks.getBlock(blocks.height - 1))!);
    const written = readWrittenMetadata(last);
    const writer = new BlockWriter(blocks, p.signer, p.rng, p.consenterIds, written.lastConfigIndex);
    return new ChainLedger(blocks, writer, last, written.raft?.raftIndex ?? 0, p.snapshot, p.logger, p.fields);
  }

  get height(): number {
    return this.blocks.height;
  }

  /** Header of the last written block: where a new leader's BlockCreator starts. */
  get lastHeader(): BlockHeader {
    return this.header;
  }

  /** Applies a committed 'normal' entry (non-empty: a block). */
  async applyBlockEntry(entry: Entry): Promise<'written' | 'skipped'> {
    let block: Block;
    try {
      block = parseBlock(entry.data);
    } catch (cause) {
      throw new ChainError('ORDERER_BAD_ENTRY', `committed Raft entry ${entry.index} does not hold a block; the Raft log is corrupt, restore this orderer's data from another orderer`, {
        cause,
        context: { raftIndex: entry.index },
      });
    }
    const number = block.header.number;
    if (number < this.height) {
      this.logger.debug('block already written, entry skipped', { ...this.fields(), number, raftIndex: entry.index });
      return 'skipped';
    }
    if (number > this.height) {
      throw new ChainError(
        'ORDERER_BLOCK_GAP',
        `committed Raft entry ${entry.index} holds block ${number} but the ledger is at height ${this.height}: blocks are missing; restart the orderer so it catches up from another consenter`,
        { context: { number, height: this.height, raftIndex: entry.index } },
      );
    }
    await this.write(block, entry.index, 'block written');
    this.bytesSinceSnapshot += entry.data.length;
    this.blocksSinceSnapshot++;
    return 'written';
  }

  /** Writes a block pulled from another consenter (already verified), keeping the raft_index it recorded. */
  async writePulled(block: Block, raftIndex: number): Promise<void> {
    await this.write(block, raftIndex, 'block pulled');
  }

  private async write(block: Block, raftIndex: number, event: string): Promise<void> {
    await this.writer.write(block, raftIndex);
    this.header = block.header;
    this.logger.info(event, { ...this.fields(), number: block.header.number, transactions: block.data.length, raftIndex });
  }

  /** Whether enough was written since the last snapshot (ChainSnapshotOptions). */
  snapshotDue(): boolean {
    const { intervalBytes, everyBlocks = 0 } = this.snapshotOptions;
    return (intervalBytes > 0 && this.bytesSinceSnapshot >= intervalBytes) || (everyBlocks > 0 && this.blocksSinceSnapshot >= everyBlocks);
  }

  snapshotTaken(): void {
    this.bytesSinceSnapshot = 0;
    this.blocksSinceSnapshot = 0;
  }

  /** The last written block's bytes: a snapshot's data. */
  async lastBlockBytes(): Promise<Uint8Array> {
    return (await this.blocks.getBlock(this.height - 1))!;
  }
}
