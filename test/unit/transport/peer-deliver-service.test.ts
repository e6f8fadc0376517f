/**
 * The peer's Deliver service and the peer's deliver client over real gRPC+TLS on 127.0.0.1, with the
 * channel fixture's crypto material: Deliver / DeliverFiltered / DeliverWithPrivateData from a block
 * store holding committed blocks (TRANSACTIONS_FILTER set), /Channel/Application/Readers as the
 * access check, and a BlockDeliverer pulling through GrpcOrdererDeliverConnector from an orderer's
 * AtomicBroadcast service, failing over from a dead endpoint.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { peer } from '@hyperledger/fabric-protos';
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { BlockStore } from '../../../src/ledger/block-store.js';
import { loadSigningIdentity, type SigningIdentity } from '../../../src/msp/signing-identity.js';
import { ORDER_SUCCESS } from '../../../src/orderer/order-result.js';
import { BlockDeliverer } from '../../../src/peer/block-deliverer.js';
import { BLOCK_METADATA_SLOTS, BlockMetadataSlot, blockDataHash, buildBlock, parseBlock } from '../../../src/protos/block.js';
import { HeaderType } from '../../../src/protos/envelope.js';
import { parsePeerDeliverResponse, type PeerDeliverResponse } from '../../../src/protos/filtered-block.js';
import { SEEK_FOREVER, type SeekInfoInput } from '../../../src/protos/seek-info.js';
import { TxValidationCode } from '../../../src/protos/tx-validation-code.js';
import { MemoryKvStore } from '../../../src/storage/memory-kv-store.js';
import { atomicBroadcastService } from '../../../src/transport/grpc/atomic-broadcast-service.js';
import { buildSeekEnvelope } from '../../../src/transport/grpc/grpc-block-puller.js';
import { GrpcOrdererDeliverConnector } from '../../../src/transport/grpc/grpc-orderer-deliver-connector.js';
import { startGrpcServer, type RunningGrpcServer } from '../../../src/transport/grpc/grpc-server.js';
import { peerDeliverService } from '../../../src/transport/grpc/peer-deliver-service.js';
import { rawBytesClient } from '../../../src/transport/grpc/raw-service.js';
import { clientCredentials, optionalClientCertServerCredentials } from '../../../src/transport/grpc/tls-credentials.js';
import { makeChannelFixture, type ChannelFixture } from '../../helpers/channel-fixture.js';
import { buildEndorsedTransaction, type EndorsedTransaction } from '../../helpers/endorsed-transaction.js';
import { freePort } from '../../helpers/free-port.js';
import { ManualScheduler } from '../../../src/orderer/scheduler.js';

const DeliverClient = rawBytesClient(peer.DeliverService, 'Deliver');
type Method = 'deliver' | 'deliverFiltered' | 'deliverWithPrivateData';
type Duplex = ClientDuplexStream<Uint8Array, Uint8Array>;

let fx: ChannelFixture;
let user1: SigningIdentity;
let ordererIdentity: SigningIdentity;
let peerServer: RunningGrpcServer;
let ordererServer: RunningGrpcServer;
/** The peer's ledger (committed blocks) and the orderer's chain (blocks as cut). */
let ledger: BlockStore;
let ordererBlocks: BlockStore;
const txs: EndorsedTransaction[] = [];

const read = (...path: string[]): string => readFileSync(join(fx.cryptoDir, ...path), 'utf8');
const peerDir = ['peerOrganizations', 'org1.example.com', 'peers', 'peer0.org1.example.com'];
const ordererDir = ['ordererOrganizations', 'example.com', 'orderers', 'orderer.example.com'];

/** The next block of `store` holding `data`, with `codes` as its TRANSACTIONS_FILTER when given. */
async function appendBlock(store: BlockStore, data: Uint8Array[], codes?: number[]): Promise<void> {
  const metadata = Array.from({ length: BLOCK_METADATA_SLOTS }, () => new Uint8Array());
  if (codes !== undefined) metadata[BlockMetadataSlot.TRANSACTIONS_FILTER] = Uint8Array.from(codes);
  await store.append(buildBlock({ header: { number: store.height, previousHash: store.lastHash, dataHash: blockDataHash(data) }, data, metadata }));
}

beforeAll(async () => {
  fx = await makeChannelFixture('peer-deliver');
  user1 = await fx.user('org1');
  const peer0 = await fx.peer('org1');
  ordererIdentity = await loadSigningIdentity(join(fx.cryptoDir, ...ordererDir, 'msp'), 'OrdererMSP');
  ledger = await BlockStore.open(new MemoryKvStore());
  await ledger.append(fx.genesis.get('mychannel')!.block);
  const tx = (event?: string): EndorsedTransaction =>
    buildEndorsedTransaction({ channelId: 'mychannel', creator: user1, endorsers: [peer0], chaincode: { name: 'basic' }, rwsets: [{ namespace: 'basic', writes: [{ key: 'k', value: 'v' }] }], ...(event ? { event: { name: event, payload: 'payload' } } : {}) });
  txs.push(tx('AssetCreated'), tx(), tx('AssetMoved'));
  await appendBlock(ledger, [txs[0]!.envelope, txs[1]!.envelope], [TxValidationCode.VALID, TxValidationCode.MVCC_READ_CONFLICT]);
  await appendBlock(ledger, [txs[2]!.envelope], [TxValidationCode.VALID]);

  peerServer = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    credentials: optionalClientCertServerCredentials({ certPem: read(...peerDir, 'tls', 'server.crt'), keyPem: read(...peerDir, 'tls', 'server.key'), clientCaPems: [read(...peerDir, 'tls', 'ca.crt')] }),
    services: [peerDeliverService({ registry: fx.registry, blocksOf: (id) => (id === 'mychannel' ? ledger : undefined), clock: fx.clock, logger: silentLogger })],
    maxMessageBytes: 4 * 1024 * 1024,
  });

  ordererBlocks = await BlockStore.open(new MemoryKvStore());
  await ordererBlocks.append(fx.genesis.get('mychannel')!.block);
  for (let i = 0; i < 3; i++) await appendBlock(ordererBlocks, [tx().envelope]);
  ordererServer = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    credentials: optionalClientCertServerCredentials({ certPem: read(...ordererDir, 'tls', 'server.crt'), keyPem: read(...ordererDir, 'tls', 'server.key'), clientCaPems: [read(...ordererDir, 'tls', 'ca.crt'), read(...peerDir, 'tls', 'ca.crt')] }),
    services: [
      atomicBroadcastService({
        channels: { registry: fx.registry, chainOf: (id) => (id === 'mychannel' ? { order: () => Promise.resolve(ORDER_SUCCESS), blocks: ordererBlocks } : undefined) },
        clock: fx.clock,
        logger: silentLogger,
      }),
    ],
    maxMessageBytes: 4 * 1024 * 1024,
  });
}, 60_000);

afterAll(async () => {
  await peerServer?.shutdown(100);
  await ordererServer?.shutdown(100);
  fx?.cleanup();
});

/** Opens `method` on the peer, sends one seek, and reads responses until a status or `count` of them. */
async function seek(method: Method, request: Uint8Array, count = Infinity): Promise<PeerDeliverResponse[]> {
  const client = new DeliverClient(`127.0.0.1:${peerServer.port}`, clientCredentials({ serverCaPems: [read(...peerDir, 'tls', 'ca.crt')] }), { 'grpc.ssl_target_name_override': 'peer0.org1.example.com' });
  const stream = (client as unknown as Record<Method, () => Duplex>)[method]();
  stream.on('error', () => undefined);
  stream.write(request);
  stream.end();
  const responses: PeerDeliverResponse[] = [];
  try {
    for await (const bytes of stream as AsyncIterable<Uint8Array>) {
      const response = parsePeerDeliverResponse(bytes);
      responses.push(response);
      if (response.kind === 'status' || responses.length >= count) break;
    }
  } finally {
    stream.cancel();
    client.close();
  }
  return responses;
}

const request = (signer: SigningIdentity, s: SeekInfoInput, channelId = 'mychannel'): Uint8Array => buildSeekEnvelope(signer, channelId, s, fx.clock.nowMs());
const ALL: SeekInfoInput = { start: { kind: 'oldest' }, stop: { kind: 'newest' } };
const numberOf = (r: PeerDeliverResponse): number | string => (r.kind === 'status' ? r.status : r.kind === 'filteredBlock' ? r.filteredBlock.number : parseBlock(r.block).header.number);

describe('protos.Deliver on the peer', () => {
  it('Deliver sends the committed blocks as stored, then SUCCESS', async () => {
    const responses = await seek('deliver', request(user1, ALL));
    expect(responses.map(numberOf)).toEqual([0, 1, 2, 'SUCCESS']);
    const second = responses[1];
    expect(second?.kind).toBe('block');
    expect(second?.kind === 'block' && Buffer.from(second.block).equals(Buffer.from((await ledger.getBlock(1))!))).toBe(true);
  });

  it('DeliverFiltered sends tx ids, types, validation codes and chaincode events without payloads', async () => {
    const responses = await seek('deliverFiltered', request(user1, { start: { kind: 'specified', number: 0 }, stop: { kind: 'specified', number: 2 } }));
    expect(responses.map((r) => r.kind)).toEqual(['filteredBlock', 'filteredBlock', 'filteredBlock', 'status']);
    const [genesis, first] = responses;
    expect(genesis?.kind === 'filteredBlock' && genesis.filteredBlock.filteredTransactions.map((t) => t.type)).toEqual([HeaderType.CONFIG]);
    expect(first?.kind === 'filteredBlock' && first.filteredBlock).toEqual({
      channelId: 'mychannel',
      number: 1,
      filteredTransactions: [
        { txId: txs[0]!.txId, type: HeaderType.ENDORSER_TRANSACTION, txValidationCode: TxValidationCode.VALID, transactionActions: { chaincodeActions: [{ chaincodeEvent: { chaincodeId: 'basic', txId: txs[0]!.txId, eventName: 'AssetCreated' } }] } },
        { txId: txs[1]!.txId, type: HeaderType.ENDORSER_TRANSACTION, txValidationCode: TxValidationCode.MVCC_READ_CONFLICT, transactionActions: { chaincodeActions: [] } },
      ],
    });
  });

  it('DeliverWithPrivateData sends each block with an empty private data map', async () => {
    const responses = await seek('deliverWithPrivateData', request(user1, { start: { kind: 'newest' }, stop: { kind: 'newest' } }));
    expect(responses.map((r) => r.kind)).toEqual(['blockAndPrivateData', 'status']);
    expect(responses.map(numberOf)).toEqual([2, 'SUCCESS']);
  });

  it('follows the ledger with BLOCK_UNTIL_READY: a block committed later is delivered', async () => {
    const pending = seek('deliverFiltered', request(user1, { start: { kind: 'nextCommit' }, stop: SEEK_FOREVER }), 1);
    await vi.waitFor(() => expect(ledger.waiterCount).toBeGreaterThan(0), { timeout: 5000, interval: 5 });
    await appendBlock(ledger, [txs[2]!.envelope], [TxValidationCode.DUPLICATE_TXID]);
    const [only] = await pending;
    expect(only?.kind === 'filteredBlock' && [only.filteredBlock.number, only.filteredBlock.filteredTransactions[0]?.txValidationCode]).toEqual([3, TxValidationCode.DUPLICATE_TXID]);
  });

  it('admits /Channel/Application/Readers only: an orderer identity (a /Channel/Readers member) and a non-member are FORBIDDEN', async () => {
    const org2User = await fx.user('org2');
    for (const method of ['deliver', 'deliverFiltered', 'deliverWithPrivateData'] as const) {
      expect((await seek(method, request(ordererIdentity, ALL))).map(numberOf)).toEqual(['FORBIDDEN']);
    }
    // lab holds Org1 only.
    expect((await seek('deliver', request(org2User, ALL, 'lab'))).map(numberOf)).toEqual(['FORBIDDEN']);
    expect((await seek('deliver', request(user1, ALL, 'nosuch'))).map(numberOf)).toEqual(['NOT_FOUND']);
    // lab is joined (in the registry) but has no ledger here.
    expect((await seek('deliver', request(user1, ALL, 'lab'))).map(numberOf)).toEqual(['SERVICE_UNAVAILABLE']);
  });
});

describe('BlockDeliverer over GrpcOrdererDeliverConnector', () => {
  it('pulls the blocks from the ledger height on from a real orderer, after failing over from a dead endpoint', async () => {
    const peerLedger = await BlockStore.open(new MemoryKvStore());
    await peerLedger.append(fx.genesis.get('mychannel')!.block);
    const connector = new GrpcOrdererDeliverConnector({
      tls: { serverCaPems: [read(...ordererDir, 'tls', 'ca.crt')], certPem: read(...peerDir, 'tls', 'server.crt'), keyPem: read(...peerDir, 'tls', 'server.key') },
    });
    const scheduler = new ManualScheduler();
    const dead = `127.0.0.1:${await freePort()}`;
    const deliverer = new BlockDeliverer({
      channelId: 'mychannel',
      height: () => peerLedger.height,
      endpoints: () => [dead, `localhost:${ordererServer.port}`],
      signer: await fx.peer('org1'),
      clock: fx.clock,
      onBlock: async (block) => void (await peerLedger.append(block)),
      connector,
      scheduler,
      logger: silentLogger,
    });
    try {
      deliverer.start();
      await vi.waitFor(() => expect(scheduler.pendingCount).toBe(1), { timeout: 10_000, interval: 5 }); // the dead endpoint failed: backoff
      scheduler.advance(100);
      await vi.waitFor(() => expect(peerLedger.height).toBe(4), { timeout: 10_000, interval: 5 });
      expect(deliverer.currentEndpoint).toBe(`localhost:${ordererServer.port}`);
      await appendBlock(ordererBlocks, [txs[0]!.envelope]);
      await vi.waitFor(() => expect(peerLedger.height).toBe(5), { timeout: 10_000, interval: 5 });
      expect(Buffer.from((await peerLedger.getBlock(4))!).equals(Buffer.from((await ordererBlocks.getBlock(4))!))).toBe(true);
      await deliverer.stop();
      expect(deliverer.currentEndpoint).toBeUndefined();
    } finally {
      await deliverer.stop();
      connector.close();
    }
  }, 30_000);
});
