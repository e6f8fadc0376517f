import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toHex } from '../../../src/core/bytes.js';
import { silentLogger } from '../../../src/core/logger.js';
import { SeededRng } from '../../../src/core/rng.js';
import { BlockStore } from '../../../src/ledger/block-store.js';
import { verifyEcdsa, type AsyncSignatureVerifier } from '../../../src/msp/ecdsa.js';
import { loadSigningIdentity, type SigningIdentity } from '../../../src/msp/signing-identity.js';
import { PeerChannels } from '../../../src/node/peer-channels.js';
import { BlockWriter } from '../../../src/orderer/block-writer.js';
import { ManualScheduler } from '../../../src/orderer/scheduler.js';
import type { OrdererDeliverConnector } from '../../../src/peer/block-deliverer.js';
import { chaincodeDefinition, MapChaincodeDefinitions } from '../../../src/peer/validation/chaincode-definition.js';
import { blockDataHash, buildBlock, parseBlock, type Block } from '../../../src/protos/block.js';
import { parseEnvelope, parsePayload } from '../../../src/protos/envelope.js';
import { parseSeekInfo, type DeliverResponse } from '../../../src/protos/seek-info.js';
import { MemoryKvStore } from '../../../src/storage/memory-kv-store.js';
import { ParticipationError } from '../../../src/transport/http/participation-api.js';
import { makeChannelFixture, type ChannelFixture } from '../../helpers/channel-fixture.js';
import { buildEndorsedTransaction } from '../../helpers/endorsed-transaction.js';

/**
 * PeerChannels (the channels a peer has joined, Fabric's peer channel join) over a MemoryKvStore,
 * with a fake ordering service behind the OrdererDeliverConnector that serves blocks written and
 * signed as an orderer's BlockWriter does, and a ManualScheduler for the deliverer's retries.
 */

const CHANNEL = 'mychannel';
const WAIT_MS = 5_000;
const verify: AsyncSignatureVerifier = async (key, message, signature) => verifyEcdsa(key, message, signature);
const chaincodes = new MapChaincodeDefinitions([chaincodeDefinition({ name: 'basic', version: '1.0' })]);

let fx: ChannelFixture;
let genesis: Uint8Array;
let orderer: SigningIdentity;
let client: SigningIdentity;
let peer1: SigningIdentity;
let peer2: SigningIdentity;

beforeAll(async () => {
  fx = await makeChannelFixture('peer-channels');
  genesis = fx.genesis.get(CHANNEL)!.block;
  orderer = await loadSigningIdentity(join(fx.cryptoDir, 'ordererOrganizations', 'example.com', 'orderers', 'orderer.example.com', 'msp'), 'OrdererMSP');
  [client, peer1, peer2] = await Promise.all([fx.user('org1'), fx.peer('org1'), fx.peer('org2')]);
}, 60_000);
afterAll(() => fx?.cleanup());

/** A VALID transaction of `basic` writing `key` (endorsed by both orgs). */
const txWriting = (key: string, value: string): Uint8Array =>
  buildEndorsedTransaction({ channelId: CHANNEL, creator: client, endorsers: [peer1, peer2], chaincode: { name: 'basic' }, rwsets: [{ namespace: 'basic', reads: [{ key }], writes: [{ key, value }] }] }).envelope;

/** The ordering service's chain of mychannel: the genesis block, then blocks signed by `signer`. */
class OrdererChain {
  readonly blocks: Uint8Array[] = [];
  private constructor(private readonly store: BlockStore) {}

  static async create(): Promise<OrdererChain> {
    const chain = new OrdererChain(await BlockStore.open(new MemoryKvStore()));
    await chain.store.append(genesis);
    chain.blocks.push(genesis);
    return chain;
  }

  async next(data: readonly Uint8Array[], signer: SigningIdentity = orderer): Promise<Uint8Array> {
    const n = this.store.height;
    const block: Block = { header: { number: n, previousHash: this.store.lastHash, dataHash: blockDataHash(data) }, data: [...data], metadata: [] };
    const bytes = await new BlockWriter(this.store, signer, new SeededRng(n), [1], 0).write(block, n + 4);
    this.blocks.push(bytes);
    return bytes;
  }
}

interface Seek {
  readonly address: string;
  readonly start: number;
  readonly signal: AbortSignal;
}

/**
 * The orderers as the deliver client sees them: each Deliver stream serves `blocks` from the seek's
 * start on, then waits for more (BLOCK_UNTIL_READY) until it is aborted. While `failing`, a stream
 * fails at once, as a refused connection does.
 */
class FakeOrderers implements OrdererDeliverConnector {
  readonly seeks: Seek[] = [];
  failing = false;
  private wake = new Set<() => void>();

  constructor(readonly blocks: Uint8Array[]) {}

  /** Makes `bytes` available to every open stream (the orderers cut a block). */
  publish(bytes: Uint8Array): void {
    this.blocks.push(bytes);
    this.notify();
  }

  /** Resolves when the `count`-th stream has been opened. */
  async opened(count: number): Promise<Seek> {
    await until(() => this.seeks.length >= count, `Deliver stream #${count} to be opened (opened: ${this.seeks.length})`);
    return this.seeks[count - 1]!;
  }

  private notify(): void {
    const wake = [...this.wake];
    this.wake.clear();
    for (const w of wake) w();
  }

  async *deliver(address: string, envelope: Uint8Array, signal: AbortSignal): AsyncGenerator<DeliverResponse> {
    const seek = parseSeekInfo(parsePayload(parseEnvelope(envelope).payload).data);
    const start = seek.start?.kind === 'specified' ? seek.start.number : -1;
    this.seeks.push({ address, start, signal });
    this.notify();
    if (this.failing) throw new Error(`connect ECONNREFUSED ${address}`);
    let next = start;
    while (!signal.aborted) {
      const block = this.blocks[next];
      if (block !== undefined) {
        next++;
        yield { kind: 'block', block };
        continue;
      }
      await new Promise<void>((resolve) => {
        this.wake.add(resolve);
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  }
}

/** Re-checks `condition` on each macrotask until it holds; fails after WAIT_MS naming `what`. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

async function participationError(run: Promise<unknown>): Promise<ParticipationError> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ParticipationError);
  return err as ParticipationError;
}

const open: PeerChannels[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.closeAll()));
});

function peerChannels(store: MemoryKvStore, connector: OrdererDeliverConnector, scheduler = new ManualScheduler()): PeerChannels {
  const channels = new PeerChannels({ store, signer: peer1, clock: fx.clock, scheduler, logger: silentLogger, verify, chaincodes: () => chaincodes, connector });
  open.push(channels);
  return channels;
}

async function waitForHeight(channels: PeerChannels, height: number): Promise<void> {
  await until(() => (channels.ledgerOf(CHANNEL)?.height ?? -1) >= height, `${CHANNEL} at height ${height} (now ${channels.ledgerOf(CHANNEL)?.height})`);
}

async function keysOf(store: MemoryKvStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const [k] of store.iterate()) keys.push(new TextDecoder().decode(k));
  return keys;
}

describe('PeerChannels', () => {
  let store: MemoryKvStore;
  let chain: OrdererChain;
  let orderers: FakeOrderers;
  let scheduler: ManualScheduler;
  let channels: PeerChannels;

  beforeEach(async () => {
    store = new MemoryKvStore();
    chain = await OrdererChain.create();
    orderers = new FakeOrderers([genesis]);
    scheduler = new ManualScheduler();
    channels = peerChannels(store, orderers, scheduler);
  });

  it('joins from the genesis block: height 1, the genesis state hash, then pulls from the orderers from block 1', async () => {
    const info = await channels.join(genesis);
    expect(info).toMatchObject({ name: CHANNEL, height: 1, status: 'active' });
    expect(info['stateHash']).toBe(toHex((await channels.ledgerOf(CHANNEL)!.stateHashAt(1))!));
    expect(info['stateHash']).toMatch(/^[0-9a-f]{64}$/);
    expect(channels.list()).toEqual([CHANNEL]);
    expect(channels.registry.get(CHANNEL)?.channelId).toBe(CHANNEL);
    expect(channels.info('otherchannel')).toBeUndefined();

    const seek = await orderers.opened(1);
    expect(seek.start).toBe(1);
    expect(channels.registry.get(CHANNEL)!.config.spec.orderer.organizations.flatMap((o) => o.endpoints)).toContain(seek.address);
    await until(() => channels.info(CHANNEL)?.['orderer'] === seek.address, 'info to name the orderer being pulled from');
  });

  it('commits the blocks the orderers deliver, and info follows the height and state hash', async () => {
    await channels.join(genesis);
    const committed: number[] = [];
    channels.committerOf(CHANNEL)!.onCommitted((b) => committed.push(b.number));
    orderers.publish(await chain.next([txWriting('asset1', 'Tomoko')]));
    orderers.publish(await chain.next([txWriting('asset2', 'Max'), txWriting('asset3', 'Adriana')]));
    await waitForHeight(channels, 3);
    expect(committed).toEqual([1, 2]);
    const ledger = channels.ledgerOf(CHANNEL)!;
    expect(new TextDecoder().decode((await ledger.getState('basic', 'asset3'))!.value)).toBe('Adriana');
    const info = channels.info(CHANNEL)!;
    expect(info.height).toBe(3);
    expect(info['stateHash']).toBe(toHex((await ledger.stateHashAt(3))!));
    expect(orderers.seeks).toHaveLength(1);
  });

  it('does not commit a block the orderer did not sign, and asks again from the same height', async () => {
    await channels.join(genesis);
    const bySomeoneElse = await chain.next([txWriting('asset1', 'forged')], peer2);
    orderers.publish(bySomeoneElse);
    await orderers.opened(1);
    await until(() => scheduler.pendingCount > 0, 'the deliverer to back off after the refused block');
    expect(channels.info(CHANNEL)?.height).toBe(1);
    expect(channels.info(CHANNEL)?.['orderer']).toBe('connecting');
    // The real orderers have the good block 1 by now.
    orderers.blocks[1] = await (await OrdererChain.create()).next([txWriting('asset1', 'good')]);
    scheduler.advance(10_000);
    const again = await orderers.opened(2);
    expect(again.start).toBe(1);
    await waitForHeight(channels, 2);
  });

  it('keeps retrying while the orderers cannot be reached, then catches up', async () => {
    orderers.failing = true;
    await channels.join(genesis);
    await orderers.opened(1);
    await until(() => scheduler.pendingCount > 0, 'the deliverer to back off');
    expect(channels.info(CHANNEL)).toMatchObject({ height: 1, orderer: 'connecting' });
    scheduler.advance(100);
    const second = await orderers.opened(2);
    expect(second.start).toBe(1);
    orderers.failing = false;
    orderers.publish(await chain.next([txWriting('asset1', 'late')]));
    await until(() => scheduler.pendingCount > 0, 'the deliverer to back off again');
    scheduler.advance(10_000);
    await waitForHeight(channels, 2);
    expect(orderers.seeks.slice(2).map((s) => s.start)).toEqual([1]);
  });

  it('refuses a second join of the same channel with PARTICIPATION_ALREADY_JOINED', async () => {
    await channels.join(genesis);
    const err = await participationError(channels.join(genesis));
    expect(err.code).toBe('PARTICIPATION_ALREADY_JOINED');
    expect(err.message).toBe(`this peer has already joined channel ${CHANNEL}`);
    expect(channels.list()).toEqual([CHANNEL]);
  });

  it('refuses the second of two concurrent joins of the same channel', async () => {
    const results = await Promise.allSettled([channels.join(genesis), channels.join(genesis)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    await channels.closeAll();
    expect(orderers.seeks.every((s) => s.signal.aborted)).toBe(true);
  });

  it('refuses bytes that are not a block, and a config block that is not block 0, with PARTICIPATION_BAD_BLOCK', async () => {
    const garbage = await participationError(channels.join(new Uint8Array([0xff, 0xff, 0xff])));
    expect(garbage.code).toBe('PARTICIPATION_BAD_BLOCK');
    expect(garbage.message).toMatch(/^the request body is not a channel genesis \(config\) block: .+; send the block `fabsim` generated for the channel$/);

    const config = parseBlock(genesis);
    const later = await participationError(channels.join(buildBlock({ ...config, header: { ...config.header, number: 3 } })));
    expect(later.code).toBe('PARTICIPATION_BAD_BLOCK');
    expect(later.message).toBe('block 3 is a config block but not a genesis block; join with block 0 of the channel');

    const data = await participationError(channels.join(await chain.next([txWriting('asset1', 'x')])));
    expect(data.code).toBe('PARTICIPATION_BAD_BLOCK');
    expect(data.message).toContain('not a config block');

    expect(channels.list()).toEqual([]);
    expect(await keysOf(store)).toEqual([]);
    expect(orderers.seeks).toEqual([]);
  });

  it('reopens the joined channels from the same store and resumes delivery at the committed height', async () => {
    await channels.join(genesis);
    orderers.publish(await chain.next([txWriting('asset1', 'one')]));
    orderers.publish(await chain.next([txWriting('asset2', 'two')]));
    await waitForHeight(channels, 3);
    const stateHash = channels.info(CHANNEL)?.['stateHash'];
    await channels.closeAll();
    expect(channels.list()).toEqual([]);

    const restarted = new FakeOrderers(chain.blocks.slice());
    const reopened = peerChannels(store, restarted);
    await reopened.reopen();
    expect(reopened.list()).toEqual([CHANNEL]);
    expect(reopened.info(CHANNEL)).toMatchObject({ height: 3, stateHash });
    const seek = await restarted.opened(1);
    expect(seek.start).toBe(3);
    restarted.publish(await chain.next([txWriting('asset3', 'three')]));
    await waitForHeight(reopened, 4);
    expect(new TextDecoder().decode((await reopened.ledgerOf(CHANNEL)!.getState('basic', 'asset1'))!.value)).toBe('one');
  });

  it('removes a channel: stops its deliverer and deletes its ledger and its join record; it can be joined again', async () => {
    await channels.join(genesis);
    orderers.publish(await chain.next([txWriting('asset1', 'one')]));
    await waitForHeight(channels, 2);
    const seek = await orderers.opened(1);
    expect((await keysOf(store)).some((k) => k.startsWith(`ledger/${CHANNEL}/`))).toBe(true);

    await channels.remove(CHANNEL);
    expect(seek.signal.aborted).toBe(true);
    expect(channels.list()).toEqual([]);
    expect(channels.info(CHANNEL)).toBeUndefined();
    expect(channels.registry.get(CHANNEL)).toBeUndefined();
    expect(await keysOf(store)).toEqual([]);

    const unknown = await participationError(channels.remove(CHANNEL));
    expect(unknown.code).toBe('PARTICIPATION_UNKNOWN_CHANNEL');
    expect(unknown.message).toBe(`this peer has not joined channel "${CHANNEL}" (its channels: none)`);

    const rejoined = await channels.join(genesis);
    expect(rejoined.height).toBe(1);
    await waitForHeight(channels, 2);
    expect(orderers.seeks.at(-1)?.start).toBe(1);

    // A store with the channel removed reopens to nothing.
    await channels.remove(CHANNEL);
    const after = peerChannels(store, orderers);
    await after.reopen();
    expect(after.list()).toEqual([]);
  });

  it('closeAll stops a deliverer that is waiting on a stream, and one that is backing off, promptly', async () => {
    await channels.join(genesis);
    const streaming = await orderers.opened(1);
    const started = Date.now();
    await channels.closeAll();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(streaming.signal.aborted).toBe(true);
    expect(channels.list()).toEqual([]);
    // Nothing more is pulled after closeAll.
    orderers.publish(await chain.next([txWriting('asset1', 'after close')]));
    await new Promise((r) => setImmediate(r));
    expect(orderers.seeks).toHaveLength(1);

    const failing = new FakeOrderers([genesis]);
    failing.failing = true;
    const backingOff = peerChannels(new MemoryKvStore(), failing);
    await backingOff.join(genesis);
    await failing.opened(1);
    const t = Date.now();
    await backingOff.closeAll();
    expect(Date.now() - t).toBeLessThan(1_000);
    expect(failing.seeks).toHaveLength(1);
  });
});
