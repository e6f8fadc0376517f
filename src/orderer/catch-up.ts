import { bytesEqual, toHex } from '../core/bytes.js';
import { messageOf } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { BlockStore } from '../ledger/block-store.js';
import { blockDataHash, blockHeaderHash, parseBlock, type Block } from '../protos/block.js';
import type { NodeId } from '../raft/raft-types.js';
import type { BlockPuller } from './block-puller.js';
import { readWrittenMetadata } from './block-writer.js';

export interface CatchUpParams {
  readonly channel: string;
  readonly puller: BlockPuller;
  /** Consenters to try, in order (the leader first). */
  readonly sources: readonly NodeId[];
  readonly blocks: BlockStore;
  /** The block a Raft snapshot carries: the chain must reach it. */
  readonly target: Block;
  /** Writes one verified block; `raftIndex` is the one its source recorded. */
  readonly write: (block: Block, raftIndex: number) => Promise<void>;
  readonly logger: Logger;
}

/**
 * Fabric etcdraft's catch-up on a snapshot: when a snapshot says the chain is at block N and the
 * ledger is lower, pull blocks height..N from other consenters and write them, checking each block's
 * number, previous_hash (the hash chain from the local last block) and data_hash, and that block N
 * is the snapshot's block. A source that fails or serves a different chain is abandoned for the next;
 * verified blocks already written stay. Resolves true once the height is past N.
 */
export async function catchUpToBlock(p: CatchUpParams): Promise<boolean> {
  const targetNumber = p.target.header.number;
  const targetHash = blockHeaderHash(p.target.header);
  for (const source of p.sources) {
    if (p.blocks.height > targetNumber) return true;
    const start = p.blocks.height;
    try {
      for await (const bytes of p.puller.pull(p.channel, source, start, targetNumber)) {
        const block = parseBlock(bytes);
        const { number, previousHash, dataHash } = block.header;
        if (number !== p.blocks.height) throw new Error(`it sent block ${number} where block ${p.blocks.height} was expected`);
        if (!bytesEqual(previousHash, p.blocks.lastHash)) throw new Error(`block ${number}'s previous_hash ${toHex(previousHash).slice(0, 16)}… does not match the local block ${number - 1}`);
        if (!bytesEqual(dataHash, blockDataHash(block.data))) throw new Error(`block ${number}'s data_hash does not match its data`);
        if (number === targetNumber && !bytesEqual(blockHeaderHash(block.header), targetHash)) throw new Error(`block ${number} is not the block of the Raft snapshot`);
        await p.write(block, readWrittenMetadata(block).raft?.raftIndex ?? 0);
        if (number >= targetNumber) break;
      }
    } catch (err) {
      p.logger.warn('block pull failed', { channel: p.channel, from: source, start, target: targetNumber, height: p.blocks.height, error: messageOf(err) });
    }
  }
  return p.blocks.height > targetNumber;
}
