import { bytesEqual, toHex } from '../core/bytes.js';
import type { Clock } from '../core/clock.js';
import { FabsimError, isFabsimError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ChannelResources } from '../common/channel-resources.js';
import type { BlockCommit, ChainInfo, StateReader, TxIdLookup } from '../ledger/ledger-types.js';
import type { AsyncSignatureVerifier } from '../msp/ecdsa.js';
import { BlockMetadataSlot, buildBlock, parseBlock, type Block } from '../protos/block.js';
import { verifyBlockSignatures } from './validation/block-signature.js';
import type { ChaincodeDefinitions } from './validation/chaincode-definition.js';
import { validateBlock, type ValidatedTransaction } from './validation/validate-block.js';

/**
 * The committing peer's commit path for one channel (Fabric's committer/txvalidator + kvledger
 * CommitLegacy): a block from the ordering service is checked (its number, its orderer signature),
 * every transaction gets its TxValidationCode, the codes go into the block's TRANSACTIONS_FILTER
 * metadata, and the ledger stores the block with the valid transactions' state updates in one
 * atomic batch. Blocks are committed one at a time, in order.
 *
 * A block that cannot be committed as it is (it does not parse, it is not the next one, its orderer
 * signature does not satisfy BlockValidation) is refused with BlockRejectedError and nothing is
 * written: the deliver client then asks another orderer.
 */

export class BlockRejectedError extends FabsimError<'BLOCK_REJECTED'> {}

/** What the committer needs of the channel's ledger (src/ledger/peer-ledger.ts PeerLedger). */
export interface CommitterLedger extends StateReader, TxIdLookup {
  readonly height: number;
  commit(commit: BlockCommit): Promise<void>;
  /** The chained state hash after block `height - 1` (src/ledger/state-hash.ts). */
  stateHashAt(height: number): Promise<Uint8Array | undefined>;
  /** Height and the last block's header hash: the next block's previous_hash. */
  chainInfo(): ChainInfo;
}

export interface CommitterOptions {
  readonly channelId: string;
  readonly ledger: CommitterLedger;
  /** The channel's current resources (MSPs, policies). */
  readonly resources: () => ChannelResources;
  readonly chaincodes: ChaincodeDefinitions;
  /** Verifies signatures (on the thread pool in a node, so a block's signatures verify in parallel). */
  readonly verify: AsyncSignatureVerifier;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** A committed block, for events and logs. */
export interface CommittedBlock {
  readonly number: number;
  readonly blockBytes: Uint8Array;
  readonly transactions: readonly ValidatedTransaction[];
  /** The ledger's chained state hash after this block, hex: peers that agree on the chain agree on it. */
  readonly stateHash: string;
}

export class Committer {
  private readonly listeners = new Set<(block: CommittedBlock) => void>();

  constructor(private readonly o: CommitterOptions) {}

  /** Calls `listener` after each commit (Gateway commit status, block events). Returns the unsubscribe function. */
  onCommitted(listener: (block: CommittedBlock) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Validates and commits `blockBytes`, the next block of the channel. A block below the height
   * (already committed, e.g. sent again after a reconnect) is ignored and returns undefined.
   */
  async commit(blockBytes: Uint8Array): Promise<CommittedBlock | undefined> {
    const { channelId, ledger } = this.o;
    let block: Block;
    try {
      block = parseBlock(blockBytes);
    } catch (err) {
      if (!isFabsimError(err)) throw err;
      throw new BlockRejectedError('BLOCK_REJECTED', `refusing a block of channel ${channelId} that does not parse: ${err.message}`, { cause: err, context: { channel: channelId } });
    }
    const number = block.header.number;
    if (number < ledger.height) return undefined;
    if (number > ledger.height) {
      throw new BlockRejectedError('BLOCK_REJECTED', `refusing block ${number} of channel ${channelId}: the ledger's height is ${ledger.height}, so block ${ledger.height} must come first`, { context: { channel: channelId, number } });
    }
    const lastHash = ledger.chainInfo().currentBlockHash;
    if (!bytesEqual(block.header.previousHash, lastHash)) {
      throw new BlockRejectedError(
        'BLOCK_REJECTED',
        `refusing block ${number} of channel ${channelId}: its previous_hash ${toHex(block.header.previousHash).slice(0, 16)}… is not the hash of block ${number - 1} (${toHex(lastHash).slice(0, 16)}…); it belongs to another chain`,
        { context: { channel: channelId, number } },
      );
    }
    const resources = this.o.resources();
    const nowMs = this.o.clock.nowMs();
    const signature = await verifyBlockSignatures({ block, channelId, resources, verify: this.o.verify, nowMs, expectedNumber: number });
    if (!signature.ok) {
      throw new BlockRejectedError('BLOCK_REJECTED', `refusing block ${number} of channel ${channelId}: ${signature.reason}`, { context: { channel: channelId, number } });
    }
    const validation = await validateBlock({
      block,
      channelId,
      resources,
      chaincodes: this.o.chaincodes,
      state: ledger,
      txIds: ledger,
      verify: this.o.verify,
      nowMs,
    });
    const stored = withTransactionsFilter(block, validation.filter);
    await ledger.commit({ blockBytes: stored, blockNumber: number, transactions: validation.transactions });
    const committed: CommittedBlock = { number, blockBytes: stored, transactions: validation.transactions, stateHash: await this.stateHashAfter(number) };
    this.log(committed);
    for (const listener of this.listeners) listener(committed);
    return committed;
  }

  /**
   * Commits the channel's genesis block, the block a peer joins with (Fabric's peer channel join):
   * configtxgen made it, nobody signed it, and its one config transaction is VALID by definition.
   */
  async commitGenesis(blockBytes: Uint8Array, txId: string): Promise<CommittedBlock> {
    const block = parseBlock(blockBytes);
    if (block.header.number !== 0 || this.o.ledger.height !== 0) {
      throw new BlockRejectedError('BLOCK_REJECTED', `a channel is joined with its genesis block (number 0) on an empty ledger; got block ${block.header.number} at height ${this.o.ledger.height}`, {
        context: { channel: this.o.channelId },
      });
    }
    const transactions: ValidatedTransaction[] = [{ txId, txNum: 0, code: 'VALID', updates: [], explanation: 'VALID: the genesis config transaction' }];
    const stored = withTransactionsFilter(block, Uint8Array.of(0));
    await this.o.ledger.commit({ blockBytes: stored, blockNumber: 0, transactions });
    const committed: CommittedBlock = { number: 0, blockBytes: stored, transactions, stateHash: await this.stateHashAfter(0) };
    this.log(committed);
    for (const listener of this.listeners) listener(committed);
    return committed;
  }

  private async stateHashAfter(number: number): Promise<string> {
    const hash = await this.o.ledger.stateHashAt(number + 1);
    return hash === undefined ? '' : toHex(hash);
  }

  private log(block: CommittedBlock): void {
    const invalid = block.transactions.filter((t) => t.code !== 'VALID');
    this.o.logger.info('committed block', {
      channel: this.o.channelId,
      number: block.number,
      txs: block.transactions.length,
      valid: block.transactions.length - invalid.length,
      stateHash: block.stateHash,
    });
    for (const tx of invalid) {
      this.o.logger.info('invalid transaction', { channel: this.o.channelId, block: block.number, txNum: tx.txNum, txId: tx.txId, code: tx.code, explanation: tx.explanation });
    }
  }
}

/** The block with its TRANSACTIONS_FILTER metadata set to `filter` (the header, and so the hash, is unchanged). */
export function withTransactionsFilter(block: Block, filter: Uint8Array): Uint8Array {
  const metadata = Array.from({ length: Math.max(block.metadata.length, BlockMetadataSlot.TRANSACTIONS_FILTER + 1) }, (_, i) => block.metadata[i] ?? new Uint8Array());
  metadata[BlockMetadataSlot.TRANSACTIONS_FILTER] = filter;
  return buildBlock({ header: block.header, data: block.data, metadata });
}
