import { describe, expect, it } from 'vitest';
import { toHex } from '../../../src/core/bytes.js';
import { silentLogger } from '../../../src/core/logger.js';
import { LeaderBatcher } from '../../../src/orderer/leader-batcher.js';
import type { OrderResult } from '../../../src/orderer/order-result.js';
import { ManualScheduler } from '../../../src/orderer/scheduler.js';
import { blockHeaderHash, parseBlock, type Block } from '../../../src/protos/block.js';

const GENESIS = { number: 0, previousHash: new Uint8Array(), dataHash: new Uint8Array(32) };
const env = (i: number): Uint8Array => new TextEncoder().encode(`envelope ${i}`);

function setup(options: { maxMessageCount?: number; maxInflightBlocks?: number; maxWaitingEnvelopes?: number; preferredMaxBytes?: number; accept?: boolean } = {}) {
  const scheduler = new ManualScheduler();
  const proposed: Block[] = [];
  let dropped = 0;
  const batcher = new LeaderBatcher({
    batchSize: { maxMessageCount: options.maxMessageCount ?? 2, absoluteMaxBytes: 1 << 20, preferredMaxBytes: options.preferredMaxBytes ?? 1 << 19 },
    batchTimeoutMs: 1000,
    maxInflightBlocks: options.maxInflightBlocks ?? 2,
    maxWaitingEnvelopes: options.maxWaitingEnvelopes ?? 100,
    scheduler,
    propose: (bytes) => {
      if (options.accept === false) return false;
      proposed.push(parseBlock(bytes));
      return true;
    },
    onProposalDropped: () => void dropped++,
    logger: silentLogger,
  });
  return { scheduler, proposed, batcher, dropped: () => dropped };
}

/** Submits and records when each promise resolves. */
function submitAll(batcher: LeaderBatcher, from: number, count: number): Array<OrderResult | undefined> {
  const results: Array<OrderResult | undefined> = [];
  for (let i = 0; i < count; i++) {
    results.push(undefined);
    void batcher.submit(env(from + i)).then((r) => (results[i] = r));
  }
  return results;
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('LeaderBatcher: the leader cuts envelopes into blocks and proposes them, with back-pressure', () => {
  it('is off until started: a non-leader answers SERVICE_UNAVAILABLE', async () => {
    const { batcher } = setup();
    expect(await batcher.submit(env(1))).toEqual({ status: 'SERVICE_UNAVAILABLE', info: 'this orderer is not the Raft leader' });
  });

  it('chains the blocks it creates ahead of commit: numbers follow, previous_hash = hash of the block before', async () => {
    const { batcher, proposed } = setup({ maxInflightBlocks: 10 });
    batcher.start(GENESIS);
    submitAll(batcher, 0, 6);
    expect(proposed.map((b) => b.header.number)).toEqual([1, 2, 3]);
    expect(toHex(proposed[0]!.header.previousHash)).toBe(toHex(blockHeaderHash(GENESIS)));
    expect(toHex(proposed[2]!.header.previousHash)).toBe(toHex(blockHeaderHash(proposed[1]!.header)));
    expect(proposed[1]!.data.map((d) => new TextDecoder().decode(d))).toEqual(['envelope 2', 'envelope 3']);
  });

  it('cuts a pending batch when BatchTimeout fires', () => {
    const { batcher, proposed, scheduler } = setup({ maxMessageCount: 10 });
    batcher.start(GENESIS);
    submitAll(batcher, 0, 3);
    scheduler.advance(999);
    expect(proposed).toHaveLength(0);
    scheduler.advance(1);
    expect(proposed.map((b) => b.data.length)).toEqual([3]);
  });

  it('keeps at most maxInflightBlocks proposed; further envelopes wait, in order, until a block is applied', async () => {
    const { batcher, proposed } = setup({ maxMessageCount: 1, maxInflightBlocks: 2 });
    batcher.start(GENESIS);
    const results = submitAll(batcher, 0, 5);
    await settle();
    expect(proposed).toHaveLength(2);
    expect(results.map((r) => r?.status)).toEqual(['SUCCESS', 'SUCCESS', undefined, undefined, undefined]);
    expect(batcher.waitingEnvelopes).toBe(3);
    batcher.blockApplied();
    await settle();
    expect(proposed).toHaveLength(3);
    expect(results.map((r) => r?.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS', undefined, undefined]);
    batcher.blockApplied();
    batcher.blockApplied();
    await settle();
    expect(proposed.map((b) => new TextDecoder().decode(b.data[0]!))).toEqual(['envelope 0', 'envelope 1', 'envelope 2', 'envelope 3', 'envelope 4']);
  });

  it('answers SERVICE_UNAVAILABLE at once when too many envelopes wait', async () => {
    const { batcher } = setup({ maxMessageCount: 1, maxInflightBlocks: 1, maxWaitingEnvelopes: 2 });
    batcher.start(GENESIS);
    submitAll(batcher, 0, 3); // 1 proposed, 2 waiting
    const result = await batcher.submit(env(9));
    expect(result.status).toBe('SERVICE_UNAVAILABLE');
    expect(result.status === 'SERVICE_UNAVAILABLE' && result.info).toMatch(/already holds 2 envelopes waiting for ordering capacity \(1 of 1 blocks in flight\); retry later/);
  });

  it('holds envelopes while the new leader catches up, then orders them', async () => {
    const { batcher, proposed } = setup({ maxMessageCount: 1 });
    batcher.hold();
    const results = submitAll(batcher, 0, 1);
    await settle();
    expect(results[0]).toBeUndefined();
    batcher.start(GENESIS);
    await settle();
    expect(results[0]).toEqual({ status: 'SUCCESS' });
    expect(proposed).toHaveLength(1);
  });

  it('on losing leadership drops the pending batch (clients were told SUCCESS = accepted, not committed)', async () => {
    const { batcher, proposed, scheduler } = setup({ maxMessageCount: 3, maxInflightBlocks: 2 });
    batcher.start(GENESIS);
    const results = submitAll(batcher, 0, 4); // block 1 = envelopes 0-2; envelope 3 pending in the cutter
    await settle();
    expect(batcher.stop('lost leadership')).toEqual({ pendingEnvelopes: 1, unproposedBlocks: 0, waitingEnvelopes: 0 });
    await settle();
    expect(results.map((r) => r?.status)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS']);
    scheduler.advance(5000); // the BatchTimeout timer was stopped too
    expect(proposed).toHaveLength(1);
    expect(batcher.mode).toBe('off');
  });

  it('on losing leadership drops blocks cut but not yet proposed, and answers waiting envelopes SERVICE_UNAVAILABLE', async () => {
    const { batcher, proposed } = setup({ maxMessageCount: 10, maxInflightBlocks: 1, preferredMaxBytes: 20 });
    batcher.start(GENESIS);
    const results = submitAll(batcher, 0, 1); // pending
    const big = batcher.submit(new Uint8Array(30)); // cuts [envelope 0] (proposed) and [big] (no slot: queued)
    const waiting = batcher.submit(env(2));
    await settle();
    expect(proposed.map((b) => b.data.length)).toEqual([1]);
    expect(batcher.stop('orderer 1 lost the Raft leadership')).toEqual({ pendingEnvelopes: 0, unproposedBlocks: 1, waitingEnvelopes: 1 });
    expect(results[0]).toEqual({ status: 'SUCCESS' });
    expect(await big).toEqual({ status: 'SUCCESS' });
    expect(await waiting).toEqual({ status: 'SERVICE_UNAVAILABLE', info: 'orderer 1 lost the Raft leadership' });
  });

  it('reports a proposal Raft dropped', () => {
    const { batcher, dropped } = setup({ maxMessageCount: 1, accept: false });
    batcher.start(GENESIS);
    submitAll(batcher, 0, 1);
    expect(dropped()).toBe(1);
  });
});
