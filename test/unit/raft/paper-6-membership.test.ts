/**
 * Raft paper §6 / thesis §4.1 (cluster membership changes), implemented as single-server changes:
 * a 'confChange' log entry, at most one pending at a time, taking effect when applied.
 */
import { describe, expect, it } from 'vitest';
import { decodeConfChange, encodeConfChange, MemoryRaftStorage, RawNode } from '../../../src/raft/index.js';
import { configFor, TestNetwork } from './helpers/test-network.js';

/** Proposes a change on the leader, replicates, commits and applies it everywhere reachable. */
function change(net: TestNetwork, leader: number, type: 'addNode' | 'removeNode', nodeId: number): void {
  expect(net.raw(leader).proposeConfChange({ type, nodeId }), `propose ${type} ${nodeId}`).toBe(true);
  net.flush(leader);
  net.deliverAll();
  net.heartbeat(leader);
}

describe('§6 membership changes', () => {
  it('§6: a conf change is encoded in a log entry (round trip)', () => {
    for (const cc of [{ type: 'addNode', nodeId: 4 }, { type: 'removeNode', nodeId: 12345 }] as const) {
      expect(decodeConfChange(encodeConfChange(cc))).toEqual(cc);
    }
    expect(() => decodeConfChange(new TextEncoder().encode('{"type":"promote","nodeId":1}'))).toThrow(/unknown type/);
    expect(() => decodeConfChange(new Uint8Array([0xff]))).toThrow(/not an encoded ConfChange/);
  });

  it('§6: adding a node: the new node catches up from the log and the majority grows from 2 of 3 to 3 of 4', () => {
    const net = TestNetwork.create([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'before');
    net.deliverAll();
    // The new server starts with an empty log and the current configuration (without itself): it is
    // not a voter yet and never campaigns. Replaying the log from index 1, it applies its own addition.
    const n4 = net.addNode(4, MemoryRaftStorage.bootstrap([1, 2, 3]));
    for (let i = 0; i < 50; i++) net.tick(4);
    expect(net.raw(4).status()).toMatchObject({ role: 'follower', term: 0 });

    change(net, 1, 'addNode', 4);
    for (const id of [1, 2, 3, 4]) expect(net.raw(id).status().voters, `node ${id}`).toEqual([1, 2, 3, 4]);
    expect(n4.appliedData).toEqual(['before']);
    expect(n4.confState.voters).toEqual([1, 2, 3, 4]);

    // 2 of 4 is no longer a majority
    net.isolate(3);
    net.isolate(4);
    net.propose(1, 'needs-3-of-4');
    net.deliverAll();
    expect(net.node(1).appliedData).toEqual(['before']);
    net.heal();
    net.isolate(3);
    net.deliverAll();
    net.heartbeat(1);
    expect(net.node(1).appliedData).toEqual(['before', 'needs-3-of-4']);
  });

  it('§6: the configuration changes only when the entry is applied, not when it is appended or committed', () => {
    const net = TestNetwork.create([1, 2, 3]);
    net.elect(1);
    expect(net.raw(1).proposeConfChange({ type: 'addNode', nodeId: 4 })).toBe(true);
    // Not yet: the entry is only appended.
    expect(net.raw(1).status().voters).toEqual([1, 2, 3]);
    const rd = net.raw(1).ready();
    expect(rd.entries.map((e) => e.type)).toEqual(['confChange']);
    net.node(1).storage.append(rd.entries);
    net.raw(1).advance();
    expect(net.raw(1).status().voters).toEqual([1, 2, 3]);
  });

  it('§6: one change at a time: a second change is refused until the first is applied', () => {
    const net = TestNetwork.create([1, 2, 3]);
    net.elect(1);
    net.addNode(4, MemoryRaftStorage.bootstrap([1, 2, 3]));
    net.addNode(5, MemoryRaftStorage.bootstrap([1, 2, 3]));
    expect(net.raw(1).proposeConfChange({ type: 'addNode', nodeId: 4 })).toBe(true);
    expect(net.raw(1).proposeConfChange({ type: 'addNode', nodeId: 5 })).toBe(false);
    net.flush(1);
    net.deliverAll();
    // committed and applied on the leader now: the next one is accepted
    expect(net.raw(1).status().voters).toEqual([1, 2, 3, 4]);
    change(net, 1, 'addNode', 5);
    for (const id of [1, 2, 3, 4, 5]) expect(net.raw(id).status().voters).toEqual([1, 2, 3, 4, 5]);
  });

  it('§6: a new leader accepts no change until everything in its log before its term is applied (a hidden pending change)', () => {
    const net = TestNetwork.create([1, 2, 3]);
    net.elect(1);
    net.addNode(4, MemoryRaftStorage.bootstrap([1, 2, 3]));
    expect(net.raw(1).proposeConfChange({ type: 'addNode', nodeId: 4 })).toBe(true);
    net.flush(1);
    // replicate to 2 only, without telling anyone it committed
    net.deliverAll((m) => m.type === 'MsgApp' && m.to === 2);
    net.clearQueue();
    net.isolate(1);
    net.campaign(2);
    net.deliverAll((m) => m.type === 'MsgVote' || m.type === 'MsgVoteResp');
    expect(net.raw(2).status().role).toBe('leader');
    expect(net.raw(2).proposeConfChange({ type: 'removeNode', nodeId: 3 })).toBe(false);
    net.deliverAll();
    net.heartbeat(2);
    expect(net.raw(2).status().voters).toEqual([1, 2, 3, 4]);
    expect(net.raw(2).proposeConfChange({ type: 'removeNode', nodeId: 1 })).toBe(true);
  });

  it('§6: removing a follower: quorums use the remaining voters, and the removed node stops being replicated to', () => {
    const net = TestNetwork.create([1, 2, 3]);
    net.elect(1);
    change(net, 1, 'removeNode', 3);
    for (const id of [1, 2]) expect(net.raw(id).status().voters).toEqual([1, 2]);
    // 2 of 2 is the majority now; 3 gets nothing more
    const before = net.delivered.length;
    net.propose(1, 'x');
    net.deliverAll();
    net.heartbeat(1);
    expect(net.node(2).appliedData).toEqual(['x']);
    expect(net.delivered.slice(before).filter((m) => m.to === 3)).toEqual([]);
    // a single remaining follower is needed: without 2, nothing commits
    net.isolate(2);
    net.propose(1, 'y');
    net.deliverAll();
    expect(net.node(1).appliedData).toEqual(['x']);
  });

  it('§6: removing the leader: it steps down once the change is applied, and the others elect a new leader', () => {
    const net = TestNetwork.create([1, 2, 3]);
    net.elect(1);
    change(net, 1, 'removeNode', 1);
    expect(net.raw(1).status()).toMatchObject({ role: 'follower', voters: [2, 3] });
    expect(net.raw(2).status().voters).toEqual([2, 3]);
    expect(net.raw(1).propose(new TextEncoder().encode('to nobody'))).toBe(false);
    // The removed node never campaigns; one of the others times out and wins.
    for (let i = 0; i < 60 && net.leaders().length === 0; i++) {
      net.tickAll();
      net.deliverAll();
    }
    const [leader] = net.leaders();
    expect([2, 3]).toContain(leader);
    expect(net.raw(1).status().role).toBe('follower');
    net.propose(leader!, 'after');
    net.deliverAll();
    net.heartbeat(leader!);
    expect(net.node(2).appliedData).toEqual(['after']);
    expect(net.node(3).appliedData).toEqual(['after']);
  });

  it('§6: removing the last voter is refused', () => {
    const net = TestNetwork.create([1]);
    net.elect(1);
    expect(net.raw(1).proposeConfChange({ type: 'removeNode', nodeId: 1 })).toBe(false);
  });

  it('§6: a restarted node rebuilds its configuration from the snapshot plus the conf changes it had applied', () => {
    const net = TestNetwork.create([1, 2, 3]);
    net.elect(1);
    net.addNode(4, MemoryRaftStorage.bootstrap([1, 2, 3]));
    change(net, 1, 'addNode', 4);
    const n2 = net.node(2);
    const applied = n2.appliedIndex;
    // Restart with `applied` = what the application state reflects: the change is in effect at once
    // and its entry is not handed out again.
    const restarted = new RawNode(configFor(2, n2.storage, {}, applied));
    expect(restarted.status().voters).toEqual([1, 2, 3, 4]);
    expect(restarted.hasReady()).toBe(false);
    // Restart from the snapshot only (applied defaults to the snapshot index, 0 here): the change takes
    // effect again when its entry is re-applied.
    n2.restart();
    expect(net.raw(2).status().voters).toEqual([1, 2, 3]);
    net.flush(2);
    expect(net.raw(2).status().voters).toEqual([1, 2, 3, 4]);
    expect(n2.appliedIndex).toBe(applied);
  });
});
