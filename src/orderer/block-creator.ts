import { blockDataHash, blockHeaderHash, buildBlock, type Block, type BlockHeader } from '../protos/block.js';

/**
 * Turns batches of envelopes into the next blocks (Fabric etcdraft's blockCreator). It remembers the
 * header of the last block it CREATED, not the last one committed, so a leader can cut several blocks
 * ahead of what Raft has committed: each new block's previous_hash is the hash of the block created
 * just before it. A new leader starts one from its last written block.
 */
export class BlockCreator {
  private lastHeader: BlockHeader;

  constructor(lastBlockHeader: BlockHeader) {
    this.lastHeader = lastBlockHeader;
  }

  /** Number of the last created block. */
  get lastNumber(): number {
    return this.lastHeader.number;
  }

  /**
   * The block after the last created one, holding `envelopes` in order, with empty metadata slots:
   * the SIGNATURES and other metadata are filled in by each orderer when it writes the block.
   */
  createNextBlock(envelopes: readonly Uint8Array[]): { block: Block; bytes: Uint8Array } {
    const header: BlockHeader = {
      number: this.lastHeader.number + 1,
      previousHash: blockHeaderHash(this.lastHeader),
      dataHash: blockDataHash(envelopes),
    };
    const block: Block = { header, data: [...envelopes], metadata: [] };
    this.lastHeader = header;
    return { block, bytes: buildBlock(block) };
  }
}
