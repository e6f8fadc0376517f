import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { FabsimError } from '../core/errors.js';

/**
 * A fabsim node (orderer or peer) running as its own child process, as Fabric runs each node in its
 * own container. The launcher starts it, waits until it reports ready, and stops it by PID.
 *
 * Contract with the node: it writes one log line per event to stdout (which goes to its log file);
 * a line containing `readyMarker` means it serves requests. `stop()` sends SIGTERM and escalates to
 * SIGKILL after `graceMs`; `kill()` is SIGKILL at once (a crash, for fault injection). A node that
 * fails to become ready is killed before `start` rejects.
 */
export interface NodeProcessSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Where stdout and stderr go; the file is appended to. */
  readonly logFile: string;
  /** A substring of the log line that means "ready". */
  readonly readyMarker: string;
  readonly readyTimeoutMs: number;
  /** Detached processes outlive the launcher (`fabsim up`); attached ones die with it (tests). */
  readonly detached?: boolean;
}

export class LaunchError extends FabsimError<'NODE_START_FAILED' | 'NODE_START_TIMEOUT'> {}

export class NodeProcess {
  private exitCode: number | null | undefined;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly spec: NodeProcessSpec,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitCode = code;
        resolve({ code, signal });
      });
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** Starts the process and resolves once its log shows the ready marker. */
  static async start(spec: NodeProcessSpec): Promise<NodeProcess> {
    mkdirSync(dirname(spec.logFile), { recursive: true });
    const logFd = openSync(spec.logFile, 'a');
    const startOffset = readLogSafe(spec.logFile).length;
    const child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', logFd, logFd],
      detached: spec.detached ?? false,
    });
    closeSync(logFd);
    if (child.pid === undefined) {
      throw new LaunchError('NODE_START_FAILED', `could not start ${spec.name} (${spec.command}): the process did not spawn`, { context: { node: spec.name } });
    }
    if (spec.detached) child.unref();
    const node = new NodeProcess(spec, child);
    try {
      await node.waitForLog(spec.readyMarker, spec.readyTimeoutMs, startOffset);
    } catch (err) {
      await node.kill(); // a node that is not ready is not left behind
      throw err;
    }
    return node;
  }

  /** Waits until the node's log (from `fromOffset`) contains `marker`; fails fast if the node exits. */
  async waitForLog(marker: string, timeoutMs: number, fromOffset = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const log = readLogSafe(this.spec.logFile).slice(fromOffset);
      const at = log.indexOf(marker);
      if (at >= 0) return log.slice(at, log.indexOf('\n', at) >>> 0);
      if (!this.running) {
        throw new LaunchError('NODE_START_FAILED', `${this.spec.name} exited before it was ready; last log lines:\n${tail(log)}`, { context: { node: this.spec.name } });
      }
      if (Date.now() > deadline) {
        throw new LaunchError('NODE_START_TIMEOUT', `${this.spec.name} was not ready after ${timeoutMs} ms (no "${marker}" in ${this.spec.logFile}); last log lines:\n${tail(log)}`, {
          context: { node: this.spec.name },
        });
      }
      // The log is a file written by another process: poll it, but wake early if the process exits.
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, 25))]);
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. Resolves when it has exited. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL: the node gets no chance to flush anything (a crash). */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

function readLogSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
