import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogFields, Logger } from '../../../src/core/logger.js';
import {
  ChaincodeLauncher,
  logTail,
  type ChaincodeExitEvent,
  type ChaincodeLauncherOptions,
  type ChaincodeLaunchSpec,
  type LaunchedChaincode,
} from '../../../src/node/chaincode-launcher.js';
import { ChaincodeLaunchError, type ChaincodeExit, type ChaincodeProcessSpec } from '../../../src/node/chaincode-process.js';
import { ManualScheduler } from '../../../src/orderer/scheduler.js';
import { makeTempDir } from '../../helpers/repo.js';

/** A chaincode process that exits when the test says so, or on a signal it does not ignore. */
class FakeChaincode implements LaunchedChaincode {
  static nextPid = 1000;
  readonly pid = FakeChaincode.nextPid++;
  readonly signals: NodeJS.Signals[] = [];
  readonly exited: Promise<ChaincodeExit>;
  ignoreSigterm = false;
  private exitInfo: ChaincodeExit | undefined;
  private resolveExit!: (exit: ChaincodeExit) => void;

  constructor(readonly spec: ChaincodeProcessSpec) {
    this.exited = new Promise((r) => (this.resolveExit = r));
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    if (this.exitInfo !== undefined) return;
    this.exitInfo = { code, signal };
    this.resolveExit(this.exitInfo);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<ChaincodeExit> {
    this.signals.push(signal);
    if (signal !== 'SIGTERM' || !this.ignoreSigterm) this.exit(null, signal);
    return this.exited;
  }
}

interface LogLine {
  readonly level: string;
  readonly event: string;
  readonly fields: LogFields;
}

function recordingLogger(): Logger & { readonly lines: LogLine[]; events(event: string): LogFields[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (event: string, fields: LogFields = {}): void => {
      lines.push({ level, event, fields });
    };
  return { lines, events: (event) => lines.filter((l) => l.event === event).map((l) => l.fields), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Lets the launcher's promise callbacks (a process's `exited`) run. */
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

const basic: ChaincodeLaunchSpec = { chaincodeIdName: 'basic:1.0', packageDir: '/chaincode/basic', logFile: '/nonexistent/basic.log' };
const tour: ChaincodeLaunchSpec = { chaincodeIdName: 'tour:1.0', packageDir: '/chaincode/tour', logFile: '/nonexistent/tour.log' };

interface Harness {
  readonly launcher: ChaincodeLauncher;
  readonly scheduler: ManualScheduler;
  readonly logger: ReturnType<typeof recordingLogger>;
  readonly spawned: FakeChaincode[];
  readonly exits: ChaincodeExitEvent[];
  /** The processes spawned for `name`, oldest first. */
  of(name: string): FakeChaincode[];
  last(name: string): FakeChaincode;
}

function harness(options: Partial<ChaincodeLauncherOptions> & { failSpawn?: (spec: ChaincodeProcessSpec) => Error | undefined } = {}): Harness {
  const scheduler = new ManualScheduler();
  const logger = recordingLogger();
  const spawned: FakeChaincode[] = [];
  const exits: ChaincodeExitEvent[] = [];
  const { failSpawn, ...rest } = options;
  const launcher = new ChaincodeLauncher({
    chaincodes: [basic],
    peerAddress: '127.0.0.1:7051',
    tls: { rootCertPem: 'ROOT', clientCertPem: 'CERT', clientKeyPem: 'KEY' },
    mspId: 'Org1MSP',
    logger,
    timers: scheduler,
    spawn: (spec) => {
      const failure = failSpawn?.(spec);
      if (failure !== undefined) throw failure;
      const p = new FakeChaincode(spec);
      spawned.push(p);
      return p;
    },
    onExit: (e) => exits.push(e),
    ...rest,
  });
  const of = (name: string): FakeChaincode[] => spawned.filter((p) => p.spec.chaincodeIdName === name);
  return {
    launcher,
    scheduler,
    logger,
    spawned,
    exits,
    of,
    last: (name) => {
      const all = of(name);
      const p = all[all.length - 1];
      if (p === undefined) throw new Error(`no process spawned for ${name}`);
      return p;
    },
  };
}

/** Crashes the running process of `name` and returns the restart delay the launcher chose. */
async function crash(h: Harness, name = basic.chaincodeIdName): Promise<number | undefined> {
  h.last(name).exit(1);
  await flush();
  return h.exits[h.exits.length - 1]?.restartInMs;
}

let launchers: ChaincodeLauncher[] = [];
afterEach(async () => {
  for (const l of launchers) await l.stop(0);
  launchers = [];
});
const track = (h: Harness): Harness => {
  launchers.push(h.launcher);
  return h;
};

describe('ChaincodeLauncher: starting', () => {
  it('spawns one process per distinct chaincodeIdName with the peer address, TLS, MSP id and the package', () => {
    const h = track(harness({ chaincodes: [basic, tour, { ...basic, logFile: '/other/basic.log' }] }));
    h.launcher.start();
    h.launcher.start(); // idempotent
    expect(h.spawned.map((p) => p.spec.chaincodeIdName)).toEqual(['basic:1.0', 'tour:1.0']);
    expect(h.spawned[0]?.spec).toEqual({
      packageDir: '/chaincode/basic',
      chaincodeIdName: 'basic:1.0',
      peerAddress: '127.0.0.1:7051',
      logFile: '/nonexistent/basic.log',
      tls: { rootCertPem: 'ROOT', clientCertPem: 'CERT', clientKeyPem: 'KEY' },
      mspId: 'Org1MSP',
    });
    expect([...h.launcher.pids()]).toEqual([
      ['basic:1.0', h.last('basic:1.0').pid],
      ['tour:1.0', h.last('tour:1.0').pid],
    ]);
    expect(h.logger.events('chaincode started').map((f) => f.chaincode)).toEqual(['basic:1.0', 'tour:1.0']);
  });

  it('refuses one chaincodeIdName for two different packages', () => {
    expect(() => harness({ chaincodes: [basic, { ...basic, packageDir: '/chaincode/other' }] })).toThrow(
      expect.objectContaining({ code: 'CHAINCODE_LAUNCH_CONFLICT', message: expect.stringContaining('chaincode basic:1.0 is listed twice with different packages') }),
    );
  });
});

describe('ChaincodeLauncher: restarting a chaincode that exits', () => {
  it("logs 'chaincode exited' with code, signal and its log's last lines, and restarts it after 500 ms", async () => {
    const temp = makeTempDir('cc-launcher');
    try {
      const logFile = join(temp.dir, 'basic.log');
      writeFileSync(logFile, 'starting\nTypeError: boom\n    at main (index.js:3)\n');
      const h = track(harness({ chaincodes: [{ ...basic, logFile }] }));
      h.launcher.start();
      const first = h.last('basic:1.0');
      first.exit(null, 'SIGSEGV');
      await flush();
      expect(h.launcher.pids().size).toBe(0);
      expect(h.logger.lines.find((l) => l.event === 'chaincode exited')).toEqual({
        level: 'warn',
        event: 'chaincode exited',
        fields: { chaincode: 'basic:1.0', pid: first.pid, code: undefined, signal: 'SIGSEGV', restartInMs: 500, restarts: 0, log: 'starting\nTypeError: boom\n    at main (index.js:3)' },
      });
      expect(h.exits).toEqual([
        { chaincodeIdName: 'basic:1.0', pid: first.pid, code: null, signal: 'SIGSEGV', unexpected: true, restartInMs: 500, restarts: 0, logTail: 'starting\nTypeError: boom\n    at main (index.js:3)' },
      ]);
      h.scheduler.advance(499);
      expect(h.spawned).toHaveLength(1);
      h.scheduler.advance(1);
      expect(h.spawned).toHaveLength(2);
      expect(h.launcher.pids().get('basic:1.0')).toBe(h.last('basic:1.0').pid);
      expect(h.launcher.restarts('basic:1.0')).toBe(1);
      expect(h.launcher.status()).toEqual([
        { chaincodeIdName: 'basic:1.0', pid: h.last('basic:1.0').pid, restarts: 1, registered: false, lastExit: { code: null, signal: 'SIGSEGV' }, lastLaunchError: undefined },
      ]);
    } finally {
      temp.cleanup();
    }
  });

  it('doubles the delay on each consecutive crash, up to 10 s', async () => {
    const h = track(harness());
    h.launcher.start();
    const delays: Array<number | undefined> = [];
    for (let i = 0; i < 7; i++) {
      const delay = await crash(h);
      delays.push(delay);
      h.scheduler.advance(delay ?? 0);
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(h.spawned).toHaveLength(8);
    expect(h.launcher.restarts('basic:1.0')).toBe(7);
  });

  it('starts the backoff over once a process has run 30 s', async () => {
    const h = track(harness());
    h.launcher.start();
    for (const expected of [500, 1000, 2000]) {
      expect(await crash(h)).toBe(expected);
      h.scheduler.advance(expected);
    }
    h.scheduler.advance(29_999);
    expect(await crash(h)).toBe(4000); // 29.999 s is not enough
    h.scheduler.advance(4000);
    h.scheduler.advance(30_000);
    expect(await crash(h)).toBe(500);
  });

  it('starts the backoff over once the process registered with the peer', async () => {
    const waits: Array<{ name: string; timeoutMs: number; resolve: () => void; signal: AbortSignal | undefined }> = [];
    const registry = {
      waitForRegistration: (name: string, timeoutMs: number, signal?: AbortSignal) =>
        new Promise<unknown>((resolve) => waits.push({ name, timeoutMs, resolve: () => resolve({}), signal })),
    };
    const h = track(harness({ registry, registrationTimeoutMs: 5000 }));
    h.launcher.start();
    expect(await crash(h)).toBe(500);
    h.scheduler.advance(500);
    expect(await crash(h)).toBe(1000);
    expect(waits[0]?.signal?.aborted).toBe(true); // the dead process's watch is dropped
    h.scheduler.advance(1000);
    expect(waits).toHaveLength(3);
    expect(waits[2]).toMatchObject({ name: 'basic:1.0', timeoutMs: 5000 });
    waits[2]?.resolve();
    await flush();
    expect(h.launcher.status()[0]?.registered).toBe(true);
    expect(await crash(h)).toBe(500);
  });

  it("logs 'chaincode did not register' when the registration wait fails, and leaves the process running", async () => {
    const registry = { waitForRegistration: () => Promise.reject(new Error('chaincode basic:1.0 did not register with the peer within 60000 ms')) };
    const h = track(harness({ registry }));
    h.launcher.start();
    await flush();
    expect(h.logger.lines.find((l) => l.event === 'chaincode did not register')).toMatchObject({
      level: 'warn',
      fields: { chaincode: 'basic:1.0', pid: h.last('basic:1.0').pid, error: 'chaincode basic:1.0 did not register with the peer within 60000 ms' },
    });
    expect(h.last('basic:1.0').running).toBe(true);
    expect(h.last('basic:1.0').signals).toEqual([]);
  });

  it('restarts each chaincode on its own schedule', async () => {
    const h = track(harness({ chaincodes: [basic, tour] }));
    h.launcher.start();
    await crash(h, 'basic:1.0');
    h.scheduler.advance(500);
    await crash(h, 'basic:1.0');
    expect(await crash(h, 'tour:1.0')).toBe(500);
    h.scheduler.advance(500);
    expect(h.of('tour:1.0')).toHaveLength(2);
    expect(h.of('basic:1.0')).toHaveLength(2); // basic waits 1000 ms
    h.scheduler.advance(500);
    expect(h.of('basic:1.0')).toHaveLength(3);
  });
});

describe('ChaincodeLauncher: a package that cannot be launched', () => {
  it("logs 'chaincode launch failed' and retries every 10 s, not in a tight loop", () => {
    let failures = 2;
    const h = track(
      harness({
        failSpawn: () =>
          failures-- > 0 ? new ChaincodeLaunchError('CHAINCODE_PACKAGE_INVALID', '/chaincode/basic/package.json has no "start" script; add "start": "fabric-chaincode-node start"') : undefined,
      }),
    );
    h.launcher.start();
    expect(h.spawned).toHaveLength(0);
    expect(h.logger.lines).toEqual([
      {
        level: 'error',
        event: 'chaincode launch failed',
        fields: {
          chaincode: 'basic:1.0',
          packageDir: '/chaincode/basic',
          code: 'CHAINCODE_PACKAGE_INVALID',
          error: '/chaincode/basic/package.json has no "start" script; add "start": "fabric-chaincode-node start"',
          retryInMs: 10_000,
        },
      },
    ]);
    expect(h.launcher.status()[0]).toMatchObject({ pid: undefined, lastLaunchError: expect.stringContaining('has no "start" script') });
    h.scheduler.advance(9_999);
    expect(h.logger.events('chaincode launch failed')).toHaveLength(1);
    h.scheduler.advance(1);
    expect(h.logger.events('chaincode launch failed')).toHaveLength(2);
    expect(h.scheduler.pendingCount).toBe(1);
    h.scheduler.advance(10_000);
    expect(h.spawned).toHaveLength(1);
    expect(h.launcher.restarts('basic:1.0')).toBe(2);
    expect(h.launcher.status()[0]?.lastLaunchError).toBeUndefined();
  });
});

describe('ChaincodeLauncher: stopping', () => {
  it('sends SIGTERM, then SIGKILL after the grace period to a process that ignores it, and does not restart', async () => {
    const h = harness({ chaincodes: [basic, tour] });
    h.launcher.start();
    h.last('tour:1.0').ignoreSigterm = true;
    let stopped = false;
    const stopping = h.launcher.stop(1000).then(() => (stopped = true));
    expect(h.last('basic:1.0').signals).toEqual(['SIGTERM']);
    expect(h.last('tour:1.0').signals).toEqual(['SIGTERM']);
    await flush();
    expect(stopped).toBe(false);
    h.scheduler.advance(999);
    await flush();
    expect(stopped).toBe(false);
    h.scheduler.advance(1);
    await stopping;
    expect(h.last('tour:1.0').signals).toEqual(['SIGTERM', 'SIGKILL']);
    expect(h.last('basic:1.0').signals).toEqual(['SIGTERM']);
    expect(h.launcher.pids().size).toBe(0);
    expect(h.exits.map((e) => [e.chaincodeIdName, e.unexpected, e.restartInMs, e.signal])).toEqual([
      ['basic:1.0', false, undefined, 'SIGTERM'],
      ['tour:1.0', false, undefined, 'SIGKILL'],
    ]);
    expect(h.logger.events('chaincode stopped')).toHaveLength(2);
    expect(h.logger.events('chaincode exited')).toHaveLength(0);
    h.scheduler.advance(60_000);
    expect(h.spawned).toHaveLength(2);
    expect(h.scheduler.pendingCount).toBe(0);
    expect(h.launcher.stop()).toBe(h.launcher.stop()); // idempotent: the same promise
    expect(() => h.launcher.start()).toThrow(/a stopped launcher does not start again/);
  });

  it('cancels a pending restart', async () => {
    const h = harness();
    h.launcher.start();
    expect(await crash(h)).toBe(500);
    await h.launcher.stop();
    h.scheduler.advance(10_000);
    expect(h.spawned).toHaveLength(1);
    expect(h.scheduler.pendingCount).toBe(0);
  });

  it('cancels a pending retry of a failed launch', async () => {
    const h = harness({ failSpawn: () => new ChaincodeLaunchError('CHAINCODE_SPAWN_FAILED', 'did not spawn') });
    h.launcher.start();
    await h.launcher.stop();
    h.scheduler.advance(60_000);
    expect(h.logger.events('chaincode launch failed')).toHaveLength(1);
  });

  it('a hook that throws is logged and does not stop the restart', async () => {
    const h = track(
      harness({
        onExit: () => {
          throw new Error('hook bug');
        },
      }),
    );
    h.launcher.start();
    h.last('basic:1.0').exit(2);
    await flush();
    expect(h.logger.events('chaincode onExit hook failed')).toEqual([{ chaincode: 'basic:1.0', error: 'hook bug' }]);
    h.scheduler.advance(500);
    expect(h.spawned).toHaveLength(2);
  });
});

describe('logTail', () => {
  it("returns the last lines of a file, '' when there is none", () => {
    const temp = makeTempDir('cc-launcher-tail');
    try {
      const path = join(temp.dir, 'cc.log');
      writeFileSync(path, Array.from({ length: 50 }, (_, i) => `line ${i}`).join('\n') + '\n\n');
      expect(logTail(path, 3)).toBe('line 47\nline 48\nline 49');
      writeFileSync(path, 'x'.repeat(20_000) + '\nlast\n');
      expect(logTail(path)).toBe('last'); // the cut first line is dropped
      expect(logTail(join(temp.dir, 'missing.log'))).toBe('');
    } finally {
      temp.cleanup();
    }
  });
});
