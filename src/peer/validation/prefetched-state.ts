import type { StateReader, VersionedValue } from '../../ledger/ledger-types.js';
import type { TxRwSet } from '../../protos/rwset.js';

/**
 * The committed state a block's MVCC check and write merging will read, fetched in one store round
 * trip (StateReader.getStates) while the block's signatures verify, instead of one read per key
 * after them: Fabric's validator likewise bulk-loads the versions of a block's read set
 * (preLoadCommittedVersionOfRSet) before validating it.
 *
 * Contract: getState answers exactly as the underlying StateReader would for the committed state
 * the block is validated against (the ledger does not change while a block validates: the
 * committer commits one block at a time); keys not prefetched, and range scans, go to it.
 */
export class PrefetchedState implements StateReader {
  private constructor(
    private readonly state: StateReader,
    private readonly known: ReadonlyMap<string, VersionedValue | undefined>,
  ) {}

  /**
   * Reads every key that `rwsets` read, write or write metadata of, in one getStates round trip
   * (several calls may prefetch parts of one block; `over` joins them). Without getStates on
   * `state` nothing is prefetched and every read goes to `state`.
   */
  static async fetch(state: StateReader, rwsets: readonly TxRwSet[]): Promise<ReadonlyMap<string, VersionedValue | undefined>> {
    const known = new Map<string, VersionedValue | undefined>();
    if (state.getStates === undefined) return known;
    const refs = new Map<string, { readonly namespace: string; readonly key: string }>();
    const want = (namespace: string, key: string): void => {
      const id = stateId(namespace, key);
      if (!refs.has(id)) refs.set(id, { namespace, key });
    };
    for (const rwset of rwsets) {
      for (const ns of rwset.nsRwsets) {
        for (const read of ns.rwset.reads) want(ns.namespace, read.key);
        for (const write of ns.rwset.writes) want(ns.namespace, write.key);
        for (const write of ns.rwset.metadataWrites) want(ns.namespace, write.key);
      }
    }
    if (refs.size === 0) return known;
    const values = await state.getStates([...refs.values()]);
    let i = 0;
    for (const id of refs.keys()) known.set(id, values[i++]);
    return known;
  }

  /** `state` with the answers of `fetched` (results of fetch over the same state) in front of it. */
  static over(state: StateReader, fetched: ReadonlyArray<ReadonlyMap<string, VersionedValue | undefined>>): StateReader {
    const nonEmpty = fetched.filter((m) => m.size > 0);
    if (nonEmpty.length === 0) return state;
    const known = nonEmpty.length === 1 ? nonEmpty[0]! : new Map(nonEmpty.flatMap((m) => [...m]));
    return new PrefetchedState(state, known);
  }

  getState(namespace: string, key: string): Promise<VersionedValue | undefined> {
    const id = stateId(namespace, key);
    if (this.known.has(id)) return Promise.resolve(this.known.get(id));
    return this.state.getState(namespace, key);
  }

  rangeScan(namespace: string, startKey: string, endKey: string): AsyncIterable<{ readonly key: string; readonly version: { readonly blockNum: number; readonly txNum: number } }> {
    return this.state.rangeScan(namespace, startKey, endKey);
  }
}

const stateId = (namespace: string, key: string): string => `${namespace}\u0000${key}`;
