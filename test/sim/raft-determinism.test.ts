import { describe, expect, it } from 'vitest';
import { ALL_FAULTS } from '../../src/sim/fault-params.js';
import { runSweep } from '../../src/sim/raft-sweep.js';
import { runSimulation } from '../../src/sim/sim-raft-cluster.js';
import type { SimRunResult } from '../../src/sim/sim-run.js';

/** A failure is only useful if it replays: the same seed must give the same trace and figures. */
function run(seed: number, nodes: number, lines?: string[]): SimRunResult {
  return runSimulation({
    seed,
    nodes,
    faults: new Set(ALL_FAULTS),
    durationMs: 3000,
    ...(lines === undefined ? {} : { onTrace: (l: string) => void lines.push(l) }),
  });
}

const figures = (r: SimRunResult): unknown => ({
  hash: r.traceHash,
  steps: r.steps,
  elections: r.electionTimesMs,
  committed: r.committedPayloads,
  highest: r.highestCommitted,
  network: r.network,
  injected: r.injected,
  proposals: r.proposals,
});

describe('the Raft simulator is deterministic', () => {
  it('replays a seed to the same trace hash, trace lines and figures', () => {
    const linesA: string[] = [];
    const linesB: string[] = [];
    const a = run(31, 5, linesA);
    const b = run(31, 5, linesB);
    expect(a.steps).toBeGreaterThan(10_000);
    expect(figures(b)).toEqual(figures(a));
    expect(linesB).toEqual(linesA);
    // listening to the trace does not change the run
    expect(figures(run(31, 5))).toEqual(figures(a));
  });

  it('gives different seeds different traces', () => {
    expect(run(32, 5).traceHash).not.toBe(run(31, 5).traceHash);
    expect(run(31, 3).traceHash).not.toBe(run(31, 5).traceHash);
  });

  it('gives the same sweep report twice', () => {
    const opts = { seeds: [1, 2, 3], nodeCounts: [3, 5], faults: [...ALL_FAULTS], durationMs: 2000 };
    expect(runSweep(opts)).toEqual(runSweep(opts));
  });
});
