/**
 * PreVote (Raft thesis §9.6) and CheckQuorum with the leader lease (thesis §6.2 and §4.2.3): the
 * extensions that keep a partitioned or removed node from disrupting a stable leader.
 */
import { describe, expect, it } from 'vitest';
import { loneNode, msg, TestNetwork } from './helpers/test-network.js';

function tickUntilStable(net: TestNetwork, rounds: number): void {
  for (let i = 0; i < rounds; i++) {
    net.tickAll();
    net.deliverAll();
  }
}

describe('PreVote (thesis §9.6)', () => {
  it('§9.6: a partitioned node rejoining does not disrupt a stable leader (its term never grew)', () => {
    const net = TestNetwork.create([1, 2, 3], { preVote: true });
    net.elect(1);
    net.isolate(3);
    tickUntilStable(net, 100); // 3 keeps timing out and pre-campaigning, in vain
    expect(net.raw(3).status()).toMatchObject({ term: 1, role: 'preCandidate' });
    net.heal();
    tickUntilStable(net, 5);
    expect(net.raw(1).status()).toMatchObject({ role: 'leader', term: 1 });
    expect(net.raw(3).status()).toMatchObject({ role: 'follower', term: 1, lead: 1 });
  });

  it('§9.6 (contrast): without PreVote the same rejoining node forces a new election with its inflated term', () => {
    const net = TestNetwork.create([1, 2, 3], { preVote: false });
    net.elect(1);
    net.isolate(3);
    tickUntilStable(net, 100);
    expect(net.raw(3).status().term).toBeGreaterThan(3);
    net.heal();
    tickUntilStable(net, 30); // 3 times out again, with a term far ahead: everyone must follow it
    expect(net.raw(1).status().term).toBeGreaterThan(3); // the leader was deposed
  });

  it('§9.6: a pre-candidate that would win campaigns for real: only then the term grows', () => {
    const n = loneNode(1, [1, 2, 3], { preVote: true }, [1], { term: 1 });
    n.node.campaign();
    const pre = n.processReady();
    expect(n.node.status()).toMatchObject({ role: 'preCandidate', term: 1, vote: 0 });
    expect(pre.filter((m) => m.type === 'MsgPreVote').map((m) => m.term)).toEqual([2, 2]);
    n.node.step(msg({ type: 'MsgPreVoteResp', from: 2, to: 1, term: 2 }));
    const real = n.processReady();
    expect(n.node.status()).toMatchObject({ role: 'candidate', term: 2, vote: 1 });
    expect(real.filter((m) => m.type === 'MsgVote').map((m) => m.to)).toEqual([2, 3]);
  });

  it('§9.6: granting a pre-vote changes neither term nor vote; an out-of-date pre-candidate is refused', () => {
    const n = loneNode(2, [1, 2, 3], { preVote: true }, [1, 2], { term: 2 });
    n.node.step(msg({ type: 'MsgPreVote', from: 1, to: 2, term: 3, index: 2, logTerm: 2 }));
    expect(n.processReady()).toEqual([expect.objectContaining({ type: 'MsgPreVoteResp', term: 3, reject: false })]);
    expect(n.node.status()).toMatchObject({ term: 2, vote: 0 });
    n.node.step(msg({ type: 'MsgPreVote', from: 3, to: 2, term: 3, index: 5, logTerm: 1 }));
    expect(n.processReady()).toEqual([expect.objectContaining({ type: 'MsgPreVoteResp', term: 2, reject: true })]);
  });

  it('§9.6: a pre-candidate rejected by a majority goes back to follower without a new term', () => {
    const n = loneNode(1, [1, 2, 3], { preVote: true }, [1], { term: 1 });
    n.node.campaign();
    n.processReady();
    n.node.step(msg({ type: 'MsgPreVoteResp', from: 2, to: 1, term: 1, reject: true }));
    n.node.step(msg({ type: 'MsgPreVoteResp', from: 3, to: 1, term: 1, reject: true }));
    n.processReady();
    expect(n.node.status()).toMatchObject({ role: 'follower', term: 1 });
  });

  it('§9.6: with PreVote the cluster still elects leaders by ticking alone', () => {
    const net = TestNetwork.create([1, 2, 3, 4, 5], { preVote: true, checkQuorum: true });
    tickUntilStable(net, 50);
    expect(net.leaders()).toHaveLength(1);
  });
});

describe('CheckQuorum and the leader lease', () => {
  it('CheckQuorum: a leader cut off from its quorum steps down after an election timeout', () => {
    const net = TestNetwork.create([1, 2, 3], { checkQuorum: true, electionTicks: 10 });
    net.elect(1);
    net.isolate(1);
    net.tick(1, 9);
    expect(net.raw(1).status().role).toBe('leader');
    net.tick(1, 12);
    expect(net.raw(1).status()).toMatchObject({ role: 'follower', lead: 0, term: 1 });
    expect(net.raw(1).propose(new Uint8Array([1]))).toBe(false);
  });

  it('CheckQuorum: a leader that hears from a majority stays leader', () => {
    const net = TestNetwork.create([1, 2, 3], { checkQuorum: true, electionTicks: 10 });
    net.elect(1);
    net.isolate(3);
    for (let i = 0; i < 50; i++) net.heartbeat(1);
    expect(net.raw(1).status().role).toBe('leader');
  });

  it('CheckQuorum: without it, an isolated leader stays leader forever (contrast)', () => {
    const net = TestNetwork.create([1, 2, 3], { checkQuorum: false, electionTicks: 10 });
    net.elect(1);
    net.isolate(1);
    net.tick(1, 100);
    expect(net.raw(1).status().role).toBe('leader');
  });

  it('lease: a follower that heard from its leader within the election timeout ignores a disruptive vote request', () => {
    const n = loneNode(2, [1, 2, 3], { checkQuorum: true, electionTicks: 10 });
    n.node.step(msg({ type: 'MsgHeartbeat', from: 1, to: 2, term: 1 }));
    n.processReady();
    n.node.step(msg({ type: 'MsgVote', from: 3, to: 2, term: 5, index: 10, logTerm: 5 }));
    expect(n.processReady()).toEqual([]);
    expect(n.node.status()).toMatchObject({ term: 1, lead: 1, vote: 0 });
    // unless the leader itself asked for the election (leader transfer)
    n.node.step(msg({ type: 'MsgVote', from: 3, to: 2, term: 5, index: 10, logTerm: 5, context: 'transfer' }));
    expect(n.processReady()).toEqual([expect.objectContaining({ type: 'MsgVoteResp', reject: false, term: 5 })]);
    expect(n.node.status()).toMatchObject({ term: 5, vote: 3 });
  });

  it('lease: once the lease expired the vote request is considered', () => {
    const n = loneNode(2, [1, 2, 3], { checkQuorum: true, electionTicks: 10 });
    n.node.step(msg({ type: 'MsgHeartbeat', from: 1, to: 2, term: 1 }));
    n.processReady();
    for (let i = 0; i < 10; i++) n.node.tick(); // randomized timeout >= 10: still a follower
    n.node.step(msg({ type: 'MsgVote', from: 3, to: 2, term: 5, index: 10, logTerm: 5 }));
    expect(n.processReady()).toEqual([expect.objectContaining({ type: 'MsgVoteResp', reject: false })]);
  });

  it('PreVote: a stale leader back from a partition learns the new term from the reply to its stale heartbeat and steps down', () => {
    // Without CheckQuorum the isolated leader stays leader of term 1; with PreVote its term never
    // reaches it through elections, so the followers answer its stale heartbeats with their term.
    const net = TestNetwork.create([1, 2, 3], { checkQuorum: false, preVote: true, electionTicks: 10 });
    net.elect(1);
    net.isolate(1);
    for (let i = 0; i < 40 && net.leaders().filter((l) => l !== 1).length === 0; i++) {
      for (const id of [2, 3]) net.tick(id);
      net.deliverAll();
    }
    const [newLeader] = net.leaders().filter((l) => l !== 1);
    expect(newLeader).toBeDefined();
    expect(net.raw(1).status()).toMatchObject({ role: 'leader', term: 1 }); // stale, and unaware
    net.heal();
    net.heartbeat(1);
    const replies = net.delivered.filter((m) => m.type === 'MsgAppResp' && m.to === 1 && m.term > 1);
    expect(replies.length).toBeGreaterThan(0);
    expect(net.raw(1).status()).toMatchObject({ role: 'follower', term: net.raw(newLeader!).status().term });
    net.heartbeat(newLeader!);
    expect(net.leaders()).toEqual([newLeader]);
    expect(net.raw(1).status().lead).toBe(newLeader);
  });
});
