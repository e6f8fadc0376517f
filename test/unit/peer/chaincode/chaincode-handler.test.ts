import { beforeEach, describe, expect, it } from 'vitest';
import { ManualScheduler } from '../../../../src/orderer/scheduler.js';
import { ChaincodeHandler, type ChaincodeExecutionResult, type ChaincodeStream, type ExecuteRequest } from '../../../../src/peer/chaincode/chaincode-handler.js';
import { ChaincodeRegistry } from '../../../../src/peer/chaincode/chaincode-registry.js';
import {
  buildChaincodeId,
  buildChaincodeMessage,
  buildChaincodeResponse,
  buildDelState,
  buildGetHistoryForKey,
  buildGetQueryResult,
  buildGetState,
  buildGetStateByRange,
  buildGetStateMetadata,
  buildInvokeChaincodeSpec,
  buildPutState,
  buildPutStateMetadata,
  buildQueryStateClose,
  buildQueryStateNext,
  ChaincodeMessageType as T,
  parseChaincodeInput,
  parseChaincodeMessage,
  parseChaincodeResponse,
  parseKeyModification,
  parseQueryResponse,
  parseQueryResultKv,
  parseStateMetadataResult,
  type ChaincodeMessage,
  type QueryResponse,
} from '../../../../src/protos/chaincode-message.js';
import { FakeTransactionContext, numberedState, utf8, type FakeState } from './fake-transaction-context.js';

const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);
const CHANNEL = 'mychannel';

/** The chaincode's end of the stream: records what the peer sends and lets a test wait for it. */
class FakeShim implements ChaincodeStream {
  readonly sent: ChaincodeMessage[] = [];
  closed = 0;
  private waiters: Array<() => void> = [];

  send(message: Uint8Array): void {
    this.sent.push(parseChaincodeMessage(message));
    for (const w of this.waiters.splice(0)) w();
  }

  close(): void {
    this.closed++;
  }

  /** Resolves with the n-th message (0-based) once it has been sent. */
  async message(n: number): Promise<ChaincodeMessage> {
    while (this.sent.length <= n) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.sent[n] as ChaincodeMessage;
  }
}

let shim: FakeShim;
let registry: ChaincodeRegistry<ChaincodeHandler>;
let scheduler: ManualScheduler;
let handler: ChaincodeHandler;

function newHandler(options: { totalQueryLimit?: number } = {}): ChaincodeHandler {
  return new ChaincodeHandler(shim, { registry, timers: scheduler, executeTimeoutMs: 30_000, ...options });
}

function message(type: number, payload: Uint8Array, txid = '', extra: Partial<ChaincodeMessage> = {}): Uint8Array {
  return buildChaincodeMessage({ type, payload, txid, channelId: txid === '' ? '' : CHANNEL, ...extra });
}

function register(h: ChaincodeHandler, name = 'kv_1:abc'): void {
  h.receive(message(T.REGISTER, buildChaincodeId({ name, version: '', path: '' })));
}

interface Started {
  readonly result: Promise<ChaincodeExecutionResult>;
  readonly context: FakeTransactionContext;
  readonly txId: string;
  /** Sends a request of this transaction and resolves with the peer's reply. */
  ask(type: number, payload: Uint8Array): Promise<ChaincodeMessage>;
  complete(status: number, payload?: string, extra?: Partial<ChaincodeMessage>): void;
}

let txCount = 0;
function start(state: FakeState = {}, request: Partial<ExecuteRequest> = {}, on = handler): Started {
  const txId = `tx${++txCount}`;
  const context = new FakeTransactionContext(CHANNEL, txId, 'kv', state);
  const result = on.execute({ kind: 'TRANSACTION', txId, channelId: CHANNEL, args: [utf8('fn'), utf8('a')], context, ...request });
  return {
    result,
    context,
    txId,
    async ask(type, payload) {
      const n = shim.sent.length;
      on.receive(message(type, payload, txId));
      return shim.message(n);
    },
    complete(status, payload = '', extra = {}) {
      on.receive(message(T.COMPLETED, buildChaincodeResponse({ status, message: status === 200 ? '' : 'failed', payload: utf8(payload) }), txId, extra));
    },
  };
}

const response = (m: ChaincodeMessage): QueryResponse => {
  expect(m.type).toBe(T.RESPONSE);
  return parseQueryResponse(m.payload);
};
const keysOf = (r: QueryResponse): string[] => r.results.map((b) => parseQueryResultKv(b).key);

beforeEach(() => {
  shim = new FakeShim();
  scheduler = new ManualScheduler();
  registry = new ChaincodeRegistry<ChaincodeHandler>(scheduler);
  handler = newHandler();
});

describe('registration (REGISTER → REGISTERED, READY)', () => {
  it('answers REGISTERED then READY and is then ready in the registry', async () => {
    const waiting = registry.waitForRegistration('kv_1:abc', 1000);
    register(handler);
    expect(shim.sent.map((m) => m.type)).toEqual([T.REGISTERED, T.READY]);
    expect(handler.state).toBe('ready');
    expect(handler.chaincodeId).toBe('kv_1:abc');
    expect(await waiting).toBe(handler);
    expect(registry.get('kv_1:abc')).toBe(handler);
  });

  it('refuses an empty or duplicate name with ERROR and ends the stream', () => {
    register(handler);
    const second = newHandler();
    const before = shim.sent.length;
    register(second, 'kv_1:abc');
    expect(shim.sent[before]?.type).toBe(T.ERROR);
    expect(text(shim.sent[before]?.payload)).toContain('duplicate chaincodeID');
    expect(second.state).toBe('closed');
    expect(registry.get('kv_1:abc')).toBe(handler);

    const third = newHandler();
    register(third, '');
    expect(text(shim.sent.at(-1)?.payload)).toContain('chaincodeID name is empty');
    expect(third.state).toBe('closed');
  });

  it('ends the stream on anything but REGISTER first, and on bytes that do not decode', () => {
    handler.receive(message(T.GET_STATE, buildGetState({ key: 'k', collection: '' }), 'tx'));
    expect(handler.state).toBe('closed');
    expect(shim.closed).toBe(1);
    const other = newHandler();
    other.receive(new Uint8Array([0x0a]));
    expect(other.state).toBe('closed');
  });

  it('ignores KEEPALIVE', () => {
    handler.receive(message(T.KEEPALIVE, new Uint8Array()));
    expect(handler.state).toBe('created');
    expect(shim.sent).toEqual([]);
  });

  it('refuses to execute before READY', async () => {
    await expect(start().result).rejects.toMatchObject({ code: 'CHAINCODE_NOT_READY' });
  });
});

describe('execute', () => {
  beforeEach(() => register(handler));

  it('sends TRANSACTION with the input and proposal, and resolves with the COMPLETED response', async () => {
    const tx = start({}, { signedProposal: { proposalBytes: utf8('proposal'), signature: utf8('sig') } });
    const sent = await shim.message(2);
    expect(sent).toMatchObject({ type: T.TRANSACTION, txid: tx.txId, channelId: CHANNEL });
    expect(parseChaincodeInput(sent.payload).args.map(text)).toEqual(['fn', 'a']);
    expect(text(sent.proposal?.proposalBytes)).toBe('proposal');
    tx.complete(200, 'ok');
    expect(await tx.result).toMatchObject({ outcome: 'COMPLETED', status: 200, message: '', event: undefined });
    expect(text((await tx.result).payload)).toBe('ok');
    expect(handler.inFlight).toBe(0);
  });

  it('sends INIT with is_init for an init invocation', async () => {
    const tx = start({}, { kind: 'INIT' });
    const sent = await shim.message(2);
    expect(sent.type).toBe(T.INIT);
    expect(parseChaincodeInput(sent.payload).isInit).toBe(true);
    tx.complete(200);
    await tx.result;
  });

  it("records the chaincode event, named with the context's namespace and the tx id", async () => {
    const tx = start();
    tx.complete(200, '', { chaincodeEvent: { chaincodeId: '', txId: '', eventName: 'Transfer', payload: utf8('5') } });
    const result = await tx.result;
    expect(result.event).toMatchObject({ chaincodeId: 'kv', txId: tx.txId, eventName: 'Transfer' });
    expect(tx.context.event).toEqual({ name: 'Transfer', payload: '5' });
  });

  it('passes a chaincode error response through (status 500 and its message)', async () => {
    const tx = start();
    tx.complete(500);
    expect(await tx.result).toMatchObject({ outcome: 'COMPLETED', status: 500, message: 'failed' });
  });

  it('resolves an ERROR from the chaincode as status 500 with its text', async () => {
    const tx = start();
    handler.receive(message(T.ERROR, utf8('could not build the stub'), tx.txId));
    expect(await tx.result).toMatchObject({ outcome: 'ERROR', status: 500, message: 'transaction returned with failure: could not build the stub' });
  });

  it('refuses a second execute of the same (channel, txid)', async () => {
    const tx = start();
    await expect(handler.execute({ kind: 'TRANSACTION', txId: tx.txId, channelId: CHANNEL, args: [], context: tx.context })).rejects.toMatchObject({ code: 'CHAINCODE_DUPLICATE_TX' });
    tx.complete(200);
    await tx.result;
  });

  it('fails with CHAINCODE_TIMEOUT when no answer comes in time, closes its queries, and ignores a late answer', async () => {
    const tx = start({ state: numberedState('k', 150) }, { timeoutMs: 5000 });
    const rejected = tx.result.then(
      () => undefined,
      (e: unknown) => e,
    );
    await tx.ask(T.GET_STATE_BY_RANGE, buildGetStateByRange({ startKey: 'k', endKey: 'l', collection: '', metadata: undefined }));
    scheduler.advance(4999);
    expect(handler.inFlight).toBe(1);
    scheduler.advance(1);
    const err = (await rejected) as Error & { code: string };
    expect(err.code).toBe('CHAINCODE_TIMEOUT');
    expect(err.message).toContain(`did not complete transaction ${tx.txId} on channel ${CHANNEL} within 5000 ms`);
    expect(tx.context.ranges[0]?.closed).toBe(true);
    tx.complete(200);
    expect(handler.state).toBe('ready');
    const late = await tx.ask(T.GET_STATE, buildGetState({ key: 'k', collection: '' }));
    expect(late.type).toBe(T.ERROR);
    expect(text(late.payload)).toBe(`GET_STATE failed: transaction ID: ${tx.txId}: no ledger context`);
  });

  it('fails every call in flight when the chaincode disconnects, and deregisters it', async () => {
    const a = start();
    const b = start();
    const outcomes = Promise.allSettled([a.result, b.result]);
    handler.disconnected('the connection to the chaincode was lost');
    const [ra, rb] = await outcomes;
    for (const r of [ra, rb]) {
      expect(r?.status).toBe('rejected');
      const reason = (r as PromiseRejectedResult).reason as Error & { code: string };
      expect(reason.code).toBe('CHAINCODE_DISCONNECTED');
      expect(reason.message).toContain('chaincode kv_1:abc exited/disconnected (the connection to the chaincode was lost)');
    }
    expect(registry.get('kv_1:abc')).toBeUndefined();
    expect(await handler.closed).toBe('the connection to the chaincode was lost');
    await expect(start().result).rejects.toMatchObject({ code: 'CHAINCODE_NOT_READY' });
  });

  it('ends the stream (failing calls in flight) on a message type the protocol does not define', async () => {
    const tx = start();
    const outcome = tx.result.catch((e: unknown) => e);
    handler.receive(message(99, new Uint8Array(), tx.txId));
    expect(await outcome).toMatchObject({ code: 'CHAINCODE_DISCONNECTED' });
    expect(shim.closed).toBe(1);
  });
});

describe('chaincode requests', () => {
  beforeEach(() => register(handler));

  it('answers GET_STATE, PUT_STATE, DEL_STATE against the transaction context', async () => {
    const tx = start({ state: new Map([['color', 'blue']]) });
    const got = await tx.ask(T.GET_STATE, buildGetState({ key: 'color', collection: '' }));
    expect(got).toMatchObject({ type: T.RESPONSE, txid: tx.txId, channelId: CHANNEL });
    expect(text(got.payload)).toBe('blue');
    expect((await tx.ask(T.GET_STATE, buildGetState({ key: 'none', collection: '' }))).payload).toEqual(new Uint8Array());
    expect((await tx.ask(T.PUT_STATE, buildPutState({ key: 'a', value: utf8('1'), collection: '' }))).type).toBe(T.RESPONSE);
    expect((await tx.ask(T.DEL_STATE, buildDelState({ key: 'b', collection: '' }))).type).toBe(T.RESPONSE);
    expect([...tx.context.writes]).toEqual([
      ['a', '1'],
      ['b', null],
    ]);
    tx.complete(200);
    await tx.result;
  });

  it('answers GET_STATE_METADATA (sorted entries) and PUT_STATE_METADATA', async () => {
    const metadata = new Map([['k', new Map([['z', utf8('2')], ['VALIDATION_PARAMETER', utf8('1')]])]]);
    const tx = start({ metadata });
    const got = await tx.ask(T.GET_STATE_METADATA, buildGetStateMetadata({ key: 'k', collection: '' }));
    expect(parseStateMetadataResult(got.payload).map((e) => e.metakey)).toEqual(['VALIDATION_PARAMETER', 'z']);
    await tx.ask(T.PUT_STATE_METADATA, buildPutStateMetadata({ key: 'k', collection: '', metadata: { metakey: 'VALIDATION_PARAMETER', value: utf8('p') } }));
    expect(tx.context.metadataWrites).toEqual([{ key: 'k', name: 'VALIDATION_PARAMETER', value: 'p' }]);
  });

  it("answers a request the context refuses with ERROR carrying Fabric's wording and the context's reason", async () => {
    const tx = start();
    tx.context.readOnly = true;
    const reply = await tx.ask(T.PUT_STATE, buildPutState({ key: 'a', value: utf8('1'), collection: '' }));
    expect(reply).toMatchObject({ type: T.ERROR, txid: tx.txId, channelId: CHANNEL });
    expect(text(reply.payload)).toBe(`PUT_STATE failed: transaction ID: ${tx.txId}: putState is not allowed in a query (evaluate) transaction`);
    expect(handler.state).toBe('ready');
  });

  it('answers a malformed request payload with ERROR', async () => {
    const tx = start();
    const reply = await tx.ask(T.GET_STATE, new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]));
    expect(reply.type).toBe(T.ERROR);
    expect(text(reply.payload)).toContain('protos.GetState');
  });

  it('answers requests fabsim does not implement with ERROR "not supported by fabsim yet"', async () => {
    const tx = start();
    const cases: Array<[number, Uint8Array, string]> = [
      [T.GET_QUERY_RESULT, buildGetQueryResult({ query: '{}', collection: '' }), 'GET_QUERY_RESULT is not supported by fabsim yet'],
      [T.GET_PRIVATE_DATA_HASH, buildGetState({ key: 'k', collection: 'c' }), 'GET_PRIVATE_DATA_HASH is not supported by fabsim yet'],
      [T.PURGE_PRIVATE_DATA, buildDelState({ key: 'k', collection: 'c' }), 'PURGE_PRIVATE_DATA is not supported by fabsim yet'],
      [T.WRITE_BATCH_STATE, new Uint8Array(), 'WRITE_BATCH_STATE is not supported by fabsim yet'],
      [T.GET_STATE_MULTIPLE, new Uint8Array(), 'GET_STATE_MULTIPLE is not supported by fabsim yet'],
      [T.GET_STATE, buildGetState({ key: 'k', collection: 'secret' }), 'private data (collection "secret") is not supported by fabsim yet'],
      [T.PUT_STATE, buildPutState({ key: 'k', value: utf8('v'), collection: 'secret' }), 'private data (collection "secret")'],
      [T.GET_STATE_BY_RANGE, buildGetStateByRange({ startKey: '', endKey: '', collection: 'secret', metadata: undefined }), 'private data (collection "secret")'],
    ];
    for (const [type, payload, expected] of cases) {
      const reply = await tx.ask(type, payload);
      expect(reply.type).toBe(T.ERROR);
      expect(text(reply.payload)).toContain(expected);
    }
    expect(handler.state).toBe('ready');
    expect(tx.context.writes.size).toBe(0);
  });

  it("answers INVOKE_CHAINCODE with the called chaincode's answer, wrapped as Fabric wraps it, and refuses another channel", async () => {
    const calls: Array<[string, string[]]> = [];
    const tx = start({}, {
      invokeChaincode: async (name, args) => {
        calls.push([name, args.map((a) => new TextDecoder().decode(a))]);
        if (name === 'broken') throw new Error('chaincode broken is not running on this peer');
        return { outcome: 'COMPLETED', status: 200, message: '', payload: utf8('called-result'), event: undefined };
      },
    });
    const reply = await tx.ask(T.INVOKE_CHAINCODE, buildInvokeChaincodeSpec({ name: 'basic:1.0', args: [utf8('ReadAsset'), utf8('a1')] }));
    expect(reply.type).toBe(T.RESPONSE);
    const inner = parseChaincodeMessage(reply.payload);
    expect(inner.type).toBe(T.COMPLETED);
    expect(parseChaincodeResponse(inner.payload)).toMatchObject({ status: 200, payload: utf8('called-result') });
    expect(calls).toEqual([['basic', ['ReadAsset', 'a1']]]);
    const failed = await tx.ask(T.INVOKE_CHAINCODE, buildInvokeChaincodeSpec({ name: 'broken', args: [] }));
    expect(failed.type).toBe(T.ERROR);
    expect(text(failed.payload)).toContain('INVOKE_CHAINCODE failed: transaction ID: ');
    expect(text(failed.payload)).toContain('chaincode broken is not running on this peer');
    const other = await tx.ask(T.INVOKE_CHAINCODE, buildInvokeChaincodeSpec({ name: 'basic/otherchannel', args: [] }));
    expect(text(other.payload)).toContain('calling chaincode basic on channel otherchannel from a transaction on channel');
    expect(calls).toHaveLength(2);
    const without = await start().ask(T.INVOKE_CHAINCODE, buildInvokeChaincodeSpec({ name: 'basic', args: [] }));
    expect(text(without.payload)).toContain('chaincode-to-chaincode calls are not available to this transaction');
  });

  it('answers a request for no running transaction with ERROR "no ledger context"', async () => {
    const n = shim.sent.length;
    handler.receive(message(T.GET_STATE, buildGetState({ key: 'k', collection: '' }), 'unknown-tx'));
    const reply = await shim.message(n);
    expect(reply).toMatchObject({ type: T.ERROR, txid: 'unknown-tx' });
    expect(text(reply.payload)).toBe('GET_STATE failed: transaction ID: unknown-tx: no ledger context');
  });

  it('refuses a second request of one transaction while the first is being answered', async () => {
    const tx = start();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const original = tx.context.getState.bind(tx.context);
    tx.context.getState = async (key) => {
      await gate;
      return original(key);
    };
    const n = shim.sent.length;
    handler.receive(message(T.GET_STATE, buildGetState({ key: 'a', collection: '' }), tx.txId));
    handler.receive(message(T.GET_STATE, buildGetState({ key: 'b', collection: '' }), tx.txId));
    const refused = await shim.message(n);
    expect(refused.type).toBe(T.ERROR);
    expect(text(refused.payload)).toContain('another request of this transaction is still being answered');
    release();
    expect((await shim.message(n + 1)).type).toBe(T.RESPONSE);
  });
});

describe('range and history queries', () => {
  beforeEach(() => register(handler));
  const range = (startKey: string, endKey: string, metadata?: { pageSize: number; bookmark: string }): Uint8Array =>
    buildGetStateByRange({ startKey, endKey, collection: '', metadata });

  it('serves 250 keys as 100 + 100 + 50 with has_more, then closes the iterator', async () => {
    const tx = start({ state: numberedState('k', 250) });
    const first = response(await tx.ask(T.GET_STATE_BY_RANGE, range('k', 'l')));
    expect(first.results).toHaveLength(100);
    expect(first.hasMore).toBe(true);
    expect(keysOf(first)[0]).toBe('k000');
    expect(parseQueryResultKv(first.results[0] as Uint8Array).namespace).toBe('kv');
    const second = response(await tx.ask(T.QUERY_STATE_NEXT, buildQueryStateNext(first.id)));
    expect(second).toMatchObject({ hasMore: true, id: first.id });
    expect(keysOf(second)[0]).toBe('k100');
    const third = response(await tx.ask(T.QUERY_STATE_NEXT, buildQueryStateNext(first.id)));
    expect(third.results).toHaveLength(50);
    expect(third.hasMore).toBe(false);
    expect(keysOf(third).at(-1)).toBe('k249');
    expect(tx.context.ranges[0]?.closed).toBe(true);
    // The iterator is gone: a further QUERY_STATE_NEXT is an error, as in Fabric.
    const after = await tx.ask(T.QUERY_STATE_NEXT, buildQueryStateNext(first.id));
    expect(text(after.payload)).toContain('query iterator not found');
  });

  it('never promises more than it has: exactly 100 keys is one batch without has_more', async () => {
    const tx = start({ state: numberedState('k', 100) });
    const only = response(await tx.ask(T.GET_STATE_BY_RANGE, range('k', '')));
    expect(only.results).toHaveLength(100);
    expect(only.hasMore).toBe(false);
    const empty = response(await tx.ask(T.GET_STATE_BY_RANGE, range('x', 'y')));
    expect(empty).toMatchObject({ results: [], hasMore: false });
  });

  it('stops at totalQueryLimit', async () => {
    const limited = newHandler({ totalQueryLimit: 150 });
    register(limited, 'limited:1');
    const tx = start({ state: numberedState('k', 250) }, {}, limited);
    const first = response(await tx.ask(T.GET_STATE_BY_RANGE, range('k', 'l')));
    expect(first.hasMore).toBe(true);
    const second = response(await tx.ask(T.QUERY_STATE_NEXT, buildQueryStateNext(first.id)));
    expect(second.results).toHaveLength(50);
    expect(second.hasMore).toBe(false);
    expect(tx.context.ranges[0]?.closed).toBe(true);
  });

  it('closes a query on QUERY_STATE_CLOSE, and every open query when the transaction completes', async () => {
    const tx = start({ state: numberedState('k', 250) });
    const a = response(await tx.ask(T.GET_STATE_BY_RANGE, range('k', 'l')));
    const closed = response(await tx.ask(T.QUERY_STATE_CLOSE, buildQueryStateClose(a.id)));
    expect(closed).toMatchObject({ results: [], hasMore: false, id: a.id });
    expect(tx.context.ranges[0]?.closed).toBe(true);
    await tx.ask(T.GET_STATE_BY_RANGE, range('k', 'l'));
    expect(tx.context.ranges[1]?.closed).toBe(false);
    tx.complete(200);
    await tx.result;
    expect(tx.context.ranges[1]?.closed).toBe(true);
  });

  it('pages with QueryMetadata: page size, bookmark = the next key, fetched count, no has_more', async () => {
    const state = numberedState('k', 70);
    const tx = start({ state });
    const first = response(await tx.ask(T.GET_STATE_BY_RANGE, range('k', 'l', { pageSize: 30, bookmark: '' })));
    expect(first.results).toHaveLength(30);
    expect(first).toMatchObject({ hasMore: false, metadata: { fetchedRecordsCount: 30, bookmark: 'k030' } });
    const second = response(await tx.ask(T.GET_STATE_BY_RANGE, range('k', 'l', { pageSize: 30, bookmark: 'k030' })));
    expect(keysOf(second)[0]).toBe('k030');
    expect(second.metadata).toEqual({ fetchedRecordsCount: 30, bookmark: 'k060' });
    const last = response(await tx.ask(T.GET_STATE_BY_RANGE, range('k', 'l', { pageSize: 30, bookmark: 'k060' })));
    expect(last.results).toHaveLength(10);
    expect(last.metadata).toEqual({ fetchedRecordsCount: 10, bookmark: '' });
    expect(tx.context.ranges.every((r) => r.closed)).toBe(true);
    // A page larger than a batch still comes in one response.
    const big = response(await tx.ask(T.GET_STATE_BY_RANGE, range('k', 'l', { pageSize: 500, bookmark: '' })));
    expect(big.results).toHaveLength(70);
    expect(big.metadata).toEqual({ fetchedRecordsCount: 70, bookmark: '' });
  });

  it('serves GET_HISTORY_FOR_KEY as KeyModifications in batches, with the epoch for a missing timestamp', async () => {
    const records = Array.from({ length: 120 }, (_, i) => ({ txId: `t${i}`, value: utf8(`v${i}`), isDelete: i === 119, ...(i === 0 ? { timestampMs: 1_700_000_000_000 } : {}) }));
    const tx = start({ history: new Map([['k', records]]) });
    const first = response(await tx.ask(T.GET_HISTORY_FOR_KEY, buildGetHistoryForKey('k')));
    expect(first.results).toHaveLength(100);
    expect(first.hasMore).toBe(true);
    expect(parseKeyModification(first.results[0] as Uint8Array)).toMatchObject({ txId: 't0', timestampMs: 1_700_000_000_000, isDelete: false });
    expect(parseKeyModification(first.results[1] as Uint8Array).timestampMs).toBe(0);
    const rest = response(await tx.ask(T.QUERY_STATE_NEXT, buildQueryStateNext(first.id)));
    expect(rest.results).toHaveLength(20);
    expect(parseKeyModification(rest.results[19] as Uint8Array)).toMatchObject({ txId: 't119', isDelete: true });
    expect(tx.context.histories[0]?.closed).toBe(true);
  });
});
