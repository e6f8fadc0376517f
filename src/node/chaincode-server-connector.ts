import { messageOf } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { RegisteredChaincode } from '../peer/chaincode/chaincode-registry.js';
import { realChaincodeTimers, type ChaincodeTimers } from '../peer/chaincode/chaincode-timers.js';

/**
 * Keeps one chaincode-as-a-service chaincode connected to this peer: dials its server
 * (protos.Chaincode/Connect, src/transport/grpc/chaincode-connect-client.ts), and dials again whenever
 * the stream ends or the dial fails. Fabric's peer dials a ccaas chaincode when it launches it (the
 * first transaction, or a restart) and launches it again after the stream ends; fabsim keeps the
 * connection up instead, so a chaincode server restarted by the developer is back without a transaction
 * having to fail first.
 *
 * Contract:
 * - `start` dials at once. An attempt that fails (the dialer throws, or the stream ends before the
 *   chaincode is READY, or it is not READY within `registerTimeoutMs`, or it registered under another
 *   name than `expectedChaincodeId`) is retried after a delay that starts at `initialBackoffMs` (250 ms)
 *   and doubles up to `maxBackoffMs` (5 s). A chaincode that reaches READY resets the delay: when its
 *   stream ends, the next dial comes after `initialBackoffMs`.
 * - Logs 'chaincode connected' (info) at READY and 'chaincode disconnected' (info) with the reason when
 *   a READY connection ends; a failed attempt logs 'chaincode connection failed' (warn for the first of
 *   a series, debug for the ones that follow).
 * - `stop` cancels the pending retry, closes the current connection and resolves once it has ended;
 *   nothing is dialled after it. Timers are injected (ChaincodeTimers), so tests decide when time passes.
 */

/** One dialled connection, as the connector sees it (a ChaincodeConnection satisfies it). */
export interface ChaincodeSession<H extends RegisteredChaincode = RegisteredChaincode> {
  /** Resolves with the READY chaincode, or undefined when the stream ended first. Never rejects. */
  readonly registered: Promise<H | undefined>;
  /** Resolves with the reason when the stream has ended. Never rejects. */
  readonly ended: Promise<{ readonly reason: string }>;
  close(reason?: string): void;
}

/** Opens one connection; may throw (counted as a failed attempt). */
export type ChaincodeDialer<H extends RegisteredChaincode = RegisteredChaincode> = () => ChaincodeSession<H>;

export interface ChaincodeServerConnectorOptions<H extends RegisteredChaincode = RegisteredChaincode> {
  /** The chaincode server's address, for the logs. */
  readonly address: string;
  readonly dial: ChaincodeDialer<H>;
  /** The name the chaincode must register with (its package id); a connection registered otherwise is closed. */
  readonly expectedChaincodeId?: string;
  readonly logger?: Logger;
  readonly timers?: ChaincodeTimers;
  /** Default 250 ms. */
  readonly initialBackoffMs?: number;
  /** Default 5 s. */
  readonly maxBackoffMs?: number;
  /** How long a connection may take to reach READY (Fabric's chaincode.startuptimeout); default 30 s. */
  readonly registerTimeoutMs?: number;
  /** A connection reached READY. */
  readonly onConnected?: (chaincode: H) => void;
  /** A connection or attempt ended; `retryInMs` is undefined once stopped. */
  readonly onDisconnected?: (event: ChaincodeDisconnect) => void;
}

export interface ChaincodeDisconnect {
  readonly reason: string;
  /** The chaincode had been READY on this connection. */
  readonly wasConnected: boolean;
  /** The chaincode id it registered with ('' when it never did). */
  readonly chaincodeId: string;
  /** When the next dial comes; undefined after stop. */
  readonly retryInMs: number | undefined;
}

export type ChaincodeConnectorState = 'idle' | 'connecting' | 'connected' | 'waiting' | 'stopped';

export const DEFAULT_INITIAL_BACKOFF_MS = 250;
export const DEFAULT_MAX_BACKOFF_MS = 5000;
export const DEFAULT_REGISTER_TIMEOUT_MS = 30_000;

interface Attempt<H extends RegisteredChaincode> {
  readonly session: ChaincodeSession<H>;
  chaincode: H | undefined;
  /** READY under the expected name: the delay was reset. */
  accepted: boolean;
  registerTimer: unknown;
  readonly ended: Promise<void>;
}

export class ChaincodeServerConnector<H extends RegisteredChaincode = RegisteredChaincode> {
  private currentState: ChaincodeConnectorState = 'idle';
  private current: Attempt<H> | undefined;
  private retryTimer: unknown;
  private delayMs: number;
  private failures = 0;
  private dials = 0;
  private readonly logger: Logger;
  private readonly timers: ChaincodeTimers;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly registerTimeoutMs: number;

  constructor(private readonly options: ChaincodeServerConnectorOptions<H>) {
    this.logger = options.logger ?? silentLogger;
    this.timers = options.timers ?? realChaincodeTimers;
    this.initialBackoffMs = options.initialBackoffMs ?? DEFAULT_INITIAL_BACKOFF_MS;
    this.maxBackoffMs = Math.max(options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS, this.initialBackoffMs);
    this.registerTimeoutMs = options.registerTimeoutMs ?? DEFAULT_REGISTER_TIMEOUT_MS;
    this.delayMs = this.initialBackoffMs;
  }

  get state(): ChaincodeConnectorState {
    return this.currentState;
  }

  /** The READY chaincode of the current connection, if any. */
  get chaincode(): H | undefined {
    return this.current?.accepted ? this.current.chaincode : undefined;
  }

  /** Dials made so far. */
  get attempts(): number {
    return this.dials;
  }

  /** Starts dialling (once; later calls do nothing). */
  start(): void {
    if (this.currentState !== 'idle') return;
    this.dial();
  }

  /** Stops retrying and closes the current connection; resolves once it has ended. */
  async stop(): Promise<void> {
    if (this.currentState === 'stopped') return this.current?.ended;
    this.currentState = 'stopped';
    this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const attempt = this.current;
    if (attempt === undefined) return;
    attempt.session.close('the peer stopped the chaincode connector');
    await attempt.ended;
  }

  private dial(): void {
    this.retryTimer = undefined;
    if (this.currentState === 'stopped') return;
    this.currentState = 'connecting';
    this.dials++;
    let session: ChaincodeSession<H>;
    try {
      session = this.options.dial();
    } catch (err) {
      this.current = undefined;
      this.afterEnd({ reason: `the dial failed: ${messageOf(err)}`, wasConnected: false, chaincodeId: '' });
      return;
    }
    let endAttempt!: () => void;
    const attempt: Attempt<H> = { session, chaincode: undefined, accepted: false, registerTimer: undefined, ended: new Promise((r) => (endAttempt = r)) };
    this.current = attempt;
    attempt.registerTimer = this.timers.setTimeout(
      () => session.close(`the chaincode at ${this.options.address} did not register within ${this.registerTimeoutMs} ms (is it a chaincode server, and do its TLS settings match?)`),
      this.registerTimeoutMs,
    );
    void session.registered.then((chaincode) => {
      if (chaincode === undefined) return;
      this.timers.clearTimeout(attempt.registerTimer);
      attempt.chaincode = chaincode;
      this.accept(attempt, chaincode);
    });
    void session.ended.then(({ reason }) => {
      this.timers.clearTimeout(attempt.registerTimer);
      if (this.current === attempt) this.current = undefined;
      this.afterEnd({ reason, wasConnected: attempt.accepted, chaincodeId: attempt.chaincode?.chaincodeId ?? '' });
      endAttempt();
    });
  }

  private accept(attempt: Attempt<H>, chaincode: H): void {
    const expected = this.options.expectedChaincodeId;
    if (expected !== undefined && chaincode.chaincodeId !== expected) {
      attempt.session.close(
        `the chaincode registered as ${chaincode.chaincodeId}, but this peer expects ${expected}: start the chaincode server with --chaincode-id (CHAINCODE_ID) ${expected}`,
      );
      return;
    }
    if (this.current !== attempt || this.currentState === 'stopped') return;
    attempt.accepted = true;
    this.currentState = 'connected';
    this.delayMs = this.initialBackoffMs;
    this.failures = 0;
    this.logger.info('chaincode connected', { chaincode: chaincode.chaincodeId, address: this.options.address, attempt: this.dials });
    this.options.onConnected?.(chaincode);
  }

  private afterEnd(end: Omit<ChaincodeDisconnect, 'retryInMs'>): void {
    const stopped = this.currentState === 'stopped';
    let retryInMs: number | undefined;
    if (!stopped) {
      retryInMs = this.delayMs;
      this.delayMs = Math.min(this.delayMs * 2, this.maxBackoffMs);
      this.currentState = 'waiting';
      this.retryTimer = this.timers.setTimeout(() => this.dial(), retryInMs);
    }
    const fields = { chaincode: end.chaincodeId || undefined, address: this.options.address, reason: end.reason, retryInMs };
    if (end.wasConnected) {
      this.logger.info('chaincode disconnected', fields);
    } else {
      this.failures++;
      const log = this.failures === 1 && !stopped ? this.logger.warn : this.logger.debug;
      log.call(this.logger, 'chaincode connection failed', { ...fields, failures: this.failures });
    }
    this.options.onDisconnected?.({ ...end, retryInMs });
  }
}
