/**
 * A small randomized check of the core's safety properties (§5.2 election safety, §5.3 log matching,
 * §5.4 state machine safety) under drops, duplicates, reordering, partitions, crash-restarts,
 * compaction and membership changes. The deterministic simulator (src/sim, test/sim) does this at
 * scale; this bounded version keeps src/raft honest on its own. Every failure names its seed.
 */
import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../../src/core/rng.js';
import { MemoryRaftStorage, type Message } from '../../../src/raft/index.js';
import { TestNetwork, text } from './helpers/test-network.js';

function isPrefix(a: readonly string[], b: readonly string[]): boolean {
  return a.length <= b.length && a.every((x, i) => x === b[i]);
}

function run(seed: number, opts: { preVote: boolean; checkQuorum: boolean }): void {
  const rng = new SeededRng(seed);
  const ids = [1, 2, 3, 4, 5];
  const net = new TestNetwork({ ...opts, seed, electionTicks: 8, heartbeatTicks: 2, maxInflightMsgs: 4, maxEntriesPerMsg: 3 });
  for (const id of ids) net.addNode(id, MemoryRaftStorage.bootstrap([1, 2, 3]));
  const leaderOfTerm = new Map<number, number>();
  let longestApplied: string[] = [];
  let proposals = 0;

  const fail = (msg: string): never => {
    throw new Error(`seed ${seed}: ${msg}`);
  };
  const check = (step: number): void => {
    for (const id of ids) {
      const st = net.raw(id).status();
      if (st.role !== 'leader') continue;
      const prev = leaderOfTerm.get(st.term);
      if (prev !== undefined && prev !== id) fail(`step ${step}: two leaders in term ${st.term}: ${prev} and ${id}`);
      leaderOfTerm.set(st.term, id);
    }
    for (const id of ids) {
      const applied = net.node(id).appliedData;
      if (!isPrefix(applied, longestApplied) && !isPrefix(longestApplied, applied)) fail(`step ${step}: node ${id} applied a divergent sequence`);
      if (applied.length > longestApplied.length) longestApplied = [...applied];
    }
    // log matching on what is persisted: same index and term => same entry (every few steps: it is costly)
    if (step % 5 !== 0) return;
    const byIndex = new Map<string, string>();
    for (const id of ids) {
      for (const e of net.node(id).logEntries()) {
        const key = `${e.index}/${e.term}`;
        const data = `${e.type}:${text(e.data)}`;
        const seen = byIndex.get(key);
        if (seen !== undefined && seen !== data) fail(`step ${step}: log matching violated at ${key}`);
        byIndex.set(key, data);
      }
    }
  };

  for (let step = 0; step < 400; step++) {
    const r = rng.nextFloat();
    const leaders = net.leaders();
    const leader = leaders[rng.nextInt(Math.max(leaders.length, 1))];
    if (r < 0.35) {
      net.tickAll();
    } else if (r < 0.5 && leader !== undefined) {
      net.propose(leader, `s${seed}-p${proposals++}`);
    } else if (r < 0.53 && leader !== undefined) {
      const target = ids[rng.nextInt(ids.length)]!;
      const voters = net.raw(leader).status().voters;
      const type = voters.includes(target) ? 'removeNode' : 'addNode';
      if (type === 'addNode' || voters.length > 3) net.raw(leader).proposeConfChange({ type, nodeId: target });
      net.flush(leader);
    } else if (r < 0.56) {
      const id = ids[rng.nextInt(ids.length)]!;
      net.node(id).restart(); // a crash: everything not persisted is gone (the Ready loop persisted it all)
      net.queue = net.queue.filter((m) => m.to !== id);
    } else if (r < 0.58) {
      const id = ids[rng.nextInt(ids.length)]!;
      const n = net.node(id);
      if (n.appliedIndex > n.storage.snapshot().metadata.index) n.snapshotAndCompact();
    } else if (r < 0.6) {
      net.heal();
      const a = ids.filter(() => rng.nextFloat() < 0.5);
      net.partition(a, ids.filter((id) => !a.includes(id)));
    } else if (r < 0.63) {
      net.heal();
    } else if (r < 0.65 && leader !== undefined) {
      net.raw(leader).transferLeader(ids[rng.nextInt(ids.length)]!);
      net.flush(leader);
    } else {
      // deliver some messages in random order, dropping or duplicating a few
      const n = 1 + rng.nextInt(Math.max(net.queue.length, 1));
      for (let k = 0; k < n && net.queue.length > 0; k++) {
        const i = rng.nextInt(net.queue.length);
        const m: Message = net.queue[i]!;
        const fate = rng.nextFloat();
        if (fate < 0.1) {
          net.queue.splice(i, 1); // dropped
          if (m.type === 'MsgSnap') net.raw(m.from).reportSnapshot(m.to, 'failure');
        } else if (fate < 0.15) {
          net.deliver(m); // duplicated: stays queued
        } else {
          net.queue.splice(i, 1);
          net.deliver(m);
        }
      }
    }
    check(step);
  }
  // Heal and let the cluster settle: it must make progress again.
  net.heal();
  for (let i = 0; i < 60; i++) {
    net.tickAll();
    net.deliverAll();
  }
  check(-1);
  expect(net.leaders().length, `seed ${seed}: no leader after healing`).toBe(1);
}

describe('randomized safety (§5.2, §5.3, §5.4)', () => {
  it('election safety, log matching and state machine safety hold under faults (PreVote + CheckQuorum)', () => {
    for (let seed = 1; seed <= 25; seed++) run(seed, { preVote: true, checkQuorum: true });
  });

  it('the same without PreVote and CheckQuorum', () => {
    for (let seed = 101; seed <= 125; seed++) run(seed, { preVote: false, checkQuorum: false });
  });
});
