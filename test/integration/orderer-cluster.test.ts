/**
 * The ordering service as real processes (issue "Ordering service", Must show): three
 * `fabsim node start` orderers on 127.0.0.1 with gRPC+TLS, joined to mychannel through the admin API;
 * concurrent clients broadcast signed envelopes (User1@org1, ENDORSER_TRANSACTION) to all three;
 * Deliver returns them in blocks; the chains are identical; the Raft leader is SIGKILLed, ordering
 * resumes (the time is printed), and the restarted leader catches up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesEqual, toHex } from '../../src/core/bytes.js';
import type { SigningIdentity } from '../../src/msp/signing-identity.js';
import { blockDataHash, blockHeaderHash, parseBlock, type Block } from '../../src/protos/block.js';
import { parseChannelHeader, parseEnvelope, parsePayload } from '../../src/protos/envelope.js';
import { SEEK_FOREVER } from '../../src/protos/seek-info.js';
import { buildSeekEnvelope } from '../../src/transport/grpc/grpc-block-puller.js';
import { signedEnvelope } from '../helpers/channel-fixture.js';
import { CHANNEL, OrdererNetwork, waitFor } from './helpers/orderer-network.js';

let net: OrdererNetwork;
let user: SigningIdentity;

beforeAll(async () => {
  net = await OrdererNetwork.create('orderer-cluster', { batchTimeout: '100ms', maxMessageCount: 100 });
  await net.startAll();
  for (const n of net.nodes) await net.join(n.index);
  user = await net.user('org1');
}, 120_000);

afterAll(async () => {
  await net?.cleanup({ keepDir: process.env["KEEP_ORDERER_DIR"] === "1" });
});

/** Every block of orderer i up to `height` (exclusive), over Deliver. */
async function deliverAll(i: number, height: number): Promise<Block[]> {
  const c = net.connect(i);
  const request = buildSeekEnvelope(user, CHANNEL, { start: { kind: 'oldest' }, stop: { kind: 'specified', number: height - 1 } }, Date.now());
  const blocks: Block[] = [];
  for await (const r of c.deliver(request)) {
    if (r.kind === 'block') blocks.push(parseBlock(r.block));
    else expect(r.status).toBe('SUCCESS');
  }
  c.close();
  return blocks;
}

function txIdsOf(blocks: readonly Block[]): string[] {
  return blocks.slice(1).flatMap((b) => b.data.map((env) => parseChannelHeader(parsePayload(parseEnvelope(env).payload).header.channelHeader).txId));
}

function hashes(blocks: readonly Block[]): string[] {
  return blocks.map((b) => toHex(blockHeaderHash(b.header)));
}

/** Sends `count` envelopes through orderer i on one stream, retrying refused ones; returns the txIds acknowledged SUCCESS. */
async function broadcastMany(i: () => number, count: number, label: string): Promise<{ acked: string[]; retries: number }> {
  const acked: string[] = [];
  let retries = 0;
  let conn = net.connect(i());
  let stream = conn.broadcastStream();
  for (let k = 0; k < count; k++) {
    const env = signedEnvelope(user, { channelId: CHANNEL, data: new TextEncoder().encode(`${label}-${k}`) }, Date.now());
    const txId = parseChannelHeader(parsePayload(parseEnvelope(env).payload).header.channelHeader).txId;
    for (let attempt = 0; ; attempt++) {
      const r = await stream.send(env).catch((err: Error) => ({ status: 'STREAM_BROKEN', info: err.message }));
      if (r.status === 'SUCCESS') {
        acked.push(txId);
        break;
      }
      if (attempt > 200) throw new Error(`envelope ${label}-${k} refused ${attempt} times: ${r.status} ${r.info}`);
      retries++;
      if (r.status === 'STREAM_BROKEN') {
        conn.close();
        conn = net.connect(i());
        stream = conn.broadcastStream();
      }
      await new Promise((res) => setTimeout(res, 100)); // back off before retrying a refused envelope
    }
  }
  stream.close();
  return { acked, retries };
}

describe('three orderer processes', () => {
  it('elects a leader and answers the admin API', async () => {
    const leader = await net.waitForLeader();
    expect(net.nodes.map((n) => n.index)).toContain(leader);
    const list = await net.admin(0, 'GET', '/participation/v1/channels');
    expect(list).toMatchObject({ status: 200, json: { channels: [{ name: CHANNEL }] } });
    expect((await net.admin(0, 'POST', '/participation/v1/channels', net.genesisBlock)).status).toBe(409);
    expect((await net.admin(0, 'POST', '/participation/v1/channels', new Uint8Array([1, 2, 3]))).status).toBe(400);
    expect((await net.admin(0, 'GET', '/participation/v1/channels/nosuch')).status).toBe(404);
    expect((await net.admin(0, 'DELETE', '/participation/v1/channels/nosuch')).status).toBe(404);
  });

  it('orders envelopes from concurrent clients through every orderer; Deliver returns them; the chains are identical', async () => {
    await net.waitForLeader();
    const perClient = 100;
    const results = await Promise.all([0, 1, 2, 0, 1, 2].map((i, c) => broadcastMany(() => i, perClient, `basic-c${c}`)));
    const acked = results.flatMap((r) => r.acked);
    expect(acked.length).toBe(6 * perClient);
    const ackedSet = new Set(acked);
    let height = 0;
    await waitFor('every acknowledged envelope in a block on orderer 0', async () => {
      height = (await net.channelInfo(0))!.height;
      const ids = new Set(txIdsOf(await deliverAll(0, height)));
      return acked.every((id) => ids.has(id));
    }, 30_000);
    for (const n of net.nodes) await net.waitForHeight(n.index, height);
    const chains = await Promise.all(net.nodes.map((n) => deliverAll(n.index, height)));
    for (const chain of chains) expect(hashes(chain)).toEqual(hashes(chains[0]!));
    chains[0]!.forEach((b, n) => {
      expect(b.header.number).toBe(n);
      expect(bytesEqual(b.header.dataHash, blockDataHash(b.data))).toBe(true);
      if (n > 0) expect(toHex(b.header.previousHash)).toBe(toHex(blockHeaderHash(chains[0]![n - 1]!.header)));
    });
    const ids = txIdsOf(chains[0]!);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => ackedSet.has(id)).length).toBe(acked.length);
  }, 120_000);

  it('Deliver follows the chain with SEEK_FOREVER and refuses a request with a stale timestamp (BAD_REQUEST)', async () => {
    const c = net.connect(1);
    const signal = AbortSignal.timeout(5000);
    const request = buildSeekEnvelope(user, CHANNEL, { start: { kind: 'newest' }, stop: SEEK_FOREVER }, Date.now());
    for await (const r of c.deliver(request, signal)) {
      expect(r.kind).toBe('block');
      break;
    }
    const stale = buildSeekEnvelope(user, CHANNEL, { start: { kind: 'oldest' }, stop: { kind: 'oldest' } }, Date.now() - 60 * 60 * 1000);
    const answers = [];
    for await (const r of c.deliver(stale)) answers.push(r);
    expect(answers).toEqual([{ kind: 'status', status: 'BAD_REQUEST' }]);
    c.close();
  });

  it('keeps ordering after the leader is SIGKILLed, and the restarted leader catches up', async () => {
    const leader = await net.waitForLeader();
    const others = net.nodes.filter((n) => n.index !== leader).map((n) => n.index);
    const killedAt = Date.now();
    await net.kill(leader);
    // Ordering has resumed once an envelope sent after the kill is in a block on a survivor.
    const probe = await broadcastMany(() => others[0]!, 1, 'after-kill');
    const probeId = probe.acked[0]!;
    let height = 0;
    await waitFor('the first envelope sent after the kill in a block', async () => {
      height = (await net.channelInfo(others[0]!))!.height;
      return txIdsOf(await deliverAll(others[0]!, height)).includes(probeId);
    }, 60_000);
    const resumedMs = Date.now() - killedAt;
    const newLeader = await net.waitForLeader();
    console.log(`[orderer-cluster] leader ${net.node(leader).host} SIGKILLed; ordering resumed after ${resumedMs} ms (new leader ${net.node(newLeader).host}, ${probe.retries} refused attempts)`);
    expect(newLeader).not.toBe(leader);

    await broadcastMany(() => others[1]!, 50, 'while-down');
    const restartAt = Date.now();
    await net.start(leader);
    height = (await net.channelInfo(others[0]!))!.height;
    await net.waitForHeight(leader, height, 60_000);
    console.log(`[orderer-cluster] restarted ${net.node(leader).host} caught up to height ${height} in ${Date.now() - restartAt} ms`);
    const chains = await Promise.all(net.nodes.map((n) => deliverAll(n.index, height)));
    for (const chain of chains) expect(hashes(chain)).toEqual(hashes(chains[0]!));
  }, 180_000);

  it('stops cleanly on SIGTERM (exit code 0)', async () => {
    const last = net.nodes.length - 1;
    expect(await net.stop(last)).toBe(0);
    expect(net.log(last)).toContain('"event":"stopped"');
  });
});
