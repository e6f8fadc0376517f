import { fnv1a32 } from './derive-rng.js';
import { ALL_FAULTS } from './fault-params.js';
import type { FaultName } from './fault-params.js';
import { runSimulation } from './sim-raft-cluster.js';
import { defaultQuietMs } from './sim-run.js';
import type { FaultCounts, RunFailure, SimRunResult } from './sim-run.js';
import { median, percentile } from './stats.js';

/**
 * The seed sweep behind `npm run sim:raft`: many independent simulated runs, one per (seed, cluster
 * size), each checked by the invariant checker at every step, summarized as figures a learner can
 * read (violations, time to elect a new leader after a leader crash, committed entries per simulated
 * second). Pure: the same options give the same report.
 */
export interface SweepOptions {
  readonly seeds: readonly number[];
  /** Every seed runs once per cluster size listed. */
  readonly nodeCounts: readonly number[];
  readonly faults: readonly FaultName[];
  readonly durationMs: number;
  /** The fault-free tail of each run (faults stop, crashed nodes restart, the network heals). */
  readonly quietMs?: number;
  readonly onTrace?: (line: string) => void;
  /** Called after each run (progress). */
  readonly onRun?: (summary: RunSummary, done: number, total: number) => void;
}

/** The serializable outcome of one run (what a sweep worker sends back). */
export interface RunSummary {
  readonly seed: number;
  readonly nodes: number;
  readonly failure: RunFailure | undefined;
  readonly converged: boolean;
  readonly convergenceDetail: string;
  readonly traceHash: string;
  readonly steps: number;
  readonly simulatedMs: number;
  readonly electionTimesMs: readonly number[];
  readonly committedPayloads: number;
  readonly snapshotsSent: number;
  readonly injected: FaultCounts & { readonly dropped: number; readonly duplicated: number; readonly reordered: number };
}

export type InjectedTotals = RunSummary['injected'];

export interface RunTask {
  readonly seed: number;
  readonly nodes: number;
}

export interface SweepReport {
  readonly seedCount: number;
  readonly nodeCounts: readonly number[];
  readonly faults: readonly FaultName[];
  readonly durationMs: number;
  readonly runs: number;
  readonly failures: readonly (RunSummary & { readonly replay: string })[];
  readonly notConverged: readonly (RunSummary & { readonly replay: string })[];
  readonly leaderCrashes: number;
  readonly electionMedianMs: number | undefined;
  readonly electionP99Ms: number | undefined;
  readonly electionMaxMs: number | undefined;
  /** Committed client entries per simulated second: the median run, and all runs pooled. */
  readonly committedPerSecondMedian: number | undefined;
  readonly committedPerSecondOverall: number | undefined;
  readonly snapshotsSent: number;
  readonly injected: InjectedTotals;
  readonly steps: number;
  /** One hash over every run's trace hash, in task order: equal for equal options. */
  readonly digest: string;
}

export const DEFAULT_DURATION_S = 20;

export function sweepTasks(options: Pick<SweepOptions, 'seeds' | 'nodeCounts'>): RunTask[] {
  return options.seeds.flatMap((seed) => options.nodeCounts.map((nodes) => ({ seed, nodes })));
}

export function runTask(task: RunTask, options: Omit<SweepOptions, 'seeds' | 'nodeCounts'>): RunSummary {
  return summarizeRun(
    runSimulation({
      seed: task.seed,
      nodes: task.nodes,
      faults: new Set(options.faults),
      durationMs: options.durationMs,
      quietMs: options.quietMs ?? defaultQuietMs(options.durationMs),
      ...(options.onTrace === undefined ? {} : { onTrace: options.onTrace }),
    }),
  );
}

export function summarizeRun(r: SimRunResult): RunSummary {
  return {
    seed: r.seed,
    nodes: r.nodes,
    failure: r.failure,
    converged: r.converged,
    convergenceDetail: r.convergenceDetail,
    traceHash: r.traceHash,
    steps: r.steps,
    simulatedMs: r.simulatedMs,
    electionTimesMs: r.electionTimesMs,
    committedPayloads: r.committedPayloads,
    snapshotsSent: r.snapshotsSent,
    injected: { ...r.injected, dropped: r.network.dropped, duplicated: r.network.duplicated, reordered: r.network.reordered },
  };
}

/** Runs the sweep in this thread. */
export function runSweep(options: SweepOptions): SweepReport {
  const tasks = sweepTasks(options);
  const summaries = tasks.map((task, i) => {
    const s = runTask(task, options);
    options.onRun?.(s, i + 1, tasks.length);
    return s;
  });
  return aggregate(summaries, options);
}

/** The report over finished runs (in any order: they are sorted by task first). */
export function aggregate(summaries: readonly RunSummary[], options: Omit<SweepOptions, 'onTrace' | 'onRun'>): SweepReport {
  const runs = [...summaries].sort((a, b) => a.seed - b.seed || a.nodes - b.nodes);
  const replayOf = (s: RunSummary): string =>
    replayCommand({ seed: s.seed, nodes: s.nodes, faults: options.faults, durationMs: options.durationMs, ...(options.quietMs === undefined ? {} : { quietMs: options.quietMs }) });
  const elections = runs.flatMap((r) => r.electionTimesMs);
  const rates = runs.map((r) => r.committedPayloads / (r.simulatedMs / 1000));
  const totalPayloads = runs.reduce((a, r) => a + r.committedPayloads, 0);
  const totalSeconds = runs.reduce((a, r) => a + r.simulatedMs / 1000, 0);
  let digest = 0x811c9dc5;
  for (const r of runs) digest = fnv1a32(`${r.seed}/${r.nodes}:${r.traceHash};`, digest);
  return {
    seedCount: new Set(runs.map((r) => r.seed)).size,
    nodeCounts: options.nodeCounts,
    faults: options.faults,
    durationMs: options.durationMs,
    runs: runs.length,
    failures: runs.filter((r) => r.failure !== undefined).map((r) => ({ ...r, replay: replayOf(r) })),
    notConverged: runs.filter((r) => r.failure === undefined && !r.converged).map((r) => ({ ...r, replay: replayOf(r) })),
    leaderCrashes: elections.length,
    electionMedianMs: median(elections),
    electionP99Ms: percentile(elections, 99),
    electionMaxMs: percentile(elections, 100),
    committedPerSecondMedian: median(rates),
    committedPerSecondOverall: totalSeconds === 0 ? undefined : totalPayloads / totalSeconds,
    snapshotsSent: runs.reduce((a, r) => a + r.snapshotsSent, 0),
    injected: sumInjected(runs),
    steps: runs.reduce((a, r) => a + r.steps, 0),
    digest: digest.toString(16).padStart(8, '0'),
  };
}

function sumInjected(runs: readonly RunSummary[]): InjectedTotals {
  const total = { crashes: 0, leaderCrashes: 0, partitions: 0, transfers: 0, membershipChanges: 0, dropped: 0, duplicated: 0, reordered: 0 };
  for (const r of runs) for (const k of Object.keys(total) as (keyof InjectedTotals)[]) total[k] += r.injected[k];
  return total;
}

/** The exact command that replays one run. */
export function replayCommand(o: { seed: number; nodes: number; faults: readonly FaultName[]; durationMs: number; quietMs?: number }): string {
  const faults = o.faults.length === 0 ? 'none' : o.faults.join(',');
  let cmd = `npm run sim:raft -- --seed ${o.seed} --nodes ${o.nodes} --faults ${faults} --duration ${o.durationMs / 1000}`;
  if (o.quietMs !== undefined && o.quietMs !== defaultQuietMs(o.durationMs)) cmd += ` --quiet ${o.quietMs / 1000}`;
  return cmd;
}

function fmt(ms: number | undefined, unit = ' ms'): string {
  return ms === undefined ? 'n/a' : `${Math.round(ms)}${unit}`;
}

/** The human-readable report (what `npm run sim:raft` prints). */
export function formatReport(r: SweepReport): string {
  const lines = [
    `raft simulation sweep: ${r.seedCount} seeds x ${r.nodeCounts.join('/')} nodes = ${r.runs} runs, ${r.durationMs / 1000} simulated s each`,
    `faults: ${r.faults.length === ALL_FAULTS.length && ALL_FAULTS.every((f) => r.faults.includes(f)) ? 'all (' + r.faults.join(',') + ')' : r.faults.join(',') || 'none'}`,
    `violations: ${r.failures.length}`,
    `not converged after faults stopped: ${r.notConverged.length}`,
    `leader crashes measured: ${r.leaderCrashes}; time to elect a new leader: median ${fmt(r.electionMedianMs)}, p99 ${fmt(r.electionP99Ms)}, max ${fmt(r.electionMaxMs)} (simulated)`,
    `committed entries per simulated second: median run ${r.committedPerSecondMedian?.toFixed(1) ?? 'n/a'}, overall ${r.committedPerSecondOverall?.toFixed(1) ?? 'n/a'}`,
    `faults injected: ${r.injected.crashes} crashes (${r.injected.leaderCrashes} of a leader), ${r.injected.partitions} partitions, ${r.injected.transfers} leader transfers,${r.injected.membershipChanges > 0 ? ` ${r.injected.membershipChanges} membership changes,` : ''} ${r.injected.dropped} messages lost, ${r.injected.duplicated} duplicated, ${r.injected.reordered} reordered`,
    `snapshots sent (InstallSnapshot): ${r.snapshotsSent}; steps checked: ${r.steps}; digest ${r.digest}`,
  ];
  for (const f of r.failures) {
    lines.push(`VIOLATION seed ${f.seed}, ${f.nodes} nodes, at ${f.failure?.atMs} ms: ${f.failure?.kind}: ${f.failure?.message}`);
    lines.push(`  replay: ${f.replay}`);
  }
  for (const f of r.notConverged.slice(0, 20)) {
    lines.push(`NOT CONVERGED seed ${f.seed}, ${f.nodes} nodes: ${f.convergenceDetail}`);
    lines.push(`  replay: ${f.replay}`);
  }
  if (r.notConverged.length > 20) lines.push(`  ... and ${r.notConverged.length - 20} more`);
  return lines.join('\n');
}
