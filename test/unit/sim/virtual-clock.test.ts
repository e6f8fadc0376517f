import { describe, expect, it } from 'vitest';
import { EventQueue } from '../../../src/sim/event-queue.js';
import { VirtualClock } from '../../../src/sim/virtual-clock.js';

describe('EventQueue', () => {
  it('pops by time, then by insertion order', () => {
    const q = new EventQueue<string>();
    const input: [number, string][] = [[5, 'a'], [1, 'b'], [5, 'c'], [3, 'd'], [1, 'e'], [0, 'f'], [5, 'g']];
    for (const [at, v] of input) q.push(at, v);
    const out: string[] = [];
    for (let e = q.pop(); e !== undefined; e = q.pop()) out.push(`${e.atMs}${e.value}`);
    expect(out).toEqual(['0f', '1b', '1e', '3d', '5a', '5c', '5g']);
  });

  it('stays ordered under many interleaved pushes and pops', () => {
    const q = new EventQueue<number>();
    let x = 12345;
    const next = (): number => (x = (x * 1103515245 + 12345) % 2147483648) % 100;
    const popped: [number, number][] = [];
    for (let i = 0; i < 2000; i++) {
      q.push(next(), i);
      if (i % 3 === 0) {
        const e = q.pop();
        if (e) popped.push([e.atMs, e.seq]);
      }
    }
    while (q.size > 0) {
      const e = q.pop();
      if (e) popped.push([e.atMs, e.seq]);
    }
    expect(popped).toHaveLength(2000);
    // the drained tail (no pushes in between) is sorted by (time, seq)
    const tail = popped.slice(667);
    for (let i = 1; i < tail.length; i++) {
      const [a, b] = [tail[i - 1] as [number, number], tail[i] as [number, number]];
      expect(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])).toBe(true);
    }
  });
});

describe('VirtualClock', () => {
  it('runs events in time order and moves time only to each event', () => {
    const clock = new VirtualClock(100);
    const seen: string[] = [];
    clock.schedule(20, () => seen.push(`b@${clock.nowMs()}`));
    clock.schedule(10, () => seen.push(`a@${clock.nowMs()}`));
    clock.schedule(20, () => seen.push(`c@${clock.nowMs()}`));
    expect(clock.nowMs()).toBe(100);
    clock.runUntil(1000);
    expect(seen).toEqual(['a@110', 'b@120', 'c@120']);
    expect(clock.nowMs()).toBe(1000);
  });

  it('runs an event scheduled "now" after the events already due at that time', () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    clock.schedule(5, () => {
      seen.push('first');
      clock.schedule(0, () => seen.push('nested'));
    });
    clock.schedule(5, () => seen.push('second'));
    clock.runUntil(5);
    expect(seen).toEqual(['first', 'second', 'nested']);
  });

  it('skips cancelled events and stops where asked', () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    const h = clock.schedule(1, () => seen.push(1));
    clock.schedule(2, () => seen.push(2));
    clock.schedule(3, () => seen.push(3));
    clock.cancel(h);
    clock.runUntil(10, () => seen.length === 1);
    expect(seen).toEqual([2]);
    expect(clock.nowMs()).toBe(2);
    expect(clock.nextEventMs()).toBe(3);
    expect(clock.runNext()).toBe(true);
    expect(clock.runNext()).toBe(false);
  });

  it('refuses to schedule in the past', () => {
    const clock = new VirtualClock(50);
    expect(() => clock.scheduleAt(49, () => undefined)).toThrow(/cannot schedule at 49/);
    expect(() => clock.schedule(-1, () => undefined)).toThrow(/non-negative/);
  });
});
