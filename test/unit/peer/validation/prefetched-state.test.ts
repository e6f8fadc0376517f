import { describe, expect, it } from 'vitest';
import { utf8 } from '../../../../src/core/bytes.js';
import type { CommittedTransaction, StateReader, VersionedValue } from '../../../../src/ledger/ledger-types.js';
import { PeerLedger } from '../../../../src/ledger/peer-ledger.js';
import { PrefetchedState, type CommittedBlockUpdates } from '../../../../src/peer/validation/prefetched-state.js';
import type { TxRwSet } from '../../../../src/protos/rwset.js';
import { MemoryKvStore } from '../../../../src/storage/memory-kv-store.js';
import { syntheticCommit, type TxSpec } from '../../../helpers/ledger-reference.js';

/**
 * PrefetchedState: the committed state a block's MVCC reads, fetched in one getStates round trip,
 * and brought forward over blocks the ledger committed after it was fetched (the committer
 * prefetches block N+1 while block N commits).
 */

/** A StateReader over a map that counts its calls. */
class CountingState implements StateReader {
  readonly calls = { getState: 0, getStates: 0, rangeScan: 0 };
  readonly asked: string[][] = [];
  constructor(private readonly data: Map<string, VersionedValue>) {}
  async getState(namespace: string, key: string): Promise<VersionedValue | undefined> {
    this.calls.getState++;
    return this.data.get(`${namespace}/${key}`);
  }
  async getStates(refs: ReadonlyArray<{ readonly namespace: string; readonly key: string }>): Promise<Array<VersionedValue | undefined>> {
    this.calls.getStates++;
    this.asked.push(refs.map((r) => `${r.namespace}/${r.key}`));
    return refs.map((r) => this.data.get(`${r.namespace}/${r.key}`));
  }
  async *rangeScan(_namespace: string, _startKey: string, _endKey: string): AsyncIterable<{ key: string; version: { blockNum: number; txNum: number } }> {
    this.calls.rangeScan++;
    yield { key: 'r', version: { blockNum: 1, txNum: 0 } };
  }
}

const value = (v: string, blockNum: number, txNum: number, metadata?: Uint8Array): VersionedValue => ({ value: utf8(v), version: { blockNum, txNum }, ...(metadata === undefined ? {} : { metadata }) });

function rwset(namespace: string, reads: string[], writes: string[], metadataWrites: string[] = []): TxRwSet {
  return {
    nsRwsets: [
      {
        namespace,
        collectionHashedRwsetCount: 0,
        rwset: { reads: reads.map((key) => ({ key, version: undefined })), rangeQueriesInfo: [], writes: writes.map((key) => ({ key, isDelete: false, value: utf8('v') })), metadataWrites: metadataWrites.map((key) => ({ key, entries: [] })) },
      },
    ],
  } as unknown as TxRwSet;
}

describe('PrefetchedState.fetch and over', () => {
  it('reads every key the rwsets read, write or write metadata of, once, in one getStates', async () => {
    const state = new CountingState(new Map([['basic/a', value('A', 1, 0)]]));
    const known = await PrefetchedState.fetch(state, [rwset('basic', ['a', 'b'], ['a', 'c']), rwset('basic', ['b'], [], ['d']), rwset('other', ['a'], [])]);
    expect(state.calls).toEqual({ getState: 0, getStates: 1, rangeScan: 0 });
    expect(state.asked).toEqual([['basic/a', 'basic/b', 'basic/c', 'basic/d', 'other/a']]);
    expect(known.size).toBe(5);
    const prefetched = PrefetchedState.over(state, [known]);
    expect(await prefetched.getState('basic', 'a')).toEqual(value('A', 1, 0));
    expect(await prefetched.getState('basic', 'b')).toBeUndefined(); // known absent: not asked again
    expect(state.calls.getState).toBe(0);
    expect(await prefetched.getState('basic', 'zzz')).toBeUndefined(); // not prefetched: asked
    expect(state.calls.getState).toBe(1);
    for await (const _ of prefetched.rangeScan('basic', 'a', 'z')) void _;
    expect(state.calls.rangeScan).toBe(1);
  });

  it('prefetches nothing without getStates or without keys, and then is the state itself', async () => {
    const state = new CountingState(new Map());
    const withoutBulk: StateReader = { getState: (ns, k) => state.getState(ns, k), rangeScan: (ns, s, e) => state.rangeScan(ns, s, e) };
    expect((await PrefetchedState.fetch(withoutBulk, [rwset('basic', ['a'], ['b'])])).size).toBe(0);
    expect((await PrefetchedState.fetch(state, [rwset('basic', [], [])])).size).toBe(0);
    expect(state.calls.getStates).toBe(0);
    expect(PrefetchedState.over(state, [new Map(), new Map()])).toBe(state);
  });

  it('joins the answers of several fetches (the slices of one block)', async () => {
    const state = new CountingState(new Map([['basic/a', value('A', 1, 0)], ['basic/b', value('B', 2, 0)]]));
    const [one, two] = await Promise.all([PrefetchedState.fetch(state, [rwset('basic', ['a'], [])]), PrefetchedState.fetch(state, [rwset('basic', ['b'], [])])]);
    const prefetched = PrefetchedState.over(state, [one, two]);
    expect(await prefetched.getState('basic', 'a')).toEqual(value('A', 1, 0));
    expect(await prefetched.getState('basic', 'b')).toEqual(value('B', 2, 0));
    expect(state.calls.getState).toBe(0);
  });
});

describe('PrefetchedState.over with blocks committed since the fetch', () => {
  const META = utf8('m1');
  const META2 = utf8('m2');
  const tx = (txNum: number, code: CommittedTransaction['code'], updates: CommittedTransaction['updates']): CommittedTransaction => ({ txId: `t${txNum}`, txNum, code, updates });

  it('applies put, delete and metadata updates of VALID transactions in order, to prefetched keys only', async () => {
    const state = new CountingState(new Map([['basic/a', value('A', 1, 0)], ['basic/b', value('B', 1, 1, META)], ['basic/m', value('M', 1, 2)]]));
    const known = await PrefetchedState.fetch(state, [rwset('basic', ['a', 'b', 'm', 'n', 'x'], [])]);
    const since: CommittedBlockUpdates[] = [
      {
        blockNumber: 2,
        transactions: [
          tx(0, 'VALID', [{ kind: 'put', namespace: 'basic', key: 'a', value: utf8('A2') }]),
          tx(1, 'MVCC_READ_CONFLICT', [{ kind: 'delete', namespace: 'basic', key: 'b' }]), // not VALID: ignored
          tx(2, 'VALID', [{ kind: 'metadata', namespace: 'basic', key: 'm', metadata: META }]),
          tx(3, 'VALID', [{ kind: 'metadata', namespace: 'basic', key: 'n', metadata: META }]), // n does not exist: ignored
          tx(4, 'VALID', [{ kind: 'put', namespace: 'basic', key: 'unfetched', value: utf8('U') }]),
        ],
      },
      {
        blockNumber: 3,
        transactions: [
          tx(0, 'VALID', [{ kind: 'delete', namespace: 'basic', key: 'b' }]),
          tx(1, 'VALID', [{ kind: 'put', namespace: 'basic', key: 'x', value: utf8('X'), metadata: META2 }]),
        ],
      },
    ];
    const prefetched = PrefetchedState.over(state, [known], since);
    expect(await prefetched.getState('basic', 'a')).toEqual(value('A2', 2, 0));
    expect(await prefetched.getState('basic', 'b')).toBeUndefined();
    expect(await prefetched.getState('basic', 'm')).toEqual(value('M', 2, 2, META));
    expect(await prefetched.getState('basic', 'n')).toBeUndefined();
    expect(await prefetched.getState('basic', 'x')).toEqual(value('X', 3, 1, META2));
    expect(state.calls.getState).toBe(0);
    await prefetched.getState('basic', 'unfetched'); // not prefetched: the live state answers
    expect(state.calls.getState).toBe(1);
  });

  it('gives what the ledger answers after the blocks, whether the fetch saw them or not (real PeerLedger)', async () => {
    const ledger = await PeerLedger.open(new MemoryKvStore());
    const put = (key: string, v: string, metadata?: Uint8Array) => ({ kind: 'put' as const, namespace: 'basic', key, value: utf8(v), ...(metadata === undefined ? {} : { metadata }) });
    const specs: TxSpec[][] = [
      [{ txId: 'g', code: 'VALID', updates: [] }],
      [{ txId: 'b1', code: 'VALID', updates: [put('a', 'A'), put('b', 'B', META), put('c', 'C')] }],
      [
        { txId: 'b2-0', code: 'VALID', updates: [{ kind: 'metadata', namespace: 'basic', key: 'p', metadata: META }] }, // p absent yet: ignored
        { txId: 'b2-1', code: 'VALID', updates: [put('p', 'P')] },
        { txId: 'b2-2', code: 'VALID', updates: [{ kind: 'metadata', namespace: 'basic', key: 'a', metadata: META2 }, { kind: 'delete', namespace: 'basic', key: 'b' }] },
        { txId: 'b2-3', code: 'ENDORSEMENT_POLICY_FAILURE', updates: [] },
      ],
      [
        { txId: 'b3-0', code: 'VALID', updates: [put('b', 'B again'), { kind: 'metadata', namespace: 'basic', key: 'p', metadata: META2 }] },
        { txId: 'b3-1', code: 'VALID', updates: [put('a', 'A3')] },
      ],
    ];
    const commits: CommittedBlockUpdates[] = [];
    let previous: Uint8Array = new Uint8Array();
    const keys = rwset('basic', ['a', 'b', 'c', 'p', 'q'], []);
    const fetchedAt: Array<ReadonlyMap<string, VersionedValue | undefined>> = [];
    for (const [number, txs] of specs.entries()) {
      fetchedAt.push(await PrefetchedState.fetch(ledger, [keys]));
      const c = syntheticCommit(number, previous, txs);
      await ledger.commit(c);
      commits.push({ blockNumber: number, transactions: c.transactions });
      previous = c.headerHash;
    }
    const truth = await Promise.all(['a', 'b', 'c', 'p', 'q'].map((k) => ledger.getState('basic', k)));
    // A fetch at every height, brought forward over the blocks after it (and, again, over blocks it already saw).
    for (let h = 0; h < specs.length; h++) {
      for (const from of [h, Math.max(0, h - 1), 0]) {
        const prefetched = PrefetchedState.over(ledger, [fetchedAt[h]!], commits.slice(from));
        const seen = await Promise.all(['a', 'b', 'c', 'p', 'q'].map((k) => prefetched.getState('basic', k)));
        expect(seen.map((v) => v && { ...v, value: [...v.value], metadata: v.metadata && [...v.metadata] })).toEqual(truth.map((v) => v && { ...v, value: [...v.value], metadata: v.metadata && [...v.metadata] }));
      }
    }
  });
});
