import { describe, expect, it } from 'vitest';
import { isFabsimError } from '../../../src/core/errors.js';
import { ALL_FAULTS } from '../../../src/sim/fault-params.js';
import { parseSweepArgs } from '../../../src/sim/raft-sweep-args.js';
import { replayCommand } from '../../../src/sim/raft-sweep.js';

describe('parseSweepArgs (npm run sim:raft)', () => {
  it('defaults to 100 seeds on 3 and 5 nodes with every fault', () => {
    const a = parseSweepArgs([]);
    expect(a.seeds).toHaveLength(100);
    expect(a.seeds[0]).toBe(1);
    expect(a.nodeCounts).toEqual([3, 5]);
    expect(a.faults).toEqual([...ALL_FAULTS]);
    expect(a.durationMs).toBe(20_000);
    expect(a.verbose).toBe(false);
  });

  it('reads --seeds, --first-seed, --nodes, --faults, --duration, --verbose, --jobs', () => {
    const a = parseSweepArgs(['--seeds', '10', '--first-seed', '50', '--nodes', '5', '--faults', 'crash,drop', '--duration', '2.5', '--verbose', '--jobs', '2']);
    expect(a.seeds).toEqual([50, 51, 52, 53, 54, 55, 56, 57, 58, 59]);
    expect(a.nodeCounts).toEqual([5]);
    expect(a.faults).toEqual(['drop', 'crash']); // canonical order
    expect(a.durationMs).toBe(2500);
    expect(a.verbose).toBe(true);
    expect(a.jobs).toBe(2);
  });

  it('replays one seed with --seed, and accepts --faults none', () => {
    const a = parseSweepArgs(['--seed', '42', '--nodes', '3,5', '--faults', 'none']);
    expect(a.seeds).toEqual([42]);
    expect(a.nodeCounts).toEqual([3, 5]);
    expect(a.faults).toEqual([]);
  });

  it('adds the optional membership fault only when asked', () => {
    expect(parseSweepArgs([]).faults).not.toContain('membership');
    expect(parseSweepArgs(['--faults', 'all,membership']).faults).toEqual([...ALL_FAULTS, 'membership']);
  });

  it('round-trips the replay command it prints', () => {
    const cmd = replayCommand({ seed: 7, nodes: 5, faults: ['delay', 'partition'], durationMs: 4000 });
    expect(cmd).toBe('npm run sim:raft -- --seed 7 --nodes 5 --faults delay,partition --duration 4');
    const a = parseSweepArgs(cmd.split(' ').slice(4));
    expect(a).toMatchObject({ seeds: [7], nodeCounts: [5], faults: ['delay', 'partition'], durationMs: 4000 });
  });

  it('explains bad input', () => {
    const bad = [['--nodes', '4'], ['--faults', 'meteor'], ['--seeds', '0'], ['--bogus'], ['--duration', 'x'], ['--quiet', '30', '--duration', '10']];
    for (const argv of bad) {
      let caught: unknown;
      try {
        parseSweepArgs(argv);
      } catch (err) {
        caught = err;
      }
      expect(isFabsimError(caught, 'SIM_USAGE'), argv.join(' ')).toBe(true);
      expect((caught as Error).message).toContain('usage: npm run sim:raft');
    }
  });
});
