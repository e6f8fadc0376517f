import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bytesEqual, toHex } from '../../../src/core/bytes.js';
import { readWrittenMetadata } from '../../../src/orderer/block-writer.js';
import { BlockMetadataSlot, blockSignatureMessage, parseMetadataValue } from '../../../src/protos/block.js';
import { parseSignatureHeader } from '../../../src/protos/signature-header.js';
import { verifyEcdsa } from '../../../src/msp/ecdsa.js';
import type { OrderResult } from '../../../src/orderer/order-result.js';
import { ChainCluster, expectIdenticalChains, makeRealNetwork, testEnvelope, type RealNetwork } from './raft-chain-cluster.js';

describe('RaftChain: three orderers of one channel, in one process', () => {
  let real: RealNetwork;
  let cluster: ChainCluster;
  beforeAll(async () => {
    real = await makeRealNetwork('raft-chain');
  });
  afterAll(() => real.cleanup());
  afterEach(async () => cluster.closeAll());

  it('answers SERVICE_UNAVAILABLE, saying why, while no leader is known', async () => {
    cluster = new ChainCluster(real, { maxMessageCount: 5, batchTimeoutMs: 500 });
    await cluster.startAll();
    const result = await cluster.order(1, testEnvelope(cluster.channelId));
    expect(result.status).toBe('SERVICE_UNAVAILABLE');
    expect(result.status === 'SERVICE_UNAVAILABLE' && result.info).toMatch(/no Raft leader of channel mychannel is known to orderer 1.*election is in progress.*retry/);
  });

  it('elects a leader and cuts blocks by MaxMessageCount and by BatchTimeout', async () => {
    cluster = new ChainCluster(real, { maxMessageCount: 5, batchTimeoutMs: 500 });
    await cluster.startAll();
    const leader = await cluster.electLeader();
    expect(cluster.logger.count('became leader', leader)).toBe(1);

    // 10 envelopes at MaxMessageCount 5: two blocks, without waiting for the timeout.
    for (let i = 0; i < 10; i++) expect(await cluster.order(leader, testEnvelope(cluster.channelId))).toEqual({ status: 'SUCCESS' });
    await cluster.waitForHeight(3, undefined, 0);
    // 3 more: nothing until BatchTimeout (500 ms) passes, then one block of 3.
    for (let i = 0; i < 3; i++) await cluster.order(leader, testEnvelope(cluster.channelId));
    await cluster.run(400);
    expect(cluster.chain(leader).blocks.height).toBe(3);
    await cluster.run(200);
    await cluster.waitForHeight(4, undefined, 0);

    const blocks = await expectIdenticalChains(cluster);
    expect(blocks.map((b) => b.data.length)).toEqual([1, 5, 5, 3]);
    expect(cluster.chain(leader).status()).toMatchObject({ role: 'leader', leader, height: 4 });
  });

  it('writes Fabric metadata: raft_index, consenter ids, last config; each orderer signs its own copy', async () => {
    cluster = new ChainCluster(real, { maxMessageCount: 2, batchTimeoutMs: 500 });
    await cluster.startAll();
    const leader = await cluster.electLeader();
    for (let i = 0; i < 4; i++) await cluster.order(leader, testEnvelope(cluster.channelId));
    await cluster.waitForHeight(3);
    const copies = await Promise.all(cluster.ids.map((id) => cluster.blocksOf(id)));
    const raftIndexes = copies[0]!.slice(1).map((b) => readWrittenMetadata(b).raft!.raftIndex);
    expect(raftIndexes[1]).toBeGreaterThan(raftIndexes[0]!);
    for (const [i, blocks] of copies.entries()) {
      for (const b of blocks.slice(1)) {
        const written = readWrittenMetadata(b);
        expect(written).toMatchObject({ lastConfigIndex: 0, raft: { consenterIds: [1, 2, 3], nextConsenterId: 4 } });
        expect(b.metadata[BlockMetadataSlot.LAST_CONFIG]).toHaveLength(0);
        expect(b.metadata[BlockMetadataSlot.TRANSACTIONS_FILTER]).toHaveLength(0);
        const slot = parseMetadataValue(b.metadata[BlockMetadataSlot.SIGNATURES]!);
        expect(slot.signatures).toHaveLength(1);
        const sig = slot.signatures[0]!;
        const creator = parseSignatureHeader(sig.signatureHeader).creator;
        expect(bytesEqual(creator, real.signers[i]!.serialized)).toBe(true);
        const publicKey = real.signers[i]!.certificate.x509.publicKey;
        expect(verifyEcdsa(publicKey, blockSignatureMessage(slot.value, sig.signatureHeader, b.header), sig.signature)).toBe('valid');
      }
    }
    // same raft_index on every copy; different signatures
    expect(copies.map((c) => readWrittenMetadata(c[1]!).raft!.raftIndex)).toEqual([raftIndexes[0], raftIndexes[0], raftIndexes[0]]);
    const sigs = copies.map((c) => toHex(c[1]!.metadata[BlockMetadataSlot.SIGNATURES]!));
    expect(new Set(sigs).size).toBe(3);
    await expectIdenticalChains(cluster);
  });

  it('forwards an envelope sent to a follower to the leader, which orders it', async () => {
    cluster = new ChainCluster(real, { maxMessageCount: 3, batchTimeoutMs: 500 });
    await cluster.startAll();
    const leader = await cluster.electLeader();
    const follower = cluster.ids.find((id) => id !== leader)!;
    const envs = [0, 1, 2].map(() => testEnvelope(cluster.channelId));
    for (const e of envs) expect(await cluster.order(follower, e)).toEqual({ status: 'SUCCESS' });
    await cluster.waitForHeight(2);
    const blocks = await expectIdenticalChains(cluster);
    expect(blocks[1]!.data.map(toHex)).toEqual(envs.map(toHex));
  });

  it('a follower that cannot reach the leader answers SERVICE_UNAVAILABLE naming the leader', async () => {
    cluster = new ChainCluster(real, { maxMessageCount: 3, batchTimeoutMs: 500 });
    await cluster.startAll();
    const leader = await cluster.electLeader();
    const follower = cluster.ids.find((id) => id !== leader)!;
    cluster.network.cut(follower, leader, { oneWay: true });
    const result = await cluster.order(follower, testEnvelope(cluster.channelId));
    expect(result.status).toBe('SERVICE_UNAVAILABLE');
    expect(result.status === 'SERVICE_UNAVAILABLE' && result.info).toMatch(new RegExp(`forward the envelope to the Raft leader of channel mychannel, orderer ${leader}: .*unreachable`));
  });

  it('loses its leader when a majority is gone, then answers SERVICE_UNAVAILABLE', async () => {
    cluster = new ChainCluster(real, { maxMessageCount: 3, batchTimeoutMs: 500 });
    await cluster.startAll();
    const leader = await cluster.electLeader();
    cluster.network.isolate(leader, cluster.ids);
    // checkQuorum: the isolated leader steps down after an election timeout without a quorum
    await cluster.runUntil('the isolated leader steps down', () => cluster.chain(leader).status().role !== 'leader');
    await cluster.runUntil('it knows no leader', () => cluster.chain(leader).status().leader === 0);
    const result = await cluster.order(leader, testEnvelope(cluster.channelId));
    expect(result.status).toBe('SERVICE_UNAVAILABLE');
    expect(cluster.logger.count('lost leadership', leader)).toBe(1);
  });

  it('back-pressure: beyond maxInflightBlocks envelopes wait; a deposed leader answers them SERVICE_UNAVAILABLE and its uncommitted block is never written', async () => {
    cluster = new ChainCluster(real, { maxMessageCount: 1, batchTimeoutMs: 500, maxInflightBlocks: 1 });
    await cluster.startAll();
    const leader = await cluster.electLeader();
    cluster.network.isolate(leader, cluster.ids);
    const envs = [0, 1, 2].map(() => testEnvelope(cluster.channelId));
    const results: Array<OrderResult | undefined> = [undefined, undefined, undefined];
    envs.forEach((e, i) => void cluster.chain(leader).order(e).then((r) => (results[i] = r)));
    await cluster.settle();
    // block 1 (envelope 0) is proposed and cannot commit: the others wait
    expect(results.map((r) => r?.status)).toEqual(['SUCCESS', undefined, undefined]);
    await cluster.runUntil('the isolated leader steps down', () => cluster.chain(leader).status().role !== 'leader');
    expect(results.slice(1)).toEqual([
      { status: 'SERVICE_UNAVAILABLE', info: `orderer ${leader} lost the Raft leadership of channel mychannel before ordering the envelope; retry, the new leader will order it` },
      { status: 'SERVICE_UNAVAILABLE', info: `orderer ${leader} lost the Raft leadership of channel mychannel before ordering the envelope; retry, the new leader will order it` },
    ]);
    cluster.network.heal();
    const next = await cluster.electLeader();
    expect(next).not.toBe(leader);
    expect(await cluster.order(leader, envs[1]!)).toEqual({ status: 'SUCCESS' });
    await cluster.waitForHeight(2);
    const blocks = await expectIdenticalChains(cluster);
    const ordered = blocks.slice(1).flatMap((b) => b.data.map(toHex));
    expect(ordered).toEqual([toHex(envs[1]!)]); // envelope 0's block was proposed but never committed
  });

  it('halts when its disk fails, and then answers SERVICE_UNAVAILABLE saying so', async () => {
    cluster = new ChainCluster(real, { maxMessageCount: 1, batchTimeoutMs: 500 });
    const failing = { on: false };
    cluster.wrapStore = (_id, store) => ({
      get: (key) => store.get(key),
      getMany: (keys) => store.getMany(keys),
      put: (key, value, options) => store.put(key, value, options),
      del: (key, options) => store.del(key, options),
      iterate: (range) => store.iterate(range),
      close: () => store.close(),
      batch: async (ops, options) => {
        if (failing.on) throw new Error('disk full');
        return store.batch(ops, options);
      },
    });
    await cluster.startAll();
    const leader = await cluster.electLeader();
    failing.on = true;
    await cluster.order(leader, testEnvelope(cluster.channelId));
    await cluster.runUntil('the leader halts', () => cluster.chain(leader).status().halted !== undefined);
    expect(cluster.chain(leader).status().halted).toBe('disk full');
    expect(cluster.logger.count('chain halted', leader)).toBe(1);
    const result = await cluster.order(leader, testEnvelope(cluster.channelId));
    expect(result).toEqual({
      status: 'SERVICE_UNAVAILABLE',
      info: `the chain of channel mychannel on orderer ${leader} halted (disk full); send to another orderer and restart this one`,
    });
    cluster.logger.events.length = 0; // the halts were expected
  });
});
