/**
 * Crash consistency of the peer ledger (src/ledger/peer-ledger.ts): a real child process
 * (test/integration/helpers/ledger-commit-child.ts) commits synthetic blocks to a level-backed
 * PeerLedger in a loop and is SIGKILLed at varied moments, several times, on the same directory.
 * After every kill the test reopens the ledger itself and checks what one atomic, synced batch per
 * block promises:
 * - the height is at least one past the last block the child reported committed, and at most one
 *   more (the block whose batch was in flight);
 * - the world state, every key's history and the tx-id index equal what replaying the stored
 *   blocks' commits gives (each block's BlockCommit is rebuilt from the block bytes);
 * - the state hash chain recomputes from the documented encoding at every height;
 * - the chain info matches the last stored block.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { SeededRng } from '../../src/core/rng.js';
import { PeerLedger } from '../../src/ledger/peer-ledger.js';
import { LevelKvStore } from '../../src/storage/level-kv-store.js';
import { prefixed } from '../../src/storage/prefixed-kv-store.js';
import { REPO_ROOT, makeTempDir } from '../helpers/repo.js';
import { ReferenceLedger, commitFromBlock, headerHashOf } from '../helpers/ledger-reference.js';

const CHILD = 'test/integration/helpers/ledger-commit-child.ts';
const LEDGER_PREFIX = 'ledger/killchannel/'; // as in the child
const NAMESPACES = ['cc', 'cc2', 'c'];
const KILLS = 8;
const LINE_TIMEOUT_MS = 15_000; // a cold tsx start on a busy 2-core machine

const temp = makeTempDir('ledger-kill');
const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) killByPid(child);
  temp.cleanup();
});

function killByPid(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Runs one incarnation: waits for it to open, lets it report `commits` committed blocks, and
 * SIGKILLs it `delayMs` after that line arrives (0: at once), while it is busy with later commits:
 * the delay is the random moment of the crash, not a wait for anything.
 */
async function runAndKill(dir: string, seed: number, commits: number, delayMs: number): Promise<{ openedAt: number; lastCommitted: number | undefined }> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/run-ts.mjs'), CHILD, dir, String(seed)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  let openedAt: number | undefined;
  let lastCommitted: number | undefined;
  let seen = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the child did not report ${commits} commits within ${LINE_TIMEOUT_MS} ms; stderr: ${stderr}`)), LINE_TIMEOUT_MS);
      void closed.then(() => {
        clearTimeout(timer);
        reject(new Error(`the child exited before it was killed; stderr: ${stderr}`));
      });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const [event, number] = line.split(' ');
        if (event === 'opened') openedAt = Number(number);
        if (event === 'committed') {
          lastCommitted = Number(number); // lines read after the kill count too: they were printed before it
          if (++seen === commits) {
            clearTimeout(timer);
            const kill = (): void => {
              killByPid(child); // pull the plug while a block is being committed
              resolve();
            };
            if (delayMs === 0) kill();
            else setTimeout(kill, delayMs);
          }
        }
      });
    });
    const { code, signal } = await closed;
    expect({ code, signal }, `the child must die of the SIGKILL; stderr: ${stderr}`).toEqual({ code: null, signal: 'SIGKILL' });
  } finally {
    killByPid(child);
    running.delete(child);
  }
  expect(openedAt, 'the child reports the height it opened at').toBeDefined();
  return { openedAt: openedAt!, lastCommitted };
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Reopens the killed child's ledger and checks it against a replay of its own blocks. Returns the height. */
async function verify(dir: string, lastCommitted: number): Promise<number> {
  const store = await LevelKvStore.open(dir);
  try {
    const ledger = await PeerLedger.open(prefixed(store, new TextEncoder().encode(LEDGER_PREFIX)));
    const height = ledger.height;
    expect(height, 'every reported commit survived the kill').toBeGreaterThanOrEqual(lastCommitted + 1);
    expect(height, 'at most the in-flight block was added').toBeLessThanOrEqual(lastCommitted + 2);

    const ref = new ReferenceLedger();
    let lastBlock: Uint8Array | undefined;
    for (let n = 0; n < height; n++) {
      const bytes = await ledger.getBlock(n);
      expect(bytes, `block ${n} is stored`).toBeDefined();
      ref.apply(commitFromBlock(bytes!));
      lastBlock = bytes;
    }
    expect(ledger.chainInfo().currentBlockHash).toEqual(headerHashOf(lastBlock!));
    for (let h = 0; h <= height; h++) expect(await ledger.stateHashAt(h), `state hash at height ${h}`).toEqual(ref.stateHashes[h]);
    for (const ns of NAMESPACES) expect(await all(ledger.scanState(ns, '', '')), `world state of ${ns}`).toEqual(ref.sortedState(ns));
    for (const [id, entries] of ref.history) {
      const [ns, key] = [id.slice(0, id.indexOf('\u0000')), id.slice(id.indexOf('\u0000') + 1)];
      expect(await ledger.getHistory(ns, key), `history of ${JSON.stringify(id)}`).toEqual(entries);
    }
    for (const [txId, location] of ref.txIndex) expect(await ledger.getTransactionLocation(txId), `location of ${txId}`).toEqual({ txId, ...location });
    return height;
  } finally {
    await store.close();
  }
}

describe('PeerLedger: SIGKILL a committing process and reopen', () => {
  it('recovers a consistent ledger after every kill: height, state, history, tx index and state hashes', { timeout: 90_000 }, async () => {
    const dir = join(temp.dir, 'ledger');
    const rng = new SeededRng(20240611);
    let verifiedHeight = 0;
    let lastCommitted = -1;
    for (let round = 0; round < KILLS; round++) {
      const commits = 1 + rng.nextInt(round === 0 ? 5 : 60);
      const run = await runAndKill(dir, 100 + round, commits, round % 3 === 0 ? 0 : 1 + rng.nextInt(25));
      expect(run.openedAt, 'the child reopened at the height the test verified').toBe(verifiedHeight);
      lastCommitted = run.lastCommitted!;
      verifiedHeight = await verify(dir, lastCommitted);
    }
    expect(verifiedHeight).toBeGreaterThan(KILLS);
  });
});
