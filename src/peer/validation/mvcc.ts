import type { Height, StateReader, StateUpdate } from '../../ledger/ledger-types.js';
import type { KvRead, KvRwSet, RangeQueryInfo, TxRwSet } from '../../protos/rwset.js';
import type { TxValidationCodeName } from '../../protos/tx-validation-code.js';
import { compareKeys, keyInRange } from './key-order.js';
import { serializeStateMetadata } from './state-metadata.js';
import { keyName, shortTxId, versionText } from './tx-outcome.js';

/**
 * Fabric's state validation (core/ledger/kvledger/txmgmt/validation/validator.go): the MVCC and
 * phantom-read checks that run, in block order, over the transactions the committer's validator
 * left VALID, against the committed state plus the writes of the earlier VALID transactions of the
 * same block (Fabric's update batch). Then the write set of each VALID transaction becomes its
 * StateUpdates (tx_ops.go).
 */

/** A key's value and metadata after a write; undefined = deleted. */
export interface KeyState {
  readonly value: Uint8Array;
  readonly metadata?: Uint8Array;
}

/** A write by an earlier VALID transaction of the block being validated. */
export interface InBlockWrite {
  readonly txId: string;
  readonly txNum: number;
  readonly state: KeyState | undefined;
}

/** Fabric's publicUpdates batch: the block's VALID writes so far, by namespace and key. */
export class InBlockUpdates {
  private readonly byNamespace = new Map<string, Map<string, InBlockWrite>>();

  constructor(readonly blockNum: number) {}

  get(namespace: string, key: string): InBlockWrite | undefined {
    return this.byNamespace.get(namespace)?.get(key);
  }

  set(namespace: string, key: string, write: InBlockWrite): void {
    let keys = this.byNamespace.get(namespace);
    if (keys === undefined) {
      keys = new Map();
      this.byNamespace.set(namespace, keys);
    }
    keys.set(key, write);
  }

  /** The writes to keys of `namespace` within the range (see keyInRange). */
  inRange(namespace: string, startKey: string, endKey: string, includeEndKey: boolean): Array<{ readonly key: string; readonly write: InBlockWrite }> {
    const keys = this.byNamespace.get(namespace);
    if (keys === undefined) return [];
    return [...keys].filter(([key]) => keyInRange(key, startKey, endKey, includeEndKey)).map(([key, write]) => ({ key, write }));
  }

  /** The version a key gets from an in-block write (the writing transaction's height). */
  versionOf(write: InBlockWrite): Height {
    return { blockNum: this.blockNum, txNum: write.txNum };
  }
}

export interface StateConflict {
  readonly code: Extract<TxValidationCodeName, 'MVCC_READ_CONFLICT' | 'PHANTOM_READ_CONFLICT' | 'INVALID_OTHER_REASON'>;
  readonly detail: string;
}

const RESUBMIT = 'submit the transaction again so that it is endorsed against the current state';

/**
 * The first conflict of the read set, in Fabric's order: per namespace, the plain reads
 * (MVCC_READ_CONFLICT), then the range queries (PHANTOM_READ_CONFLICT). Undefined when none.
 */
export async function findStateConflict(rwset: TxRwSet, state: StateReader, updates: InBlockUpdates): Promise<StateConflict | undefined> {
  for (const ns of rwset.nsRwsets) {
    for (const read of ns.rwset.reads) {
      const conflict = await checkRead(ns.namespace, read, state, updates);
      if (conflict !== undefined) return { code: 'MVCC_READ_CONFLICT', detail: conflict };
    }
    for (const query of ns.rwset.rangeQueriesInfo) {
      const conflict = await checkRangeQuery(ns.namespace, query, state, updates);
      if (conflict !== undefined) return conflict;
    }
  }
  return undefined;
}

/** Fabric's validateKVRead: a key written earlier in the block conflicts whatever its version; otherwise the committed version must equal the read one. */
async function checkRead(namespace: string, read: KvRead, state: StateReader, updates: InBlockUpdates): Promise<string | undefined> {
  const name = keyName(namespace, read.key);
  const readAs = read.version === undefined ? `read ${name} as absent` : `read ${name} at version ${versionText(read.version)}`;
  const inBlock = updates.get(namespace, read.key);
  if (inBlock !== undefined) {
    const what = inBlock.state === undefined ? 'deleted' : 'wrote';
    return `${readAs}, but tx ${shortTxId(inBlock.txId)} (#${inBlock.txNum} earlier in this block) ${what} it; ${RESUBMIT}`;
  }
  const committed = await state.getState(namespace, read.key);
  if (sameVersion(committed?.version, read.version)) return undefined;
  const ledger = committed === undefined ? 'the ledger no longer has the key (it was deleted)' : `the ledger has ${versionText(committed.version)}`;
  return `${readAs}, but ${ledger}; ${RESUBMIT}`;
}

/** One key of a range as it is now: committed, or written earlier in the block. */
interface RangeEntry {
  readonly key: string;
  readonly version: Height;
  /** The in-block writer, when the entry comes from the block. */
  readonly writer: string | undefined;
}

/**
 * Fabric's validateRangeQuery with the raw-reads validator: re-runs the range over committed state
 * merged with the block's earlier writes (combined_iterator.go) and compares it, key by key and
 * version by version, with what the simulation saw. When the chaincode stopped iterating before
 * the end (itrExhausted false), endKey is the last key it saw and is included.
 */
async function checkRangeQuery(namespace: string, query: RangeQueryInfo, state: StateReader, updates: InBlockUpdates): Promise<StateConflict | undefined> {
  const includeEndKey = !query.itrExhausted;
  const range = `range ${namespace}/[${JSON.stringify(query.startKey)}, ${query.endKey === '' ? 'end' : JSON.stringify(query.endKey)}${includeEndKey ? ']' : ')'}`;
  if (query.readsMerkleHashes !== undefined) {
    return {
      code: 'INVALID_OTHER_REASON',
      detail: `${range} was recorded as merkle hashes of its reads, which fabsim's validator does not support (fabsim's chaincode runtime records raw reads); ${RESUBMIT} through a fabsim peer`,
    };
  }
  const now = new Map<string, RangeEntry>();
  for await (const { key, version } of state.rangeScan(namespace, query.startKey, query.endKey)) now.set(key, { key, version, writer: undefined });
  if (includeEndKey && query.endKey !== '') {
    const end = await state.getState(namespace, query.endKey);
    if (end !== undefined) now.set(query.endKey, { key: query.endKey, version: end.version, writer: undefined });
  }
  const deletedBy = new Map<string, string>();
  for (const { key, write } of updates.inRange(namespace, query.startKey, query.endKey, includeEndKey)) {
    if (write.state === undefined) {
      now.delete(key);
      deletedBy.set(key, write.txId);
    } else {
      now.set(key, { key, version: updates.versionOf(write), writer: write.txId });
    }
  }
  const results = [...now.values()].sort((a, b) => compareKeys(a.key, b.key));
  const reads = query.rawReads ?? [];
  const phantom = (what: string): StateConflict => ({ code: 'PHANTOM_READ_CONFLICT', detail: `${range} saw ${reads.length} key(s) when simulated, but now ${what}; ${RESUBMIT}` });
  const source = (entry: RangeEntry): string => (entry.writer === undefined ? `committed at ${versionText(entry.version)}` : `written by tx ${shortTxId(entry.writer)} earlier in this block`);
  const gone = (read: KvRead): StateConflict => {
    const by = deletedBy.get(read.key);
    return phantom(`${keyName(namespace, read.key)} (read at ${versionText(read.version)}) is gone${by === undefined ? ' from the ledger' : ` (deleted by tx ${shortTxId(by)} earlier in this block)`}`);
  };
  for (let i = 0; i < reads.length; i++) {
    const read = reads[i]!;
    const result = results[i];
    if (result === undefined) return gone(read);
    const order = compareKeys(result.key, read.key);
    if (order < 0) return phantom(`${keyName(namespace, result.key)} appeared in it (${source(result)})`);
    if (order > 0) return gone(read);
    if (!sameVersion(result.version, read.version)) {
      return phantom(`${keyName(namespace, read.key)} changed from ${versionText(read.version)} to ${versionText(result.version)} (${source(result)})`);
    }
  }
  const extra = results[reads.length];
  if (extra !== undefined) return phantom(`${keyName(namespace, extra.key)} appeared in it (${source(extra)})`);
  return undefined;
}

function sameVersion(a: Height | undefined, b: Height | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.blockNum === b.blockNum && a.txNum === b.txNum;
}

/** What one VALID transaction changes: the StateUpdates for the ledger and the key states for InBlockUpdates. */
export interface TxWrites {
  readonly updates: readonly StateUpdate[];
  readonly keys: ReadonlyArray<{ readonly namespace: string; readonly key: string; readonly state: KeyState | undefined }>;
}

/**
 * Fabric's prepareTxOps: turns a write set into the final state of each key it touches.
 * - a delete removes the key (and its metadata);
 * - a value write keeps the key's latest metadata unless the transaction also writes metadata
 *   (Fabric merges the committed metadata into a value-only update);
 * - a metadata write (empty entries = remove the metadata) keeps the key's latest value, and is
 *   dropped when the key does not exist.
 * "Latest" is the block's earlier writes, else the committed state. Every non-delete becomes a
 * `put` with the key's full value and metadata, as Fabric's PutValAndMetadata does.
 */
export async function writesOf(rwset: TxRwSet, state: StateReader, updates: InBlockUpdates): Promise<TxWrites> {
  const out: StateUpdate[] = [];
  const keys: Array<{ namespace: string; key: string; state: KeyState | undefined }> = [];
  for (const ns of rwset.nsRwsets) {
    for (const [key, op] of keyOps(ns.rwset)) {
      const namespace = ns.namespace;
      if (op.delete) {
        out.push({ kind: 'delete', namespace, key });
        keys.push({ namespace, key, state: undefined });
        continue;
      }
      let value = op.value;
      let metadata: Uint8Array | undefined;
      if (op.metadata !== undefined) {
        metadata = op.metadata.length > 0 ? op.metadata : undefined;
      }
      if (value === undefined || op.metadata === undefined) {
        const latest = await latestState(namespace, key, state, updates);
        if (value === undefined) {
          if (latest === undefined) continue; // metadata for a key that does not exist: a no-op, as in Fabric
          value = latest.value;
        } else {
          metadata = latest?.metadata;
        }
      }
      out.push(metadata === undefined ? { kind: 'put', namespace, key, value } : { kind: 'put', namespace, key, value, metadata });
      keys.push({ namespace, key, state: metadata === undefined ? { value } : { value, metadata } });
    }
  }
  return { updates: out, keys };
}

interface KeyOp {
  delete: boolean;
  value: Uint8Array | undefined;
  /** Serialized metadata; empty = remove the metadata; undefined = not written. */
  metadata: Uint8Array | undefined;
}

/** Fabric's txOps for one namespace: writes first, then metadata writes, merged per key (first-touch order). */
function keyOps(set: KvRwSet): Map<string, KeyOp> {
  const ops = new Map<string, KeyOp>();
  const entry = (key: string): KeyOp => {
    let op = ops.get(key);
    if (op === undefined) {
      op = { delete: false, value: undefined, metadata: undefined };
      ops.set(key, op);
    }
    return op;
  };
  for (const write of set.writes) {
    const op = entry(write.key);
    if (write.isDelete) op.delete = true;
    else op.value = write.value;
  }
  for (const write of set.metadataWrites) {
    entry(write.key).metadata = write.entries.length === 0 ? new Uint8Array() : serializeStateMetadata(write.entries);
  }
  return ops;
}

async function latestState(namespace: string, key: string, state: StateReader, updates: InBlockUpdates): Promise<KeyState | undefined> {
  const inBlock = updates.get(namespace, key);
  if (inBlock !== undefined) return inBlock.state;
  const committed = await state.getState(namespace, key);
  if (committed === undefined) return undefined;
  return committed.metadata === undefined ? { value: committed.value } : { value: committed.value, metadata: committed.metadata };
}
