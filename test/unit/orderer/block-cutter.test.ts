import { describe, expect, it } from 'vitest';
import { BlockCutter } from '../../../src/orderer/block-cutter.js';

const env = (size: number, tag = 0): Uint8Array => new Uint8Array(size).fill(tag);
const sizes = (batches: Uint8Array[][]): number[][] => batches.map((b) => b.map((e) => e.length));

describe('BlockCutter (Fabric blockcutter semantics)', () => {
  it('cuts a batch when MaxMessageCount is reached', () => {
    const cutter = new BlockCutter({ maxMessageCount: 3, absoluteMaxBytes: 1000, preferredMaxBytes: 1000 });
    expect(cutter.ordered(env(10))).toEqual({ batches: [], pending: true });
    expect(cutter.ordered(env(10)).batches).toEqual([]);
    const third = cutter.ordered(env(10));
    expect(sizes(third.batches)).toEqual([[10, 10, 10]]);
    expect(third.pending).toBe(false);
  });

  it('cuts the pending batch first when an envelope would exceed PreferredMaxBytes', () => {
    const cutter = new BlockCutter({ maxMessageCount: 10, absoluteMaxBytes: 1000, preferredMaxBytes: 100 });
    cutter.ordered(env(60));
    const result = cutter.ordered(env(50));
    expect(sizes(result.batches)).toEqual([[60]]);
    expect(result.pending).toBe(true);
    expect(cutter.pendingCount).toBe(1);
  });

  it('isolates an envelope larger than PreferredMaxBytes in its own batch', () => {
    const cutter = new BlockCutter({ maxMessageCount: 10, absoluteMaxBytes: 1000, preferredMaxBytes: 100 });
    cutter.ordered(env(30));
    const result = cutter.ordered(env(200));
    expect(sizes(result.batches)).toEqual([[30], [200]]);
    expect(result.pending).toBe(false);
    // with nothing pending, only the big envelope is cut
    expect(sizes(cutter.ordered(env(150)).batches)).toEqual([[150]]);
  });

  it('cut() (the BatchTimeout firing) returns what is pending, in order', () => {
    const cutter = new BlockCutter({ maxMessageCount: 10, absoluteMaxBytes: 1000, preferredMaxBytes: 1000 });
    cutter.ordered(env(1, 1));
    cutter.ordered(env(1, 2));
    expect(cutter.cut().map((e) => e[0])).toEqual([1, 2]);
    expect(cutter.cut()).toEqual([]);
  });
});
