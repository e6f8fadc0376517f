import { bytesEqual, toHex } from '../core/bytes.js';
import type { Clock } from '../core/clock.js';
import { FabsimError, isFabsimError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ChannelResources } from '../common/channel-resources.js';
import type { BlockCommit, ChainInfo, StateReader, TxIdLookup } from '../ledger/ledger-types.js';
import type { AsyncSignatureVerifier } from '../msp/ecdsa.js';
import { BlockMetadataSlot, blockHeaderHash, buildBlock, parseBlock, type Block } from '../protos/block.js';
import { verifyBlockSignatures, type BlockSignatureCheck } from './validation/block-signature.js';
import type { ChaincodeDefinitions } from './validation/chaincode-definition.js';
import type { CommittedBlockUpdates } from './validation/prefetched-state.js';
import { prepareBlock, settleBlock, type PreparedBlock, type ValidateBlockInput, type ValidatedTransaction } from './validation/validate-block.js';

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

/** A block handed to commit, with the stage that needs no committed state already started. */
type Job =
  | { readonly kind: 'unparsed'; readonly error: unknown }
  /** Parsed; stage 1 waits for stage 2 (the block does not follow the block before it in the queue). */
  | { readonly kind: 'deferred'; readonly block: Block }
  | {
      readonly kind: 'started';
      readonly block: Block;
      readonly signature: Promise<BlockSignatureCheck>;
      readonly prepared: PreparedBlock;
      /** The ledger height when the reads of `prepared` were asked: blocks from here on may be missing from them. */
      readonly askedAtHeight: number;
    };

export class Committer {
  private readonly listeners = new Set<(block: CommittedBlock) => void>();
  /** Settles when the last block handed to commit has been committed or refused. */
  private tail: Promise<unknown> = Promise.resolve();
  /** Jobs handed to commit and not yet settled, oldest first. */
  private readonly queued: Job[] = [];
  /**
   * The number and header hash the next block handed to commit is expected to follow, while jobs
   * are queued: the last queued block's, when it was started; undefined when it was not (then the
   * next block's stage 1 is deferred too).
   */
  private ahead: { readonly next: number; readonly previousHash: Uint8Array } | undefined;
  /** Blocks committed recently (as committed), for the reads of started jobs asked before them. */
  private recent: CommittedBlockUpdates[] = [];

  constructor(private readonly o: CommitterOptions) {}

  /** Calls `listener` after each commit (Gateway commit status, block events). Returns the unsubscribe function. */
  onCommitted(listener: (block: CommittedBlock) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Validates and commits `blockBytes`, the next block of the channel. A block below the height
   * (already committed, e.g. sent again after a reconnect) is ignored and returns undefined.
   *
   * Pipelining: commit may be called again before an earlier call resolved (the deliver client
   * hands over the next blocks while one commits). Each call then decodes its block, checks its
   * creators and endorsers and starts its signature verifications and ledger reads at once (stage
   * 1, when the block follows the one queued before it: its number is one more and its
   * previous_hash is that block's header hash; otherwise stage 1 waits for stage 2), while its
   * checks against the ledger, duplicate tx ids, MVCC and ledger commit (stage 2) run strictly in
   * call order, each after the block before has been committed or refused. So the outcome of every
   * call is the one it would have had if each call had waited for the one before: the same codes,
   * explanations, state and refusals; a refused block writes nothing and a block queued after it
   * is refused too (it is not the next one then), unless it is the refused block's own number.
   * Stage 1 uses the channel resources and the clock as of the call.
   */
  commit(blockBytes: Uint8Array): Promise<CommittedBlock | undefined> {
    const job = this.start(blockBytes);
    this.queued.push(job);
    const run = this.tail.then(() => this.finish(job));
    this.tail = run.then(
      () => {
        this.settled(job);
      },
      () => {
        this.settled(job);
      },
    );
    return run;
  }

  /** Stage 1 of `blockBytes`, at the call (never throws: failures are thrown by `finish`, in order). */
  private start(blockBytes: Uint8Array): Job {
    let block: Block;
    try {
      block = parseBlock(blockBytes);
    } catch (err) {
      this.ahead = undefined;
      return { kind: 'unparsed', error: err };
    }
    const { ledger } = this.o;
    const number = block.header.number;
    if (number < ledger.height) return { kind: 'deferred', block }; // ignored in finish; `ahead` stays
    const expected = this.queued.length === 0 ? { next: ledger.height, previousHash: ledger.chainInfo().currentBlockHash } : this.ahead;
    if (expected === undefined || number !== expected.next || !bytesEqual(block.header.previousHash, expected.previousHash)) {
      this.ahead = undefined;
      return { kind: 'deferred', block };
    }
    this.ahead = { next: number + 1, previousHash: blockHeaderHash(block.header) };
    return this.stageOne(block);
  }

  /** Starts the block signature check and prepareBlock, with the resources and the clock as of now. */
  private stageOne(block: Block): Extract<Job, { kind: 'started' }> {
    const resources = this.o.resources();
    const nowMs = this.o.clock.nowMs();
    const askedAtHeight = this.o.ledger.height;
    const signature = verifyBlockSignatures({ block, channelId: this.o.channelId, resources, verify: this.o.verify, nowMs, expectedNumber: block.header.number });
    signature.catch(() => undefined); // awaited in finish
    const prepared = prepareBlock(this.validationInput(block, resources, nowMs));
    return { kind: 'started', block, signature, prepared, askedAtHeight };
  }

  /** Stage 2 of `job`, once every block handed to commit before it has been committed or refused. */
  private async finish(job: Job): Promise<CommittedBlock | undefined> {
    const { channelId, ledger } = this.o;
    if (job.kind === 'unparsed') {
      const err = job.error;
      if (!isFabsimError(err)) throw err;
      throw new BlockRejectedError('BLOCK_REJECTED', `refusing a block of channel ${channelId} that does not parse: ${err.message}`, { cause: err, context: { channel: channelId } });
    }
    const { block } = job;
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
    const started = job.kind === 'started' ? job : this.stageOne(block);
    const signature = await started.signature;
    if (!signature.ok) {
      throw new BlockRejectedError('BLOCK_REJECTED', `refusing block ${number} of channel ${channelId}: ${signature.reason}`, { context: { channel: channelId, number } });
    }
    const validation = await settleBlock(started.prepared, this.committedSince(started.askedAtHeight, number));
    const stored = withTransactionsFilter(block, validation.filter);
    await ledger.commit({ blockBytes: stored, blockNumber: number, transactions: validation.transactions });
    this.remember({ blockNumber: number, transactions: validation.transactions });
    const committed: CommittedBlock = { number, blockBytes: stored, transactions: validation.transactions, stateHash: await this.stateHashAfter(number) };
    this.log(committed);
    for (const listener of this.listeners) listener(committed);
    return committed;
  }

  private validationInput(block: Block, resources: ChannelResources, nowMs: number): ValidateBlockInput {
    const { ledger } = this.o;
    return { block, channelId: this.o.channelId, resources, chaincodes: this.o.chaincodes, state: ledger, txIds: ledger, verify: this.o.verify, nowMs };
  }

  /**
   * The blocks committed from `height` up to block `number` (excluded), which the reads asked at
   * `height` may have missed. Every block is committed through this committer, so they are in
   * `recent`; if one is not (something else committed to the ledger), the reads cannot be
   * corrected and this throws rather than validate against a stale state.
   */
  private committedSince(height: number, number: number): CommittedBlockUpdates[] {
    const since = this.recent.filter((b) => b.blockNumber >= height && b.blockNumber < number);
    if (since.length !== number - height) {
      throw new FabsimError('COMMITTER_STALE_READS', `block ${number} of channel ${this.o.channelId} was prepared at ledger height ${height}, but blocks ${height}..${number - 1} were not all committed by this committer; commit every block of a channel through one Committer`, {
        context: { channel: this.o.channelId, number },
      });
    }
    return since;
  }

  /** Keeps `block` while a queued job's reads may predate it. */
  private remember(block: CommittedBlockUpdates): void {
    if (this.queued.some((j) => j.kind === 'started' && j.askedAtHeight <= block.blockNumber)) this.recent.push(block);
  }

  private settled(job: Job): void {
    const i = this.queued.indexOf(job);
    if (i >= 0) this.queued.splice(i, 1);
    const oldest = Math.min(...this.queued.flatMap((j) => (j.kind === 'started' ? [j.askedAtHeight] : [])));
    this.recent = this.recent.filter((b) => b.blockNumber >= oldest);
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
