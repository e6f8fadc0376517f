/**
 * Scripted scenarios (issue 3 "Must show"): a partitioned leader with a stale term, a follower far
 * behind that catches up by snapshot, and leader transfer (thesis §3.10).
 */
import { describe, expect, it } from 'vitest';
import { bytes, TestNetwork } from './helpers/test-network.js';

describe('scenario: a partitioned leader with a stale term (§5.1, §5.3, §5.4)', () => {
  it('the old leader keeps accepting proposals but cannot commit; after the heal it steps down and its entries are replaced', () => {
    const net = TestNetwork.create([1, 2, 3, 4, 5]);
    net.elect(1);
    net.propose(1, 'committed-before');
    net.deliverAll();
    net.heartbeat(1);

    // The leader and one follower are cut off from the majority.
    net.partition([1, 2], [3, 4, 5]);
    expect(net.propose(1, 'stale-1')).toBe(true);
    expect(net.propose(1, 'stale-2')).toBe(true);
    net.deliverAll();
    net.heartbeat(1);
    expect(net.raw(1).status()).toMatchObject({ role: 'leader', term: 1, commit: 2 });
    expect(net.node(2).logEntries().map((e) => e.index)).toEqual([1, 2, 3, 4]); // replicated, not committed
    expect(net.node(1).appliedData).toEqual(['committed-before']);

    // The majority elects a new leader with a higher term and commits new entries.
    net.elect(3);
    net.propose(3, 'new-1');
    net.deliverAll();
    net.heartbeat(3);
    expect(net.raw(3).status()).toMatchObject({ term: 2, commit: 4 });
    expect(net.raw(1).status()).toMatchObject({ role: 'leader', term: 1 }); // still believes it leads

    // Heal: the first message from the new term deposes the old leader.
    net.heal();
    net.heartbeat(3);
    net.propose(3, 'new-2');
    net.deliverAll();
    net.heartbeat(3);
    expect(net.leaders()).toEqual([3]);
    expect(net.raw(1).status()).toMatchObject({ role: 'follower', term: 2, lead: 3 });
    const want = ['committed-before', 'new-1', 'new-2'];
    for (const id of [1, 2, 3, 4, 5]) {
      expect(net.node(id).appliedData, `node ${id}`).toEqual(want);
      expect(net.node(id).logTerms(), `node ${id}`).toEqual([1, 1, 2, 2, 2]);
    }
  });
});

describe('scenario: a follower far behind catches up by snapshot (§7)', () => {
  it('the leader compacted its log; the follower gets MsgSnap, then the entries after it', () => {
    const net = TestNetwork.create([1, 2, 3], { maxEntriesPerMsg: 10 });
    net.elect(1);
    net.isolate(3);
    for (let i = 0; i < 200; i++) net.propose(1, `v${i}`);
    net.deliverAll();
    net.heartbeat(1);
    // Both up-to-date nodes compact (as an application that snapshots every N entries would).
    net.node(1).snapshotAndCompact();
    net.node(2).snapshotAndCompact();
    for (let i = 200; i < 205; i++) net.propose(1, `v${i}`);
    net.deliverAll();
    expect(net.node(1).storage.firstIndex()).toBe(202);

    net.heal();
    for (let i = 0; i < 3; i++) net.heartbeat(1);
    const toThree = net.delivered.filter((m) => m.to === 3);
    expect(toThree.filter((m) => m.type === 'MsgSnap')).toHaveLength(1);
    // after the snapshot only the 5 newer entries (plus the next heartbeats) were needed, not 200 entries
    const appended = toThree.filter((m) => m.type === 'MsgApp').flatMap((m) => m.entries);
    expect(appended.length).toBeLessThanOrEqual(6);
    expect(net.node(3).appliedData).toEqual(net.node(1).appliedData);
    expect(net.node(3).appliedData).toHaveLength(205);
    expect(net.raw(1).progress()?.[3]?.state).toBe('replicate');
  });
});

describe('scenario: leader transfer (thesis §3.10)', () => {
  it('to a caught-up follower: MsgTimeoutNow at once, the target wins the next term without waiting for a timeout', () => {
    const net = TestNetwork.create([1, 2, 3], { preVote: true, checkQuorum: true });
    net.elect(1);
    net.propose(1, 'a');
    net.deliverAll();
    const before = net.delivered.length;
    net.raw(1).transferLeader(2);
    net.flush(1);
    expect(net.queue.map((m) => [m.type, m.to])).toEqual([['MsgTimeoutNow', 2]]);
    net.deliverAll(); // no ticks: the vote bypasses the followers' leader lease (context 'transfer')
    expect(net.leaders()).toEqual([2]);
    expect(net.raw(2).status().term).toBe(2);
    expect(net.raw(1).status()).toMatchObject({ role: 'follower', lead: 2 });
    const during = net.delivered.slice(before);
    expect(during.filter((m) => m.type === 'MsgPreVote')).toEqual([]); // a transfer skips the pre-vote
    expect(during.find((m) => m.type === 'MsgVote')?.context).toBe('transfer');
  });

  it('to a lagging follower: the leader catches it up first; proposals are dropped meanwhile', () => {
    const net = TestNetwork.create([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    for (let i = 0; i < 5; i++) net.propose(1, `x${i}`);
    net.deliverAll();
    net.heal();
    net.raw(1).transferLeader(3);
    net.flush(1);
    expect(net.queue.map((m) => m.type)).not.toContain('MsgTimeoutNow');
    expect(net.raw(1).status().leadTransferee).toBe(3);
    expect(net.propose(1, 'during-transfer')).toBe(false);
    net.deliverAll();
    expect(net.leaders()).toEqual([3]);
    net.heartbeat(3);
    expect(net.node(3).appliedData).toEqual(['x0', 'x1', 'x2', 'x3', 'x4']);
    const timeoutNows = net.delivered.filter((m) => m.type === 'MsgTimeoutNow');
    expect(timeoutNows).toHaveLength(1);
    // MsgTimeoutNow went out only after 3 had acknowledged the leader's last index
    const lastAck = net.delivered.findIndex((m) => m.type === 'MsgAppResp' && m.from === 3 && m.index === 6);
    expect(lastAck).toBeGreaterThanOrEqual(0);
    expect(net.delivered.indexOf(timeoutNows[0]!)).toBeGreaterThan(lastAck);
  });

  it('requested on a follower: forwarded to the leader', () => {
    const net = TestNetwork.create([1, 2, 3]);
    net.elect(1);
    net.raw(3).transferLeader(2);
    net.flush(3);
    net.deliverAll();
    expect(net.leaders()).toEqual([2]);
  });

  it('aborted after an election timeout when the target does not respond; proposals are accepted again', () => {
    const net = TestNetwork.create([1, 2, 3], { electionTicks: 10 });
    net.elect(1);
    net.propose(1, 'a'); // so that 3 lags once cut off
    net.isolate(3);
    net.propose(1, 'b');
    net.deliverAll();
    net.raw(1).transferLeader(3);
    net.flush(1);
    expect(net.raw(1).propose(bytes('dropped'))).toBe(false);
    for (let i = 0; i < 10; i++) net.heartbeat(1);
    expect(net.raw(1).status()).toMatchObject({ role: 'leader', leadTransferee: 0 });
    expect(net.propose(1, 'accepted')).toBe(true);
  });

  it('to itself, or to a non-member: nothing happens', () => {
    const net = TestNetwork.create([1, 2, 3]);
    net.elect(1);
    net.raw(1).transferLeader(1);
    net.raw(1).transferLeader(9);
    net.flush(1);
    expect(net.queue).toEqual([]);
    expect(net.raw(1).status()).toMatchObject({ role: 'leader', leadTransferee: 0 });
  });
});
