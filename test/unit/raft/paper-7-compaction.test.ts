/**
 * Raft paper §7 (log compaction): snapshots taken by the application, compaction of the log, and
 * InstallSnapshot (MsgSnap) for a follower that needs entries the leader has discarded.
 */
import { describe, expect, it } from 'vitest';
import { MemoryRaftStorage, RawNode } from '../../../src/raft/index.js';
import { bytes, configFor, entry, loneNode, msg, TestNetwork } from './helpers/test-network.js';

function proposeMany(net: TestNetwork, leader: number, prefix: string, count: number): void {
  for (let i = 0; i < count; i++) net.propose(leader, `${prefix}${i}`);
  net.deliverAll();
  net.heartbeat(leader);
}

describe('§7 log compaction and InstallSnapshot', () => {
  it('§7: a follower far behind a compacted leader receives a snapshot, installs it, then continues from the log', () => {
    const net = TestNetwork.create([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    proposeMany(net, 1, 'a', 20);
    const leader = net.node(1);
    leader.snapshotAndCompact();
    expect(leader.storage.firstIndex()).toBe(22);
    proposeMany(net, 1, 'b', 3); // entries after the snapshot

    net.heal();
    net.heartbeat(1); // 3 answers the heartbeat; its probe is rejected; the entries are gone: MsgSnap
    const snaps = net.delivered.filter((m) => m.type === 'MsgSnap');
    expect(snaps).toHaveLength(1);
    expect(snaps[0]!.snapshot!.metadata).toMatchObject({ index: 21, confState: { voters: [1, 2, 3] } });
    const f = net.node(3);
    // the follower's Ready carried the snapshot, which the application restored; the log followed
    expect(f.readies.some((rd) => rd.snapshot?.metadata.index === 21)).toBe(true);
    expect(f.storage.snapshot().metadata.index).toBe(21);
    net.raw(1).reportSnapshot(3, 'finish');
    net.heartbeat(1);
    expect(f.appliedData).toEqual(leader.appliedData);
    expect(f.appliedData).toHaveLength(23);
    expect(net.raw(1).progress()?.[3]).toMatchObject({ state: 'replicate', match: net.raw(1).status().lastIndex });
  });

  it('§7: while a snapshot is in flight the leader sends that follower nothing else; failure returns it to probing', () => {
    const net = TestNetwork.create([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    proposeMany(net, 1, 'a', 5);
    net.node(1).snapshotAndCompact();
    net.heal();
    net.dropType('MsgSnap'); // the snapshot is lost
    net.heartbeat(1);
    expect(net.raw(1).progress()?.[3]?.state).toBe('snapshot');
    const before = net.delivered.length;
    net.propose(1, 'more');
    net.deliverAll();
    expect(net.delivered.slice(before).filter((m) => m.to === 3 && m.type === 'MsgApp')).toEqual([]);
    net.raw(1).reportSnapshot(3, 'failure');
    expect(net.raw(1).progress()?.[3]?.state).toBe('probe');
    net.heal();
    net.heartbeat(1); // the heartbeat response resumes probing, which finds the entries gone: a new MsgSnap
    net.heartbeat(1);
    expect(net.node(3).appliedData).toEqual(net.node(1).appliedData);
  });

  it('§7 (not in etcd): a snapshot nobody reports on is retried after an election timeout', () => {
    const net = TestNetwork.create([1, 2, 3], { electionTicks: 10 });
    net.elect(1);
    net.isolate(3);
    proposeMany(net, 1, 'a', 5);
    net.node(1).snapshotAndCompact();
    net.heal();
    net.dropType('MsgSnap');
    net.heartbeat(1);
    expect(net.raw(1).progress()?.[3]?.state).toBe('snapshot');
    net.heal();
    for (let i = 0; i < 25; i++) net.heartbeat(1);
    expect(net.node(3).appliedData).toEqual(net.node(1).appliedData);
  });

  it('§7: a follower that already has the entry a snapshot covers keeps its log (and only advances its commit)', () => {
    const n = loneNode(2, [1, 2, 3], {}, [1, 1, 1, 1], { term: 1, commit: 1 });
    const snapshot = { metadata: { index: 3, term: 1, confState: { voters: [1, 2, 3] } }, data: bytes('[]') };
    n.node.step(msg({ type: 'MsgSnap', from: 1, to: 2, term: 1, snapshot }));
    const rd = n.node.ready();
    expect(rd.snapshot).toBeUndefined();
    expect(rd.hardState?.commit).toBe(3);
    expect(rd.messages).toEqual([expect.objectContaining({ type: 'MsgAppResp', index: 3, reject: false })]);
    n.node.advance();
    expect(n.node.status().lastIndex).toBe(4);
  });

  it('§7: a stale snapshot (not beyond the commit index) is ignored', () => {
    const n = loneNode(2, [1, 2, 3], {}, [1, 1, 1], { term: 1, commit: 3 });
    const snapshot = { metadata: { index: 2, term: 1, confState: { voters: [1, 2, 3] } }, data: bytes('[]') };
    n.node.step(msg({ type: 'MsgSnap', from: 1, to: 2, term: 1, snapshot }));
    const rd = n.node.ready();
    expect(rd.snapshot).toBeUndefined();
    expect(rd.messages).toEqual([expect.objectContaining({ type: 'MsgAppResp', index: 3 })]);
  });

  it('§7: a conflicting log is discarded for the snapshot, whose configuration takes effect', () => {
    const n = loneNode(2, [1, 2, 3], {}, [1, 2, 2], { term: 2, commit: 1 });
    const snapshot = { metadata: { index: 5, term: 3, confState: { voters: [1, 2, 3, 4] } }, data: bytes('["x"]') };
    n.node.step(msg({ type: 'MsgSnap', from: 1, to: 2, term: 3, snapshot }));
    n.processReady();
    const rd = n.readies[0]!;
    expect(rd.snapshot?.metadata.index).toBe(5);
    expect(rd.hardState).toMatchObject({ term: 3, commit: 5 });
    expect(rd.committedEntries).toEqual([]); // the snapshot replaces them
    expect(rd.messages).toEqual([expect.objectContaining({ type: 'MsgAppResp', index: 5, reject: false })]);
    expect(n.node.status()).toMatchObject({ lastIndex: 5, commit: 5, applied: 5, voters: [1, 2, 3, 4] });
    expect(n.storage.firstIndex()).toBe(6);
    // it continues from the snapshot
    n.node.step(msg({ type: 'MsgApp', from: 1, to: 2, term: 3, index: 5, logTerm: 3, entries: [entry(6, 3, 'y')], commit: 6 }));
    expect(n.processReady()).toEqual([expect.objectContaining({ type: 'MsgAppResp', index: 6, reject: false })]);
    expect(n.appliedData).toEqual(['x', 'y']);
  });

  it('§7: a node restarts from its snapshot: applied starts at the snapshot and the log after it is replayed', () => {
    const storage = new MemoryRaftStorage({
      snapshot: { metadata: { index: 10, term: 2, confState: { voters: [1, 2, 3] } }, data: bytes('[]') },
      entries: [entry(11, 2, 'a'), entry(12, 3, 'b')],
      hardState: { term: 3, vote: 1, commit: 12 },
    });
    const node = new RawNode(configFor(1, storage));
    expect(node.status()).toMatchObject({ term: 3, vote: 1, commit: 12, applied: 10, lastIndex: 12 });
    const rd = node.ready();
    expect(rd.hardState).toBeUndefined(); // nothing changed yet
    expect(rd.committedEntries.map((e) => e.index)).toEqual([11, 12]);
  });

  it('§7: compaction never loses what a lagging follower can still get: entries, then snapshot', () => {
    const net = TestNetwork.create([1, 2, 3], { maxEntriesPerMsg: 2 });
    net.elect(1);
    proposeMany(net, 1, 'a', 6);
    net.isolate(2);
    proposeMany(net, 1, 'b', 6);
    // every node takes its own snapshots, at different points
    net.node(1).snapshotAndCompact(net.node(1).appliedIndex - 2);
    net.node(3).snapshotAndCompact();
    net.heal();
    proposeMany(net, 1, 'c', 2);
    net.heartbeat(1);
    for (const id of [2, 3]) expect(net.node(id).appliedData).toEqual(net.node(1).appliedData);
    expect(net.node(1).appliedData).toHaveLength(14);
  });
});
