import { describe, expect, it } from 'vitest';
import type { Rng } from '../../../src/core/rng.js';
import { SeededRng } from '../../../src/core/rng.js';
import type { Message, SnapshotStatus } from '../../../src/raft/raft-types.js';
import type { NetworkFaults } from '../../../src/sim/sim-network.js';
import { SimNetwork } from '../../../src/sim/sim-network.js';
import { VirtualClock } from '../../../src/sim/virtual-clock.js';

const NO_FAULTS: NetworkFaults = { minDelayMs: 2, maxDelayMs: 2, dropProbability: 0, duplicateProbability: 0, reorderProbability: 0, reorderMaxMs: 0 };

function msg(from: number, to: number, fields: Partial<Message> = {}): Message {
  return { type: 'MsgHeartbeat', from, to, term: 1, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0, ...fields };
}

function setup(faults: NetworkFaults, rngs: Partial<Record<'delay' | 'drop' | 'duplicate' | 'reorder', Rng>> = {}) {
  const clock = new VirtualClock();
  const delivered: string[] = [];
  const snapshots: [number, SnapshotStatus][] = [];
  const unreachable: string[] = [];
  const net = new SimNetwork(
    clock,
    faults,
    { delay: rngs.delay ?? new SeededRng(1), drop: rngs.drop ?? new SeededRng(2), duplicate: rngs.duplicate ?? new SeededRng(3), reorder: rngs.reorder ?? new SeededRng(4) },
    {
      deliver: (m) => delivered.push(`${clock.nowMs()}:${m.from}->${m.to}:${m.index}`),
      snapshotOutcome: (m, status) => snapshots.push([m.to, status]),
      unreachable: (from, to) => unreachable.push(`${from}->${to}`),
    },
  );
  return { clock, net, delivered, snapshots, unreachable };
}

describe('SimNetwork', () => {
  it('delivers after the configured delay', () => {
    const { clock, net, delivered } = setup(NO_FAULTS);
    net.send(1, msg(1, 2, { index: 7 }));
    clock.runUntil(1);
    expect(delivered).toEqual([]);
    clock.runUntil(10);
    expect(delivered).toEqual(['2:1->2:7']);
    expect(net.stats).toMatchObject({ sent: 1, delivered: 1, dropped: 0 });
  });

  it('keeps delays within [min, max]', () => {
    const { clock, net, delivered } = setup({ ...NO_FAULTS, minDelayMs: 3, maxDelayMs: 9 });
    for (let i = 0; i < 200; i++) net.send(1, msg(1, 2, { index: i }));
    clock.runUntil(100);
    const times = delivered.map((d) => Number(d.split(':')[0]));
    expect(Math.min(...times)).toBe(3);
    expect(Math.max(...times)).toBe(9);
  });

  it('drops everything at drop probability 1, and reports a lost MsgSnap as a failure', () => {
    const { clock, net, delivered, snapshots } = setup({ ...NO_FAULTS, dropProbability: 1 });
    net.send(1, msg(1, 2));
    net.send(1, msg(1, 3, { type: 'MsgSnap' }));
    clock.runUntil(100);
    expect(delivered).toEqual([]);
    expect(snapshots).toEqual([[3, 'failure']]);
    expect(net.stats.dropped).toBe(2);
  });

  it('reports a delivered MsgSnap as finished', () => {
    const { clock, net, snapshots } = setup(NO_FAULTS);
    net.send(1, msg(1, 3, { type: 'MsgSnap' }));
    clock.runUntil(100);
    expect(snapshots).toEqual([[3, 'finish']]);
  });

  it('duplicates messages, but never a forwarded proposal', () => {
    const { clock, net, delivered } = setup({ ...NO_FAULTS, duplicateProbability: 1 });
    net.send(1, msg(1, 2, { index: 1 }));
    net.send(1, msg(1, 2, { type: 'MsgProp', index: 2 }));
    clock.runUntil(100);
    expect(delivered.map((d) => d.split(':')[2])).toEqual(['1', '1', '2']);
    expect(net.stats.duplicated).toBe(1);
  });

  it('reorders: a message given extra delay is overtaken by a later one', () => {
    let calls = 0;
    // the first message draws "reorder" (0.0 < p), the second does not (0.99)
    const reorder: Rng = { nextFloat: () => (calls++ < 1 ? 0 : 0.99), nextInt: (max) => max - 1 };
    const { clock, net, delivered } = setup({ ...NO_FAULTS, reorderProbability: 0.5, reorderMaxMs: 50 }, { reorder });
    net.send(1, msg(1, 2, { index: 1 }));
    net.send(1, msg(1, 2, { index: 2 }));
    clock.runUntil(100);
    expect(delivered).toEqual(['2:1->2:2', '52:1->2:1']);
  });

  it('loses messages across a partition, in both directions, until healed', () => {
    const { clock, net, delivered, unreachable } = setup(NO_FAULTS);
    net.partition([[1], [2, 3]]);
    net.send(1, msg(1, 2));
    net.send(3, msg(3, 1));
    net.send(2, msg(2, 3, { index: 5 }));
    clock.runUntil(10);
    expect(delivered).toEqual(['2:2->3:5']);
    expect(unreachable).toEqual(['1->2', '3->1']);
    net.heal();
    net.send(1, msg(1, 2, { index: 6 }));
    clock.runUntil(20);
    expect(delivered).toEqual(['2:2->3:5', '12:1->2:6']);
  });

  it('loses a message in flight when a partition starts before it arrives', () => {
    const { clock, net, delivered } = setup(NO_FAULTS);
    net.send(1, msg(1, 2));
    net.partition([[1], [2]]);
    clock.runUntil(10);
    expect(delivered).toEqual([]);
  });

  it('loses messages to a crashed node, including those in flight to an incarnation that restarted', () => {
    const { clock, net, delivered, unreachable } = setup(NO_FAULTS);
    net.send(1, msg(1, 2, { index: 1 }));
    net.setDown(2, true);
    net.setDown(2, false); // restarted before the message arrives: a new connection, the old message is gone
    net.send(1, msg(1, 2, { index: 2 }));
    net.setDown(3, true);
    net.send(1, msg(1, 3, { index: 3 }));
    clock.runUntil(10);
    expect(delivered).toEqual(['2:1->2:2']);
    expect(unreachable).toEqual(['1->3']);
    expect(() => net.send(3, msg(3, 1))).toThrow(/crashed node \(3\) cannot send/);
  });

  it('routes a forwarded proposal by its actual sender, not by m.from', () => {
    const { clock, net, delivered } = setup(NO_FAULTS);
    net.partition([[1], [2, 3]]);
    // node 3 forwards node 1's proposal to node 2: allowed, 3 and 2 are connected
    net.send(3, msg(1, 2, { type: 'MsgProp', index: 9 }));
    clock.runUntil(10);
    expect(delivered).toEqual(['2:1->2:9']);
  });

  it('draws every fault stream once per message, so one fault setting never shifts another', () => {
    const run = (dropProbability: number): string[] => {
      const { clock, net, delivered } = setup({ ...NO_FAULTS, maxDelayMs: 30, dropProbability });
      for (let i = 0; i < 50; i++) net.send(1, msg(1, 2, { index: i }));
      clock.runUntil(100);
      return delivered;
    };
    const all = run(0);
    const some = run(0.5);
    expect(some.length).toBeLessThan(all.length);
    // the survivors arrive exactly when they did without drops
    for (const d of some) expect(all).toContain(d);
  });
});
