/**
 * `npm run sim:raft` (node bin/run-ts.mjs src/sim/raft-sweep-main.ts ...): the command entry of the
 * Raft seed sweep. The only file of src/sim that touches the process (argv, stdout, exit code) and
 * node built-ins (worker threads for --jobs). Everything it prints is computed by raft-sweep.ts.
 */
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { isFabsimError } from '../core/errors.js';
import type { FaultName } from './fault-params.js';
import { parseSweepArgs, SWEEP_USAGE } from './raft-sweep-args.js';
import type { SweepArgs } from './raft-sweep-args.js';
import { aggregate, formatReport, replayCommand, runTask, sweepTasks } from './raft-sweep.js';
import type { RunSummary, RunTask } from './raft-sweep.js';

interface WorkerOptions {
  readonly faults: readonly FaultName[];
  readonly durationMs: number;
  readonly quietMs: number;
}

type ToWorker = { readonly tasks: readonly RunTask[] } | { readonly stop: true };

const BATCH = 10;

/** Progress on stderr: one updating line on a terminal, a line every 5% otherwise (logs). */
function progress(done: number, total: number, failures: number, startMs: number): void {
  const tty = process.stderr.isTTY === true;
  if (!tty && done % Math.max(1, Math.round(total / 20)) !== 0 && done !== total) return;
  const elapsedS = (performance.now() - startMs) / 1000;
  const etaS = done === 0 ? 0 : (elapsedS / done) * (total - done);
  const line = `${done}/${total} runs, ${failures} violations, ${elapsedS.toFixed(0)} s elapsed, ~${etaS.toFixed(0)} s left`;
  process.stderr.write(tty ? `\r${line}   ` : `${line}\n`);
}

async function runParallel(args: SweepArgs, tasks: readonly RunTask[], onDone: (s: RunSummary) => void): Promise<void> {
  const options: WorkerOptions = { faults: args.faults, durationMs: args.durationMs, quietMs: args.quietMs };
  // the worker needs tsx's loader too: register it, then load this very file in worker mode
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(args.jobs, availableParallelism() * 2, Math.ceil(tasks.length / BATCH)) }, () => {
      const worker = new Worker(boot, { eval: true, workerData: options });
      return new Promise<void>((resolve, reject) => {
        let inFlight = 0;
        const feed = (): void => {
          const batch = tasks.slice(next, next + BATCH);
          next += batch.length;
          inFlight = batch.length;
          const msg: ToWorker = batch.length > 0 ? { tasks: batch } : { stop: true };
          worker.postMessage(msg);
          if (batch.length === 0) resolve();
        };
        worker.on('message', (s: RunSummary) => {
          onDone(s);
          if (--inFlight === 0) feed();
        });
        worker.on('error', reject);
        feed();
      });
    }),
  );
}

function workerMain(): void {
  const options = workerData as WorkerOptions;
  parentPort?.on('message', (msg: ToWorker) => {
    if ('stop' in msg) {
      parentPort?.close();
      return;
    }
    for (const task of msg.tasks) parentPort?.postMessage(runTask(task, options));
  });
}

async function main(argv: readonly string[]): Promise<number> {
  let args: SweepArgs;
  try {
    args = parseSweepArgs(argv);
  } catch (err) {
    if (isFabsimError(err, 'SIM_USAGE')) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (args.help) {
    process.stdout.write(`${SWEEP_USAGE}\n`);
    return 0;
  }
  const tasks = sweepTasks(args);
  const summaries: RunSummary[] = [];
  const startMs = performance.now();
  let failures = 0;
  const showProgress = tasks.length > 1 && !args.verbose;
  const onDone = (s: RunSummary): void => {
    summaries.push(s);
    if (s.failure !== undefined) {
      failures++;
      // say it now: a long sweep should not hide a violation until the end
      const replay = replayCommand({ seed: s.seed, nodes: s.nodes, faults: args.faults, durationMs: args.durationMs, quietMs: args.quietMs });
      process.stderr.write(`VIOLATION seed ${s.seed}, ${s.nodes} nodes: ${s.failure.kind}: ${s.failure.message.split('\n')[0]}\n  replay: ${replay}\n`);
    }
    if (showProgress) progress(summaries.length, tasks.length, failures, startMs);
  };
  if (args.jobs > 1 && !args.verbose && tasks.length > 1) {
    await runParallel(args, tasks, onDone);
  } else {
    for (const task of tasks) {
      if (args.verbose) process.stdout.write(`--- seed ${task.seed}, ${task.nodes} nodes ---\n`);
      const onTrace = args.verbose ? (line: string): void => void process.stdout.write(`${line}\n`) : undefined;
      onDone(runTask(task, { faults: args.faults, durationMs: args.durationMs, quietMs: args.quietMs, ...(onTrace ? { onTrace } : {}) }));
    }
  }
  if (showProgress && process.stderr.isTTY === true) process.stderr.write('\n');
  const report = aggregate(summaries, args);
  process.stdout.write(`${formatReport(report)}\n`);
  process.stdout.write(`wall time: ${((performance.now() - startMs) / 1000).toFixed(1)} s${args.jobs > 1 ? ` with ${args.jobs} jobs` : ''}\n`);
  return report.failures.length > 0 ? 1 : 0;
}

if (isMainThread) {
  // `... --verbose | head` closes the pipe early: stop quietly
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  process.exitCode = await main(process.argv.slice(2));
} else {
  workerMain();
}
