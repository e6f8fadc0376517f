import type { TxValidationCodeName } from '../protos/tx-validation-code.js';

/**
 * The contracts between a peer's validator, committer and ledger (Fabric's kvledger), as plain data.
 * The validator reads committed state through StateReader and produces, per block, one
 * BlockCommit; the ledger applies it in one atomic batch.
 */

/** A key's version: the block and transaction that last wrote it (Fabric's version.Height, shown as `4:0`). */
export interface Height {
  readonly blockNum: number;
  readonly txNum: number;
}

/** A committed value with its version; `metadata` is the key's state metadata (e.g. key-level endorsement), if any. */
export interface VersionedValue {
  readonly value: Uint8Array;
  readonly version: Height;
  readonly metadata?: Uint8Array;
}

/** Committed world state, as the validator reads it (MVCC and phantom checks). Namespaces are chaincode names. */
export interface StateReader {
  getState(namespace: string, key: string): Promise<VersionedValue | undefined>;
  /**
   * The committed keys of `namespace` in [startKey, endKey) in bytewise (UTF-8) order, with their
   * versions; an empty endKey means "to the end of the namespace", as in Fabric's GetStateByRange.
   */
  rangeScan(namespace: string, startKey: string, endKey: string): AsyncIterable<{ readonly key: string; readonly version: Height }>;
  /**
   * Optional: several getState calls answered in one store round trip, in the order asked (the
   * validator prefetches a block's keys with it). Same answers as getState, key by key.
   */
  getStates?(refs: ReadonlyArray<{ readonly namespace: string; readonly key: string }>): Promise<Array<VersionedValue | undefined>>;
}

/** Whether a transaction ID is already committed on this channel (Fabric's duplicate-txid check against the ledger). */
export interface TxIdLookup {
  hasTxId(txId: string): Promise<boolean>;
  /** Optional: hasTxId for several tx ids in one store round trip, answers in the same order. */
  hasTxIds?(txIds: readonly string[]): Promise<boolean[]>;
}

/**
 * One change a valid transaction makes to the world state:
 * - put: the key gets `value` and exactly `metadata` (none when absent): the validator merges a write
 *   with the committed metadata, as Fabric keeps a key's metadata across value-only writes;
 * - delete: the key goes away with its metadata;
 * - metadata: only the metadata of an existing key changes (ignored when the key does not exist).
 * Each gets the version of the transaction that made it.
 */
export type StateUpdate =
  | { readonly kind: 'put'; readonly namespace: string; readonly key: string; readonly value: Uint8Array; readonly metadata?: Uint8Array }
  | { readonly kind: 'delete'; readonly namespace: string; readonly key: string }
  | { readonly kind: 'metadata'; readonly namespace: string; readonly key: string; readonly metadata: Uint8Array };

/** One transaction of a validated block, as the ledger records it. */
export interface CommittedTransaction {
  /** The channel header's tx_id; empty for a transaction whose header could not be read. */
  readonly txId: string;
  /** Its position in the block. */
  readonly txNum: number;
  readonly code: TxValidationCodeName;
  /** Empty unless the code is VALID. */
  readonly updates: readonly StateUpdate[];
  /** One line for learners saying why the transaction got its code (kept in the tx-id index; the CLI shows it). */
  readonly explanation?: string;
}

/** What the committer hands the ledger for one block. */
export interface BlockCommit {
  /** The block as it is stored: TRANSACTIONS_FILTER metadata already set to the transactions' codes. */
  readonly blockBytes: Uint8Array;
  readonly blockNumber: number;
  readonly transactions: readonly CommittedTransaction[];
}

/** Chain info (Fabric's common.BlockchainInfo, what `peer channel getinfo` prints). */
export interface ChainInfo {
  readonly height: number;
  /** Header hash of the last block; empty before block 0. */
  readonly currentBlockHash: Uint8Array;
  /** Header hash of the block before the last; empty below height 2. */
  readonly previousBlockHash: Uint8Array;
}

/** Where a committed transaction is, and its verdict (the tx-id index). */
export interface TransactionLocation {
  readonly txId: string;
  readonly blockNum: number;
  readonly txNum: number;
  readonly code: TxValidationCodeName;
  /** The validator's explanation, when the committer recorded one. */
  readonly explanation?: string;
}

/** The ledger's read side that QSCC, the CLI and the Deliver service need. */
export interface LedgerQueries {
  chainInfo(): ChainInfo;
  getBlock(number: number): Promise<Uint8Array | undefined>;
  getBlockByHash(headerHash: Uint8Array): Promise<Uint8Array | undefined>;
  getTransactionLocation(txId: string): Promise<TransactionLocation | undefined>;
  /** The chained state hash after block `height - 1` (see state-hash.ts); undefined beyond the height. */
  stateHashAt(height: number): Promise<Uint8Array | undefined>;
}
