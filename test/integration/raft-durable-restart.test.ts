/**
 * The restart test of Raft's durable log (issue "Raft consensus", §2 Durable storage): a real node
 * process on a level-backed DurableRaftLog is SIGKILLed at many different moments and restarted on
 * the same data directory. After every kill we check what the Raft paper requires of persistent state
 * (§5.1 Figure 2: currentTerm, votedFor and log[] are updated on stable storage before responding):
 * - every entry the node reported committed is still in its log, at the same index, in order,
 *   with no duplicates (and no index ever reported with two different entries);
 * - the recovered term, vote and commit index are at least what the node reported;
 * - the restarted node never votes twice in a term (§5.2): a different candidate asking for its
 *   vote in the term it already voted in is refused.
 * The node (test/integration/fixtures/durable-raft-node.ts) prints a line only after the Ready it
 * belongs to was saved, so everything the parent read before the kill is something it promised.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { DurableRaftLog } from '../../src/storage/durable-raft-log.js';
import { LevelKvStore } from '../../src/storage/level-kv-store.js';
import { REPO_ROOT, makeTempDir } from '../helpers/repo.js';

const FIXTURE = 'test/integration/fixtures/durable-raft-node.ts';
const LINE_TIMEOUT_MS = 30_000; // generous: a cold tsx start on a busy 2-core machine
const OUTSIDER = 99; // a candidate the node has never voted for

const temp = makeTempDir('raft-restart');
const children = new Set<NodeChild>();
afterAll(() => {
  for (const child of children) child.kill();
  temp.cleanup();
});

interface Recovered {
  term: number;
  vote: number;
  commit: number;
  snapshotIndex: number;
  log: Array<[number, number, string]>;
}

/** One spawned node process and the lines it printed. */
class NodeChild {
  readonly lines: string[] = [];
  stderr = '';
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exited = false;
  private readonly proc: ChildProcess;
  private readonly listeners = new Set<() => void>();

  constructor(dir: string, readonly label: string, seed: number) {
    this.proc = spawn(process.execPath, [join(REPO_ROOT, 'bin/run-ts.mjs'), FIXTURE, dir, label, String(seed)], {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.add(this);
    this.proc.stdin!.on('error', () => undefined); // writing to a killed child: EPIPE is expected
    this.proc.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      this.lines.push(line);
      for (const l of this.listeners) l();
    });
    this.closed = new Promise((resolve) => {
      this.proc.on('close', (code, signal) => {
        this.exited = true;
        children.delete(this);
        for (const l of this.listeners) l();
        resolve({ code, signal });
      });
    });
  }

  /** The first line at or after `from` that matches, waiting for it (fails on timeout or exit). */
  waitFor(what: string, match: (line: string) => boolean, from = 0, timeoutMs = LINE_TIMEOUT_MS): Promise<number> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const at = this.lines.findIndex((line, i) => i >= from && match(line));
        if (at < 0 && !this.exited) return;
        this.listeners.delete(check);
        clearTimeout(timer);
        if (at >= 0) resolve(at);
        else reject(new Error(`${this.label}: exited before printing ${what}\n${this.describe()}`));
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`${this.label}: no ${what} within ${timeoutMs} ms\n${this.describe()}`));
      }, timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  send(command: string): void {
    this.proc.stdin!.write(`${command}\n`);
  }

  /** SIGKILL by pid (no-op once it has exited). */
  kill(): void {
    if (!this.exited && this.proc.pid !== undefined) {
      try {
        process.kill(this.proc.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  /** Kill, wait for the process and its stdout to close, and check that the kill is what ended it. */
  async killAndDrain(): Promise<void> {
    this.kill();
    const { code, signal } = await withTimeout(this.closed, LINE_TIMEOUT_MS, `${this.label} to exit after SIGKILL`);
    expect({ code, signal }, `${this.label} must die of the SIGKILL, not on its own\n${this.describe()}`).toEqual({ code: null, signal: 'SIGKILL' });
  }

  describe(): string {
    return `last lines: ${this.lines.slice(-5).join(' | ')}\nstderr: ${this.stderr.slice(-2000)}`;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Everything every incarnation of the node ever reported, and the checks it must keep satisfying. */
class Observations {
  /** index → the entry reported committed there */
  readonly committed = new Map<number, { term: number; data: string; by: string }>();
  /** term → the candidate the node said it voted for */
  readonly votes = new Map<number, number>();
  maxTerm = 0;
  maxCommit = 0;
  refusals = 0;
  compactions = 0;

  /** Takes in one incarnation's lines (read before and after its kill). */
  record(child: NodeChild, recovered: Recovered | undefined): void {
    let expectedNext = recovered === undefined ? undefined : recovered.snapshotIndex + 1;
    for (const line of child.lines) {
      const words = line.split(' ');
      if (words[0] === 'committed') {
        const [index, term] = [Number(words[1]), Number(words[2])];
        const data = words[3] === '-' ? '' : words[3]!;
        // applied in order, each once: restarted from the snapshot, then index by index
        if (expectedNext !== undefined) expect(index, `${child.label}: applied out of order: ${line}`).toBe(expectedNext);
        expectedNext = index + 1;
        const before = this.committed.get(index);
        if (before !== undefined) {
          expect({ term, data }, `${child.label}: index ${index} was committed by ${before.by} as a different entry`).toEqual({ term: before.term, data: before.data });
        } else {
          this.committed.set(index, { term, data, by: child.label });
        }
        this.maxCommit = Math.max(this.maxCommit, index);
      } else if (words[0] === 'voted') {
        const [term, candidate] = [Number(words[2]), Number(words[4])];
        const before = this.votes.get(term);
        expect(before === undefined || before === candidate, `${child.label}: voted twice in term ${term}: for ${before} and ${candidate}`).toBe(true);
        this.votes.set(term, candidate);
        this.maxTerm = Math.max(this.maxTerm, term);
      } else if (words[0] === 'sent' && words[1] === 'MsgVoteResp') {
        const [to, term, reject] = [Number(words[3]), Number(words[5]), words[7] === 'true'];
        this.maxTerm = Math.max(this.maxTerm, term);
        if (!reject) {
          // a granted vote is only sent after the vote is durable (its "voted" line came first)
          expect(this.votes.get(term), `${child.label}: granted term ${term} to ${to} without a durable vote`).toBe(to);
        } else {
          this.refusals++;
        }
      } else if (words[0] === 'compacted') {
        this.compactions++;
      }
    }
  }

  /** What a restarted node read back from disk must keep every promise made so far. */
  checkRecovered(rec: Recovered, who: string): void {
    rec.log.forEach(([index], i) => expect(index, `${who}: the recovered log is not contiguous`).toBe(i + 1));
    const datas = rec.log.map(([, , data]) => data).filter((d) => d !== '');
    expect(new Set(datas).size, `${who}: the recovered log has a duplicate entry`).toBe(datas.length);
    for (const [index, { term, data, by }] of this.committed) {
      const got = rec.log[index - 1];
      expect(got, `${who}: entry ${index} (committed by ${by}) is lost`).toEqual([index, term, data]);
    }
    expect(rec.commit, `${who}: commit index went back`).toBeGreaterThanOrEqual(this.maxCommit);
    expect(rec.term, `${who}: term went back`).toBeGreaterThanOrEqual(this.maxTerm);
    const voted = this.votes.get(rec.term);
    if (voted !== undefined) expect(rec.vote, `${who}: forgot its vote in term ${rec.term}`).toBe(voted);
  }
}

/** The parent's own reading of the data directory (the node is dead; the lock must be free again). */
async function readDisk(dir: string): Promise<Recovered> {
  const store = await LevelKvStore.open(dir);
  try {
    const { hardState, snapshot, entries } = (await DurableRaftLog.open(store, 'mychannel')).load();
    const applied = snapshot === undefined || snapshot.data.byteLength === 0 ? [] : (JSON.parse(new TextDecoder().decode(snapshot.data)) as Recovered['log']);
    const log = [...applied, ...entries.map((e): [number, number, string] => [e.index, e.term, new TextDecoder().decode(e.data)])];
    return { ...hardState, snapshotIndex: snapshot?.metadata.index ?? 0, log };
  } finally {
    await store.close();
  }
}

/** When to pull the plug on one incarnation. */
type KillPlan =
  | { readonly at: 'spawn' } // before it even opened its store, or while it recovers
  | { readonly at: 'lines'; readonly k: number } // after k lines of running
  | { readonly at: 'vote'; readonly candidate: number } // right after it reports voting for another candidate
  | { readonly at: 'voteThenLines'; readonly candidate: number; readonly k: number }
  | { readonly at: 'compacted' }; // right after a log compaction

const PLANS: KillPlan[] = [
  { at: 'spawn' },
  { at: 'lines', k: 1 },
  { at: 'spawn' },
  { at: 'lines', k: 5 },
  { at: 'vote', candidate: 2 },
  { at: 'lines', k: 30 },
  { at: 'voteThenLines', candidate: 3, k: 40 },
  { at: 'compacted' },
  { at: 'lines', k: 77 },
  { at: 'spawn' },
  { at: 'vote', candidate: 4 },
  { at: 'lines', k: 160 },
  { at: 'lines', k: 2 },
];

describe('Raft durable log: SIGKILL and restart a real node process', () => {
  it('keeps every committed entry, its term and its vote across kills at varied moments, and never votes twice in a term', { timeout: 240_000 }, async () => {
    const dir = join(temp.dir, 'node-1');
    const seen = new Observations();
    for (const [n, plan] of [...PLANS, undefined].entries()) {
      const label = `r${n}`;
      const child = new NodeChild(dir, label, 1000 + n);
      let recovered: Recovered | undefined;
      try {
        if (plan?.at !== 'spawn') {
          const at = await child.waitFor('its recovered state', (l) => l.startsWith('recovered '));
          recovered = JSON.parse(child.lines[at]!.slice('recovered '.length)) as Recovered;
          seen.checkRecovered(recovered, label);
          await child.waitFor('ready', (l) => l === 'ready', at);
          if (n === 3) {
            // while it runs, the data directory is locked against a second node (another process)
            await expect(LevelKvStore.open(dir)).rejects.toMatchObject({ code: 'STORAGE_LOCKED' });
          }
          if (recovered.vote !== 0) {
            // §5.2: at most one vote per term, even across a crash: a different, up-to-date candidate is refused
            const { term } = recovered;
            child.send(`vote ${OUTSIDER} ${term} ${term} 1000000000`);
            const refusal = await child.waitFor('the reply to the outsider', (l) => l.startsWith(`sent MsgVoteResp to ${OUTSIDER} `));
            expect(child.lines[refusal], `${label} after ${JSON.stringify(recovered).slice(0, 200)}: ${child.lines.join(' | ').slice(0, 600)}`).toBe(`sent MsgVoteResp to ${OUTSIDER} term ${term} reject true`);
            expect(child.lines.some((l) => l.startsWith(`voted term ${term} for ${OUTSIDER}`))).toBe(false);
          }
          if (plan !== undefined) {
            const start = child.lines.length;
            child.send('run');
            if (plan.at === 'lines') {
              await child.waitFor(`${plan.k} lines`, () => child.lines.length >= start + plan.k, start);
            } else if (plan.at === 'compacted') {
              await child.waitFor('a compaction', (l) => l.startsWith('compacted '), start);
            } else {
              // Once it leads term T, a candidate for T+1 asks for its vote, which it must grant.
              const elected = await child.waitFor('an election', (l) => / for 1$/.test(l) && l.startsWith('voted term '), start);
              const term = Number(child.lines[elected]!.split(' ')[2]) + 1;
              child.send(`vote ${plan.candidate} ${term} ${term - 1} 1000000000`);
              const granted = await child.waitFor(`its vote for ${plan.candidate}`, (l) => l === `voted term ${term} for ${plan.candidate}`, elected);
              if (plan.at === 'voteThenLines') await child.waitFor(`${plan.k} more lines`, () => child.lines.length >= granted + plan.k, granted);
            }
          }
        }
        await child.killAndDrain();
      } finally {
        child.kill();
      }
      seen.record(child, recovered);
      // The parent reads the directory itself too: the lock is free again and the state is all there.
      seen.checkRecovered(await readDisk(dir), `${label} (read by the test after the kill)`);
    }
    // The schedule really exercised what it claims to.
    expect(seen.committed.size).toBeGreaterThan(200);
    expect(seen.votes.size).toBeGreaterThanOrEqual(5);
    expect([...seen.votes.values()].filter((c) => c !== 1).length).toBeGreaterThanOrEqual(3); // votes for other candidates
    expect(seen.refusals).toBeGreaterThanOrEqual(8);
    expect(seen.compactions).toBeGreaterThanOrEqual(5);
  });
});
