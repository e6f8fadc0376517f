import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFabsimError } from '../../../../src/core/errors.js';
import type { SigningIdentity } from '../../../../src/msp/signing-identity.js';
import { chaincodeEventsOfBlock } from '../../../../src/peer/gateway/block-chaincode-events.js';
import {
  chaincodeEvents,
  chaincodeEventsStartBlock,
  checkChaincodeEventsRequest,
  type ChaincodeEventsBlock,
  type ChaincodeEventsLedger,
  type ChaincodeEventsOptions,
} from '../../../../src/peer/gateway/chaincode-events.js';
import { BLOCK_METADATA_SLOTS, blockDataHash, buildBlock } from '../../../../src/protos/block.js';
import { buildChaincodeEventsRequest, buildSignedChaincodeEventsRequest, type ChaincodeEventsRequest } from '../../../../src/protos/gateway.js';
import { makeChannelFixture, type ChannelFixture } from '../../../helpers/channel-fixture.js';
import { buildEndorsedTransaction, type EndorsedTransaction } from '../../../helpers/endorsed-transaction.js';
import { TestChain } from './test-chain.js';

/**
 * Fabric Gateway's ChaincodeEvents (chaincodeevents.go, event/) over a real PeerLedger, with real
 * endorsed transactions carrying chaincode events and blocks with their TRANSACTIONS_FILTER.
 */

const CHANNEL = 'mychannel';
let fx: ChannelFixture;
let user1: SigningIdentity;
let org2User: SigningIdentity;
let peer1: SigningIdentity;

beforeAll(async () => {
  fx = await makeChannelFixture('gateway-chaincode-events');
  [user1, org2User, peer1] = await Promise.all([fx.user('org1'), fx.user('org2'), fx.peer('org1')]);
}, 60_000);
afterAll(() => fx?.cleanup());

/** A transaction of `chaincode` that emits `event` (none when undefined). */
function tx(event: string | undefined, chaincode = 'basic'): EndorsedTransaction {
  return buildEndorsedTransaction({
    channelId: CHANNEL,
    creator: user1,
    endorsers: [peer1],
    chaincode: { name: chaincode },
    rwsets: [],
    ...(event === undefined ? {} : { event: { name: event, payload: `payload of ${event}` } }),
  });
}

const chain = (): Promise<TestChain> => TestChain.open(fx.genesis.get(CHANNEL)!.block);

/** The stream's messages as [block, [event names]]. */
const names = (blocks: readonly ChaincodeEventsBlock[]): Array<[number, string[]]> => blocks.map((b) => [b.blockNumber, b.events.map((e) => e.eventName)]);

/** Reads the stream until it has yielded `count` messages, then stops it. */
async function take(options: ChaincodeEventsOptions, count: number): Promise<ChaincodeEventsBlock[]> {
  const out: ChaincodeEventsBlock[] = [];
  if (count === 0) return out;
  for await (const block of chaincodeEvents(options)) {
    out.push(block);
    if (out.length === count) break;
  }
  return out;
}

/** Pulls one message from `iterator` and says whether it came, without waiting for it. */
function pull(iterator: AsyncIterator<ChaincodeEventsBlock>): { readonly promise: Promise<IteratorResult<ChaincodeEventsBlock>>; readonly settled: boolean } {
  const state = { promise: iterator.next(), settled: false };
  state.promise.then(() => (state.settled = true), () => (state.settled = true));
  return state;
}

describe('chaincodeEventsOfBlock', () => {
  it("reads each transaction's tx id, code and events, with their payloads", async () => {
    const c = await chain();
    const [a, b] = [tx('Created'), tx(undefined)];
    await c.commit([a, { ...b, code: 'MVCC_READ_CONFLICT' }]);
    const block = chaincodeEventsOfBlock((await c.ledger.getBlock(1))!);
    expect(block).toEqual({
      blockNumber: 1,
      transactions: [
        { txNum: 0, txId: a.txId, code: 0, events: [{ chaincodeId: 'basic', txId: a.txId, eventName: 'Created', payload: new TextEncoder().encode('payload of Created') }] },
        { txNum: 1, txId: b.txId, code: 11, events: [] },
      ],
    });
  });

  it('leaves out unreadable envelopes, reads a missing code as INVALID_OTHER_REASON and the config transaction as eventless', async () => {
    const a = tx('Created');
    const data = [Uint8Array.of(0xff, 0xff), a.envelope];
    const metadata = Array.from({ length: BLOCK_METADATA_SLOTS }, () => new Uint8Array());
    const block = chaincodeEventsOfBlock(buildBlock({ header: { number: 4, previousHash: new Uint8Array(32), dataHash: blockDataHash(data) }, data, metadata }));
    expect(block.transactions).toEqual([{ txNum: 1, txId: a.txId, code: 255, events: [expect.objectContaining({ eventName: 'Created' })] }]);
    const genesis = chaincodeEventsOfBlock((await (await chain()).ledger.getBlock(0))!);
    expect(genesis.transactions).toEqual([{ txNum: 0, txId: expect.any(String), code: 0, events: [] }]);
  });
});

describe('chaincodeEvents: the stream', () => {
  it('yields, per block, the named chaincode\'s events of VALID transactions in transaction order, skipping blocks without any', async () => {
    const c = await chain();
    await c.commit([tx('A1'), tx('other1', 'other'), { ...tx('invalid1'), code: 'MVCC_READ_CONFLICT' }, tx(undefined), tx('A2')]); // 1
    await c.commit([tx(undefined), tx('other2', 'other')]); // 2: nothing for basic
    await c.commit([{ ...tx('invalid2'), code: 'ENDORSEMENT_POLICY_FAILURE' }, tx('A3')]); // 3
    const blocks = await take({ ledger: c.ledger, chaincodeName: 'basic', startBlock: 0 }, 2);
    expect(names(blocks)).toEqual([
      [1, ['A1', 'A2']],
      [3, ['A3']],
    ]);
    expect(blocks[0]!.events[0]).toMatchObject({ chaincodeId: 'basic', payload: new TextEncoder().encode('payload of A1') });
    expect(names(await take({ ledger: c.ledger, chaincodeName: 'other', startBlock: 2 }, 1))).toEqual([[2, ['other2']]]);
  });

  it('follows new commits after the committed blocks', async () => {
    const c = await chain();
    await c.commit([tx('A1')]);
    const iterator = chaincodeEvents({ ledger: c.ledger, chaincodeName: 'basic', startBlock: 1 });
    expect(names([(await iterator.next()).value as ChaincodeEventsBlock])).toEqual([[1, ['A1']]]);
    const next = pull(iterator);
    await c.commit([tx(undefined)]);
    await c.commit([tx('other', 'other')]);
    expect(next.settled).toBe(false);
    await c.commit([tx('A4')]);
    const result = await next.promise;
    expect(names([result.value as ChaincodeEventsBlock])).toEqual([[4, ['A4']]]);
    await iterator.return(undefined);
  });

  it('skips the transactions up to and including after_transaction_id', async () => {
    const c = await chain();
    const [a, b, d] = [tx('A'), tx('B'), tx('D')];
    await c.commit([a, tx('other', 'other'), b, d]);
    await c.commit([tx('E')]);
    expect(names(await take({ ledger: c.ledger, chaincodeName: 'basic', startBlock: 1, afterTransactionId: b.txId }, 2))).toEqual([
      [1, ['D']],
      [2, ['E']],
    ]);
    // The last transaction of the block: the stream goes on with the next block.
    expect(names(await take({ ledger: c.ledger, chaincodeName: 'basic', startBlock: 1, afterTransactionId: d.txId }, 1))).toEqual([[2, ['E']]]);
  });

  it('ends the skipping at a transaction without events or an invalid one (where Fabric would skip on)', async () => {
    const c = await chain();
    const [quiet, invalid] = [tx(undefined), tx('X')];
    await c.commit([tx('A'), quiet, tx('B'), { ...invalid, code: 'MVCC_READ_CONFLICT' }, tx('C')]);
    expect(names(await take({ ledger: c.ledger, chaincodeName: 'basic', startBlock: 1, afterTransactionId: quiet.txId }, 1))).toEqual([[1, ['B', 'C']]]);
    expect(names(await take({ ledger: c.ledger, chaincodeName: 'basic', startBlock: 1, afterTransactionId: invalid.txId }, 1))).toEqual([[1, ['C']]]);
  });

  it('keeps skipping until after_transaction_id commits when the start block does not hold it (as Fabric)', async () => {
    const c = await chain();
    const late = tx('Late');
    const iterator = chaincodeEvents({ ledger: c.ledger, chaincodeName: 'basic', startBlock: 1, afterTransactionId: late.txId });
    const next = pull(iterator);
    await c.commit([tx('Skipped1')]);
    await c.commit([tx('Skipped2'), late, tx('After')]);
    expect(names([(await next.promise).value as ChaincodeEventsBlock])).toEqual([[2, ['After']]]);
    await iterator.return(undefined);
  });

  it('ends when the client aborts, also while it waits for a block', async () => {
    const c = await chain();
    await c.commit([tx('A1')]);
    const controller = new AbortController();
    const iterator = chaincodeEvents({ ledger: c.ledger, chaincodeName: 'basic', startBlock: 1, signal: controller.signal });
    expect((await iterator.next()).done).toBe(false);
    const next = pull(iterator);
    await c.commit([tx(undefined)]);
    expect(next.settled).toBe(false);
    controller.abort();
    await expect(next.promise).resolves.toEqual({ done: true, value: undefined });
    // Already aborted: nothing is yielded, even for committed blocks.
    expect(await take({ ledger: c.ledger, chaincodeName: 'basic', startBlock: 0, signal: controller.signal }, 1)).toEqual([]);
  });

  it('fails with GATEWAY_LEDGER_FAILED when the ledger cannot give a committed block', async () => {
    const c = await chain();
    await c.commit([tx('A1')]);
    const missing: ChaincodeEventsLedger = { ...bind(c), getBlock: async () => undefined };
    await expect(take({ ledger: missing, chaincodeName: 'basic', startBlock: 1 }, 1)).rejects.toSatisfy((err: unknown) => isFabsimError(err, 'GATEWAY_LEDGER_FAILED') && /block 1 is below the ledger height 2/.test((err as Error).message));
    const garbage: ChaincodeEventsLedger = { ...bind(c), getBlock: async () => Uint8Array.of(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f) };
    await expect(take({ ledger: garbage, chaincodeName: 'basic', startBlock: 1 }, 1)).rejects.toSatisfy((err: unknown) => isFabsimError(err, 'GATEWAY_LEDGER_FAILED') && /does not parse/.test((err as Error).message));
  });
});

/** The ledger's methods, bound, as a plain object to override. */
function bind(c: TestChain): ChaincodeEventsLedger {
  const l = c.ledger;
  return {
    chainInfo: () => l.chainInfo(),
    getBlock: (n) => l.getBlock(n),
    getTransactionLocation: (t) => l.getTransactionLocation(t),
    waitForHeight: (h, s) => l.waitForHeight(h, s),
  };
}

describe('chaincodeEventsStartBlock', () => {
  const request = (fields: Partial<Pick<ChaincodeEventsRequest, 'startPosition' | 'afterTransactionId'>>) => ({ startPosition: undefined, afterTransactionId: '', ...fields });

  it('starts at the next commit by default, at a specified block, or at block 0 for oldest', async () => {
    const c = await chain();
    await c.commit([tx('A')]);
    await c.commit([tx('B')]);
    expect(await chaincodeEventsStartBlock(c.ledger, request({}))).toEqual({ ok: true, startBlock: 3 });
    expect(await chaincodeEventsStartBlock(c.ledger, request({ startPosition: { kind: 'nextCommit' } }))).toEqual({ ok: true, startBlock: 3 });
    expect(await chaincodeEventsStartBlock(c.ledger, request({ startPosition: { kind: 'specified', number: 1 } }))).toEqual({ ok: true, startBlock: 1 });
    expect(await chaincodeEventsStartBlock(c.ledger, request({ startPosition: { kind: 'specified', number: 9 } }))).toEqual({ ok: true, startBlock: 9 });
    expect(await chaincodeEventsStartBlock(c.ledger, request({ startPosition: { kind: 'oldest' } }))).toEqual({ ok: true, startBlock: 0 });
  });

  it("starts at after_transaction_id's block when the index knows it, whatever the start position", async () => {
    const c = await chain();
    const a = tx('A');
    await c.commit([tx('X')]);
    await c.commit([a]);
    await c.commit([tx('Y')]);
    expect(await chaincodeEventsStartBlock(c.ledger, request({ afterTransactionId: a.txId, startPosition: { kind: 'specified', number: 3 } }))).toEqual({ ok: true, startBlock: 2 });
    expect(await chaincodeEventsStartBlock(c.ledger, request({ afterTransactionId: 'not-committed', startPosition: { kind: 'specified', number: 3 } }))).toEqual({ ok: true, startBlock: 3 });
  });

  it('refuses newest, as Fabric does', async () => {
    const c = await chain();
    expect(await chaincodeEventsStartBlock(c.ledger, request({ startPosition: { kind: 'newest' } }))).toMatchObject({ ok: false, refusal: { kind: 'invalid-argument', message: expect.stringMatching(/^invalid start position type: newest/) } });
  });
});

describe('checkChaincodeEventsRequest', () => {
  function signedRequest(fields: Partial<ChaincodeEventsRequest> = {}, signer: SigningIdentity = user1): Uint8Array {
    const request = buildChaincodeEventsRequest({ channelId: CHANNEL, chaincodeId: 'basic', identity: user1.serialized, startPosition: { kind: 'nextCommit' }, afterTransactionId: '', ...fields });
    return buildSignedChaincodeEventsRequest({ request, signature: signer.sign(request) });
  }

  it('accepts a request signed by a reader of the channel it names', async () => {
    expect(await checkChaincodeEventsRequest(signedRequest({ afterTransactionId: 'tx7' }), fx.registry)).toEqual({
      ok: true,
      request: { channelId: CHANNEL, chaincodeId: 'basic', identity: user1.serialized, startPosition: { kind: 'nextCommit' }, afterTransactionId: 'tx7' },
    });
  });

  it('refuses other signers, non-readers, unknown channels and a missing identity with permission-denied', async () => {
    for (const bytes of [
      signedRequest({}, org2User),
      signedRequest({ channelId: 'lab', identity: org2User.serialized }, org2User),
      signedRequest({ channelId: 'nochannel' }),
      signedRequest({ identity: new Uint8Array() }),
    ]) {
      expect(await checkChaincodeEventsRequest(bytes, fx.registry)).toMatchObject({ ok: false, refusal: { kind: 'permission-denied' } });
    }
  });

  it('refuses an empty or malformed request with invalid-argument', async () => {
    expect(await checkChaincodeEventsRequest(new Uint8Array(), fx.registry)).toMatchObject({ ok: false, refusal: { kind: 'invalid-argument', message: expect.stringMatching(/^a chaincode events request is required/) } });
    const inner = buildSignedChaincodeEventsRequest({ request: Uint8Array.of(0x22, 0x05, 0x01), signature: new Uint8Array() });
    expect(await checkChaincodeEventsRequest(inner, fx.registry)).toMatchObject({ ok: false, refusal: { kind: 'invalid-argument', message: expect.stringMatching(/^invalid chaincode events request: .*gateway\.ChaincodeEventsRequest/) } });
  });
});
