/**
 * The RawNode Ready contract (etcd's classic RawNode): what a Ready contains, when, and the
 * "persist before send" rule that makes votes and acknowledgements durable (§5.1 Figure 2:
 * persistent state is updated on stable storage before responding to RPCs).
 */
import { describe, expect, it } from 'vitest';
import { MemoryRaftStorage, RawNode } from '../../../src/raft/index.js';
import { bytes, configFor, entry, loneNode, msg, TestNetwork } from './helpers/test-network.js';

describe('RawNode Ready contract', () => {
  it('a fresh node has nothing to do', () => {
    const node = new RawNode(configFor(1, MemoryRaftStorage.bootstrap([1, 2, 3])));
    expect(node.hasReady()).toBe(false);
  });

  it('softState and hardState appear only when they change', () => {
    const n = loneNode(1, [1, 2, 3]);
    n.node.campaign();
    const rd1 = n.node.ready();
    expect(rd1.softState).toEqual({ leader: 0, role: 'candidate' });
    expect(rd1.hardState).toEqual({ term: 1, vote: 1, commit: 0 });
    n.storage.setHardState(rd1.hardState!);
    n.node.advance();
    expect(n.node.hasReady()).toBe(false);
    n.node.step(msg({ type: 'MsgVoteResp', from: 2, to: 1, term: 1 }));
    const rd2 = n.node.ready();
    expect(rd2.softState).toEqual({ leader: 1, role: 'leader' });
    expect(rd2.hardState).toBeUndefined(); // term, vote and commit did not change
    expect(rd2.entries.map((e) => [e.index, e.term])).toEqual([[1, 1]]); // the leader's no-op
  });

  it('entries are the new unstable entries, handed out once; committedEntries once each, in order', () => {
    const net = TestNetwork.create([1]);
    net.elect(1); // single node: commits on its own
    const n = net.node(1);
    n.node.propose(bytes('a'));
    n.node.propose(bytes('b'));
    const rd = n.node.ready();
    expect(rd.entries.map((e) => e.index)).toEqual([2, 3]);
    expect(rd.committedEntries.map((e) => e.index)).toEqual([2, 3]); // persisted in this Ready before applied
    n.storage.append(rd.entries);
    n.storage.setHardState(rd.hardState!);
    n.node.advance();
    expect(n.node.hasReady()).toBe(false);
    n.node.propose(bytes('c'));
    const rd2 = n.node.ready();
    expect(rd2.entries.map((e) => e.index)).toEqual([4]);
    expect(rd2.committedEntries.map((e) => e.index)).toEqual([4]);
  });

  it('persist before send: a vote response travels in the Ready that carries the vote', () => {
    const n = loneNode(2, [1, 2, 3]);
    n.node.step(msg({ type: 'MsgVote', from: 1, to: 2, term: 3 }));
    const rd = n.node.ready();
    expect(rd.hardState).toMatchObject({ term: 3, vote: 1 });
    expect(rd.messages).toEqual([expect.objectContaining({ type: 'MsgVoteResp', reject: false })]);
  });

  it('persist before send: an append acknowledgement travels in the Ready that carries the entries', () => {
    const n = loneNode(2, [1, 2, 3], {}, [], { term: 1 });
    n.node.step(msg({ type: 'MsgApp', from: 1, to: 2, term: 1, index: 0, logTerm: 0, entries: [entry(1, 1, 'x')], commit: 0 }));
    const rd = n.node.ready();
    expect(rd.entries.map((e) => e.index)).toEqual([1]);
    expect(rd.messages).toEqual([expect.objectContaining({ type: 'MsgAppResp', index: 1 })]);
  });

  it('a crash before persisting loses the Ready; the restarted node has not voted', () => {
    const storage = MemoryRaftStorage.bootstrap([1, 2, 3]);
    const node = new RawNode(configFor(2, storage));
    node.step(msg({ type: 'MsgVote', from: 1, to: 2, term: 3 }));
    node.ready(); // ...and the process dies before persisting or sending anything
    const restarted = new RawNode(configFor(2, storage));
    expect(restarted.status()).toMatchObject({ term: 0, vote: 0 });
  });

  it('entries replaced before advance are handed out again (stableTo ignores a mismatching term)', () => {
    const n = loneNode(2, [1, 2, 3], {}, [], { term: 1 });
    n.node.step(msg({ type: 'MsgApp', from: 1, to: 2, term: 1, index: 0, logTerm: 0, entries: [entry(1, 1), entry(2, 1)] }));
    const rd = n.node.ready();
    n.storage.append(rd.entries);
    n.storage.setHardState(rd.hardState!);
    // a new leader's conflicting entry arrives before advance
    n.node.step(msg({ type: 'MsgApp', from: 3, to: 2, term: 2, index: 1, logTerm: 1, entries: [entry(2, 2)] }));
    n.node.advance();
    const rd2 = n.node.ready();
    // the whole unstable tail again (entry 1 is rewritten unchanged; storage.append replaces from 1)
    expect(rd2.entries.map((e) => [e.index, e.term])).toEqual([[1, 1], [2, 2]]);
  });

  it('misuse is loud: local message types from the network, a Ready without advance, advance without Ready', () => {
    const n = loneNode(1, [1, 2, 3]);
    expect(() => n.node.step(msg({ type: 'MsgHup', from: 2, to: 1 }))).toThrow(/local message/);
    expect(() => n.node.step(msg({ type: 'MsgHeartbeat', from: 2, to: 3, term: 1 }))).toThrow(/delivered to 1/);
    expect(() => n.node.advance()).toThrow(/no Ready/);
    n.node.campaign();
    n.node.ready();
    expect(() => n.node.ready()).toThrow(/not advanced/);
  });

  it('proposals: dropped without a known leader; a follower forwards to its leader', () => {
    const net = TestNetwork.create([1, 2, 3]);
    expect(net.raw(2).propose(bytes('x'))).toBe(false);
    net.elect(1);
    expect(net.raw(2).propose(bytes('y'))).toBe(true);
    net.flush(2);
    expect(net.queue).toEqual([expect.objectContaining({ type: 'MsgProp', from: 2, to: 1, term: 0 })]);
    net.deliverAll();
    net.heartbeat(1);
    expect(net.node(3).appliedData).toEqual(['y']);
  });

  it('restart with applied > snapshot index: committed entries resume after `applied`', () => {
    const storage = new MemoryRaftStorage({
      snapshot: { metadata: { index: 0, term: 0, confState: { voters: [1] } }, data: bytes('[]') },
      entries: [entry(1, 1), entry(2, 1, 'a'), entry(3, 1, 'b')],
      hardState: { term: 1, vote: 1, commit: 3 },
    });
    const node = new RawNode(configFor(1, storage, {}, 2));
    expect(node.status()).toMatchObject({ applied: 2, commit: 3 });
    expect(node.ready().committedEntries.map((e) => e.index)).toEqual([3]);
    expect(() => new RawNode(configFor(1, storage, {}, 4))).toThrow(/applied 4/);
  });

  it('status() reports the node; progress() the leader view of every voter', () => {
    const net = TestNetwork.create([1, 2, 3]);
    net.elect(1);
    net.heartbeat(1);
    expect(net.raw(1).status()).toEqual({
      id: 1,
      term: 1,
      vote: 1,
      commit: 1,
      applied: 1,
      lead: 1,
      role: 'leader',
      voters: [1, 2, 3],
      lastIndex: 1,
      leadTransferee: 0,
    });
    expect(net.raw(1).progress()).toEqual({
      1: { match: 1, next: 2, state: 'replicate' },
      2: { match: 1, next: 2, state: 'replicate' },
      3: { match: 1, next: 2, state: 'replicate' },
    });
    expect(net.raw(2).progress()).toBeUndefined();
  });
});
