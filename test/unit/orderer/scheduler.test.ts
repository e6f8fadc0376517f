import { describe, expect, it } from 'vitest';
import { ManualScheduler } from '../../../src/orderer/scheduler.js';

describe('ManualScheduler: virtual time for the orderer', () => {
  it('fires due timers in due order (ties in set order), including timers set by callbacks within the span', () => {
    const s = new ManualScheduler();
    const fired: string[] = [];
    s.setTimeout(() => fired.push('b@20'), 20);
    s.setTimeout(() => {
      fired.push('a@10');
      s.setTimeout(() => fired.push('c@15'), 5);
    }, 10);
    s.setTimeout(() => fired.push('b2@20'), 20);
    s.setTimeout(() => fired.push('late@100'), 100);
    s.advance(50);
    expect(fired).toEqual(['a@10', 'c@15', 'b@20', 'b2@20']);
    expect(s.nowMs).toBe(50);
    expect(s.pendingCount).toBe(1);
  });

  it('does not fire cleared timers, and nothing fires before advance', () => {
    const s = new ManualScheduler();
    const fired: number[] = [];
    const id = s.setTimeout(() => fired.push(1), 0);
    s.setTimeout(() => fired.push(2), 0);
    s.clearTimeout(id);
    s.clearTimeout(12345);
    expect(fired).toEqual([]);
    s.advance(0);
    expect(fired).toEqual([2]);
  });
});
