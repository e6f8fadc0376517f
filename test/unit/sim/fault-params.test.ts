import { describe, expect, it } from 'vitest';
import { deriveRng } from '../../../src/sim/derive-rng.js';
import { ALL_FAULTS, drawFaultParams } from '../../../src/sim/fault-params.js';
import type { FaultName } from '../../../src/sim/fault-params.js';

describe('deriveRng', () => {
  it('gives one reproducible, independent stream per (seed, concern)', () => {
    const draw = (seed: number, concern: string): number[] => {
      const rng = deriveRng(seed, concern);
      return Array.from({ length: 5 }, () => rng.nextInt(1_000_000));
    };
    expect(draw(1, 'net.drop')).toEqual(draw(1, 'net.drop'));
    expect(draw(1, 'net.drop')).not.toEqual(draw(1, 'net.delay'));
    expect(draw(1, 'net.drop')).not.toEqual(draw(2, 'net.drop'));
  });
});

describe('drawFaultParams', () => {
  it('zeroes disabled faults without changing the enabled ones', () => {
    const all = drawFaultParams(deriveRng(9, 'params'), new Set(ALL_FAULTS));
    const some = drawFaultParams(deriveRng(9, 'params'), new Set<FaultName>(['drop', 'crash']));
    expect(some.dropProbability).toBe(all.dropProbability);
    expect(some.crashEveryMs).toBe(all.crashEveryMs);
    expect(some.duplicateProbability).toBe(0);
    expect(some.partitionEveryMs).toBe(0);
    expect(some.snapshotEveryEntries).toBe(0);
    expect(some.transferEveryMs).toBe(0);
    expect([some.minDelayMs, some.maxDelayMs]).toEqual([1, 1]);
    expect(all.maxDelayMs).toBeGreaterThan(all.minDelayMs);
  });

  it('draws parameters within their documented ranges for many seeds', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const p = drawFaultParams(deriveRng(seed, 'params'), new Set(ALL_FAULTS));
      expect(p.dropProbability).toBeGreaterThanOrEqual(0);
      expect(p.dropProbability).toBeLessThan(0.15);
      expect(p.partitionMaxMs).toBeGreaterThanOrEqual(p.partitionMinMs);
      expect(p.downMaxMs).toBeGreaterThanOrEqual(p.downMinMs);
      expect(p.snapshotEveryEntries).toBeGreaterThanOrEqual(5);
    }
  });
});
