/**
 * Raft paper §5.1 (terms) and §5.2 (leader election), claim by claim (in the spirit of etcd's
 * raft_paper_test.go). Nodes are stepped by hand or through the synchronous TestNetwork.
 */
import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../../src/core/rng.js';
import { MemoryRaftStorage, RawNode, type Message, type MessageType } from '../../../src/raft/index.js';
import { configFor, loneNode, msg, TestNetwork, type TestNode } from './helpers/test-network.js';

const ofType = (ms: Message[], type: MessageType): Message[] => ms.filter((m) => m.type === type);

/** Makes a lone node a leader of `term` by hand (it campaigns; the votes are stepped in). */
function makeLeader(n: TestNode, voters: number[]): Message[] {
  n.node.campaign();
  const out = n.processReady();
  const term = n.node.status().term;
  for (const v of voters) if (v !== n.id) n.node.step(msg({ type: 'MsgVoteResp', from: v, to: n.id, term }));
  return out.concat(n.processReady());
}

describe('§5.1 terms', () => {
  it('§5.1: a follower that sees a higher term adopts it (and forgets its vote)', () => {
    const n = loneNode(1, [1, 2, 3], {}, [], { term: 1, vote: 2 });
    n.node.step(msg({ type: 'MsgHeartbeat', from: 3, to: 1, term: 2 }));
    n.processReady();
    expect(n.node.status()).toMatchObject({ term: 2, role: 'follower', lead: 3, vote: 0 });
  });

  it('§5.1: a candidate that sees a higher term reverts to follower', () => {
    const n = loneNode(1, [1, 2, 3]);
    n.node.campaign();
    n.processReady();
    expect(n.node.status()).toMatchObject({ term: 1, role: 'candidate' });
    n.node.step(msg({ type: 'MsgApp', from: 2, to: 1, term: 2 }));
    n.processReady();
    expect(n.node.status()).toMatchObject({ term: 2, role: 'follower', lead: 2 });
  });

  it('§5.1: a leader that sees a higher term steps down', () => {
    const n = loneNode(1, [1, 2, 3]);
    makeLeader(n, [1, 2, 3]);
    expect(n.node.status().role).toBe('leader');
    n.node.step(msg({ type: 'MsgVote', from: 3, to: 1, term: 5, index: 10, logTerm: 4 }));
    const out = n.processReady();
    expect(n.node.status()).toMatchObject({ term: 5, role: 'follower', vote: 3 });
    expect(ofType(out, 'MsgVoteResp')).toEqual([expect.objectContaining({ to: 3, term: 5, reject: false })]);
  });

  it('§5.1: a response carrying a higher term makes the leader step down', () => {
    const n = loneNode(1, [1, 2, 3]);
    makeLeader(n, [1, 2, 3]);
    n.node.step(msg({ type: 'MsgAppResp', from: 2, to: 1, term: 3 }));
    n.processReady();
    expect(n.node.status()).toMatchObject({ term: 3, role: 'follower', lead: 0 });
  });

  it('§5.1: a request with a stale term is rejected: it changes nothing and appends nothing', () => {
    const n = loneNode(1, [1, 2, 3], {}, [1, 2], { term: 2 });
    n.node.step(msg({ type: 'MsgApp', from: 2, to: 1, term: 1, index: 2, logTerm: 2, entries: [{ index: 3, term: 1, type: 'normal', data: new Uint8Array() }] }));
    const out = n.processReady();
    expect(n.node.status()).toMatchObject({ term: 2, lastIndex: 2, lead: 0 });
    expect(out).toEqual([]); // without CheckQuorum/PreVote a stale message is simply dropped
    n.node.step(msg({ type: 'MsgVote', from: 3, to: 1, term: 1, index: 5, logTerm: 2 }));
    expect(n.processReady()).toEqual([]);
    expect(n.node.status().vote).toBe(0);
  });

  it('§5.1: with CheckQuorum, a stale leader is answered with the current term so it steps down', () => {
    const n = loneNode(1, [1, 2, 3], { checkQuorum: true }, [1], { term: 3 });
    n.node.step(msg({ type: 'MsgHeartbeat', from: 2, to: 1, term: 1 }));
    expect(n.processReady()).toEqual([expect.objectContaining({ type: 'MsgAppResp', to: 2, term: 3 })]);
  });

  it('§5.1: a candidate does not count a vote response from an older term', () => {
    const n = loneNode(1, [1, 2, 3], {}, [], { term: 4 });
    n.node.campaign(); // term 5
    n.processReady();
    n.node.step(msg({ type: 'MsgVoteResp', from: 2, to: 1, term: 4 }));
    n.processReady();
    expect(n.node.status().role).toBe('candidate');
    n.node.step(msg({ type: 'MsgVoteResp', from: 2, to: 1, term: 5 }));
    n.processReady();
    expect(n.node.status().role).toBe('leader');
  });

  it('§5.1: the current term is persistent state: it is in the Ready whenever it changes', () => {
    const n = loneNode(1, [1, 2, 3]);
    n.node.step(msg({ type: 'MsgHeartbeat', from: 2, to: 1, term: 7 }));
    n.processReady();
    expect(n.storage.initialState().hardState.term).toBe(7);
  });
});

describe('§5.2 leader election', () => {
  it('§5.2: servers start as followers, with no leader', () => {
    const n = loneNode(1, [1, 2, 3]);
    expect(n.node.status()).toMatchObject({ role: 'follower', lead: 0, term: 0 });
  });

  it('§5.2: a follower that hears nothing for an election timeout becomes candidate: term+1, votes for itself, asks everyone', () => {
    const n = loneNode(1, [1, 2, 3], { electionTicks: 10 }, [1, 1], { term: 1 });
    let out: Message[] = [];
    for (let i = 0; i < 20 && n.node.status().role === 'follower'; i++) {
      n.node.tick();
      out = n.processReady();
    }
    expect(n.node.status()).toMatchObject({ role: 'candidate', term: 2, vote: 1 });
    const votes = ofType(out, 'MsgVote');
    expect(votes.map((m) => m.to).sort()).toEqual([2, 3]);
    for (const v of votes) expect(v).toMatchObject({ term: 2, index: 2, logTerm: 1 });
    // persisted before it was sent: the Ready that carried the requests carried the vote
    expect(n.storage.initialState().hardState).toMatchObject({ term: 2, vote: 1 });
  });

  it('§5.2: hearing from the leader resets the election timer', () => {
    const n = loneNode(1, [1, 2, 3], { electionTicks: 10 });
    for (let i = 0; i < 100; i++) {
      n.node.tick();
      if (i % 5 === 0) n.node.step(msg({ type: 'MsgHeartbeat', from: 2, to: 1, term: 1 }));
      n.processReady();
    }
    expect(n.node.status()).toMatchObject({ role: 'follower', lead: 2, term: 1 });
  });

  it('§5.2: election timeouts are randomized in [electionTicks, 2*electionTicks) from the injected rng', () => {
    const timeouts = new Set<number>();
    for (let seed = 1; seed <= 50; seed++) {
      const node = new RawNode({ ...configFor(1, MemoryRaftStorage.bootstrap([1, 2, 3])), electionTicks: 10, rng: new SeededRng(seed) });
      let ticks = 0;
      while (node.status().role === 'follower') {
        node.tick();
        ticks++;
      }
      expect(ticks).toBeGreaterThanOrEqual(10);
      expect(ticks).toBeLessThan(20);
      timeouts.add(ticks);
    }
    expect(timeouts.size).toBeGreaterThan(5);
    // the same seed gives the same timeout (replayable)
    const a = new RawNode({ ...configFor(1, MemoryRaftStorage.bootstrap([1, 2, 3])), rng: new SeededRng(7) });
    const b = new RawNode({ ...configFor(1, MemoryRaftStorage.bootstrap([1, 2, 3])), rng: new SeededRng(7) });
    const ticksToCampaign = (node: RawNode): number => {
      let ticks = 0;
      for (; node.status().role === 'follower'; ticks++) node.tick();
      return ticks;
    };
    expect(ticksToCampaign(a)).toBe(ticksToCampaign(b));
  });

  it('§5.2: a candidate whose election times out starts a new one with a higher term', () => {
    const n = loneNode(1, [1, 2, 3], { electionTicks: 10 });
    n.node.campaign();
    n.processReady();
    expect(n.node.status()).toMatchObject({ role: 'candidate', term: 1 });
    for (let i = 0; i < 20; i++) n.node.tick();
    n.processReady();
    expect(n.node.status()).toMatchObject({ role: 'candidate', term: 2 });
  });

  it('§5.2: a candidate wins with votes from a majority, and only then', () => {
    for (const [size, grants, wins] of [
      [1, [], true],
      [3, [2], true],
      [3, [], false],
      [5, [2], false],
      [5, [2, 3], true],
      [5, [2, 3, 4, 5], true],
    ] as const) {
      const voters = Array.from({ length: size }, (_, i) => i + 1);
      const n = loneNode(1, voters);
      n.node.campaign();
      n.processReady();
      for (const g of grants) n.node.step(msg({ type: 'MsgVoteResp', from: g, to: 1, term: 1 }));
      n.processReady();
      expect(n.node.status().role, `size ${size}, grants ${grants.join(',')}`).toBe(wins ? 'leader' : 'candidate');
    }
  });

  it('§5.2: a candidate rejected by a majority returns to follower', () => {
    const n = loneNode(1, [1, 2, 3]);
    n.node.campaign();
    n.processReady();
    n.node.step(msg({ type: 'MsgVoteResp', from: 2, to: 1, term: 1, reject: true }));
    n.node.step(msg({ type: 'MsgVoteResp', from: 3, to: 1, term: 1, reject: true }));
    n.processReady();
    expect(n.node.status()).toMatchObject({ role: 'follower', term: 1 });
  });

  it('§5.2: a new leader asserts authority at once (MsgApp to every follower)', () => {
    const n = loneNode(1, [1, 2, 3]);
    const out = makeLeader(n, [1, 2, 3]);
    expect(ofType(out, 'MsgApp').map((m) => m.to).sort()).toEqual([2, 3]);
  });

  it('§5.2: each server votes for at most one candidate per term, first come first served (and persists the vote first)', () => {
    const n = loneNode(1, [1, 2, 3]);
    n.node.step(msg({ type: 'MsgVote', from: 2, to: 1, term: 1 }));
    const rd1 = n.node.ready();
    expect(rd1.hardState).toMatchObject({ term: 1, vote: 2 });
    expect(rd1.messages).toEqual([expect.objectContaining({ type: 'MsgVoteResp', to: 2, reject: false })]);
    n.storage.setHardState(rd1.hardState!);
    n.node.advance();

    n.node.step(msg({ type: 'MsgVote', from: 3, to: 1, term: 1 }));
    expect(n.processReady()).toEqual([expect.objectContaining({ type: 'MsgVoteResp', to: 3, reject: true })]);
    n.node.step(msg({ type: 'MsgVote', from: 2, to: 1, term: 1 })); // a retransmission is granted again
    expect(n.processReady()).toEqual([expect.objectContaining({ type: 'MsgVoteResp', to: 2, reject: false })]);

    // after a crash the persisted vote still binds
    n.restart();
    n.node.step(msg({ type: 'MsgVote', from: 3, to: 1, term: 1 }));
    expect(n.processReady()).toEqual([expect.objectContaining({ type: 'MsgVoteResp', to: 3, reject: true })]);
  });

  it('§5.2: a candidate that receives AppendEntries from a leader of its term becomes its follower', () => {
    const n = loneNode(1, [1, 2, 3]);
    n.node.campaign();
    n.processReady();
    n.node.step(msg({ type: 'MsgApp', from: 2, to: 1, term: 1 }));
    n.processReady();
    expect(n.node.status()).toMatchObject({ role: 'follower', term: 1, lead: 2 });
  });

  it('§5.2: election in one round: everyone elects the first candidate when nothing goes wrong', () => {
    const net = TestNetwork.create([1, 2, 3, 4, 5]);
    net.elect(3);
    for (const id of [1, 2, 3, 4, 5]) expect(net.raw(id).status()).toMatchObject({ term: 1, lead: 3 });
  });

  it('§5.2: a split vote, then a re-election (randomized timeouts break the tie)', () => {
    const net = TestNetwork.create([1, 2, 3, 4], { electionTicks: 10 });
    net.campaign(1);
    net.campaign(2);
    // 3 votes for 1 and 4 votes for 2 first: 2 votes each out of 4, no majority.
    net.deliverAll((m) => m.type === 'MsgVote' && ((m.from === 1 && m.to === 3) || (m.from === 2 && m.to === 4)));
    net.deliverAll();
    expect(net.leaders()).toEqual([]);
    expect(net.raw(1).status()).toMatchObject({ role: 'candidate', term: 1 });
    expect(net.raw(2).status()).toMatchObject({ role: 'candidate', term: 1 });
    // Nobody hears from a leader: someone times out first, campaigns in term 2 and wins.
    for (let i = 0; i < 40 && net.leaders().length === 0; i++) {
      net.tickAll();
      net.deliverAll();
    }
    const leaders = net.leaders();
    expect(leaders).toHaveLength(1);
    expect(net.raw(leaders[0]!).status().term).toBeGreaterThanOrEqual(2); // another split is possible, never two leaders
    for (const id of [1, 2, 3, 4]) expect(net.raw(id).status().lead).toBe(leaders[0]);
  });

  it('§5.2: election safety: with randomized timeouts, ticking alone elects exactly one leader per term', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const net = TestNetwork.create([1, 2, 3, 4, 5], { seed });
      const leaderOfTerm = new Map<number, number>();
      for (let i = 0; i < 100; i++) {
        net.tickAll();
        net.deliverAll();
        for (const l of net.leaders()) {
          const t = net.raw(l).status().term;
          expect(leaderOfTerm.get(t) ?? l, `seed ${seed}: two leaders in term ${t}`).toBe(l);
          leaderOfTerm.set(t, l);
        }
      }
      expect(net.leaders()).toHaveLength(1);
    }
  });

  it('§5.2: a node that is not a voter never campaigns', () => {
    const n = loneNode(4, [1, 2, 3]);
    for (let i = 0; i < 100; i++) n.node.tick();
    n.node.campaign();
    expect(n.processReady()).toEqual([]);
    expect(n.node.status().role).toBe('follower');
  });
});
