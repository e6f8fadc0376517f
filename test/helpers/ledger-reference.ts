/**
 * An independent reference for the peer ledger's tests (unit and the SIGKILL integration test):
 * - synthetic blocks whose envelopes are JSON descriptions of their CommittedTransactions, so a
 *   BlockCommit can be rebuilt from the stored block bytes alone (`commitFromBlock`);
 * - a plain in-memory model of world state, history and tx-id index (`ReferenceLedger`);
 * - the state hash recomputed from the encoding documented in src/ledger/state-hash.ts, written
 *   here without the ledger's ByteWriter (`referenceStateHash`).
 */
import { createHash } from 'node:crypto';
import type { BlockCommit, CommittedTransaction, Height, StateUpdate } from '../../src/ledger/ledger-types.js';
import { BlockMetadataSlot, blockDataHash, blockHeaderHash, buildBlock, parseBlock } from '../../src/protos/block.js';
import { TxValidationCode } from '../../src/protos/tx-validation-code.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

interface JsonUpdate {
  kind: StateUpdate['kind'];
  namespace: string;
  key: string;
  value?: string;
  metadata?: string;
}

function toJson(tx: CommittedTransaction): string {
  const updates: JsonUpdate[] = tx.updates.map((u) => {
    const j: JsonUpdate = { kind: u.kind, namespace: u.namespace, key: u.key };
    if (u.kind === 'put') j.value = hex(u.value);
    if (u.kind !== 'delete' && u.metadata !== undefined) j.metadata = hex(u.metadata);
    return j;
  });
  return JSON.stringify({ txId: tx.txId, txNum: tx.txNum, code: tx.code, updates });
}

function fromJson(text: string): CommittedTransaction {
  const j = JSON.parse(text) as { txId: string; txNum: number; code: CommittedTransaction['code']; updates: JsonUpdate[] };
  const updates = j.updates.map((u): StateUpdate => {
    if (u.kind === 'put') return u.metadata === undefined ? { kind: 'put', namespace: u.namespace, key: u.key, value: unhex(u.value!) } : { kind: 'put', namespace: u.namespace, key: u.key, value: unhex(u.value!), metadata: unhex(u.metadata) };
    if (u.kind === 'delete') return { kind: 'delete', namespace: u.namespace, key: u.key };
    return { kind: 'metadata', namespace: u.namespace, key: u.key, metadata: unhex(u.metadata!) };
  });
  return { txId: j.txId, txNum: j.txNum, code: j.code, updates };
}

/** Transactions without txNum: their position is their index. */
export type TxSpec = Omit<CommittedTransaction, 'txNum'>;

/** A block (real common.Block bytes) carrying `txs` as JSON envelopes, and its BlockCommit. */
export function syntheticCommit(number: number, previousHash: Uint8Array, txs: readonly TxSpec[]): BlockCommit & { headerHash: Uint8Array } {
  const transactions = txs.map((t, txNum): CommittedTransaction => ({ ...t, txNum }));
  const data = transactions.map((t) => new TextEncoder().encode(toJson(t)));
  const header = { number, previousHash, dataHash: blockDataHash(data) };
  const metadata: Uint8Array[] = [new Uint8Array(), new Uint8Array(), new Uint8Array(), new Uint8Array(), new Uint8Array()];
  metadata[BlockMetadataSlot.TRANSACTIONS_FILTER] = Uint8Array.from(transactions.map((t) => TxValidationCode[t.code]));
  return { blockBytes: buildBlock({ header, data, metadata }), blockNumber: number, transactions, headerHash: blockHeaderHash(header) };
}

/** The BlockCommit a synthetic block was committed with, read back from its bytes. */
export function commitFromBlock(blockBytes: Uint8Array): BlockCommit {
  const block = parseBlock(blockBytes);
  return { blockBytes, blockNumber: block.header.number, transactions: block.data.map((d) => fromJson(new TextDecoder().decode(d))) };
}

/** The header hash of a synthetic block (the next block's previous_hash). */
export function headerHashOf(blockBytes: Uint8Array): Uint8Array {
  return blockHeaderHash(parseBlock(blockBytes).header);
}

// ---- state hash, straight from the documentation in src/ledger/state-hash.ts -----------------

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

function lp(x: Uint8Array | string): Buffer {
  const bytes = typeof x === 'string' ? Buffer.from(x, 'utf8') : Buffer.from(x);
  return Buffer.concat([u32(bytes.length), bytes]);
}

export function referenceUpdateBytes(commit: BlockCommit): Buffer {
  const valid = commit.transactions.filter((t) => t.code === 'VALID');
  const parts: Buffer[] = [u64(commit.blockNumber), u32(valid.length)];
  for (const tx of valid) {
    parts.push(u32(tx.txNum), u32(tx.updates.length));
    for (const u of tx.updates) {
      if (u.kind === 'put') {
        parts.push(Buffer.of(1), lp(u.namespace), lp(u.key), lp(u.value));
        parts.push(u.metadata === undefined ? Buffer.of(0) : Buffer.concat([Buffer.of(1), lp(u.metadata)]));
      } else if (u.kind === 'delete') {
        parts.push(Buffer.of(2), lp(u.namespace), lp(u.key));
      } else {
        parts.push(Buffer.of(3), lp(u.namespace), lp(u.key), lp(u.metadata));
      }
    }
  }
  return Buffer.concat(parts);
}

export function referenceStateHash(previous: Uint8Array, commit: BlockCommit): Uint8Array {
  return new Uint8Array(createHash('sha256').update(previous).update(referenceUpdateBytes(commit)).digest());
}

// ---- the ledger as plain maps -----------------------------------------------------------------

export interface RefValue {
  value: Uint8Array;
  version: Height;
  metadata?: Uint8Array;
}

export interface RefHistory {
  txId: string;
  blockNum: number;
  txNum: number;
  isDelete: boolean;
  value: Uint8Array;
}

export class ReferenceLedger {
  /** namespace → key → value */
  readonly state = new Map<string, Map<string, RefValue>>();
  /** `${namespace}\u0000${key}` → entries, oldest first */
  readonly history = new Map<string, RefHistory[]>();
  readonly txIndex = new Map<string, { blockNum: number; txNum: number; code: string }>();
  /** stateHashes[h] = stateHash(h) */
  readonly stateHashes: Uint8Array[] = [new Uint8Array(32)];

  apply(commit: BlockCommit): void {
    const blockNum = commit.blockNumber;
    for (const tx of commit.transactions) {
      if (tx.txId !== '' && !this.txIndex.has(tx.txId)) this.txIndex.set(tx.txId, { blockNum, txNum: tx.txNum, code: tx.code });
      if (tx.code !== 'VALID') continue;
      const version = { blockNum, txNum: tx.txNum };
      for (const u of tx.updates) {
        let ns = this.state.get(u.namespace);
        if (ns === undefined) this.state.set(u.namespace, (ns = new Map()));
        const id = `${u.namespace}\u0000${u.key}`;
        if (u.kind === 'put') {
          ns.set(u.key, u.metadata === undefined ? { value: u.value, version } : { value: u.value, version, metadata: u.metadata });
          this.addHistory(id, { txId: tx.txId, blockNum, txNum: tx.txNum, isDelete: false, value: u.value });
        } else if (u.kind === 'delete') {
          ns.delete(u.key);
          this.addHistory(id, { txId: tx.txId, blockNum, txNum: tx.txNum, isDelete: true, value: new Uint8Array() });
        } else {
          const existing = ns.get(u.key);
          if (existing !== undefined) ns.set(u.key, { value: existing.value, version, metadata: u.metadata });
        }
      }
    }
    this.stateHashes.push(referenceStateHash(this.stateHashes[this.stateHashes.length - 1]!, commit));
  }

  private addHistory(id: string, entry: RefHistory): void {
    const list = this.history.get(id) ?? [];
    const last = list[list.length - 1];
    // Two updates of one key in one transaction: one entry, the last write.
    if (last !== undefined && last.blockNum === entry.blockNum && last.txNum === entry.txNum) list[list.length - 1] = entry;
    else list.push(entry);
    this.history.set(id, list);
  }

  /** A namespace's keys in bytewise UTF-8 order, with their values. */
  sortedState(namespace: string): Array<{ key: string; value: RefValue }> {
    const ns = this.state.get(namespace) ?? new Map<string, RefValue>();
    return [...ns.entries()].sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))).map(([key, value]) => ({ key, value }));
  }
}
