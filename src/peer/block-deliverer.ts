import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { messageOf } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { buildSignedSeekEnvelope, SEEK_FOREVER, type DeliverResponse, type SeekInfoInput, type SeekSigner } from '../protos/seek-info.js';

/**
 * The peer's deliver client for one channel (Fabric core/deliverservice and the CFT Deliverer of
 * common/deliverclient/blocksprovider): it keeps pulling blocks from the ordering service and hands
 * them to the committer.
 *
 * - Each session asks one orderer for the blocks from the ledger height on, forever (a signed
 *   SeekInfo: start specified height, stop specified MaxUint64, BLOCK_UNTIL_READY), and passes
 *   every block, in order, to `onBlock` (the committer, which checks the orderer's signature and the
 *   chain, and throws when the block is bad).
 * - Up to `blocksAhead` blocks are handed to `onBlock` before the first of them is committed (a
 *   bounded look-ahead: the stream is not read further while that many are outstanding).
 * - A session ends when the stream fails, ends, answers a status (even SUCCESS: this seek never
 *   completes), when `onBlock` throws (the block is bad, or the peer could not commit it), or when
 *   no block arrived for `stallTimeoutMs`. A refused block aborts the stream at once; the blocks
 *   handed over after it are not committed (the committer refuses them, as they are not the next
 *   one) and the session ends once every outstanding onBlock call has settled. Then the deliverer moves to the next orderer endpoint
 *   (round robin over `endpoints()`, re-read each time so config updates apply; Fabric picks one at
 *   random) after a backoff, and resumes from the ledger height again, so nothing is skipped and a
 *   restarted peer resumes from its ledger.
 * - Backoff: `initialRetryDelayMs * backoffFactor^(failures - 1)`, at most `maxRetryDelayMs`, as
 *   Fabric's DeliverBlocks; a block committed resets the failure count (Fabric's onSuccess).
 * - `stop()` aborts the stream at once and resolves when the loop has exited (after the blocks being
 *   committed, if any: a commit is never abandoned halfway).
 *
 * Not modelled: Fabric's BFT censorship monitor and header receivers, TLS-binding of the seek
 * (tls_cert_hash), giving up after peer.deliveryclient.reconnectTotalTimeThreshold, and gossip
 * leader election (every peer pulls from the orderers itself).
 */

/** A Deliver stream to one orderer: its blocks, and the final status if it sends one. */
export interface OrdererDeliverConnector {
  /**
   * Opens `orderer.AtomicBroadcast.Deliver` on `address` with the signed request `envelope`, and
   * yields the responses until the orderer ends the stream; a transport failure throws. Aborting
   * `signal` cancels the stream (the iterator then ends or throws).
   */
  deliver(address: string, envelope: Uint8Array, signal: AbortSignal): AsyncIterable<DeliverResponse>;
}

/**
 * Timers, injected. Structurally the orderer's Scheduler (src/orderer/scheduler.ts), so its
 * ManualScheduler and src/node's TimerScheduler both serve; declared here so the peer does not
 * depend on the orderer.
 */
export interface DelivererScheduler {
  setTimeout(fn: () => void, ms: number): number;
  clearTimeout(id: number): void;
}

export interface BlockDelivererOptions {
  readonly channelId: string;
  /** The ledger height now: the number of the next block to commit. */
  readonly height: () => number;
  /**
   * The orderer endpoints (`host:port`) to pull from, in the order to try them: the caller reads them
   * from the channel config (each orderer organization's `endpoints`).
   */
  readonly endpoints: () => readonly string[];
  /** The peer's signing identity (its local MSP): the orderer checks it against the channel's Readers. src/msp SigningIdentity satisfies it. */
  readonly signer: DeliverSigner;
  /** Timestamps the requests (the orderer refuses one outside its time window). */
  readonly clock: Clock;
  /** The signature header's nonce; default 24 random bytes. */
  readonly nonce?: () => Uint8Array;
  /**
   * Commits one block; throws when the block is refused (then the deliverer changes orderer). With
   * `blocksAhead` > 1 it is called again before the previous call resolved, so it must commit in
   * call order and must not commit a block after one it refused (Committer.commit does both).
   */
  readonly onBlock: (block: Uint8Array) => Promise<void>;
  /**
   * How many onBlock calls may be outstanding: the deliverer reads up to this many blocks ahead of
   * the commit (so the committer validates the next blocks while one commits). Default 1: each
   * block is committed before the next is read.
   */
  readonly blocksAhead?: number;
  readonly connector: OrdererDeliverConnector;
  readonly scheduler: DelivererScheduler;
  readonly logger: Logger;
  /** First retry delay. Default 100 ms (Fabric's). */
  readonly initialRetryDelayMs?: number;
  /** Growth of the delay per consecutive failure. Default 2 (Fabric: 1.2). */
  readonly backoffFactor?: number;
  /** Longest delay. Default 10 s (Fabric's reConnectBackoffThreshold is an hour). */
  readonly maxRetryDelayMs?: number;
  /** Reconnect elsewhere when no block arrived for this long; undefined (the default) never does, since a quiet channel cuts no blocks. */
  readonly stallTimeoutMs?: number;
}

/** Who signs the Deliver requests (a SigningIdentity). */
export type DeliverSigner = SeekSigner;

/** The Deliver request of a session: every block from `height` on, waiting for blocks not yet cut. */
export function seekFromHeight(height: number): SeekInfoInput {
  return { start: { kind: 'specified', number: height }, stop: SEEK_FOREVER, behavior: 'BLOCK_UNTIL_READY', contentType: 'BLOCK' };
}

/** Why a session ended: `committed` blocks were committed during it. */
interface SessionEnd {
  readonly reason: string;
  readonly committed: number;
}

export class BlockDeliverer {
  private running: Promise<void> | undefined;
  private stopping = false;
  private session: AbortController | undefined;
  private wake: (() => void) | undefined;
  private current: string | undefined;

  constructor(private readonly o: BlockDelivererOptions) {}

  /** The orderer the current session pulls from; undefined between sessions. */
  get currentEndpoint(): string | undefined {
    return this.current;
  }

  /** Starts pulling; does nothing when already running. */
  start(): void {
    if (this.running !== undefined) return;
    this.stopping = false;
    this.running = this.loop()
      .catch((err: unknown) => this.o.logger.error('deliver stopped by an unexpected error', { channel: this.o.channelId, error: messageOf(err) }))
      .finally(() => {
        this.running = undefined;
      });
  }

  /** Aborts the stream and any wait; resolves once the loop has exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.session?.abort();
    this.wake?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    const { channelId, logger } = this.o;
    let failures = 0;
    let next = 0;
    while (!this.stopping) {
      if (failures > 0) {
        await this.sleep(this.retryDelayMs(failures));
        if (this.stopping) break;
      }
      const endpoints = this.o.endpoints();
      const address = endpoints[next % Math.max(1, endpoints.length)];
      next = (next + 1) % Math.max(1, endpoints.length);
      if (address === undefined) {
        failures++;
        logger.warn('deliver has no orderer', { channel: channelId, retryInMs: this.retryDelayMs(failures), hint: 'the channel config lists no orderer endpoints' });
        continue;
      }
      const end = await this.runSession(address);
      if (this.stopping) break;
      failures = end.committed > 0 ? 1 : failures + 1;
      const upcoming = this.o.endpoints();
      logger.warn('deliver switching orderer', {
        channel: channelId,
        orderer: address,
        reason: end.reason,
        next: upcoming[next % Math.max(1, upcoming.length)],
        retryInMs: this.retryDelayMs(failures),
      });
    }
    this.current = undefined;
  }

  private retryDelayMs(failures: number): number {
    const initial = this.o.initialRetryDelayMs ?? 100;
    const max = this.o.maxRetryDelayMs ?? 10_000;
    return Math.min(max, initial * (this.o.backoffFactor ?? 2) ** Math.max(0, failures - 1));
  }

  /** One Deliver stream to `address`, from the ledger height on, until it ends for a reason. */
  private async runSession(address: string): Promise<SessionEnd> {
    const { channelId, logger } = this.o;
    const abort = new AbortController();
    this.session = abort;
    this.current = address;
    let stalled = false;
    let stallTimer: number | undefined;
    const armStall = (): void => {
      if (this.o.stallTimeoutMs === undefined) return;
      if (stallTimer !== undefined) this.o.scheduler.clearTimeout(stallTimer);
      stallTimer = this.o.scheduler.setTimeout(() => {
        stalled = true;
        abort.abort();
      }, this.o.stallTimeoutMs);
    };
    let height = 0;
    const handed = new HandedBlocks(this.o.onBlock, Math.max(1, Math.floor(this.o.blocksAhead ?? 1)), () => height, abort);
    try {
      height = this.o.height();
      const nonce = this.o.nonce?.() ?? new Uint8Array(randomBytes(24));
      const request = buildSignedSeekEnvelope(this.o.signer, channelId, seekFromHeight(height), this.o.clock.nowMs(), nonce);
      logger.info('deliver connecting', { channel: channelId, orderer: address, fromBlock: height });
      armStall();
      for await (const response of this.o.connector.deliver(address, request, abort.signal)) {
        if (abort.signal.aborted) break;
        if (response.kind === 'status') {
          const refused = await handed.drain();
          if (refused !== undefined) return { reason: refused, committed: handed.committed };
          const why = response.status === 'SUCCESS' ? 'it answered SUCCESS to a seek that never completes' : `it answered ${response.status}`;
          return { reason: `${why} for blocks from ${height + handed.committed}`, committed: handed.committed };
        }
        if (stallTimer !== undefined) this.o.scheduler.clearTimeout(stallTimer);
        handed.hand(response.block);
        const refused = await handed.makeRoom();
        if (refused !== undefined) return { reason: refused, committed: handed.committed };
        if (this.stopping) break;
        armStall();
      }
      const refused = await handed.drain();
      if (refused !== undefined) return { reason: refused, committed: handed.committed };
      return { reason: this.abortReason(stalled, height + handed.committed) ?? `it ended the stream without a status after ${handed.committed} block(s)`, committed: handed.committed };
    } catch (err) {
      const refused = await handed.drain();
      if (refused !== undefined) return { reason: refused, committed: handed.committed };
      return { reason: this.abortReason(stalled, height + handed.committed) ?? `the stream failed: ${messageOf(err)}`, committed: handed.committed };
    } finally {
      if (stallTimer !== undefined) this.o.scheduler.clearTimeout(stallTimer);
      abort.abort();
      this.session = undefined;
      this.current = undefined;
    }
  }

  private abortReason(stalled: boolean, height: number): string | undefined {
    if (this.stopping) return 'the deliverer stopped';
    if (stalled) return `no block arrived for ${this.o.stallTimeoutMs} ms while waiting for block ${height}`;
    return undefined;
  }

  /** Waits `ms` on the scheduler; stop() cuts the wait short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const id = this.o.scheduler.setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        this.o.scheduler.clearTimeout(id);
        this.wake = undefined;
        resolve();
      };
    });
  }
}

/**
 * The blocks of one session handed to onBlock and not yet settled, oldest first, at most `ahead`
 * of them. Outcomes are taken in hand-over order: `committed` counts the blocks committed before
 * the first refusal. A refusal aborts the session's stream at once (`abort`).
 */
class HandedBlocks {
  private readonly pending: Array<Promise<{ readonly ok: true } | { readonly ok: false; readonly error: unknown }>> = [];
  private refusedAny = false;
  committed = 0;

  constructor(
    private readonly onBlock: (block: Uint8Array) => Promise<void>,
    private readonly ahead: number,
    private readonly height: () => number,
    private readonly abort: AbortController,
  ) {}

  hand(block: Uint8Array): void {
    let run: Promise<void>;
    try {
      run = this.onBlock(block);
    } catch (err) {
      run = Promise.reject(err);
    }
    this.pending.push(
      run.then(
        () => ({ ok: true }) as const,
        (error: unknown) => {
          this.refusedAny = true;
          this.abort.abort();
          return { ok: false, error } as const;
        },
      ),
    );
  }

  /** Waits until fewer than `ahead` blocks are outstanding (none after a refusal); returns the refusal, if any. */
  async makeRoom(): Promise<string | undefined> {
    while (this.pending.length >= this.ahead || (this.refusedAny && this.pending.length > 0)) {
      const refused = await this.settleOldest();
      if (refused !== undefined) return refused;
    }
    return undefined;
  }

  /** Waits for every outstanding block; returns the first refusal, if any. */
  async drain(): Promise<string | undefined> {
    while (this.pending.length > 0) {
      const refused = await this.settleOldest();
      if (refused !== undefined) return refused;
    }
    return undefined;
  }

  private async settleOldest(): Promise<string | undefined> {
    const outcome = await this.pending.shift();
    if (outcome === undefined || outcome.ok) {
      if (outcome !== undefined) this.committed++;
      return undefined;
    }
    await Promise.all(this.pending.splice(0)); // the later blocks: refused by the committer, or not ours to abandon
    return `the block after height ${this.height() + this.committed} was refused: ${messageOf(outcome.error)}`;
  }
}
