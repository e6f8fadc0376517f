import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../../src/core/bytes.js';
import { SeededRng } from '../../../src/core/rng.js';
import { ChainCluster, expectIdenticalChains, makeRealNetwork, testEnvelope, type RealNetwork } from './raft-chain-cluster.js';

/**
 * Seeded fault schedules: envelopes sent to random orderers while one orderer at a time is killed and
 * restarted from its store, or cut off from the others, with snapshots every few blocks. Afterwards
 * the three chains must be identical (same header hash at every height, no gap), no envelope may be
 * ordered twice, and ordering must still work. Each run replays exactly from its seed.
 */
describe('RaftChain under seeded crash / partition schedules', () => {
  let real: RealNetwork;
  let cluster: ChainCluster;
  beforeAll(async () => {
    real = await makeRealNetwork('raft-chain-faults');
  });
  afterAll(() => real.cleanup());
  afterEach(async () => cluster.closeAll());

  for (const seed of [11, 22, 33]) {
    it(`seed ${seed}: identical chains, no envelope twice, ordering resumes`, async () => {
      const rng = new SeededRng(seed);
      cluster = new ChainCluster(real, { maxMessageCount: 3, batchTimeoutMs: 300, snapshot: { intervalBytes: 0, everyBlocks: 4 }, seed });
      await cluster.startAll();
      await cluster.electLeader();
      let down: number | undefined;
      let accepted = 0;
      for (let step = 0; step < 120; step++) {
        const action = rng.nextInt(12);
        if (action === 0 && down === undefined) {
          down = cluster.ids[rng.nextInt(3)]!;
          await cluster.kill(down);
        } else if (action === 1 && down !== undefined) {
          await cluster.start(down);
          down = undefined;
        } else if (action === 2) {
          cluster.network.isolate(cluster.ids[rng.nextInt(3)]!, cluster.ids);
        } else if (action === 3) {
          cluster.network.heal();
        } else {
          const running = [...cluster.chains.keys()];
          const via = running[rng.nextInt(running.length)]!;
          // not awaited: a partitioned leader lets envelopes wait until it steps down
          void cluster.chain(via).order(testEnvelope(cluster.channelId, `seed ${seed} step ${step}`)).then((r) => {
            if (r.status === 'SUCCESS') accepted++;
          });
        }
        await cluster.run(100 * (1 + rng.nextInt(8)));
      }
      cluster.network.heal();
      if (down !== undefined) await cluster.start(down);
      const leader = await cluster.electLeader();
      const last = testEnvelope(cluster.channelId, `seed ${seed} last`);
      expect(await cluster.order(leader, last)).toEqual({ status: 'SUCCESS' });
      await cluster.runUntil('the last envelope is on every orderer', () =>
        [...cluster.chains.values()].every((c) => c.blocks.height > 1 && c.blocks.height === cluster.chain(leader).blocks.height) && cluster.chain(leader).blocks.height > 1,
      );
      await cluster.run(1000);
      const blocks = await expectIdenticalChains(cluster);
      const ordered = blocks.slice(1).flatMap((b) => b.data.map(toHex));
      expect(ordered).toContain(toHex(last));
      expect(accepted).toBeGreaterThan(10);
      expect(ordered.length).toBeGreaterThan(10);
    });
  }
});
