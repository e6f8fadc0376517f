/**
 * The orderer's gRPC services and admin API in one process, over real TLS on 127.0.0.1, against the
 * channel fixture's real crypto material and genesis blocks: Broadcast's statuses, Deliver's access
 * control, the cluster service's identification of consenters by client TLS certificate, and the
 * admin API's mutual TLS. (orderer-cluster.test.ts runs them as real processes.)
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { BlockStore } from '../../src/ledger/block-store.js';
import { decodeCertificatePem } from '../../src/msp/pem.js';
import { chainConfigFromBlock } from '../../src/orderer/chain-config.js';
import type { ClusterEndpoint } from '../../src/orderer/cluster-transport.js';
import { ORDER_SUCCESS, serviceUnavailable, type OrderResult } from '../../src/orderer/order-result.js';
import { HeaderType } from '../../src/protos/envelope.js';
import { MemoryKvStore } from '../../src/storage/memory-kv-store.js';
import { AtomicBroadcastConnection } from '../../src/transport/grpc/atomic-broadcast-client.js';
import { atomicBroadcastService, type ServedChain } from '../../src/transport/grpc/atomic-broadcast-service.js';
import { clusterService } from '../../src/transport/grpc/cluster-service.js';
import { buildSeekEnvelope } from '../../src/transport/grpc/grpc-block-puller.js';
import { GrpcClusterTransport } from '../../src/transport/grpc/grpc-cluster-transport.js';
import { startGrpcServer, type RunningGrpcServer } from '../../src/transport/grpc/grpc-server.js';
import { optionalClientCertServerCredentials, type ClientTlsMaterial } from '../../src/transport/grpc/tls-credentials.js';
import { ParticipationError, startParticipationApi, type RunningParticipationApi } from '../../src/transport/http/participation-api.js';
import { makeTestOrg } from '../helpers/test-orgs.js';
import { makeChannelFixture, signedEnvelope, type ChannelFixture } from '../helpers/channel-fixture.js';
import { waitFor } from './helpers/orderer-network.js';

let fx: ChannelFixture;
let server: RunningGrpcServer;
let admin: RunningParticipationApi;
let blocks: BlockStore;
const ordered: Uint8Array[] = [];
let orderAnswer: OrderResult = ORDER_SUCCESS;
const consensus: Array<{ from: number; bytes: number[] }> = [];
const submits: number[] = [];
let submitRefusal: string | undefined;

const ordererDir = (host: string): string => join(fx.cryptoDir, 'ordererOrganizations', 'example.com', 'orderers', host);
const tlsOf = (dir: string, kind: 'server' | 'client'): { certPem: string; keyPem: string } => ({
  certPem: readFileSync(join(dir, 'tls', `${kind}.crt`), 'utf8'),
  keyPem: readFileSync(join(dir, 'tls', `${kind}.key`), 'utf8'),
});
const ordererCa = (): string => readFileSync(join(ordererDir('orderer.example.com'), 'tls', 'ca.crt'), 'utf8');
const org1Tls = (): string => readFileSync(join(fx.cryptoDir, 'peerOrganizations', 'org1.example.com', 'msp', 'tlscacerts', 'tlsca.org1.example.com-cert.pem'), 'utf8');

beforeAll(async () => {
  fx = await makeChannelFixture('orderer-services');
  blocks = await BlockStore.open(new MemoryKvStore());
  await blocks.append(fx.genesis.get('mychannel')!.block);
  const chain: ServedChain & ClusterEndpoint = {
    order: (env) => {
      ordered.push(env);
      return Promise.resolve(orderAnswer);
    },
    blocks,
    handleConsensus: (from, bytes) => void consensus.push({ from, bytes: [...bytes] }),
    handleSubmit: (from) => {
      submits.push(from);
      return submitRefusal === undefined ? Promise.resolve() : Promise.reject(new Error(submitRefusal));
    },
    reportUnreachable: () => undefined,
  };
  const config = chainConfigFromBlock(fx.genesis.get('mychannel')!.block);
  const clusterChannel = { consenterClientCertsDer: config.consenters.map((c) => decodeCertificatePem(c.clientTlsCert, c.host)), endpoint: chain };
  const tls = tlsOf(ordererDir('orderer.example.com'), 'server');
  server = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    credentials: optionalClientCertServerCredentials({ ...tls, clientCaPems: [ordererCa(), org1Tls()] }),
    services: [
      atomicBroadcastService({ channels: { registry: fx.registry, chainOf: (id) => (id === 'mychannel' ? chain : undefined) }, clock: fx.clock, logger: silentLogger }),
      clusterService({ channelOf: (id) => (id === 'mychannel' ? clusterChannel : undefined), logger: silentLogger }),
    ],
    maxMessageBytes: 4 * 1024 * 1024,
  });
  const joined = new Set<string>();
  admin = await startParticipationApi({
    host: '127.0.0.1',
    port: 0,
    ...tls,
    adminCaPems: [ordererCa()],
    logger: silentLogger,
    participation: {
      list: () => [...joined],
      info: (name) => (joined.has(name) ? { name, height: 1 } : undefined),
      join: (block) => {
        const id = (() => {
          try {
            return chainConfigFromBlock(block).channelId;
          } catch {
            throw new ParticipationError('PARTICIPATION_BAD_BLOCK', 'not a config block');
          }
        })();
        if (joined.has(id)) return Promise.reject(new ParticipationError('PARTICIPATION_ALREADY_JOINED', `already joined ${id}`));
        joined.add(id);
        return Promise.resolve({ name: id, height: 1 });
      },
      remove: (name) => (joined.delete(name) ? Promise.resolve() : Promise.reject(new ParticipationError('PARTICIPATION_UNKNOWN_CHANNEL', `unknown ${name}`))),
    },
  });
}, 60_000);

afterAll(async () => {
  await server?.shutdown(100);
  await admin?.close();
  fx?.cleanup();
});

const clientTls = (): ClientTlsMaterial => ({ serverCaPems: [ordererCa()] });

describe('AtomicBroadcast.Broadcast over gRPC+TLS', () => {
  it("answers every envelope in order with Fabric's statuses, and keeps the stream open after a rejection", async () => {
    const user1 = await fx.user('org1');
    const peer = await fx.peer('org1');
    const outsider = (await (await makeTestOrg('OutsiderMSP', 'outsider.example.com')).issue('User1@outsider.example.com', 'client')).signer;
    const conn = new AtomicBroadcastConnection(`127.0.0.1:${server.port}`, clientTls());
    const stream = conn.broadcastStream();
    const good = signedEnvelope(user1, { channelId: 'mychannel' }, fx.clock.nowMs());
    const answers = await Promise.all([
      stream.send(good),
      stream.send(new Uint8Array([0xff, 0x01])),
      stream.send(signedEnvelope(user1, { channelId: 'nosuch' }, fx.clock.nowMs())),
      stream.send(signedEnvelope(outsider, { channelId: 'mychannel' }, fx.clock.nowMs())),
      stream.send(signedEnvelope(peer, { channelId: 'mychannel' }, fx.clock.nowMs())),
      stream.send(signedEnvelope(user1, { channelId: 'mychannel', type: HeaderType.CONFIG }, fx.clock.nowMs())),
      stream.send(signedEnvelope(user1, { channelId: 'lab', data: new Uint8Array(8 * 1024) }, fx.clock.nowMs())),
    ]);
    expect(answers.map((a) => a.status)).toEqual(['SUCCESS', 'BAD_REQUEST', 'BAD_REQUEST', 'FORBIDDEN', 'FORBIDDEN', 'BAD_REQUEST', 'BAD_REQUEST']);
    expect(answers[2]!.info).toContain('channel does not exist');
    expect(answers[3]!.info).toContain('permission denied');
    expect(answers[6]!.info).toContain('AbsoluteMaxBytes');
    expect(ordered.length).toBe(1);
    expect([...ordered[0]!]).toEqual([...good]); // the exact bytes the client sent

    orderAnswer = serviceUnavailable('no Raft leader right now; retry');
    const refused = await stream.send(signedEnvelope(user1, { channelId: 'mychannel' }, fx.clock.nowMs()));
    expect(refused).toEqual({ status: 'SERVICE_UNAVAILABLE', info: 'no Raft leader right now; retry' });
    orderAnswer = ORDER_SUCCESS;
    stream.close();
    conn.close();
  });
});

describe('AtomicBroadcast.Deliver over gRPC+TLS', () => {
  it('serves a member, refuses a non-member (FORBIDDEN) and an unknown channel (NOT_FOUND)', async () => {
    const user1 = await fx.user('org1');
    const outsider = (await (await makeTestOrg('OutsiderMSP', 'outsider.example.com')).issue('User1@outsider.example.com', 'client')).signer;
    const conn = new AtomicBroadcastConnection(`127.0.0.1:${server.port}`, clientTls());
    const all = async (req: Uint8Array): Promise<unknown[]> => {
      const out: unknown[] = [];
      for await (const r of conn.deliver(req)) out.push(r.kind === 'block' ? 'block' : r.status);
      return out;
    };
    const oldest = { start: { kind: 'oldest' as const }, stop: { kind: 'oldest' as const } };
    expect(await all(buildSeekEnvelope(user1, 'mychannel', oldest, fx.clock.nowMs()))).toEqual(['block', 'SUCCESS']);
    expect(await all(buildSeekEnvelope(outsider, 'mychannel', oldest, fx.clock.nowMs()))).toEqual(['FORBIDDEN']);
    expect(await all(buildSeekEnvelope(user1, 'nosuch', oldest, fx.clock.nowMs()))).toEqual(['NOT_FOUND']);
    expect(await all(buildSeekEnvelope(user1, 'mychannel', { start: { kind: 'specified', number: 5 }, stop: { kind: 'specified', number: 5 }, behavior: 'FAIL_IF_NOT_READY' }, fx.clock.nowMs()))).toEqual(['NOT_FOUND']);
    conn.close();
  });
});

describe('Cluster.Step over mutual TLS', () => {
  const transportAs = (dir: string, kind: 'server' | 'client'): GrpcClusterTransport =>
    new GrpcClusterTransport({
      tls: { serverCaPems: [ordererCa()], ...tlsOf(dir, kind) },
      directory: { addressOf: () => `127.0.0.1:${server.port}`, endpointOf: () => undefined },
      logger: silentLogger,
      maxMessageBytes: 4 * 1024 * 1024,
      submitTimeoutMs: 5000,
    });

  it('identifies the sender by its client TLS certificate', async () => {
    const t = transportAs(ordererDir('orderer2.example.com'), 'server');
    t.sendConsensus('mychannel', 1, new Uint8Array([7, 7]));
    await waitFor('the consensus message', () => consensus.length > 0, 5000);
    expect(consensus[0]).toEqual({ from: 2, bytes: [7, 7] });
    await t.submit('mychannel', 1, signedEnvelope(await fx.user('org1'), { channelId: 'mychannel' }, fx.clock.nowMs()));
    expect(submits).toEqual([2]);
    submitRefusal = 'orderer 1 is not the Raft leader';
    await expect(t.submit('mychannel', 1, signedEnvelope(await fx.user('org1'), { channelId: 'mychannel' }, fx.clock.nowMs()))).rejects.toMatchObject({ code: 'CLUSTER_SUBMIT_REFUSED' });
    submitRefusal = undefined;
    t.close();
  });

  it('drops messages and refuses submits from a certificate that is no consenter', async () => {
    const userDir = join(fx.cryptoDir, 'peerOrganizations', 'org1.example.com', 'users', 'User1@org1.example.com');
    const t = transportAs(userDir, 'client');
    const before = consensus.length;
    await expect(t.submit('mychannel', 1, signedEnvelope(await fx.user('org1'), { channelId: 'mychannel' }, fx.clock.nowMs()))).rejects.toThrow(/FORBIDDEN/);
    t.sendConsensus('mychannel', 1, new Uint8Array([1]));
    await t.submit('nosuch', 1, new Uint8Array()).catch(() => undefined); // a round trip after the consensus message
    expect(consensus.length).toBe(before);
    t.close();
  });
});

describe('channel participation API over HTTPS with mutual TLS', () => {
  const call = (method: string, path: string, identity: { certPem: string; keyPem: string }, body?: Uint8Array): Promise<{ status: number; json: unknown }> =>
    new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: admin.port, method, path, ca: ordererCa(), cert: identity.certPem, key: identity.keyPem, headers: body ? { 'content-type': 'application/octet-stream' } : {} },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? (JSON.parse(text) as unknown) : undefined }));
        },
      );
      req.on('error', reject);
      req.end(body ? Buffer.from(body) : undefined);
    });
  const ordererAdmin = (): { certPem: string; keyPem: string } => tlsOf(join(fx.cryptoDir, 'ordererOrganizations', 'example.com', 'users', 'Admin@example.com'), 'client');

  it('joins, lists, refuses a second join (409) and a bad block (400), removes, and answers 404 for an unknown channel', async () => {
    const block = fx.genesis.get('mychannel')!.block;
    expect(await call('POST', '/participation/v1/channels', ordererAdmin(), block)).toMatchObject({ status: 201, json: { name: 'mychannel', url: '/participation/v1/channels/mychannel' } });
    expect(await call('GET', '/participation/v1/channels', ordererAdmin())).toMatchObject({ status: 200, json: { channels: [{ name: 'mychannel' }] } });
    expect((await call('POST', '/participation/v1/channels', ordererAdmin(), block)).status).toBe(409);
    expect((await call('POST', '/participation/v1/channels', ordererAdmin(), new Uint8Array([9, 9]))).status).toBe(400);
    expect((await call('DELETE', '/participation/v1/channels/mychannel', ordererAdmin())).status).toBe(204);
    expect((await call('DELETE', '/participation/v1/channels/mychannel', ordererAdmin())).status).toBe(404);
    expect((await call('GET', '/participation/v1/channels/mychannel', ordererAdmin())).status).toBe(404);
  });

  it('refuses a client whose certificate does not chain to the orderer TLS CA', async () => {
    const org1Admin = tlsOf(join(fx.cryptoDir, 'peerOrganizations', 'org1.example.com', 'users', 'Admin@org1.example.com'), 'client');
    await expect(call('GET', '/participation/v1/channels', org1Admin)).rejects.toThrow();
  });
});
