/**
 * The one storage interface every layer above sees (DESIGN.md "storage/"): an ordered map from byte
 * keys to byte values, like LevelDB, with two implementations that pass one shared test suite:
 * LevelKvStore (on disk) and MemoryKvStore (simulation and unit tests).
 *
 * Contract:
 * - Keys and values are `Uint8Array`s (a Node `Buffer` is one). The empty key is a valid key.
 * - Keys are ordered bytewise (compareBytes): unsigned byte by byte, a proper prefix first. This is
 *   the order of Fabric's range queries (GetStateByRange) and of LevelDB.
 * - Values handed to `put`/`batch` may be reused by the caller afterwards; values returned are the
 *   caller's to keep (never aliased with the store's internal copy).
 * - `batch` is atomic: after it resolves every operation is applied, after it rejects none is.
 *   Operations apply in order, so a later op on the same key wins.
 * - `iterate` sees the store as it was when the iteration started (its first step): a snapshot that
 *   later writes do not change. Entries come in key order (reverse order with `reverse`), at most
 *   `limit` of them. Breaking out of the loop releases the snapshot. Errors, including invalid
 *   ranges, surface on the first step.
 * - Every failure is a StorageError with a stable code; an invalid argument is rejected before
 *   anything is written (code STORAGE_INVALID_ARGUMENT).
 */
export interface KvStore {
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  /** The values of `keys`, in the same order (undefined where missing). */
  getMany(keys: readonly Uint8Array[]): Promise<Array<Uint8Array | undefined>>;
  put(key: Uint8Array, value: Uint8Array, options?: KvWriteOptions): Promise<void>;
  del(key: Uint8Array, options?: KvWriteOptions): Promise<void>;
  /** All or nothing. */
  batch(ops: readonly KvBatchOp[], options?: KvWriteOptions): Promise<void>;
  iterate(range?: KvRange): AsyncIterable<[Uint8Array, Uint8Array]>;
  /** Releases the store (and, for LevelKvStore, its lock on the directory). Idempotent. */
  close(): Promise<void>;
}

export type KvBatchOp =
  | { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'del'; readonly key: Uint8Array };

export interface KvWriteOptions {
  /**
   * Wait until the write reached stable storage (fsync) before resolving. Without it a write
   * survives the process being killed (it is in the OS) but maybe not a power loss. Raft's
   * persistent state (§5.1 Figure 2) asks for `sync` before messages are sent.
   * MemoryKvStore ignores it.
   */
  readonly sync?: boolean;
}

/** A key range. At most one lower bound (gt or gte) and at most one upper bound (lt or lte). */
export interface KvRange {
  readonly gt?: Uint8Array;
  readonly gte?: Uint8Array;
  readonly lt?: Uint8Array;
  readonly lte?: Uint8Array;
  /** Largest key first. */
  readonly reverse?: boolean;
  /** At most this many entries (a non-negative integer); all when omitted. */
  readonly limit?: number;
}
