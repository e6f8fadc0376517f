import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import { assert } from '../core/assert.js';
import { FabsimError, isFabsimError, messageOf } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { realChaincodeTimers, type ChaincodeTimers } from '../peer/chaincode/chaincode-timers.js';
import { ChaincodeProcess, type ChaincodeExit, type ChaincodeProcessSpec, type ChaincodeTls } from './chaincode-process.js';

/**
 * Keeps a peer's chaincode processes running: the part of Fabric's chaincode runtime
 * (core/chaincode RuntimeLauncher over the container runtime) that starts a chaincode package and
 * notices when its container exits.
 *
 * Fabric launches a chaincode container on demand (the first transaction that needs a chaincode not
 * registered yet starts it and waits for REGISTER, chaincode.startuptimeout) and so relaunches a
 * crashed chaincode at its next invocation. fabsim starts every chaincode the network file lists when
 * the peer starts, as Node processes (ChaincodeProcess), and restarts one that exits on its own, so a
 * chaincode is registered before the first proposal needs it.
 *
 * Contracts:
 * - `start()` spawns one process per distinct chaincodeIdName (several channels may list the same
 *   package: it runs once); two entries with one name and different package directories are a
 *   configuration error (CHAINCODE_LAUNCH_CONFLICT, thrown by the constructor).
 * - A process that exits while the launcher runs is logged as 'chaincode exited' (warn: code, signal,
 *   the last lines of its log) and restarted after a backoff: `initialMs` (500 ms), doubling on each
 *   consecutive crash up to `maxMs` (10 s). The backoff starts over once a process has run
 *   `resetAfterMs` (30 s) or has registered with the peer (when a `registry` is given).
 * - A launch that fails (ChaincodeLaunchError: an invalid package, a process that does not spawn) is
 *   logged as 'chaincode launch failed' (error) and retried every `maxMs`, never in a tight loop.
 * - With a `registry`, a process that does not register within `registrationTimeoutMs` is logged as
 *   'chaincode did not register' (warn, with its log's last lines); it is left running.
 * - The transactions a dead process was running fail in the peer's ChaincodeHandler (its stream
 *   ends: CHAINCODE_DISCONNECTED); the launcher only deals with processes.
 * - `stop()` stops restarting, sends SIGTERM to every process (by PID), SIGKILL to those still alive
 *   after `stopGraceMs`, and resolves once all have exited. A stopped launcher does not start again.
 * - Every timer (backoff, reset, SIGKILL grace) goes through the injected `timers`; processes come
 *   from the injected `spawn` (ChaincodeProcess.start by default).
 */
export interface ChaincodeLaunchSpec {
  /** CORE_CHAINCODE_ID_NAME: the name the chaincode registers with, e.g. 'basic:1.0' or a package id. */
  readonly chaincodeIdName: string;
  /** The chaincode package directory (absolute). */
  readonly packageDir: string;
  /** Where the process's stdout and stderr are appended (across restarts). */
  readonly logFile: string;
  readonly launcher?: ChaincodeProcessSpec['launcher'];
  readonly env?: ChaincodeProcessSpec['env'];
}

/** What the launcher needs of a running chaincode process; ChaincodeProcess is one. */
export interface LaunchedChaincode {
  readonly pid: number;
  readonly running: boolean;
  /** Resolves (never rejects) once the process is gone. */
  readonly exited: Promise<ChaincodeExit>;
  /** Signals the process by PID; resolves once it has exited. */
  kill(signal?: NodeJS.Signals): Promise<ChaincodeExit>;
}

/** Starts one process; throws ChaincodeLaunchError when it cannot. */
export type ChaincodeSpawn = (spec: ChaincodeProcessSpec) => LaunchedChaincode;

/** The peer's ChaincodeRegistry, as far as the launcher watches it. */
export interface ChaincodeRegistrationWatch {
  waitForRegistration(name: string, timeoutMs: number, signal?: AbortSignal): Promise<unknown>;
}

export interface ChaincodeBackoff {
  /** The delay before the first restart after a crash. */
  readonly initialMs: number;
  /** The longest delay; also the delay before retrying a launch that failed. */
  readonly maxMs: number;
  /** A process that ran this long resets the backoff. */
  readonly resetAfterMs: number;
}

export const DEFAULT_CHAINCODE_BACKOFF: ChaincodeBackoff = { initialMs: 500, maxMs: 10_000, resetAfterMs: 30_000 };
export const DEFAULT_CHAINCODE_STOP_GRACE_MS = 2000;
export const DEFAULT_CHAINCODE_REGISTRATION_TIMEOUT_MS = 60_000;
const LOG_TAIL_LINES = 20;
const LOG_TAIL_BYTES = 8192;

export interface ChaincodeExitEvent {
  readonly chaincodeIdName: string;
  readonly pid: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** False when stop() ended it. */
  readonly unexpected: boolean;
  /** The delay before the restart; undefined when it is not restarted (stopping). */
  readonly restartInMs: number | undefined;
  /** Restarts so far (not counting the one scheduled now). */
  readonly restarts: number;
  /** The last lines of its log file. */
  readonly logTail: string;
}

export interface ChaincodeLauncherOptions {
  readonly chaincodes: readonly ChaincodeLaunchSpec[];
  /** The peer's ChaincodeSupport endpoint, host:port (CORE_PEER_ADDRESS). */
  readonly peerAddress: string;
  readonly tls?: ChaincodeTls;
  /** CORE_PEER_LOCALMSPID. */
  readonly mspId?: string;
  readonly logger?: Logger;
  /** Backoff, reset and SIGKILL-grace timers (default: Node's, unref'd). */
  readonly timers?: ChaincodeTimers;
  /** Default: ChaincodeProcess.start. */
  readonly spawn?: ChaincodeSpawn;
  /** When given, registration resets the backoff and a missing registration is logged. */
  readonly registry?: ChaincodeRegistrationWatch;
  readonly registrationTimeoutMs?: number;
  readonly backoff?: Partial<ChaincodeBackoff>;
  readonly stopGraceMs?: number;
  /** Called on every exit, expected or not, after it is logged. */
  readonly onExit?: (event: ChaincodeExitEvent) => void;
}

export interface ChaincodeLaunchStatus {
  readonly chaincodeIdName: string;
  /** The running process's PID; undefined while it is down (waiting to restart, or stopped). */
  readonly pid: number | undefined;
  /** Times the launcher started it again after an exit or a failed launch. */
  readonly restarts: number;
  /** The running process has registered with the peer (only known with a registry). */
  readonly registered: boolean;
  readonly lastExit: ChaincodeExit | undefined;
  /** Why the last launch failed, when it did. */
  readonly lastLaunchError: string | undefined;
}

export class ChaincodeLaunchConflictError extends FabsimError<'CHAINCODE_LAUNCH_CONFLICT'> {}

interface Slot {
  readonly spec: ChaincodeLaunchSpec;
  process: LaunchedChaincode | undefined;
  restarts: number;
  /** Consecutive crashes since the backoff was last reset. */
  crashes: number;
  registered: boolean;
  restartTimer: unknown;
  resetTimer: unknown;
  registration: AbortController | undefined;
  lastExit: ChaincodeExit | undefined;
  lastLaunchError: string | undefined;
}

export class ChaincodeLauncher {
  private readonly slots: Slot[] = [];
  private readonly logger: Logger;
  private readonly timers: ChaincodeTimers;
  private readonly spawn: ChaincodeSpawn;
  private readonly backoff: ChaincodeBackoff;
  private readonly stopGraceMs: number;
  private readonly registrationTimeoutMs: number;
  private started = false;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: ChaincodeLauncherOptions) {
    this.logger = options.logger ?? silentLogger;
    this.timers = options.timers ?? realChaincodeTimers;
    this.spawn = options.spawn ?? ((spec) => ChaincodeProcess.start(spec));
    this.backoff = { ...DEFAULT_CHAINCODE_BACKOFF, ...options.backoff };
    this.stopGraceMs = options.stopGraceMs ?? DEFAULT_CHAINCODE_STOP_GRACE_MS;
    this.registrationTimeoutMs = options.registrationTimeoutMs ?? DEFAULT_CHAINCODE_REGISTRATION_TIMEOUT_MS;
    const byName = new Map<string, Slot>();
    for (const spec of options.chaincodes) {
      const existing = byName.get(spec.chaincodeIdName);
      if (existing !== undefined) {
        if (resolve(existing.spec.packageDir) !== resolve(spec.packageDir)) {
          throw new ChaincodeLaunchConflictError(
            'CHAINCODE_LAUNCH_CONFLICT',
            `chaincode ${spec.chaincodeIdName} is listed twice with different packages (${existing.spec.packageDir} and ${spec.packageDir}); ` +
              'one chaincode id runs one package: give the other chaincode its own name or version',
            { context: { chaincode: spec.chaincodeIdName } },
          );
        }
        continue;
      }
      const slot: Slot = {
        spec,
        process: undefined,
        restarts: 0,
        crashes: 0,
        registered: false,
        restartTimer: undefined,
        resetTimer: undefined,
        registration: undefined,
        lastExit: undefined,
        lastLaunchError: undefined,
      };
      byName.set(spec.chaincodeIdName, slot);
      this.slots.push(slot);
    }
  }

  /** Spawns every chaincode (once; later calls do nothing). */
  start(): void {
    assert(this.stopping === undefined, 'ChaincodeLauncher.start after stop: a stopped launcher does not start again');
    if (this.started) return;
    this.started = true;
    for (const slot of this.slots) this.launch(slot);
  }

  /** Stops restarting and ends every process: SIGTERM, then SIGKILL after `graceMs`. Idempotent. */
  stop(graceMs = this.stopGraceMs): Promise<void> {
    return (this.stopping ??= (async () => {
      for (const slot of this.slots) {
        this.clearRestart(slot);
        this.forgetRun(slot);
      }
      await Promise.all(this.slots.map(async (slot) => (slot.process === undefined ? undefined : this.terminate(slot.process, graceMs))));
    })());
  }

  /** The PIDs of the running processes, by chaincodeIdName. */
  pids(): ReadonlyMap<string, number> {
    const pids = new Map<string, number>();
    for (const slot of this.slots) if (slot.process !== undefined) pids.set(slot.spec.chaincodeIdName, slot.process.pid);
    return pids;
  }

  /** Times `chaincodeIdName` was started again (0 for an unknown name). */
  restarts(chaincodeIdName: string): number {
    return this.slots.find((s) => s.spec.chaincodeIdName === chaincodeIdName)?.restarts ?? 0;
  }

  status(): ChaincodeLaunchStatus[] {
    return this.slots.map((slot) => ({
      chaincodeIdName: slot.spec.chaincodeIdName,
      pid: slot.process?.pid,
      restarts: slot.restarts,
      registered: slot.registered,
      lastExit: slot.lastExit,
      lastLaunchError: slot.lastLaunchError,
    }));
  }

  // ---- one chaincode --------------------------------------------------------------------------

  private launch(slot: Slot): void {
    if (this.stopping !== undefined) return;
    const { spec } = slot;
    const name = spec.chaincodeIdName;
    let proc: LaunchedChaincode;
    try {
      proc = this.spawn({
        packageDir: spec.packageDir,
        chaincodeIdName: name,
        peerAddress: this.options.peerAddress,
        logFile: spec.logFile,
        ...(this.options.tls === undefined ? {} : { tls: this.options.tls }),
        ...(this.options.mspId === undefined ? {} : { mspId: this.options.mspId }),
        ...(spec.launcher === undefined ? {} : { launcher: spec.launcher }),
        ...(spec.env === undefined ? {} : { env: spec.env }),
      });
    } catch (err) {
      slot.lastLaunchError = messageOf(err);
      const retryInMs = this.backoff.maxMs;
      this.logger.error('chaincode launch failed', {
        chaincode: name,
        packageDir: spec.packageDir,
        code: isFabsimError(err) ? err.code : undefined,
        error: slot.lastLaunchError,
        retryInMs,
      });
      this.scheduleRestart(slot, retryInMs);
      return;
    }
    slot.process = proc;
    slot.registered = false;
    slot.lastLaunchError = undefined;
    this.logger.info('chaincode started', { chaincode: name, pid: proc.pid, restarts: slot.restarts, logFile: spec.logFile });
    slot.resetTimer = this.timers.setTimeout(() => {
      slot.resetTimer = undefined;
      if (slot.process === proc) slot.crashes = 0;
    }, this.backoff.resetAfterMs);
    this.watchRegistration(slot, proc);
    void proc.exited.then((exit) => this.exited(slot, proc, exit));
  }

  private watchRegistration(slot: Slot, proc: LaunchedChaincode): void {
    const registry = this.options.registry;
    if (registry === undefined) return;
    const name = slot.spec.chaincodeIdName;
    const abort = new AbortController();
    slot.registration = abort;
    registry.waitForRegistration(name, this.registrationTimeoutMs, abort.signal).then(
      () => {
        if (slot.process !== proc || abort.signal.aborted) return;
        slot.registered = true;
        slot.crashes = 0;
        this.logger.debug('chaincode process registered', { chaincode: name, pid: proc.pid });
      },
      (err: unknown) => {
        if (slot.process !== proc || abort.signal.aborted) return;
        this.logger.warn('chaincode did not register', { chaincode: name, pid: proc.pid, error: messageOf(err), log: logTail(slot.spec.logFile) });
      },
    );
  }

  private exited(slot: Slot, proc: LaunchedChaincode, exit: ChaincodeExit): void {
    if (slot.process !== proc) return;
    this.forgetRun(slot);
    slot.process = undefined;
    slot.registered = false;
    slot.lastExit = exit;
    const name = slot.spec.chaincodeIdName;
    const tail = logTail(slot.spec.logFile);
    const fields = { chaincode: name, pid: proc.pid, code: exit.code ?? undefined, signal: exit.signal ?? undefined };
    if (this.stopping !== undefined) {
      this.logger.info('chaincode stopped', fields);
      this.notifyExit({ chaincodeIdName: name, pid: proc.pid, ...exit, unexpected: false, restartInMs: undefined, restarts: slot.restarts, logTail: tail });
      return;
    }
    const restartInMs = Math.min(this.backoff.initialMs * 2 ** slot.crashes, this.backoff.maxMs);
    slot.crashes++;
    this.logger.warn('chaincode exited', { ...fields, restartInMs, restarts: slot.restarts, log: tail });
    this.notifyExit({ chaincodeIdName: name, pid: proc.pid, ...exit, unexpected: true, restartInMs, restarts: slot.restarts, logTail: tail });
    this.scheduleRestart(slot, restartInMs);
  }

  private scheduleRestart(slot: Slot, delayMs: number): void {
    if (this.stopping !== undefined) return;
    this.clearRestart(slot);
    slot.restartTimer = this.timers.setTimeout(() => {
      slot.restartTimer = undefined;
      if (this.stopping !== undefined) return;
      slot.restarts++;
      this.launch(slot);
    }, delayMs);
  }

  private clearRestart(slot: Slot): void {
    if (slot.restartTimer === undefined) return;
    this.timers.clearTimeout(slot.restartTimer);
    slot.restartTimer = undefined;
  }

  /** Cancels what belongs to the current run: its reset timer and its registration watch. */
  private forgetRun(slot: Slot): void {
    if (slot.resetTimer !== undefined) this.timers.clearTimeout(slot.resetTimer);
    slot.resetTimer = undefined;
    slot.registration?.abort();
    slot.registration = undefined;
  }

  private async terminate(proc: LaunchedChaincode, graceMs: number): Promise<void> {
    if (!proc.running) {
      await proc.exited;
      return;
    }
    void proc.kill('SIGTERM');
    const timer = this.timers.setTimeout(() => void proc.kill('SIGKILL'), graceMs);
    try {
      await proc.exited;
    } finally {
      this.timers.clearTimeout(timer);
    }
  }

  private notifyExit(event: ChaincodeExitEvent): void {
    try {
      this.options.onExit?.(event);
    } catch (err) {
      this.logger.error('chaincode onExit hook failed', { chaincode: event.chaincodeIdName, error: messageOf(err) });
    }
  }
}

/** The last lines of a log file ('' when there is none): at most LOG_TAIL_LINES, from its last LOG_TAIL_BYTES. */
export function logTail(path: string, maxLines = LOG_TAIL_LINES): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, LOG_TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    let lines = buffer.toString('utf8').split('\n');
    if (length < size) lines = lines.slice(1); // the first line is cut
    lines = lines.map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
    return lines.slice(-maxLines).join('\n');
  } catch {
    return '';
  } finally {
    closeSync(fd);
  }
}
