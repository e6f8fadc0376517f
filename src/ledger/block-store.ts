import { FabsimError } from '../core/errors.js';
import { bytesEqual, toHex } from '../core/bytes.js';
import { blockHeaderHash, parseBlock, type Block } from '../protos/block.js';
import type { KvBatchOp, KvStore } from '../storage/kv-store.js';

/**
 * A chain of Fabric blocks in a KvStore (Fabric's block storage): block N under key 'B' + N as 8
 * big-endian bytes, so keys sort by number. Orderers and peers each keep one per channel.
 *
 * Contract:
 * - blocks are appended in order: number = height, previous_hash = hash of the last header
 *   (anything else is a BlockStoreError, and nothing is written);
 * - `appendOps` returns the write as batch operations so a caller can commit it together with
 *   other state in ONE atomic batch (a peer's commit), then call `appended`;
 * - waiters (Deliver's BLOCK_UNTIL_READY) are woken when the height grows.
 */
export class BlockStoreError extends FabsimError<'LEDGER_BLOCK_OUT_OF_ORDER' | 'LEDGER_BLOCK_MALFORMED'> {}

const BLOCK_PREFIX = 0x42; // 'B'

export function blockKey(number: number): Uint8Array {
  const key = new Uint8Array(9);
  key[0] = BLOCK_PREFIX;
  new DataView(key.buffer).setBigUint64(1, BigInt(number));
  return key;
}

export class BlockStore {
  private waiters: Array<{ height: number; resolve: () => void }> = [];

  private constructor(
    private readonly store: KvStore,
    private currentHeight: number,
    private lastHeaderHash: Uint8Array,
  ) {}

  static async open(store: KvStore): Promise<BlockStore> {
    for await (const [, value] of store.iterate({ gte: blockKey(0), lte: blockKey(Number.MAX_SAFE_INTEGER), reverse: true, limit: 1 })) {
      const last = parseBlock(value);
      return new BlockStore(store, last.header.number + 1, blockHeaderHash(last.header));
    }
    return new BlockStore(store, 0, new Uint8Array());
  }

  /** The number of blocks: the next block's number. */
  get height(): number {
    return this.currentHeight;
  }

  /** The hash of the last block's header: the next block's previous_hash (empty before block 0). */
  get lastHash(): Uint8Array {
    return this.lastHeaderHash;
  }

  async getBlock(number: number): Promise<Uint8Array | undefined> {
    if (!Number.isSafeInteger(number) || number < 0 || number >= this.currentHeight) return undefined;
    return this.store.get(blockKey(number));
  }

  /** Checks that `bytes` is the next block and returns the operations that store it. */
  appendOps(bytes: Uint8Array): { ops: KvBatchOp[]; block: Block } {
    let block: Block;
    try {
      block = parseBlock(bytes);
    } catch (cause) {
      throw new BlockStoreError('LEDGER_BLOCK_MALFORMED', `refusing to store a block that does not parse: ${(cause as Error).message}`, { cause });
    }
    const { number, previousHash } = block.header;
    if (number !== this.currentHeight) {
      throw new BlockStoreError('LEDGER_BLOCK_OUT_OF_ORDER', `block ${number} cannot be appended at height ${this.currentHeight}: blocks are stored in order`, { context: { number, height: this.currentHeight } });
    }
    if (!bytesEqual(previousHash, this.lastHeaderHash)) {
      throw new BlockStoreError(
        'LEDGER_BLOCK_OUT_OF_ORDER',
        `block ${number} has previous_hash ${toHex(previousHash).slice(0, 16)}…, but block ${number - 1}'s header hash is ${toHex(this.lastHeaderHash).slice(0, 16)}…: it belongs to another chain`,
        { context: { number } },
      );
    }
    return { ops: [{ type: 'put', key: blockKey(number), value: bytes }], block };
  }

  /** Records a block whose `appendOps` were committed, and wakes waiters. */
  appended(block: Block): void {
    this.currentHeight = block.header.number + 1;
    this.lastHeaderHash = blockHeaderHash(block.header);
    const ready = this.waiters.filter((w) => w.height <= this.currentHeight);
    this.waiters = this.waiters.filter((w) => w.height > this.currentHeight);
    for (const w of ready) w.resolve();
  }

  /** Appends one block in its own batch. */
  async append(bytes: Uint8Array, options: { sync?: boolean } = {}): Promise<Block> {
    const { ops, block } = this.appendOps(bytes);
    await this.store.batch(ops, options);
    this.appended(block);
    return block;
  }

  /**
   * Resolves once the height is at least `height`, or when `signal` aborts (the waiter is then
   * removed, so an abandoned Deliver stream leaves nothing behind; the caller checks the signal).
   */
  waitForHeight(height: number, signal?: AbortSignal): Promise<void> {
    if (this.currentHeight >= height || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = { height, resolve };
      this.waiters.push(waiter);
      signal?.addEventListener(
        'abort',
        () => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve();
        },
        { once: true },
      );
    });
  }

  /** Waiters still queued (for tests and diagnostics). */
  get waiterCount(): number {
    return this.waiters.length;
  }
}
