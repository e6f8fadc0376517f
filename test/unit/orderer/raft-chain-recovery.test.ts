import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readWrittenMetadata } from '../../../src/orderer/block-writer.js';
import { ChainCluster, expectIdenticalChains, makeRealNetwork, testEnvelope, type RealNetwork } from './raft-chain-cluster.js';

/** Block numbers written (or pulled) more than once by one node, across all its lifetimes. */
function writtenTwice(cluster: ChainCluster): string[] {
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const e of cluster.logger.events) {
    if (e.event !== 'block written' && e.event !== 'block pulled') continue;
    const key = `${e.fields['node']}:${e.fields['number']}`;
    if (seen.has(key)) twice.push(key);
    seen.add(key);
  }
  return twice;
}

async function orderMany(cluster: ChainCluster, via: number, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const result = await cluster.order(via, testEnvelope(cluster.channelId));
    expect(result, `envelope ${i} via ${via}`).toEqual({ status: 'SUCCESS' });
  }
}

describe('RaftChain recovery: leader death, restart from the store, catch-up by snapshot and block pulling', () => {
  let real: RealNetwork;
  let cluster: ChainCluster;
  beforeAll(async () => {
    real = await makeRealNetwork('raft-chain-recovery');
  });
  afterAll(() => real.cleanup());
  afterEach(async () => cluster.closeAll());

  it('elects a new leader when the leader dies, resumes ordering, and the restarted node catches up', async () => {
    cluster = new ChainCluster(real, { maxMessageCount: 4, batchTimeoutMs: 300 });
    await cluster.startAll();
    const first = await cluster.electLeader();
    await orderMany(cluster, first, 8);
    await cluster.waitForHeight(3);

    await cluster.kill(first);
    const second = await cluster.electLeader();
    expect(second).not.toBe(first);
    const survivor = cluster.ids.find((id) => id !== first && id !== second)!;
    await orderMany(cluster, survivor, 8); // through the new leader, forwarded
    await cluster.waitForHeight(5);

    const restarted = await cluster.start(first);
    const started = cluster.logger.events.filter((e) => e.event === 'chain started' && e.fields['node'] === first).at(-1)!;
    // it resumes after the raft_index recorded in its last block, as Fabric does
    const lastBlock = (await cluster.blocksOf(first)).at(-1)!;
    expect(started.fields['appliedRaftIndex']).toBe(readWrittenMetadata(lastBlock).raft!.raftIndex);
    expect(restarted.blocks.height).toBe(3);
    await cluster.waitForHeight(5);
    await orderMany(cluster, first, 4);
    await cluster.waitForHeight(6);
    const blocks = await expectIdenticalChains(cluster);
    expect(blocks.slice(1).reduce((n, b) => n + b.data.length, 0)).toBe(20);
    expect(writtenTwice(cluster)).toEqual([]);
  });

  it('restarts every node from its store: nothing is written twice and ordering goes on', async () => {
    cluster = new ChainCluster(real, { maxMessageCount: 3, batchTimeoutMs: 300 });
    await cluster.startAll();
    const leader = await cluster.electLeader();
    await orderMany(cluster, leader, 9);
    await cluster.waitForHeight(4);
    for (const id of cluster.ids) await cluster.kill(id);
    await cluster.startAll();
    expect(cluster.ids.map((id) => cluster.chain(id).blocks.height)).toEqual([4, 4, 4]);
    const next = await cluster.electLeader();
    await orderMany(cluster, next, 3);
    await cluster.waitForHeight(5);
    await expectIdenticalChains(cluster);
    expect(writtenTwice(cluster)).toEqual([]);
  });

  it('a node far behind catches up by a Raft snapshot plus pulling the missing blocks', async () => {
    cluster = new ChainCluster(real, { maxMessageCount: 2, batchTimeoutMs: 300, snapshot: { intervalBytes: 0, everyBlocks: 3 } });
    await cluster.startAll();
    const leader = await cluster.electLeader();
    const lagging = cluster.ids.find((id) => id !== leader)!;
    await orderMany(cluster, leader, 2);
    await cluster.waitForHeight(2);

    cluster.network.isolate(lagging, cluster.ids);
    await orderMany(cluster, leader, 20);
    const others = cluster.ids.filter((id) => id !== lagging);
    await cluster.waitForHeight(12, others);
    expect(cluster.logger.count('snapshot taken', leader)).toBeGreaterThanOrEqual(3);
    expect(cluster.chain(lagging).blocks.height).toBe(2);

    cluster.network.heal();
    await cluster.waitForHeight(12);
    expect(cluster.logger.count('snapshot received', lagging)).toBeGreaterThanOrEqual(1);
    expect(cluster.logger.count('block pulled', lagging)).toBeGreaterThanOrEqual(1);
    // and it keeps following once caught up
    await orderMany(cluster, lagging, 2);
    await cluster.waitForHeight(13);
    await expectIdenticalChains(cluster);
    expect(writtenTwice(cluster)).toEqual([]);
  });

  it('a node restarted in the middle of a snapshot catch-up resumes it from its stored snapshot', async () => {
    cluster = new ChainCluster(real, { maxMessageCount: 2, batchTimeoutMs: 300, snapshot: { intervalBytes: 1 } });
    await cluster.startAll();
    const leader = await cluster.electLeader();
    const lagging = cluster.ids.find((id) => id !== leader)!;
    cluster.network.isolate(lagging, cluster.ids);
    await orderMany(cluster, leader, 10);
    const others = cluster.ids.filter((id) => id !== lagging);
    await cluster.waitForHeight(6, others);
    // Raft messages pass again but block pulling fails: the snapshot arrives, its blocks cannot be fetched
    cluster.pullBlocked.add(lagging);
    cluster.network.heal();
    await cluster.runUntil('the snapshot arrives', () => cluster.logger.count('snapshot received', lagging) > 0);
    await cluster.run(3000);
    expect(cluster.chain(lagging).blocks.height).toBe(1);
    expect(cluster.logger.count('catch-up incomplete, retrying', lagging)).toBeGreaterThanOrEqual(1);

    // killed while stuck; restarted, it finds the stored snapshot ahead of its blocks and pulls first
    await cluster.kill(lagging);
    const retriesBefore = cluster.logger.count('catch-up incomplete, retrying', lagging);
    await cluster.start(lagging);
    const started = cluster.logger.events.filter((e) => e.event === 'chain started' && e.fields['node'] === lagging).at(-1)!;
    expect(started.fields['snapshotIndex']).toBeGreaterThan(0);
    await cluster.run(2000);
    expect(cluster.chain(lagging).blocks.height).toBe(1);
    expect(cluster.logger.count('catch-up incomplete, retrying', lagging)).toBeGreaterThan(retriesBefore);
    cluster.pullBlocked.delete(lagging);
    await cluster.waitForHeight(6);
    await orderMany(cluster, leader, 2);
    await cluster.waitForHeight(7);
    await expectIdenticalChains(cluster);
    expect(writtenTwice(cluster)).toEqual([]);
  });
});
