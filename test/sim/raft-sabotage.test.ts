import { describe, expect, it } from 'vitest';
import { ALL_FAULTS } from '../../src/sim/fault-params.js';
import { replayCommand } from '../../src/sim/raft-sweep.js';
import { runSimulation } from '../../src/sim/sim-raft-cluster.js';
import type { SimRunOptions } from '../../src/sim/sim-run.js';

/**
 * The whole pipeline can fail: with a deliberately broken disk (a restarted node forgets its vote,
 * which §5.2 forbids because it lets the node vote twice in one term), the sweep must stop a run at
 * the violation and name it, and replaying that seed must hit the very same violation.
 */
describe('the simulator catches a real durability bug', () => {
  it('flags a disk that forgets its vote across a restart, and the failure replays exactly', () => {
    const options = (seed: number): SimRunOptions => ({ seed, nodes: 3, faults: new Set(ALL_FAULTS), durationMs: 3000, sabotage: { forgetVoteOnRestart: true } });
    let first;
    for (let seed = 1; seed <= 60 && first === undefined; seed++) {
      const r = runSimulation(options(seed));
      if (r.failure !== undefined) first = r;
    }
    if (first === undefined) throw new Error('60 sabotaged seeds ran without a violation: the checker missed a real bug');
    expect(['vote safety', 'election safety']).toContain(first.failure?.kind);
    console.log(`sabotaged run caught: seed ${first.seed}: ${first.failure?.kind}: ${first.failure?.message}\n  replay: ${replayCommand({ seed: first.seed, nodes: 3, faults: [...ALL_FAULTS], durationMs: 3000 })} (with the sabotage)`);
    const replay = runSimulation(options(first.seed));
    expect(replay.failure).toEqual(first.failure);
    expect(replay.traceHash).toBe(first.traceHash);
    // the same seeds without the bug are clean
    expect(runSimulation({ ...options(first.seed), sabotage: {} }).failure).toBeUndefined();
  });
});
