import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BlockStore } from '../../../src/ledger/block-store.js';
import type { SigningIdentity } from '../../../src/msp/signing-identity.js';
import { channelResourcesFromConfig, type ChannelResources } from '../../../src/common/channel-resources.js';
import { deliverBlocks, type BlockSource, type DeliverItem } from '../../../src/common/deliver-handler.js';
import { planDeliver, type DeliverPlan } from '../../../src/common/deliver-seek.js';
import { blockDataHash, buildBlock, parseBlock, BLOCK_METADATA_SLOTS } from '../../../src/protos/block.js';
import { parseConfigBlock } from '../../../src/protos/config-block.js';
import { HeaderType } from '../../../src/protos/envelope.js';
import { buildSeekInfo, SEEK_FOREVER, type SeekInfoInput } from '../../../src/protos/seek-info.js';
import { MemoryKvStore } from '../../../src/storage/memory-kv-store.js';
import { makeChannelFixture, NOW, signedEnvelope, type ChannelFixture } from '../../helpers/channel-fixture.js';

/** deliverBlocks over a real BlockStore holding mychannel's genesis block and data blocks. */
describe('deliverBlocks: serving a Deliver plan from a block source', () => {
  let fx: ChannelFixture;
  let user1: SigningIdentity;
  let store: BlockStore;
  let original: ChannelResources;

  beforeAll(async () => {
    fx = await makeChannelFixture('deliver-handler');
    user1 = await fx.user('org1');
    original = fx.registry.get('mychannel') as ChannelResources;
  });
  afterAll(() => fx?.cleanup());

  beforeEach(async () => {
    fx.registry.set(original);
    fx.clock.set(NOW);
    store = await BlockStore.open(new MemoryKvStore());
    await store.append(fx.genesis.get('mychannel')!.block);
    for (let i = 0; i < 3; i++) await appendDataBlock();
  });

  /** Appends block `height` holding one envelope by User1. */
  async function appendDataBlock(): Promise<number> {
    const data = [signedEnvelope(user1, { channelId: 'mychannel' }, NOW)];
    const number = store.height;
    await store.append(buildBlock({ header: { number, previousHash: store.lastHash, dataHash: blockDataHash(data) }, data, metadata: Array.from({ length: BLOCK_METADATA_SLOTS }, () => new Uint8Array()) }));
    return number;
  }

  function planFor(seek: SeekInfoInput, signer = user1): DeliverPlan {
    const bytes = signedEnvelope(signer, { channelId: 'mychannel', type: HeaderType.DELIVER_SEEK_INFO, data: buildSeekInfo(seek) }, NOW);
    const plan = planDeliver(bytes, { registry: fx.registry, heightOf: () => store.height, clock: fx.clock });
    if (!plan.ok) throw new Error(`${plan.status}: ${plan.info}`);
    return plan;
  }

  async function collect(plan: DeliverPlan, source: BlockSource = store, signal = new AbortController().signal): Promise<DeliverItem[]> {
    const items: DeliverItem[] = [];
    for await (const item of deliverBlocks(plan, source, signal)) items.push(item);
    return items;
  }
  const summary = (items: DeliverItem[]): string[] => items.map((i) => (i.kind === 'block' ? `block ${i.number}` : i.status));

  it('delivers oldest → newest, then SUCCESS; the blocks are the stored bytes', async () => {
    const items = await collect(planFor({ start: { kind: 'oldest' }, stop: { kind: 'newest' } }));
    expect(summary(items)).toEqual(['block 0', 'block 1', 'block 2', 'block 3', 'SUCCESS']);
    const first = items[0];
    expect(first?.kind === 'block' && Buffer.from(first.block).equals(Buffer.from((await store.getBlock(0))!))).toBe(true);
  });

  it('delivers a specified range, and a single block', async () => {
    expect(summary(await collect(planFor({ start: { kind: 'specified', number: 1 }, stop: { kind: 'specified', number: 2 } })))).toEqual(['block 1', 'block 2', 'SUCCESS']);
    expect(summary(await collect(planFor({ start: { kind: 'newest' }, stop: { kind: 'newest' } })))).toEqual(['block 3', 'SUCCESS']);
  });

  it('FAIL_IF_NOT_READY: sends what exists, then NOT_FOUND at the end of the chain', async () => {
    const items = await collect(planFor({ start: { kind: 'specified', number: 2 }, stop: { kind: 'specified', number: 10 }, behavior: 'FAIL_IF_NOT_READY' }));
    expect(summary(items)).toEqual(['block 2', 'block 3', 'NOT_FOUND']);
    expect(items.at(-1)).toMatchObject({ info: expect.stringMatching(/block 4 not found: channel mychannel has height 4/) });
  });

  it('BLOCK_UNTIL_READY: waits for a block appended later, and follows the chain "forever" until aborted', async () => {
    const abort = new AbortController();
    const stream = deliverBlocks(planFor({ start: { kind: 'nextCommit' }, stop: SEEK_FOREVER }), store, abort.signal);
    let settled = false;
    const next = stream.next().then((r) => {
      settled = true;
      return r;
    });
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    const appended = await appendDataBlock();
    expect((await next).value).toMatchObject({ kind: 'block', number: appended });
    const following = stream.next();
    const appendedAgain = await appendDataBlock();
    expect((await following).value).toMatchObject({ kind: 'block', number: appendedAgain });
    const waiting = stream.next();
    abort.abort();
    expect(await waiting).toEqual({ done: true, value: undefined });
  });

  it('BLOCK_UNTIL_READY with a stop ahead of the chain ends with SUCCESS once the stop block arrives', async () => {
    const items = collect(planFor({ start: { kind: 'specified', number: 3 }, stop: { kind: 'specified', number: 4 } }));
    await appendDataBlock();
    expect(summary(await items)).toEqual(['block 3', 'block 4', 'SUCCESS']);
  });

  it('ends a session with FORBIDDEN when the requester is no longer a Reader after a config change', async () => {
    const org2User = await fx.user('org2');
    const abort = new AbortController();
    const stream = deliverBlocks(planFor({ start: { kind: 'specified', number: 3 }, stop: SEEK_FOREVER }, org2User), store, abort.signal);
    expect((await stream.next()).value).toMatchObject({ kind: 'block', number: 3 });
    // A new config for mychannel without Org2 (the lab channel's config, sequence bumped).
    const lab = parseConfigBlock(fx.genesis.get('lab')!.block).config;
    const withoutOrg2 = await channelResourcesFromConfig('mychannel', { ...lab, spec: { ...lab.spec, sequence: 1 } }, fx.clock);
    fx.registry.set(withoutOrg2);
    const next = stream.next();
    await appendDataBlock();
    expect((await next).value).toMatchObject({ kind: 'status', status: 'FORBIDDEN', info: expect.stringMatching(/MSP ID "Org2MSP" is not known here/) });
    expect((await stream.next()).done).toBe(true);
  });

  it('ends a session with FORBIDDEN once the requester certificate expires', async () => {
    const abort = new AbortController();
    const stream = deliverBlocks(planFor({ start: { kind: 'specified', number: 3 }, stop: SEEK_FOREVER }), store, abort.signal);
    expect((await stream.next()).value).toMatchObject({ kind: 'block', number: 3 });
    fx.clock.set(user1.certificate.notAfterMs + 1);
    const next = stream.next();
    await appendDataBlock();
    expect((await next).value).toMatchObject({ kind: 'status', status: 'FORBIDDEN', info: expect.stringMatching(/deliver client identity expired/) });
  });

  it('HEADER_WITH_SIG strips the data of data blocks but sends config blocks whole', async () => {
    const items = await collect(planFor({ start: { kind: 'oldest' }, stop: { kind: 'specified', number: 1 }, contentType: 'HEADER_WITH_SIG' }));
    const [genesis, data] = items.filter((i) => i.kind === 'block').map((i) => parseBlock((i as { block: Uint8Array }).block));
    expect(genesis?.data).toHaveLength(1);
    expect(data?.data).toHaveLength(0);
    const stored = parseBlock((await store.getBlock(1))!);
    expect(Buffer.from(data!.header.dataHash).equals(Buffer.from(stored.header.dataHash))).toBe(true);
  });

  it('answers INTERNAL_SERVER_ERROR when a block below the height cannot be read', async () => {
    const broken: BlockSource = { height: 4, getBlock: async (n) => (n === 2 ? undefined : store.getBlock(n)), waitForHeight: (h) => store.waitForHeight(h) };
    expect(summary(await collect(planFor({ start: { kind: 'specified', number: 1 }, stop: { kind: 'newest' } }), broken))).toEqual(['block 1', 'INTERNAL_SERVER_ERROR']);
  });

  it('sends nothing when the signal is already aborted', async () => {
    const abort = new AbortController();
    abort.abort();
    expect(await collect(planFor({ start: { kind: 'oldest' }, stop: { kind: 'newest' } }), store, abort.signal)).toEqual([]);
  });
});
