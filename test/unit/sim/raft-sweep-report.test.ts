import { describe, expect, it } from 'vitest';
import { ALL_FAULTS } from '../../../src/sim/fault-params.js';
import { aggregate, formatReport } from '../../../src/sim/raft-sweep.js';
import type { RunSummary } from '../../../src/sim/raft-sweep.js';
import { median, percentile } from '../../../src/sim/stats.js';

function summary(seed: number, nodes: number, fields: Partial<RunSummary> = {}): RunSummary {
  return {
    seed,
    nodes,
    failure: undefined,
    converged: true,
    convergenceDetail: 'ok',
    traceHash: `h${seed}-${nodes}`,
    steps: 10,
    simulatedMs: 20_000,
    electionTimesMs: [],
    committedPayloads: 700,
    snapshotsSent: 1,
    injected: { crashes: 1, leaderCrashes: 1, partitions: 1, transfers: 1, membershipChanges: 0, dropped: 1, duplicated: 1, reordered: 1 },
    ...fields,
  };
}

const OPTIONS = { seeds: [], nodeCounts: [3, 5], faults: [...ALL_FAULTS], durationMs: 20_000 };

describe('the sweep report', () => {
  it('computes nearest-rank percentiles', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentile([], 50)).toBeUndefined();
  });

  it('summarizes a 10000-seed sweep (hundreds of thousands of elections) without blowing the stack', () => {
    const runs = Array.from({ length: 20_000 }, (_, i) => summary(1 + (i >> 1), i % 2 === 0 ? 3 : 5, { electionTimesMs: Array.from({ length: 20 }, (_, k) => 100 + ((i + k) % 400)) }));
    const r = aggregate(runs, OPTIONS);
    expect(r.runs).toBe(20_000);
    expect(r.seedCount).toBe(10_000);
    expect(r.leaderCrashes).toBe(400_000);
    expect(r.electionMaxMs).toBe(499);
    expect(r.committedPerSecondOverall).toBeCloseTo(35);
  });

  it('lists each violation with its replay command, and does not depend on the order runs finished in', () => {
    const runs = [summary(2, 3), summary(1, 5, { failure: { kind: 'election safety', message: 'nodes 1 and 2 are both leader in term 4', atMs: 1234 } }), summary(1, 3)];
    const a = aggregate(runs, OPTIONS);
    expect(aggregate([...runs].reverse(), OPTIONS)).toEqual(a);
    const text = formatReport(a);
    expect(text).toContain('violations: 1');
    expect(text).toContain('VIOLATION seed 1, 5 nodes, at 1234 ms: election safety: nodes 1 and 2 are both leader in term 4');
    expect(text).toContain('replay: npm run sim:raft -- --seed 1 --nodes 5 --faults delay,drop,duplicate,reorder,partition,crash,snapshot,transfer --duration 20');
  });
});
