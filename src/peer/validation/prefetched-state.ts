import type { CommittedTransaction, StateReader, VersionedValue } from '../../ledger/ledger-types.js';
import type { TxRwSet } from '../../protos/rwset.js';

/**
 * The committed state a block's MVCC check and write merging will read, fetched in one store round
 * trip (StateReader.getStates) while the block's signatures verify, instead of one read per key
 * after them: Fabric's validator likewise bulk-loads the versions of a block's read set
 * (preLoadCommittedVersionOfRSet) before validating it.
 *
 * Contract: getState answers exactly as the underlying StateReader would for the committed state
 * the block is validated against: the block before it. The committer prefetches a block while
 * earlier blocks are still committing, so `over` brings the answers forward over the blocks
 * committed since they were asked. Keys not prefetched, and range scans, go to the underlying
 * StateReader, which by then is at the block before (the committer settles blocks in order).
 */

/** A committed block's transactions, as the ledger applied them (only VALID ones change state). */
export interface CommittedBlockUpdates {
  readonly blockNumber: number;
  readonly transactions: readonly CommittedTransaction[];
}
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

  /**
   * `state` with the answers of `fetched` (results of fetch over the same state) in front of it,
   * brought forward over `committedSince`: blocks the ledger committed after the fetch was asked,
   * in block order, whose updates the answers may or may not include. Each prefetched key gets
   * those blocks' updates of VALID transactions applied as the ledger applies them (PeerLedger:
   * a put sets value, metadata or none, and version; a delete removes the key; a metadata update
   * rewrites metadata and version of a key that exists, and is ignored otherwise). Applying a
   * block's updates to a state that already includes them gives that state again, so the result
   * is the state after the last of them either way.
   */
  static over(state: StateReader, fetched: ReadonlyArray<ReadonlyMap<string, VersionedValue | undefined>>, committedSince: ReadonlyArray<CommittedBlockUpdates> = []): StateReader {
    const nonEmpty = fetched.filter((m) => m.size > 0);
    if (nonEmpty.length === 0) return state;
    if (committedSince.length === 0) {
      const known = nonEmpty.length === 1 ? nonEmpty[0]! : new Map(nonEmpty.flatMap((m) => [...m]));
      return new PrefetchedState(state, known);
    }
    const known = new Map(nonEmpty.flatMap((m) => [...m]));
    for (const block of committedSince) {
      for (const tx of block.transactions) {
        if (tx.code !== 'VALID') continue;
        const version = { blockNum: block.blockNumber, txNum: tx.txNum };
        for (const u of tx.updates) {
          const id = stateId(u.namespace, u.key);
          if (!known.has(id)) continue;
          switch (u.kind) {
            case 'put':
              known.set(id, u.metadata === undefined ? { value: u.value, version } : { value: u.value, version, metadata: u.metadata });
              break;
            case 'delete':
              known.set(id, undefined);
              break;
            case 'metadata': {
              const existing = known.get(id);
              if (existing !== undefined) known.set(id, { value: existing.value, version, metadata: u.metadata });
              break;
            }
          }
        }
      }
    }
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
