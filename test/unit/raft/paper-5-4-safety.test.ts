/**
 * Raft paper §5.4 (safety): the election restriction (§5.4.1), committing entries from previous terms
 * (§5.4.2) and the paper's Figure 8, reproduced step by step.
 */
import { describe, expect, it } from 'vitest';
import type { Message } from '../../../src/raft/index.js';
import { loneNode, msg, TestNetwork } from './helpers/test-network.js';

describe('§5.4.1 election restriction', () => {
  it('§5.4.1: a voter grants its vote only to a candidate whose log is at least as up-to-date (last term, then length)', () => {
    // voter log terms [1, 2] (last index 2, last term 2)
    const cases: { index: number; logTerm: number; grant: boolean }[] = [
      { index: 2, logTerm: 2, grant: true }, // same
      { index: 3, logTerm: 2, grant: true }, // same term, longer
      { index: 1, logTerm: 2, grant: false }, // same term, shorter
      { index: 1, logTerm: 3, grant: true }, // higher last term wins even if shorter
      { index: 5, logTerm: 1, grant: false }, // lower last term loses even if longer
      { index: 0, logTerm: 0, grant: false },
    ];
    for (const c of cases) {
      const n = loneNode(1, [1, 2, 3], {}, [1, 2], { term: 2 });
      n.node.step(msg({ type: 'MsgVote', from: 2, to: 1, term: 3, index: c.index, logTerm: c.logTerm }));
      const [resp] = n.processReady() as [Message];
      expect(resp).toMatchObject({ type: 'MsgVoteResp', reject: !c.grant });
      expect(n.node.status().vote, JSON.stringify(c)).toBe(c.grant ? 2 : 0);
    }
  });

  it('§5.4.1: a node missing a committed entry cannot become leader', () => {
    const net = TestNetwork.create([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    net.propose(1, 'committed');
    net.deliverAll();
    expect(net.raw(1).status().commit).toBe(2);
    // 1 crashes; 3 comes back and campaigns: 2 has the committed entry and refuses.
    net.heal();
    net.isolate(1);
    net.campaign(3);
    net.deliverAll();
    expect(net.raw(3).status().role).not.toBe('leader');
    net.elect(2);
    net.heartbeat(2);
    expect(net.node(3).appliedData).toEqual(['committed']);
  });
});

describe('§5.4.2 committing entries from previous terms', () => {
  it('§5.4.2: a leader does not commit an entry of an earlier term by counting replicas, only via a current-term entry', () => {
    const net = TestNetwork.create([1, 2, 3]);
    net.elect(1);
    net.isolate(2);
    net.isolate(3);
    net.propose(1, 'old'); // index 2, term 1, only on 1
    net.heal();
    net.isolate(3);
    // 1 crashes, restarts and becomes leader again in term 2 (2 votes for it); its new no-op is held back.
    net.node(1).restart();
    net.campaign(1);
    net.deliverAll((m) => m.type === 'MsgVote' || m.type === 'MsgVoteResp');
    expect(net.raw(1).status()).toMatchObject({ role: 'leader', term: 2 });
    const noopApps = net.take((m) => m.type === 'MsgApp');
    expect(noopApps.length).toBeGreaterThan(0);
    // Replicate only the term-1 entry to 2 (entries up to index 2), as if the no-op were lost.
    const onlyOld = { ...noopApps.find((m) => m.to === 2)!, index: 1, logTerm: 1 };
    const oldEntry = net.node(1).logEntries()[1]!;
    expect(oldEntry.term).toBe(1);
    net.deliver({ ...onlyOld, entries: [oldEntry] });
    net.deliverAll((m) => m.type === 'MsgAppResp');
    // index 2 is now on a majority (1 and 2) but is of term 1: not committed.
    expect(net.node(2).logTerms()).toEqual([1, 1]);
    expect(net.raw(1).status().commit).toBe(1);
    // once the term-2 no-op is on a majority, both commit
    net.clearQueue();
    net.heartbeat(1);
    expect(net.raw(1).status().commit).toBe(3);
    expect(net.node(1).appliedData).toEqual(['old']);
  });
});

/**
 * Figure 8: "A time sequence showing why a leader cannot determine commitment using log entries from
 * older terms." Five servers; index 1 (term 1) is on everyone. Our leaders append an empty entry when
 * elected, and that entry plays the role of each figure's "entry of the new term".
 */
function figure8UpToC(): TestNetwork {
  const net = TestNetwork.create([1, 2, 3, 4, 5], { maxEntriesPerMsg: 1 });
  net.elect(3); // term 1: index 1 (term 1) everywhere
  net.heartbeat(3);
  for (const id of [1, 2, 3, 4, 5]) expect(net.node(id).logTerms()).toEqual([1]);

  // (a) S1 is leader in term 2 and replicates its entry at index 2 to S2 only.
  net.isolate(5); // S5 stops being heard
  net.campaign(1);
  net.deliverAll((m) => m.type === 'MsgVote' || m.type === 'MsgVoteResp');
  expect(net.raw(1).status()).toMatchObject({ role: 'leader', term: 2 });
  net.take((m) => m.type === 'MsgApp' && m.to !== 2);
  net.deliverAll();
  expect(net.node(1).logTerms()).toEqual([1, 2]);
  expect(net.node(2).logTerms()).toEqual([1, 2]);
  expect(net.raw(1).status().commit).toBe(1);

  // (b) S1 crashes. S5 is elected for term 3 with votes from S3, S4 and itself (S2 refuses: its log is
  // more up-to-date) and accepts a different entry at index 2. Then it crashes before replicating it.
  net.heal();
  net.isolate(1);
  net.campaign(5); // S5 missed term 2: this first attempt (term 2) is refused, the second (term 3) wins
  net.deliverAll((m) => m.type === 'MsgVote' || m.type === 'MsgVoteResp');
  if (net.raw(5).status().role !== 'leader') {
    net.campaign(5);
    net.deliverAll((m) => m.type === 'MsgVote' || m.type === 'MsgVoteResp');
  }
  expect(net.raw(5).status()).toMatchObject({ role: 'leader', term: 3 });
  net.take((m) => m.from === 5);
  expect(net.node(5).logTerms()).toEqual([1, 3]);

  // (c) S5 crashes; S1 restarts and is elected (term 4: S3 and S4 voted in term 3 already) and
  // replicates its term-2 entry to S3. Index 2 (term 2) is now on S1, S2, S3, a majority, and S2 also
  // has the term-4 entry. The term-2 entry must NOT be committed.
  net.heal();
  net.isolate(5);
  net.node(5).restart(); // the crash: S5 comes back later as a follower
  net.cut(1, 4); // S4 takes no part in (c)
  net.node(1).restart();
  for (let i = 0; i < 2 && net.raw(1).status().role !== 'leader'; i++) {
    net.campaign(1);
    net.deliverAll((m) => m.type === 'MsgVote' || m.type === 'MsgVoteResp');
  }
  expect(net.raw(1).status()).toMatchObject({ role: 'leader', term: 4 });
  // Deliver one message at a time until S1 learns that S3 stores index 2 (maxEntriesPerMsg is 1, so
  // the term-4 entry travels to S3 in a later message, still queued).
  const matchOf3 = (): number | undefined => net.raw(1).progress()?.[3]?.match;
  while (matchOf3() !== 2) net.deliver(net.queue.shift()!);
  expect(net.node(1).logTerms()).toEqual([1, 2, 4]);
  expect(net.node(2).logTerms()).toEqual([1, 2, 4]);
  expect(net.node(3).logTerms()).toEqual([1, 2]);
  expect(net.raw(1).progress()).toMatchObject({ 2: { match: 3 }, 3: { match: 2 } });
  // S1 knows index 2 is on S1, S2 and S3, a majority, but it is of term 2, not 4: not committed.
  expect(net.raw(1).status().commit).toBe(1);
  return net;
}

describe('§5.4.2 Figure 8', () => {
  it('Figure 8 (a)-(d): an old-term entry stored on a majority is not committed, and rightly so: a later leader overwrites it', () => {
    const net = figure8UpToC();

    // (d) S1 crashes; S5 is elected (votes from S3, S4: their last term 2 and 1 are <= S5's 3) and
    // overwrites index 2 everywhere with its term-3 entry.
    net.heal();
    net.isolate(1);
    net.clearQueue();
    for (let i = 0; i < 3 && net.raw(5).status().role !== 'leader'; i++) {
      net.campaign(5);
      net.deliverAll((m) => m.type === 'MsgVote' || m.type === 'MsgVoteResp');
    }
    expect(net.raw(5).status().role).toBe('leader');
    net.deliverAll();
    net.heartbeat(5);
    for (const id of [2, 3, 4, 5]) expect(net.node(id).logTerms().slice(0, 2), `node ${id}`).toEqual([1, 3]);
    // Had S1 committed index 2 (term 2) in (c), a committed entry would now be lost.
    for (const id of [2, 3, 4, 5]) expect(net.node(id).logEntries()[1]!.term).toBe(3);
  });

  it('Figure 8 (e): once the current-term entry is on a majority both commit, and S5 can no longer win', () => {
    const net = figure8UpToC();
    // S1 replicates its term-4 entry to S3 as well (S1, S2, S3: a majority) before crashing.
    net.deliverAll();
    net.heartbeat(1);
    expect(net.raw(1).status().commit).toBe(3);
    expect(net.node(1).logEntries().map((e) => e.term)).toEqual([1, 2, 4]);

    net.heal();
    net.isolate(1);
    net.clearQueue();
    for (let i = 0; i < 3; i++) {
      net.campaign(5);
      net.deliverAll((m) => m.type === 'MsgVote' || m.type === 'MsgVoteResp');
      expect(net.raw(5).status().role, 'S5 must not win: S2 and S3 hold a newer last term').not.toBe('leader');
    }
    // Whoever wins instead has the committed entries (Leader Completeness).
    net.clearQueue();
    net.elect(2);
    net.heartbeat(2);
    for (const id of [2, 3, 4, 5]) {
      expect(net.node(id).logTerms().slice(0, 3), `node ${id}`).toEqual([1, 2, 4]);
      expect(net.raw(id).status().commit).toBeGreaterThanOrEqual(3);
    }
  });
});
