import { messageOf } from '../core/errors.js';
import { blockHeaderHash, parseBlock, type Block } from '../protos/block.js';
import { TxValidationCode } from '../protos/tx-validation-code.js';
import { prefixUpperBound } from '../storage/compare-bytes.js';
import type { KvBatchOp, KvStore } from '../storage/kv-store.js';
import { BlockStore } from './block-store.js';
import { LedgerError } from './ledger-error.js';
import { blockHashKey, historyKey, historyKeyPrefix, keyProblem, namespaceProblem, parseHistoryKeySuffix, stateHashKey, stateKey, stateNamespacePrefix, stateRange, txIdKey } from './ledger-keys.js';
import type { BlockCommit, ChainInfo, Height, LedgerQueries, StateReader, TransactionLocation, TxIdLookup, VersionedValue } from './ledger-types.js';
import { decodeBlockNumber, decodeHistoryRecord, decodeTxLocation, decodeVersion, decodeVersionedValue, encodeBlockNumber, encodeHistoryRecord, encodeTxLocation, encodeVersionedValue } from './ledger-values.js';
import { STATE_HASH_LENGTH, genesisStateHash, nextStateHash } from './state-hash.js';

/** One entry of a key's history (Fabric's GetHistoryForKey / historydb), oldest first. */
export interface HistoryEntry {
  readonly txId: string;
  readonly blockNum: number;
  readonly txNum: number;
  readonly isDelete: boolean;
  /** The value the transaction wrote; empty for a delete. */
  readonly value: Uint8Array;
}

/** A committed key with its value, as a range scan of the world state yields it. */
export interface StateEntry {
  readonly key: string;
  readonly value: VersionedValue;
}

/**
 * A peer's ledger for one channel (Fabric's kvledger): the block store, the versioned world state
 * (statedb), the history index (historydb), the tx-id index, the block-by-hash index and the
 * chained state hash (state-hash.ts), all in one KvStore the caller has already prefixed per
 * channel (prefixed-kv-store.ts). Record layout: ledger-keys.ts and ledger-values.ts.
 *
 * Contract:
 * - `commit` stores a block and everything derived from it in ONE atomic, synced batch, so after a
 *   crash the store holds either all of block N's records or none; commits run one at a time in
 *   call order. A block that is not the next one (BlockStoreError LEDGER_BLOCK_OUT_OF_ORDER /
 *   LEDGER_BLOCK_MALFORMED) or a BlockCommit that does not describe it (LEDGER_INVALID_COMMIT)
 *   throws and writes nothing.
 * - World state: a VALID transaction's put gives the key its value, the given metadata (or none)
 *   and the version {blockNum, txNum}; a delete removes key and metadata; a metadata update
 *   rewrites only the metadata (and the version) of a key that exists when it applies, and is
 *   ignored otherwise. Invalid transactions change nothing, but their txIds are indexed.
 * - History: one entry per (VALID transaction, key it put or deleted), like Fabric's historydb
 *   (which indexes writes, not metadata-only updates). Fabric's index stores only the key and
 *   (blockNum, txNum) and reads the value back from the block; this one stores txId, isDelete and
 *   the value in the entry, because the ledger does not parse transactions (the BlockCommit is the
 *   only place it sees the updates, and reading them back would tie the ledger to the rwset
 *   format and cost a block parse per entry). The price is each written value stored twice.
 * - Tx-id index: every transaction with a non-empty txId, valid or not; the first occurrence wins
 *   (an earlier block, or an earlier position in the same block).
 * - Reads: each read is answered from one consistent store state (a single get, or an iterator's
 *   snapshot); the in-memory height, hashes and state hash change together, synchronously, after
 *   the batch is durable; index lookups that name a block (tx location, block by hash, history,
 *   state hash) never answer about a block at or beyond `height`, so they never run ahead of
 *   `chainInfo()` while a commit is finishing.
 * - Recovery: `open` checks that the state hash of the block store's height is there (it is
 *   written in the same batch as the block) and fails with LEDGER_CORRUPT otherwise.
 */
export class PeerLedger implements StateReader, TxIdLookup, LedgerQueries {
  private queue: Promise<void> = Promise.resolve();

  private constructor(
    private readonly store: KvStore,
    private readonly blocks: BlockStore,
    private lastStateHash: Uint8Array,
    /** previous_hash of the last block: the header hash of the block before it. */
    private lastPreviousHash: Uint8Array,
  ) {}

  static async open(store: KvStore): Promise<PeerLedger> {
    const blocks = await BlockStore.open(store);
    const height = blocks.height;
    const ahead = await store.get(stateHashKey(height + 1));
    if (ahead !== undefined) {
      throw corrupt(
        `the block store ends at height ${height}, but there is a state hash for height ${height + 1}: the world state and indexes of a block that is not stored were written`,
        { height },
      );
    }
    if (height === 0) return new PeerLedger(store, blocks, genesisStateHash(), new Uint8Array());
    const stateHash = await store.get(stateHashKey(height));
    if (stateHash === undefined || stateHash.byteLength !== STATE_HASH_LENGTH) {
      throw corrupt(
        `the block store holds blocks 0..${height - 1}, but the state hash for height ${height} is ${stateHash === undefined ? 'missing' : `${stateHash.byteLength} bytes long`}: block ${height - 1}'s world-state updates and indexes were not committed with it (the store was not written by PeerLedger.commit, for example an orderer's block store, or it is damaged)`,
        { height },
      );
    }
    const last = await blocks.getBlock(height - 1);
    if (last === undefined) throw corrupt(`block ${height - 1} disappeared while the ledger was opening`, { height });
    return new PeerLedger(store, blocks, stateHash, parseBlock(last).header.previousHash);
  }

  // ---- BlockSource (what Deliver reads) ------------------------------------------------------

  /** The number of committed blocks: the next block's number. */
  get height(): number {
    return this.blocks.height;
  }

  getBlock(number: number): Promise<Uint8Array | undefined> {
    return this.blocks.getBlock(number);
  }

  /** Resolves once height >= `height`, or when `signal` aborts (see BlockStore.waitForHeight). */
  waitForHeight(height: number, signal?: AbortSignal): Promise<void> {
    return this.blocks.waitForHeight(height, signal);
  }

  // ---- commit --------------------------------------------------------------------------------

  /** Commits one validated block (see the class contract). Resolves once it is durable and visible. */
  commit(c: BlockCommit): Promise<void> {
    const run = this.queue.then(() => this.apply(c));
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Resolves when every commit called so far has finished (for example before closing the store). */
  async whenIdle(): Promise<void> {
    await this.queue;
  }

  private async apply(c: BlockCommit): Promise<void> {
    const { ops: blockOps, block } = this.blocks.appendOps(c.blockBytes);
    checkCommit(c, block);
    const blockNum = block.header.number;

    // One read round trip for what the batch depends on: the committed values of keys that get a
    // metadata-only update, and whether the block's txIds are already indexed.
    const tracked = new Map<string, Uint8Array>(); // namespace U+0000 key → state key
    const txIds = new Set<string>();
    for (const tx of c.transactions) {
      if (tx.txId !== '') txIds.add(tx.txId);
      if (tx.code !== 'VALID') continue;
      for (const u of tx.updates) if (u.kind === 'metadata') tracked.set(`${u.namespace}\u0000${u.key}`, stateKey(u.namespace, u.key));
    }
    const txIdList = [...txIds];
    const [trackedValues, indexed] = await Promise.all([
      tracked.size === 0 ? [] : this.store.getMany([...tracked.values()]),
      txIdList.length === 0 ? [] : this.store.getMany(txIdList.map(txIdKey)),
    ]);
    // For tracked keys: the value as of the transaction being applied (null once deleted).
    const current = new Map<string, { value: Uint8Array } | null>();
    [...tracked.keys()].forEach((id, i) => {
      const bytes = trackedValues[i];
      current.set(id, bytes === undefined ? null : this.decode(bytes, decodeVersionedValue, 'a world-state value'));
    });
    const alreadyIndexed = new Set(txIdList.filter((_, i) => indexed[i] !== undefined));

    const ops: KvBatchOp[] = [...blockOps];
    const seen = new Set<string>();
    for (const tx of c.transactions) {
      if (tx.txId !== '' && !seen.has(tx.txId)) {
        seen.add(tx.txId);
        if (!alreadyIndexed.has(tx.txId)) ops.push({ type: 'put', key: txIdKey(tx.txId), value: encodeTxLocation(blockNum, tx.txNum, tx.code, tx.explanation) });
      }
      if (tx.code !== 'VALID') continue;
      const version: Height = { blockNum, txNum: tx.txNum };
      for (const u of tx.updates) {
        const id = current.size === 0 ? '' : `${u.namespace}\u0000${u.key}`;
        const key = stateKey(u.namespace, u.key);
        switch (u.kind) {
          case 'put':
            ops.push({ type: 'put', key, value: encodeVersionedValue(u.value, version, u.metadata) });
            ops.push({ type: 'put', key: historyKey(u.namespace, u.key, blockNum, tx.txNum), value: encodeHistoryRecord(tx.txId, false, u.value) });
            if (current.has(id)) current.set(id, { value: u.value });
            break;
          case 'delete':
            ops.push({ type: 'del', key });
            ops.push({ type: 'put', key: historyKey(u.namespace, u.key, blockNum, tx.txNum), value: encodeHistoryRecord(tx.txId, true, new Uint8Array()) });
            if (current.has(id)) current.set(id, null);
            break;
          case 'metadata': {
            const existing = current.get(id);
            if (existing === null || existing === undefined) break; // no such key: Fabric ignores the update
            ops.push({ type: 'put', key, value: encodeVersionedValue(existing.value, version, u.metadata) });
            break;
          }
        }
      }
    }
    const headerHash = blockHeaderHash(block.header);
    ops.push({ type: 'put', key: blockHashKey(headerHash), value: encodeBlockNumber(blockNum) });
    const stateHash = nextStateHash(this.lastStateHash, c);
    ops.push({ type: 'put', key: stateHashKey(blockNum + 1), value: stateHash });

    await this.store.batch(ops, { sync: true });

    this.lastStateHash = stateHash;
    this.lastPreviousHash = block.header.previousHash;
    this.blocks.appended(block);
  }

  // ---- StateReader ---------------------------------------------------------------------------

  async getState(namespace: string, key: string): Promise<VersionedValue | undefined> {
    if (namespaceProblem(namespace) !== undefined || keyProblem(key) !== undefined) return undefined;
    const bytes = await this.store.get(stateKey(namespace, key));
    return bytes === undefined ? undefined : this.decode(bytes, decodeVersionedValue, 'a world-state value');
  }

  /** Several getState calls in one store round trip, answers in the same order. */
  async getStates(refs: ReadonlyArray<{ readonly namespace: string; readonly key: string }>): Promise<Array<VersionedValue | undefined>> {
    const storable = refs.map((r) => namespaceProblem(r.namespace) === undefined && keyProblem(r.key) === undefined);
    const keys = refs.filter((_, i) => storable[i]).map((r) => stateKey(r.namespace, r.key));
    const values = keys.length === 0 ? [] : await this.store.getMany(keys);
    let next = 0;
    return storable.map((ok) => {
      if (!ok) return undefined;
      const bytes = values[next++];
      return bytes === undefined ? undefined : this.decode(bytes, decodeVersionedValue, 'a world-state value');
    });
  }

  async *rangeScan(namespace: string, startKey: string, endKey: string): AsyncIterable<{ readonly key: string; readonly version: Height }> {
    for await (const [key, bytes] of this.scanRaw(namespace, startKey, endKey)) {
      yield { key, version: this.decode(bytes, decodeVersion, 'a world-state version') };
    }
  }

  /** Like rangeScan, with values and metadata (what chaincode's GetStateByRange returns). */
  async *scanState(namespace: string, startKey: string, endKey: string): AsyncIterable<StateEntry> {
    for await (const [key, bytes] of this.scanRaw(namespace, startKey, endKey)) {
      yield { key, value: this.decode(bytes, decodeVersionedValue, 'a world-state value') };
    }
  }

  private async *scanRaw(namespace: string, startKey: string, endKey: string): AsyncGenerator<[string, Uint8Array]> {
    if (namespaceProblem(namespace) !== undefined || keyProblem(startKey) !== undefined || keyProblem(endKey) !== undefined) return;
    const range = stateRange(namespace, startKey, endKey);
    if (range === undefined) return;
    const skip = stateNamespacePrefix(namespace).byteLength;
    for await (const [k, v] of this.store.iterate(range)) {
      yield [Buffer.from(k.buffer, k.byteOffset + skip, k.byteLength - skip).toString('utf8'), v];
    }
  }

  // ---- history -------------------------------------------------------------------------------

  /** Every VALID transaction that put or deleted `key` in `namespace`, oldest first. */
  async getHistory(namespace: string, key: string): Promise<HistoryEntry[]> {
    if (namespaceProblem(namespace) !== undefined || keyProblem(key) !== undefined) return [];
    const prefix = historyKeyPrefix(namespace, key);
    const height = this.height;
    const out: HistoryEntry[] = [];
    for await (const [k, v] of this.store.iterate({ gte: prefix, lt: prefixUpperBound(prefix) as Uint8Array })) {
      const { blockNum, txNum } = parseHistoryKeySuffix(k);
      if (blockNum >= height) break; // a commit is finishing: not visible yet
      const record = this.decode(v, decodeHistoryRecord, 'a history record');
      out.push({ txId: record.txId, blockNum, txNum, isDelete: record.isDelete, value: record.value });
    }
    return out;
  }

  // ---- TxIdLookup and LedgerQueries ------------------------------------------------------------

  async hasTxId(txId: string): Promise<boolean> {
    return (await this.getTransactionLocation(txId)) !== undefined;
  }

  /** hasTxId for each of `txIds` in one store round trip (the validator's duplicate check of a whole block). */
  async hasTxIds(txIds: readonly string[]): Promise<boolean[]> {
    const asked = txIds.filter((t) => t !== '');
    const values = asked.length === 0 ? [] : await this.store.getMany(asked.map(txIdKey));
    const height = this.height;
    let next = 0;
    return txIds.map((txId) => {
      if (txId === '') return false;
      const bytes = values[next++];
      if (bytes === undefined) return false;
      return this.decode(bytes, decodeTxLocation, `the tx-id index entry of ${txId}`).blockNum < height;
    });
  }

  async getTransactionLocation(txId: string): Promise<TransactionLocation | undefined> {
    if (txId === '') return undefined;
    const bytes = await this.store.get(txIdKey(txId));
    if (bytes === undefined) return undefined;
    const location = this.decode(bytes, decodeTxLocation, `the tx-id index entry of ${txId}`);
    if (location.blockNum >= this.height) return undefined;
    return { txId, ...location };
  }

  chainInfo(): ChainInfo {
    const height = this.height;
    return {
      height,
      currentBlockHash: this.blocks.lastHash.slice(),
      previousBlockHash: height < 2 ? new Uint8Array() : this.lastPreviousHash.slice(),
    };
  }

  async getBlockByHash(headerHash: Uint8Array): Promise<Uint8Array | undefined> {
    const bytes = await this.store.get(blockHashKey(headerHash));
    if (bytes === undefined) return undefined;
    return this.blocks.getBlock(this.decode(bytes, decodeBlockNumber, 'a block-hash index entry'));
  }

  async stateHashAt(height: number): Promise<Uint8Array | undefined> {
    if (!Number.isSafeInteger(height) || height < 0 || height > this.height) return undefined;
    if (height === 0) return genesisStateHash();
    if (height === this.height) return this.lastStateHash.slice();
    const bytes = await this.store.get(stateHashKey(height));
    if (bytes === undefined) throw corrupt(`the state hash for height ${height} is missing, below the ledger's height ${this.height}`, { height });
    return bytes;
  }

  private decode<T>(bytes: Uint8Array, decoder: (b: Uint8Array) => T, what: string): T {
    try {
      return decoder(bytes);
    } catch (cause) {
      throw corrupt(`${what} cannot be decoded (${messageOf(cause)})`, {}, cause);
    }
  }
}

function corrupt(what: string, context: Record<string, number>, cause?: unknown): LedgerError {
  return new LedgerError(
    'LEDGER_CORRUPT',
    `the channel's ledger is inconsistent: ${what}. Stop the peer, remove this channel's ledger data and let the peer pull the blocks again from the orderer.`,
    cause === undefined ? { context } : { context, cause },
  );
}

function invalidCommit(what: string, blockNumber: number): LedgerError {
  return new LedgerError('LEDGER_INVALID_COMMIT', `the commit of block ${blockNumber} was refused, nothing was written: ${what}. This is a bug in the caller (the committer), not in the block.`, {
    context: { blockNumber },
  });
}

/** A BlockCommit must describe its block: one CommittedTransaction per envelope, in order. */
function checkCommit(c: BlockCommit, block: Block): void {
  const n = block.header.number;
  if (c.blockNumber !== n) throw invalidCommit(`the BlockCommit says block ${c.blockNumber}, but its bytes are block ${n}`, n);
  if (c.transactions.length !== block.data.length) throw invalidCommit(`the block has ${block.data.length} transactions, the BlockCommit lists ${c.transactions.length}`, n);
  c.transactions.forEach((tx, i) => {
    if (tx.txNum !== i) throw invalidCommit(`transaction ${i} of the BlockCommit has txNum ${tx.txNum}; transactions must be listed in block order`, n);
    if (!Object.hasOwn(TxValidationCode, tx.code)) throw invalidCommit(`transaction ${i} has an unknown validation code ${JSON.stringify(tx.code)}`, n);
    if (tx.code !== 'VALID' && tx.updates.length > 0) throw invalidCommit(`transaction ${i} is ${tx.code} but carries ${tx.updates.length} state updates; only VALID transactions change the state`, n);
    for (const u of tx.updates) {
      const problem = namespaceProblem(u.namespace) ?? keyProblem(u.key);
      if (problem !== undefined) throw invalidCommit(`transaction ${i}: ${problem}`, n);
    }
  });
}
