import type { Height } from '../../ledger/ledger-types.js';
import type { KvRead, KvWrite, NsRwSet, RangeQueryInfo, TxRwSet } from '../../protos/rwset.js';
import { compareKeys } from '../validation/key-order.js';

/**
 * What one transaction's simulation read and wrote, per namespace (Fabric's rwsetutil.RWSetBuilder),
 * and the TxRwSet it becomes. The rules:
 * - reads: the first read of a key wins (its committed version, or none when absent); within
 *   one simulation every read of a key sees the same committed state, except when a block commits
 *   mid-simulation, and then the first read is what the chaincode based itself on (a later,
 *   different version makes the transaction fail MVCC anyway);
 * - writes and deletes: the last one per key wins;
 * - metadata writes: merged per key, entry by entry, the last value per name winning (Fabric's
 *   handler replaces the key's whole metadata map with the one entry of each PutStateMetadata;
 *   merging keeps every name the transaction set, which is the same for the one name Fabric uses,
 *   VALIDATION_PARAMETER);
 * - range queries: one RangeQueryInfo per (startKey, endKey, itrExhausted), the first kept, as
 *   Fabric's AddToRangeQuerySet.
 * A namespace appears once something is recorded in it (as the builder creates it lazily).
 *
 * `build` sorts everything so that equal recordings give byte-identical rwsets whatever the order
 * of the chaincode's calls: namespaces by name, reads, writes and metadata writes by key, metadata
 * entries by name (as Fabric's builder), and range queries by (startKey, endKey, itrExhausted)
 * (Fabric keeps them in the order the iterators were opened; the validator checks each
 * independently, so only which conflict is reported first can differ). Keys compare in UTF-8
 * byte order (key-order.ts).
 */
export class RwSetRecorder {
  private readonly namespaces = new Map<string, NamespaceRecord>();

  read(namespace: string, key: string, version: Height | undefined): void {
    const ns = this.ns(namespace);
    if (!ns.reads.has(key)) ns.reads.set(key, version === undefined ? undefined : { blockNum: version.blockNum, txNum: version.txNum });
  }

  write(namespace: string, key: string, value: Uint8Array): void {
    this.ns(namespace).writes.set(key, { key, isDelete: false, value });
  }

  delete(namespace: string, key: string): void {
    this.ns(namespace).writes.set(key, { key, isDelete: true, value: new Uint8Array() });
  }

  metadata(namespace: string, key: string, name: string, value: Uint8Array): void {
    const writes = this.ns(namespace).metadata;
    let entries = writes.get(key);
    if (entries === undefined) writes.set(key, (entries = new Map()));
    entries.set(name, value);
  }

  rangeQuery(namespace: string, info: RangeQueryInfo): void {
    const ns = this.ns(namespace);
    const id = JSON.stringify([info.startKey, info.endKey, info.itrExhausted]);
    if (!ns.ranges.has(id)) ns.ranges.set(id, info);
  }

  build(): TxRwSet {
    const nsRwsets: NsRwSet[] = [...this.namespaces]
      .sort(([a], [b]) => compareKeys(a, b))
      .map(([namespace, ns]) => ({
        namespace,
        collectionHashedRwsetCount: 0,
        rwset: {
          reads: sortedByKey([...ns.reads].map(([key, version]): KvRead => ({ key, version }))),
          rangeQueriesInfo: [...ns.ranges.values()].sort(compareRanges),
          writes: sortedByKey([...ns.writes.values()]),
          metadataWrites: sortedByKey(
            [...ns.metadata].map(([key, entries]) => ({
              key,
              entries: [...entries].sort(([a], [b]) => compareKeys(a, b)).map(([name, value]) => ({ name, value })),
            })),
          ),
        },
      }));
    return { nsRwsets };
  }

  private ns(namespace: string): NamespaceRecord {
    let ns = this.namespaces.get(namespace);
    if (ns === undefined) {
      ns = { reads: new Map(), writes: new Map(), metadata: new Map(), ranges: new Map() };
      this.namespaces.set(namespace, ns);
    }
    return ns;
  }
}

interface NamespaceRecord {
  readonly reads: Map<string, KvRead['version']>;
  readonly writes: Map<string, KvWrite>;
  readonly metadata: Map<string, Map<string, Uint8Array>>;
  /** By JSON [startKey, endKey, itrExhausted]. */
  readonly ranges: Map<string, RangeQueryInfo>;
}

function sortedByKey<T extends { readonly key: string }>(items: T[]): T[] {
  return items.sort((a, b) => compareKeys(a.key, b.key));
}

function compareRanges(a: RangeQueryInfo, b: RangeQueryInfo): number {
  return compareKeys(a.startKey, b.startKey) || compareKeys(a.endKey, b.endKey) || Number(a.itrExhausted) - Number(b.itrExhausted);
}
