import type { VersionedValue } from '../../ledger/ledger-types.js';

/**
 * What a running chaincode can do to the ledger during one transaction (the peer side of the shim's
 * ChaincodeStub), as the chaincode handler calls it. A TransactionSimulator (Fabric's
 * TxSimulator) implements it by reading committed state and recording a read/write set; a query-only
 * context refuses writes.
 *
 * Contracts (as Fabric):
 * - reads see committed state only, never this transaction's own writes;
 * - keys are non-empty strings; a composite key starts with U+0000;
 * - range queries cover [startKey, endKey) in UTF-8 byte order ('' endKey = to the end);
 * - every method throws ChaincodeRequestError (chaincode-request-error.ts) with a message for the chaincode when the
 *   request is not allowed (e.g. a write in a query), never crashes the peer.
 */
export interface TransactionContext {
  readonly channelId: string;
  readonly txId: string;
  /** The chaincode (namespace) this context is for. */
  readonly namespace: string;
  getState(key: string): Promise<Uint8Array | undefined>;
  putState(key: string, value: Uint8Array): void;
  delState(key: string): void;
  getStateMetadata(key: string): Promise<ReadonlyMap<string, Uint8Array>>;
  putStateMetadata(key: string, name: string, value: Uint8Array): void;
  /** Opens a range query; the handler pages through it with `next`. */
  openRange(startKey: string, endKey: string): StateIterator;
  /** The history of a key (committed transactions that wrote or deleted it), newest first, as Fabric's GetHistoryForKey. */
  openHistory(key: string): Promise<HistoryIterator>;
  /** The chaincode event of the transaction; the last call wins. */
  setEvent(name: string, payload: Uint8Array): void;
}

/** An open range query (Fabric's ResultsIterator), recorded in the read/write set's range query info. */
export interface StateIterator {
  /** Up to `max` more results; `done` when the range is exhausted. */
  next(max: number): Promise<{ readonly results: ReadonlyArray<{ readonly key: string; readonly value: Uint8Array }>; readonly done: boolean }>;
  close(): void;
}

export interface HistoryIterator {
  next(max: number): Promise<{ readonly results: ReadonlyArray<HistoryRecord>; readonly done: boolean }>;
  close(): void;
}

/** One entry of GetHistoryForKey (Fabric's queryresult.KeyModification). */
export interface HistoryRecord {
  readonly txId: string;
  readonly value: Uint8Array;
  readonly isDelete: boolean;
  readonly timestampMs?: number;
}

/** Committed state with values, as the simulator reads it (src/ledger/peer-ledger.ts PeerLedger satisfies it). */
export interface SimulationState {
  getState(namespace: string, key: string): Promise<VersionedValue | undefined>;
  scanState(namespace: string, startKey: string, endKey: string): AsyncIterable<{ readonly key: string; readonly value: VersionedValue }>;
  getHistory(namespace: string, key: string): Promise<ReadonlyArray<{ readonly txId: string; readonly isDelete: boolean; readonly value: Uint8Array }>>;
}
