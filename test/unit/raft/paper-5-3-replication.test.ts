/**
 * Raft paper §5.3 (log replication): AppendEntries, the consistency check, conflicting suffixes,
 * commitment and its propagation, and bringing divergent followers in line (Figure 7), with etcd's
 * fast back-off.
 */
import { describe, expect, it } from 'vitest';
import type { Message } from '../../../src/raft/index.js';
import { entry, loneNode, msg, storageWithLog, TestNetwork, text } from './helpers/test-network.js';

describe('§5.3 log replication', () => {
  it('§5.3: the leader appends a proposal to its log and sends AppendEntries (prevLogIndex/prevLogTerm, commit) to every follower', () => {
    const net = TestNetwork.create([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'x');
    const apps = net.queue.filter((m) => m.type === 'MsgApp');
    expect(apps.map((m) => m.to).sort()).toEqual([2, 3]);
    for (const m of apps) {
      expect(m).toMatchObject({ term: 1, index: 1, logTerm: 1, commit: 1 });
      expect(m.entries.map((e) => [e.index, e.term, text(e.data)])).toEqual([[2, 1, 'x']]);
    }
    expect(net.node(1).logEntries().map((e) => text(e.data))).toEqual(['', 'x']);
  });

  it('§5.3: an entry is committed once the leader has it stored on a majority; then it is applied', () => {
    const net = TestNetwork.create([1, 2, 3, 4, 5]);
    net.elect(1);
    net.isolate(4);
    net.isolate(5);
    net.propose(1, 'x');
    // one follower acknowledges: 2 of 5, not committed
    net.deliverAll((m) => m.type === 'MsgApp' && m.to === 2);
    net.deliverAll((m) => m.type === 'MsgAppResp' && m.from === 2);
    expect(net.raw(1).status().commit).toBe(1);
    expect(net.node(1).appliedData).toEqual([]);
    // a second one: 3 of 5, committed and applied by the leader
    net.deliverAll((m) => m.type === 'MsgApp' && m.to === 3);
    net.deliverAll((m) => m.type === 'MsgAppResp' && m.from === 3);
    expect(net.raw(1).status().commit).toBe(2);
    expect(net.node(1).appliedData).toEqual(['x']);
  });

  it('§5.3: followers learn the commit index from later AppendEntries and heartbeats, and apply in log order', () => {
    const net = TestNetwork.create([1, 2, 3]);
    net.elect(1);
    for (const d of ['a', 'b', 'c']) net.propose(1, d);
    net.deliverAll();
    net.heartbeat(1);
    for (const id of [1, 2, 3]) {
      expect(net.raw(id).status().commit).toBe(4);
      expect(net.node(id).appliedData).toEqual(['a', 'b', 'c']);
    }
  });

  it('§5.3: committing an entry commits all preceding entries, including those of earlier leaders', () => {
    // Node 1 holds entries of term 1 and 2 nobody committed; as leader of term 3 its no-op commits them.
    const net = new TestNetwork();
    net.addNode(1, storageWithLog([1, 2, 3], [1, 2], { term: 2 }));
    net.addNode(2, storageWithLog([1, 2, 3], [1], { term: 2 }));
    net.addNode(3, storageWithLog([1, 2, 3], [1], { term: 2 }));
    net.elect(1);
    net.heartbeat(1);
    for (const id of [1, 2, 3]) {
      expect(net.raw(id).status().commit).toBe(3);
      expect(net.node(id).appliedData).toEqual(['e1t1', 'e2t2']);
    }
  });

  it('§5.3: a heartbeat never advances a follower commit beyond what it is known to store', () => {
    const net = TestNetwork.create([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    net.propose(1, 'x');
    net.deliverAll();
    net.heal();
    net.dropType('MsgApp'); // 3 only gets heartbeats
    net.heartbeat(1);
    const hb = net.delivered.filter((m) => m.type === 'MsgHeartbeat' && m.to === 3).pop()!;
    expect(hb.commit).toBeLessThanOrEqual(1);
    expect(net.raw(3).status().commit).toBe(1);
  });

  it('§5.3: the consistency check: a follower refuses AppendEntries unless it has prevLogIndex with prevLogTerm', () => {
    // follower log terms: [1, 2, 3]; commit 1
    const cases: { index: number; logTerm: number; reject: boolean; hint?: [number, number] }[] = [
      { index: 0, logTerm: 0, reject: false }, // below the commit index: acknowledged at commit
      { index: 1, logTerm: 1, reject: false },
      { index: 3, logTerm: 3, reject: false },
      { index: 2, logTerm: 3, reject: true, hint: [2, 2] }, // term mismatch: hint the last index with term <= 3
      { index: 3, logTerm: 2, reject: true, hint: [2, 2] }, // skip the whole term 3 we do not share
      { index: 5, logTerm: 3, reject: true, hint: [3, 3] }, // beyond our log: hint our last index
    ];
    for (const c of cases) {
      const n = loneNode(1, [1, 2], {}, [1, 2, 3], { term: 3, commit: 1 });
      n.node.step(msg({ type: 'MsgApp', from: 2, to: 1, term: 3, index: c.index, logTerm: c.logTerm, commit: 1 }));
      const [resp] = n.processReady() as [Message];
      expect(resp.type).toBe('MsgAppResp');
      expect(resp.reject, JSON.stringify(c)).toBe(c.reject);
      if (c.hint !== undefined) expect([resp.rejectHint, resp.rejectHintTerm], JSON.stringify(c)).toEqual(c.hint);
      if (!c.reject) expect(resp.index).toBe(Math.max(c.index, 1));
    }
  });

  it('§5.3: a conflicting suffix is deleted and replaced; entries already present are kept; the commit follows the leader', () => {
    // follower log terms [1, 2]
    const cases: { index: number; logTerm: number; ents: [number, number][]; want: number[]; commit: number }[] = [
      { index: 2, logTerm: 2, ents: [[3, 3]], want: [1, 2, 3], commit: 3 },
      { index: 1, logTerm: 1, ents: [[2, 3], [3, 4]], want: [1, 3, 4], commit: 3 },
      { index: 0, logTerm: 0, ents: [[1, 1]], want: [1, 2], commit: 1 }, // a duplicate: nothing truncated
      { index: 0, logTerm: 0, ents: [[1, 3]], want: [3], commit: 1 },
    ];
    for (const c of cases) {
      const n = loneNode(1, [1, 2], {}, [1, 2], { term: 2 });
      const ents = c.ents.map(([i, t]) => entry(i, t));
      n.node.step(msg({ type: 'MsgApp', from: 2, to: 1, term: 4, index: c.index, logTerm: c.logTerm, entries: ents, commit: 3 }));
      n.processReady();
      expect(n.logTerms(), JSON.stringify(c)).toEqual(c.want);
      // commit = min(leaderCommit, index of the last new entry)
      expect(n.node.status().commit, JSON.stringify(c)).toBe(Math.min(3, c.index + ents.length));
    }
  });

  it('§5.3 Figure 7: a new leader brings every divergent follower log (a)-(f) in line with its own', () => {
    const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
    const followers: Record<string, number[]> = {
      a: [1, 1, 1, 4, 4, 5, 5, 6, 6],
      b: [1, 1, 1, 4],
      c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
      d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
      e: [1, 1, 1, 4, 4, 4, 4],
      f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
    };
    for (const [name, log] of Object.entries(followers)) {
      const net = new TestNetwork();
      net.addNode(1, storageWithLog([1, 2, 3], leaderLog, { term: 7 }));
      net.addNode(2, storageWithLog([1, 2, 3], log, { term: 7 }));
      net.addNode(3, storageWithLog([1, 2, 3], leaderLog, { term: 7 })); // votes for 1
      net.elect(1); // term 8, appends its no-op at 11
      net.heartbeat(1);
      const want = [...leaderLog, 8];
      expect(net.node(2).logTerms(), `follower (${name})`).toEqual(want);
      expect(net.node(2).logEntries().map((e) => text(e.data))).toEqual(net.node(1).logEntries().map((e) => text(e.data)));
      // fast back-off: a handful of rejections, not one per divergent entry
      const rejections = net.delivered.filter((m) => m.type === 'MsgAppResp' && m.from === 2 && m.reject).length;
      expect(rejections, `follower (${name})`).toBeLessThanOrEqual(2);
    }
  });

  it('§5.3: log matching: entries with the same index and term have identical prefixes on every node', () => {
    const net = TestNetwork.create([1, 2, 3, 4, 5]);
    let leader = net.elect(1);
    for (let round = 0; round < 6; round++) {
      // The leader and one follower are cut off: what the leader accepts now is never committed.
      const minority = [leader, (leader % 5) + 1];
      const majority = [1, 2, 3, 4, 5].filter((id) => !minority.includes(id));
      net.partition(minority, majority);
      net.propose(leader, `lost-${round}`);
      net.deliverAll();
      net.heal();
      leader = net.elect(majority[round % 3]!);
      net.propose(leader, `kept-${round}`);
      net.deliverAll();
    }
    net.heartbeat(leader);
    const logs = [1, 2, 3, 4, 5].map((id) => net.node(id).logEntries());
    for (const a of logs) {
      for (const b of logs) {
        for (let i = 0; i < Math.min(a.length, b.length); i++) {
          if (a[i]!.term === b[i]!.term) expect(a.slice(0, i + 1)).toEqual(b.slice(0, i + 1));
        }
      }
    }
    const applied = net.node(1).appliedData;
    expect(applied).toEqual(['kept-0', 'kept-1', 'kept-2', 'kept-3', 'kept-4', 'kept-5']);
    for (const id of [2, 3, 4, 5]) expect(net.node(id).appliedData).toEqual(applied);
  });
});
