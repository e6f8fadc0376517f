/**
 * Replication flow control (etcd's Progress states and Inflights; not in the paper): probe one
 * message at a time, stream in the replicate state within a bounded window, reportUnreachable.
 */
import { describe, expect, it } from 'vitest';
import { Inflights } from '../../../src/raft/inflights.js';
import { Progress } from '../../../src/raft/progress.js';
import { TestNetwork } from './helpers/test-network.js';

describe('Inflights', () => {
  it('is a bounded window of last indexes, freed by acknowledgements', () => {
    const w = new Inflights(3);
    w.add(2);
    w.add(5);
    w.add(9);
    expect(w.full()).toBe(true);
    expect(() => w.add(10)).toThrow(/full/);
    w.freeLE(5);
    expect(w.count).toBe(1);
    w.freeFirstOne();
    expect(w.count).toBe(0);
    expect(() => new Inflights(0)).toThrow();
  });
});

describe('Progress', () => {
  it('probe: one message at a time; a rejection walks next back using the hint; an ack switches to replicate', () => {
    const pr = new Progress(11, 4);
    expect(pr.isPaused()).toBe(false);
    pr.sentEntries(0, 10);
    expect(pr.isPaused()).toBe(true);
    expect(pr.maybeDecrTo(9, 3)).toBe(false); // stale: not the latest probe (next - 1 = 10)
    expect(pr.maybeDecrTo(10, 3)).toBe(true);
    expect(pr.next).toBe(4);
    expect(pr.isPaused()).toBe(false);
    expect(pr.maybeUpdate(3)).toBe(true);
    pr.becomeReplicate();
    expect(pr).toMatchObject({ state: 'replicate', match: 3, next: 4 });
  });

  it('replicate: next advances optimistically; a rejection above match falls back to match + 1', () => {
    const pr = new Progress(1, 2);
    pr.maybeUpdate(5);
    pr.becomeReplicate();
    pr.sentEntries(3, 8);
    pr.sentEntries(2, 10);
    expect(pr.next).toBe(11);
    expect(pr.isPaused()).toBe(true); // window of 2 is full
    expect(pr.maybeDecrTo(4, 0)).toBe(false); // at or below match: stale
    expect(pr.maybeDecrTo(8, 0)).toBe(true);
    expect(pr.next).toBe(6);
  });

  it('snapshot: paused until it is reported; probing resumes after the snapshot', () => {
    const pr = new Progress(1, 2);
    pr.becomeSnapshot(20);
    expect(pr.isPaused()).toBe(true);
    pr.becomeProbe();
    expect(pr.next).toBe(21);
  });
});

describe('flow control in a cluster', () => {
  it('replicate state: at most maxInflightMsgs unacknowledged MsgApp per follower, maxEntriesPerMsg each', () => {
    const net = TestNetwork.create([1, 2, 3], { maxInflightMsgs: 3, maxEntriesPerMsg: 2 });
    net.elect(1);
    net.heartbeat(1);
    expect(net.raw(1).progress()?.[2]?.state).toBe('replicate');
    for (let i = 0; i < 20; i++) net.propose(1, `p${i}`);
    const to2 = net.queue.filter((m) => m.type === 'MsgApp' && m.to === 2);
    expect(to2).toHaveLength(3); // one per proposal until the window is full
    for (const m of to2) expect(m.entries.length).toBeLessThanOrEqual(2);
    // acknowledgements open the window; everything gets there
    net.deliverAll();
    net.heartbeat(1);
    expect(net.node(2).appliedData).toHaveLength(20);
    for (const m of net.delivered.filter((x) => x.type === 'MsgApp')) expect(m.entries.length).toBeLessThanOrEqual(2);
  });

  it('a heartbeat response frees a slot, so lost MsgApps cannot stall a follower forever', () => {
    const net = TestNetwork.create([1, 2, 3], { maxInflightMsgs: 2 });
    net.elect(1);
    net.heartbeat(1);
    net.dropType('MsgApp');
    for (let i = 0; i < 5; i++) net.propose(1, `p${i}`);
    net.deliverAll();
    expect(net.node(2).appliedData).toEqual([]);
    net.heal();
    for (let i = 0; i < 5; i++) net.heartbeat(1);
    expect(net.node(2).appliedData).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
  });

  it('reportUnreachable: a replicating follower goes back to probe; a heartbeat response resumes it', () => {
    const net = TestNetwork.create([1, 2, 3]);
    net.elect(1);
    net.heartbeat(1);
    net.raw(1).reportUnreachable(2);
    expect(net.raw(1).progress()?.[2]?.state).toBe('probe');
    net.propose(1, 'x');
    net.deliverAll();
    net.heartbeat(1);
    expect(net.raw(1).progress()?.[2]?.state).toBe('replicate');
    expect(net.node(2).appliedData).toEqual(['x']);
    net.raw(1).reportUnreachable(42); // unknown: ignored
  });

  it('probe state: while a probe is unanswered, new proposals send nothing more to that follower', () => {
    const net = TestNetwork.create([1, 2, 3]);
    net.elect(1);
    net.heartbeat(1);
    net.raw(1).reportUnreachable(2);
    net.propose(1, 'a');
    net.propose(1, 'b');
    expect(net.queue.filter((m) => m.type === 'MsgApp' && m.to === 2)).toHaveLength(1);
  });
});
