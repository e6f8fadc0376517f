import { beforeAll, describe, expect, it } from 'vitest';
import { isFabsimError } from '../../../../src/core/errors.js';
import type { VersionedValue } from '../../../../src/ledger/ledger-types.js';
import type { PeerLedger } from '../../../../src/ledger/peer-ledger.js';
import { ChaincodeRequestError } from '../../../../src/peer/simulation/chaincode-request-error.js';
import type { SimulationState, StateIterator } from '../../../../src/peer/simulation/transaction-context.js';
import { TransactionSimulator, type SimulatorOptions } from '../../../../src/peer/simulation/transaction-simulator.js';
import { serializeStateMetadata } from '../../../../src/peer/validation/state-metadata.js';
import { buildTxRwSet, parseTxRwSet, type KvRwSet, type TxRwSet } from '../../../../src/protos/rwset.js';
import { b, compositeKey, del, ledgerWith, put, text, valid } from './simulation-ledger.js';

const KLE = 'VALIDATION_PARAMETER';
const kleMetadata = serializeStateMetadata([{ name: KLE, value: b('policy-bytes') }, { name: 'other', value: b('x') }]);
const blue1 = compositeKey('color~name', ['blue', 'asset1']);
const blue2 = compositeKey('color~name', ['blue', 'asset2']);
const red1 = compositeKey('color~name', ['red', 'asset3']);

let ledger: PeerLedger;

beforeAll(async () => {
  ledger = await ledgerWith(
    // block 0
    [
      valid('tx-a', put('basic', 'asset1', 'one'), put('basic', 'asset2', 'two'), put('other', 'x', 'ox')),
      valid('tx-b', put('basic', 'r1', 'v1'), put('basic', 'r2', 'v2'), put('basic', 'r3', 'v3'), put('basic', 'r4', 'v4'), put('basic', 'r5', 'v5')),
      valid('tx-c', put('basic', blue1, ''), put('basic', blue2, ''), put('basic', red1, ''), put('basic', 'zzz', 'last')),
    ],
    // block 1
    [valid('tx-d', put('basic', 'asset1', 'one-v2', kleMetadata), del('basic', 'asset2'))],
    // block 2
    [{ txId: 'tx-bad', code: 'MVCC_READ_CONFLICT', updates: [] }, valid('tx-e', put('basic', 'asset2', 'two-again'))],
  );
});

function simulator(extra: Partial<SimulatorOptions> = {}): TransactionSimulator {
  return TransactionSimulator.start({ channelId: 'mychannel', txId: 'tx-sim', namespace: 'basic', state: ledger, ...extra });
}

function ns(rwset: TxRwSet, namespace = 'basic'): KvRwSet {
  const found = rwset.nsRwsets.find((n) => n.namespace === namespace);
  if (found === undefined) throw new Error(`no namespace ${namespace} in the rwset`);
  return found.rwset;
}

async function drain(iterator: StateIterator, max: number): Promise<{ pages: string[][]; dones: boolean[] }> {
  const pages: string[][] = [];
  const dones: boolean[] = [];
  for (;;) {
    const page = await iterator.next(max);
    pages.push(page.results.map((r) => r.key));
    dones.push(page.done);
    if (page.done) return { pages, dones };
  }
}

/** Runs `run` and returns the ChaincodeRequestError it throws (sync or async). */
async function requestError(run: () => unknown): Promise<ChaincodeRequestError> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(ChaincodeRequestError);
    expect(isFabsimError(err, 'CHAINCODE_REQUEST_INVALID')).toBe(true);
    return err as ChaincodeRequestError;
  }
  throw new Error('expected a ChaincodeRequestError');
}

describe('TransactionSimulator: the state it reads', () => {
  it('runs over a PeerLedger, which satisfies SimulationState', () => {
    const state: SimulationState = ledger; // compile-time check of the structural fit
    expect(state).toBe(ledger);
  });
});

describe('TransactionSimulator: reads', () => {
  it('returns committed values and records each read with its committed version; an absent key is read with no version', async () => {
    const sim = simulator();
    expect(text(await sim.getState('asset1'))).toBe('one-v2');
    expect(text(await sim.getState('asset2'))).toBe('two-again');
    expect(await sim.getState('missing')).toBeUndefined();
    expect(ns(sim.done().rwset).reads).toEqual([
      { key: 'asset1', version: { blockNum: 1, txNum: 0 } },
      { key: 'asset2', version: { blockNum: 2, txNum: 1 } },
      { key: 'missing', version: undefined },
    ]);
  });

  it('keeps the first read of a key when it is read again', async () => {
    let version = { blockNum: 7, txNum: 0 };
    const changing: SimulationState = {
      getState: async (): Promise<VersionedValue> => ({ value: b('v'), version }),
      scanState: () => ledger.scanState('basic', '', ''),
      getHistory: async () => [],
    };
    const sim = simulator({ state: changing });
    await sim.getState('k');
    version = { blockNum: 8, txNum: 3 }; // a block committed mid-simulation
    await sim.getState('k');
    expect(ns(sim.done().rwset).reads).toEqual([{ key: 'k', version: { blockNum: 7, txNum: 0 } }]);
  });

  it("never sees the transaction's own writes and deletes (reads are of committed state, as Fabric)", async () => {
    const sim = simulator();
    sim.putState('asset1', b('mine'));
    sim.delState('asset2');
    sim.putState('fresh', b('new'));
    expect(text(await sim.getState('asset1'))).toBe('one-v2');
    expect(text(await sim.getState('asset2'))).toBe('two-again');
    expect(await sim.getState('fresh')).toBeUndefined();
    const page = await sim.openRange('asset', 'asset~').next(10);
    expect(page.results.map((r) => [r.key, text(r.value)])).toEqual([
      ['asset1', 'one-v2'],
      ['asset2', 'two-again'],
    ]);
    const set = ns(sim.done().rwset);
    expect(set.reads.map((r) => r.key)).toEqual(['asset1', 'asset2', 'fresh']);
    expect(set.writes.map((w) => [w.key, w.isDelete, text(w.value)])).toEqual([
      ['asset1', false, 'mine'],
      ['asset2', true, ''],
      ['fresh', false, 'new'],
    ]);
  });
});

describe('TransactionSimulator: writes', () => {
  it('keeps the last write or delete of each key', async () => {
    const sim = simulator();
    sim.putState('a', b('1'));
    sim.putState('a', b('2'));
    sim.putState('d', b('1'));
    sim.delState('d');
    sim.delState('p');
    sim.putState('p', b('back'));
    expect(ns(sim.done().rwset).writes.map((w) => [w.key, w.isDelete, text(w.value)])).toEqual([
      ['a', false, '2'],
      ['d', true, ''],
      ['p', false, 'back'],
    ]);
  });

  it('records a putState with an empty value as a delete, as Fabric does', () => {
    const sim = simulator();
    sim.putState('gone', new Uint8Array());
    expect(ns(sim.done().rwset).writes).toEqual([{ key: 'gone', isDelete: true, value: new Uint8Array() }]);
  });

  it('copies written bytes, so a chaincode reusing its buffer does not change the recording', () => {
    const sim = simulator();
    const buffer = b('abc');
    sim.putState('k', buffer);
    buffer[0] = 0x7a;
    expect(text(ns(sim.done().rwset).writes[0]!.value)).toBe('abc');
  });

  it('merges metadata writes per key, entries sorted by name, last value per name winning', () => {
    const sim = simulator();
    sim.putStateMetadata('asset1', KLE, b('p1'));
    sim.putStateMetadata('asset1', 'another', b('a'));
    sim.putStateMetadata('asset1', KLE, b('p2'));
    sim.putStateMetadata('b-key', KLE, b('q'));
    const set = ns(sim.done().rwset);
    expect(set.metadataWrites.map((m) => [m.key, m.entries.map((e) => [e.name, text(e.value)])])).toEqual([
      ['asset1', [[KLE, 'p2'], ['another', 'a']]], // byte order, as Go's sort.Strings: 'V' < 'a'
      ['b-key', [[KLE, 'q']]],
    ]);
    expect(set.writes).toEqual([]);
  });
});

describe('TransactionSimulator: state metadata', () => {
  it("decodes the committed metadata and records the read, as Fabric's GetStateMetadata", async () => {
    const sim = simulator();
    const metadata = await sim.getStateMetadata('asset1');
    expect([...metadata].map(([name, value]) => [name, text(value)])).toEqual([
      [KLE, 'policy-bytes'],
      ['other', 'x'],
    ]);
    expect((await sim.getStateMetadata('r1')).size).toBe(0);
    expect((await sim.getStateMetadata('missing')).size).toBe(0);
    expect(ns(sim.done().rwset).reads).toEqual([
      { key: 'asset1', version: { blockNum: 1, txNum: 0 } },
      { key: 'missing', version: undefined },
      { key: 'r1', version: { blockNum: 0, txNum: 1 } },
    ]);
  });
});

describe('TransactionSimulator: range queries', () => {
  const r = (n: number) => ({ key: `r${n}`, version: { blockNum: 0, txNum: 1 } });

  it('pages through the range with next(max) and records it exhausted, with raw reads of every key and the query end', async () => {
    const sim = simulator();
    const { pages, dones } = await drain(sim.openRange('r', 's'), 2);
    expect(pages).toEqual([['r1', 'r2'], ['r3', 'r4'], ['r5']]);
    expect(dones).toEqual([false, false, true]);
    const set = ns(sim.done().rwset);
    expect(set.rangeQueriesInfo).toEqual([{ startKey: 'r', endKey: 's', itrExhausted: true, rawReads: [r(1), r(2), r(3), r(4), r(5)] }]);
    expect(set.reads).toEqual([]); // range results are not point reads
  });

  it('says done on the page that returns the last key, even when the range is a multiple of the page size', async () => {
    const sim = simulator();
    const { pages, dones } = await drain(sim.openRange('r2', 'r6'), 2);
    expect(pages).toEqual([['r2', 'r3'], ['r4', 'r5']]);
    expect(dones).toEqual([false, true]);
    expect(ns(sim.done().rwset).rangeQueriesInfo).toEqual([{ startKey: 'r2', endKey: 'r6', itrExhausted: true, rawReads: [r(2), r(3), r(4), r(5)] }]);
  });

  it('records a range closed early with itr_exhausted false, endKey = the last key returned, and only the keys returned', async () => {
    const sim = simulator();
    const iterator = sim.openRange('r', 's');
    expect((await iterator.next(2)).results.map((x) => x.key)).toEqual(['r1', 'r2']);
    iterator.close();
    await requestError(() => iterator.next(1));
    expect(ns(sim.done().rwset).rangeQueriesInfo).toEqual([{ startKey: 'r', endKey: 'r2', itrExhausted: false, rawReads: [r(1), r(2)] }]);
  });

  it('records an iterator still open at done() as closed there', async () => {
    const sim = simulator();
    const iterator = sim.openRange('r', '');
    await iterator.next(3);
    expect(ns(sim.done().rwset).rangeQueriesInfo).toEqual([{ startKey: 'r', endKey: 'r3', itrExhausted: false, rawReads: [r(1), r(2), r(3)] }]);
    await requestError(() => iterator.next(1));
  });

  it('records nothing for an iterator closed before it returned a key', async () => {
    const sim = simulator();
    sim.openRange('r', 's').close();
    expect(sim.done().rwset.nsRwsets).toEqual([]);
  });

  it('records an empty range as exhausted with no reads (so a key appearing in it is a phantom)', async () => {
    const sim = simulator();
    expect(await sim.openRange('q', 'r').next(5)).toEqual({ results: [], done: true });
    expect(ns(sim.done().rwset).rangeQueriesInfo).toEqual([{ startKey: 'q', endKey: 'r', itrExhausted: true, rawReads: [] }]);
  });

  it("an empty endKey runs to the end of the chaincode's namespace, never into another's", async () => {
    const sim = simulator();
    const { pages } = await drain(sim.openRange('s', ''), 10);
    expect(pages).toEqual([['zzz']]);
    const other = sim.forNamespace('other');
    const all = await drain(other.openRange('', ''), 10);
    expect(all.pages).toEqual([['x']]);
    const rwset = sim.done().rwset;
    expect(ns(rwset).rangeQueriesInfo).toEqual([{ startKey: 's', endKey: '', itrExhausted: true, rawReads: [{ key: 'zzz', version: { blockNum: 0, txNum: 2 } }] }]);
    expect(ns(rwset, 'other').rangeQueriesInfo).toEqual([{ startKey: '', endKey: '', itrExhausted: true, rawReads: [{ key: 'x', version: { blockNum: 0, txNum: 0 } }] }]);
  });

  it('covers composite keys (U+0000 prefix) with a partial-key range, as GetStateByPartialCompositeKey asks it', async () => {
    const sim = simulator();
    const start = compositeKey('color~name', ['blue']);
    const end = `${start}\u{10FFFF}`;
    const { pages } = await drain(sim.openRange(start, end), 10);
    expect(pages).toEqual([[blue1, blue2]]);
    const all = await drain(sim.openRange('\u0000', '\u0001'), 1);
    expect(all.pages.flat()).toEqual([blue1, blue2, red1]);
    const infos = ns(sim.done().rwset).rangeQueriesInfo;
    expect(infos.map((i) => [i.startKey, i.endKey, i.itrExhausted, i.rawReads?.map((x) => x.key)])).toEqual([
      ['\u0000', '\u0001', true, [blue1, blue2, red1]],
      [start, end, true, [blue1, blue2]],
    ]);
  });

  it('keeps one RangeQueryInfo for the same (start, end, exhausted), as Fabric', async () => {
    const sim = simulator();
    await drain(sim.openRange('r', 's'), 10);
    await drain(sim.openRange('r', 's'), 3);
    expect(ns(sim.done().rwset).rangeQueriesInfo).toHaveLength(1);
  });

  it('serializes overlapping next calls of one iterator', async () => {
    const sim = simulator();
    const iterator = sim.openRange('r', 's');
    const [first, second, third] = await Promise.all([iterator.next(2), iterator.next(2), iterator.next(2)]);
    expect([first, second, third].map((p) => p.results.map((x) => x.key))).toEqual([['r1', 'r2'], ['r3', 'r4'], ['r5']]);
    expect(third.done).toBe(true);
  });
});

describe('TransactionSimulator: history', () => {
  it('returns GET_HISTORY_FOR_KEY newest first, with deletes, paged, and records nothing', async () => {
    const sim = simulator();
    const history = await sim.openHistory('asset2');
    const first = await history.next(2);
    expect(first.results.map((h) => [h.txId, h.isDelete, text(h.value)])).toEqual([
      ['tx-e', false, 'two-again'],
      ['tx-d', true, ''],
    ]);
    expect(first.done).toBe(false);
    const second = await history.next(2);
    expect(second.results.map((h) => [h.txId, h.isDelete, text(h.value)])).toEqual([['tx-a', false, 'two']]);
    expect(second.done).toBe(true);
    expect(await (await sim.openHistory('never-written')).next(5)).toEqual({ results: [], done: true });
    expect(sim.done().rwset.nsRwsets).toEqual([]);
  });
});

describe('TransactionSimulator: the chaincode event', () => {
  it('keeps the last setEvent, and has none when the chaincode set none', () => {
    const sim = simulator();
    sim.setEvent('first', b('1'));
    sim.setEvent('AssetCreated', b('{"id":"asset9"}'));
    const result = sim.done();
    expect(result.event?.name).toBe('AssetCreated');
    expect(text(result.event?.payload)).toBe('{"id":"asset9"}');
    expect('event' in simulator().done()).toBe(false);
  });
});

describe('TransactionSimulator: chaincode-to-chaincode calls', () => {
  it("records the called chaincode's reads and writes in its own namespace of the same rwset; done() on any view finishes all", async () => {
    const sim = simulator();
    sim.putState('asset9', b('nine'));
    const called = sim.forNamespace('other');
    expect(called.namespace).toBe('other');
    expect(called.txId).toBe('tx-sim');
    expect(text(await called.getState('x'))).toBe('ox');
    called.putState('y', b('why'));
    called.setEvent('from-other', b(''));
    const result = called.done();
    expect(result.rwset.nsRwsets.map((n) => n.namespace)).toEqual(['basic', 'other']);
    expect(ns(result.rwset, 'other')).toEqual({
      reads: [{ key: 'x', version: { blockNum: 0, txNum: 0 } }],
      rangeQueriesInfo: [],
      writes: [{ key: 'y', isDelete: false, value: b('why') }],
      metadataWrites: [],
    });
    // Only the invoked chaincode's own event belongs to the transaction, as in Fabric.
    expect('event' in result).toBe(false);
    expect(sim.finished).toBe(true);
    await requestError(() => sim.getState('asset1'));
  });

  it('refuses a namespace that cannot be a chaincode name', async () => {
    const sim = simulator();
    expect((await requestError(() => sim.forNamespace(''))).message).toContain('has no name');
    expect((await requestError(() => sim.forNamespace('a\u0000b'))).message).toContain('U+0000');
  });
});

describe('TransactionSimulator: the rwset it builds', () => {
  /** The same reads, writes, range queries and metadata, in two different call orders. */
  async function simulateInOrder(reverse: boolean): Promise<Uint8Array> {
    const sim = simulator();
    const other = sim.forNamespace('other');
    const steps: Array<() => Promise<unknown> | void> = [
      () => sim.getState('asset1'),
      () => sim.getState('missing'),
      () => other.getState('x'),
      () => sim.putState('w1', b('1')),
      () => sim.putState('\u{1F600}', b('emoji')), // U+1F600 sorts after U+FFFD in UTF-8, before it in UTF-16
      () => sim.putState('\uFFFD', b('replacement')),
      () => sim.delState('w0'),
      () => other.putState('o', b('o')),
      () => sim.putStateMetadata('w1', KLE, b('p')),
      () => sim.putStateMetadata('w1', 'a', b('q')),
      () => drain(sim.openRange('r', 's'), 2),
      () => drain(sim.openRange('asset', 'asset~'), 5),
    ];
    for (const step of reverse ? [...steps].reverse() : steps) await step();
    return sim.done().rwsetBytes;
  }

  it('is byte-identical for the same operations in a different order', async () => {
    const forward = await simulateInOrder(false);
    const backward = await simulateInOrder(true);
    expect(Buffer.from(backward).equals(Buffer.from(forward))).toBe(true);
  });

  it('sorts keys in UTF-8 byte order and parses back with parseTxRwSet to what done() returned', async () => {
    const sim = simulator();
    sim.putState('\u{1F600}', b('emoji'));
    sim.putState('\uFFFD', b('replacement'));
    sim.putState('a', b('a'));
    sim.forNamespace('aa').putState('k', b('k'));
    sim.forNamespace('A').putState('k', b('k'));
    await sim.getState('asset1');
    await drain(sim.openRange('r', 's'), 2);
    sim.putStateMetadata('a', KLE, b('p'));
    const result = sim.done();
    expect(result.rwset.nsRwsets.map((n) => n.namespace)).toEqual(['A', 'aa', 'basic']);
    expect(ns(result.rwset).writes.map((w) => w.key)).toEqual(['a', '\uFFFD', '\u{1F600}']);
    expect(Buffer.from(result.rwsetBytes).equals(Buffer.from(buildTxRwSet(result.rwset)))).toBe(true);
    expect(parseTxRwSet(result.rwsetBytes)).toEqual(result.rwset);
  });
});

describe('TransactionSimulator: requests a chaincode may not make', () => {
  it('refuses an empty key in every keyed request, saying so', async () => {
    const sim = simulator();
    for (const run of [() => sim.getState(''), () => sim.getStateMetadata(''), () => sim.putState('', b('v')), () => sim.delState(''), () => sim.putStateMetadata('', KLE, b('p')), () => sim.openHistory('')]) {
      expect((await requestError(run)).message).toMatch(/^\w+: the key is empty; every state key needs at least one character$/);
    }
    expect(sim.done().rwset.nsRwsets).toEqual([]);
  });

  it('refuses keys and range bounds that are not valid UTF-8 (a lone surrogate)', async () => {
    const sim = simulator();
    const lone = 'emoji\uD83D';
    const message = (await requestError(() => sim.putState(lone, b('v')))).message;
    expect(message).toContain('putState: the key "emoji\\ud83d" is not valid UTF-8');
    expect(message).toContain('lone UTF-16 surrogate');
    await requestError(() => sim.getState(lone));
    await requestError(() => sim.openRange('a', `z${lone}`));
    await requestError(() => sim.putStateMetadata('k', lone, b('v')));
    await requestError(() => sim.setEvent(lone, b('v')));
  });

  it('refuses an empty metadata name and an empty event name', async () => {
    const sim = simulator();
    expect((await requestError(() => sim.putStateMetadata('k', '', b('v')))).message).toContain('the metadata name is empty');
    expect((await requestError(() => sim.setEvent('', b('v')))).message).toContain('the event name is empty');
  });

  it('refuses every call after done(), done() included', async () => {
    const sim = simulator();
    sim.done();
    const message = (await requestError(() => sim.putState('k', b('v')))).message;
    expect(message).toBe(
      'putState: the simulation of transaction tx-sim is finished (done() was called); a chaincode can use the ledger only while its invocation runs (await every ledger call before returning)',
    );
    for (const run of [() => sim.getState('k'), () => sim.delState('k'), () => sim.getStateMetadata('k'), () => sim.putStateMetadata('k', KLE, b('p')), () => sim.openRange('a', 'b'), () => sim.openHistory('k'), () => sim.setEvent('e', b('')), () => sim.forNamespace('other'), () => sim.done()]) {
      await requestError(run);
    }
  });

  it('refuses a read whose answer arrives after done()', async () => {
    let answer: (v: VersionedValue | undefined) => void = () => undefined;
    const slow: SimulationState = {
      getState: () => new Promise((resolve) => (answer = resolve)),
      scanState: () => ledger.scanState('basic', '', ''),
      getHistory: async () => [],
    };
    const sim = simulator({ state: slow });
    const pending = sim.getState('k');
    const result = sim.done();
    answer({ value: b('late'), version: { blockNum: 1, txNum: 0 } });
    expect((await requestError(() => pending)).message).toContain('finished while this request was waiting for the ledger');
    expect(result.rwset.nsRwsets).toEqual([]);
  });

  it('in a query (evaluate), refuses writes but answers and records reads', async () => {
    const sim = simulator({ mode: 'query' });
    expect(sim.mode).toBe('query');
    for (const run of [() => sim.putState('k', b('v')), () => sim.delState('k'), () => sim.putStateMetadata('k', KLE, b('p'))]) {
      expect((await requestError(run)).message).toContain('this is a query (evaluate); writes are not allowed');
    }
    expect(text(await sim.getState('asset1'))).toBe('one-v2');
    sim.setEvent('ignored-by-evaluate', b(''));
    const result = sim.done();
    expect(ns(result.rwset)).toEqual({ reads: [{ key: 'asset1', version: { blockNum: 1, txNum: 0 } }], rangeQueriesInfo: [], writes: [], metadataWrites: [] });
  });

  it('refuses a value that is not bytes (a JavaScript caller passing a string)', async () => {
    const sim = simulator();
    expect((await requestError(() => sim.putState('k', 'text' as unknown as Uint8Array))).message).toBe('putState: the value must be bytes (a Uint8Array or Buffer), not string');
  });
});
