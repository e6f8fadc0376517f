import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { NodeProcess } from '../../../src/net/node-process.js';
import { makeTempDir } from '../../helpers/repo.js';

const temp = makeTempDir('proc');
const started: NodeProcess[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.kill()));
});
afterAll(() => temp.cleanup());

const script = (body: string): string[] => ['-e', body];

describe('NodeProcess', () => {
  it('waits for the ready line, and stop() ends the process with SIGTERM', async () => {
    const node = await NodeProcess.start({
      name: 'fake-node',
      command: process.execPath,
      args: script("setTimeout(() => console.log('{\"event\":\"ready\"}'), 100); process.on('SIGTERM', () => { console.log('bye'); process.exit(0); }); setInterval(() => {}, 1000);"),
      logFile: join(temp.dir, 'fake.log'),
      readyMarker: '"event":"ready"',
      readyTimeoutMs: 10_000,
    });
    started.push(node);
    expect(node.running).toBe(true);
    await node.stop();
    expect(node.running).toBe(false);
    expect(await node.exited).toEqual({ code: 0, signal: null });
  });

  it('escalates to SIGKILL when the process ignores SIGTERM', async () => {
    const node = await NodeProcess.start({
      name: 'stubborn',
      command: process.execPath,
      args: script("process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000);"),
      logFile: join(temp.dir, 'stubborn.log'),
      readyMarker: 'ready',
      readyTimeoutMs: 10_000,
    });
    started.push(node);
    await node.stop(200);
    expect((await node.exited).signal).toBe('SIGKILL');
  });

  it('reports a node that dies before it is ready, with its last log lines', async () => {
    await expect(
      NodeProcess.start({
        name: 'crasher',
        command: process.execPath,
        args: script("console.error('cannot open the ledger: it is locked'); process.exit(3);"),
        logFile: join(temp.dir, 'crasher.log'),
        readyMarker: 'ready',
        readyTimeoutMs: 10_000,
      }),
    ).rejects.toThrow(/crasher exited before it was ready; last log lines:\ncannot open the ledger: it is locked/);
  });

  it('times out a node that never gets ready, and kills it', async () => {
    const pidFile = join(temp.dir, 'sleeper.pid');
    let caught: unknown;
    try {
      await NodeProcess.start({
        name: 'sleeper',
        command: process.execPath,
        args: script(`require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000);`),
        logFile: join(temp.dir, 'sleeper.log'),
        readyMarker: 'ready',
        readyTimeoutMs: 1500,
      });
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'NODE_START_TIMEOUT' });
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow(); // the process is gone
  });
});
