import { Level } from 'level';
import { messageOf } from '../core/errors.js';
import { checkBatch, checkKey, checkRange, checkValue } from './kv-arguments.js';
import type { KvBatchOp, KvRange, KvStore, KvWriteOptions } from './kv-store.js';
import { StorageError } from './storage-error.js';

type Db = Level<Uint8Array, Uint8Array>;

/**
 * A KvStore on disk: LevelDB through the `level` package (classic-level's prebuilt native binding).
 * LevelDB orders keys bytewise and applies a batch as one log record, which gives the KvStore
 * contract directly; this class only validates arguments, normalizes returned bytes to plain
 * Uint8Arrays (a Buffer's `slice` is a view, not a copy) and turns level's errors into StorageErrors.
 * One directory can be open in one LevelKvStore at a time (LevelDB's LOCK file).
 */
export class LevelKvStore implements KvStore {
  private closed = false;

  private constructor(
    private readonly db: Db,
    /** The directory this store lives in. */
    readonly dir: string,
  ) {}

  /** Opens (creating if needed) the store in `dir`. Rejects with STORAGE_LOCKED, STORAGE_CORRUPT or STORAGE_IO. */
  static async open(dir: string): Promise<LevelKvStore> {
    const db: Db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
    try {
      await db.open();
    } catch (err) {
      throw levelError(err, 'open', dir);
    }
    return new LevelKvStore(db, dir);
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.checkOpen();
    checkKey(key);
    try {
      const value = await this.db.get(key);
      return value === undefined ? undefined : plain(value);
    } catch (err) {
      throw levelError(err, 'read from', this.dir);
    }
  }

  async getMany(keys: readonly Uint8Array[]): Promise<Array<Uint8Array | undefined>> {
    this.checkOpen();
    keys.forEach((k, i) => checkKey(k, `key ${i}`));
    try {
      const values = await this.db.getMany([...keys]);
      return values.map((v) => (v === undefined ? undefined : plain(v)));
    } catch (err) {
      throw levelError(err, 'read from', this.dir);
    }
  }

  async put(key: Uint8Array, value: Uint8Array, options: KvWriteOptions = {}): Promise<void> {
    this.checkOpen();
    checkKey(key);
    checkValue(value);
    try {
      await this.db.put(key, value, { sync: options.sync === true });
    } catch (err) {
      throw levelError(err, 'write to', this.dir);
    }
  }

  async del(key: Uint8Array, options: KvWriteOptions = {}): Promise<void> {
    this.checkOpen();
    checkKey(key);
    try {
      await this.db.del(key, { sync: options.sync === true });
    } catch (err) {
      throw levelError(err, 'write to', this.dir);
    }
  }

  /**
   * Atomic: LevelDB writes the whole batch as one log record, or nothing. Uses level's chained
   * batch, which for a peer's block commit (thousands of operations) is several times faster than
   * the array form and just as atomic.
   */
  async batch(ops: readonly KvBatchOp[], options: KvWriteOptions = {}): Promise<void> {
    this.checkOpen();
    checkBatch(ops);
    const chained = this.db.batch();
    for (const op of ops) {
      if (op.type === 'put') chained.put(op.key, op.value);
      else chained.del(op.key);
    }
    try {
      await chained.write({ sync: options.sync === true });
    } catch (err) {
      throw levelError(err, 'write to', this.dir);
    }
  }

  async *iterate(range: KvRange = {}): AsyncGenerator<[Uint8Array, Uint8Array]> {
    this.checkOpen();
    checkRange(range);
    const options: { gt?: Uint8Array; gte?: Uint8Array; lt?: Uint8Array; lte?: Uint8Array; reverse: boolean; limit: number } = {
      reverse: range.reverse === true,
      limit: range.limit ?? -1,
    };
    if (range.gt !== undefined) options.gt = range.gt;
    if (range.gte !== undefined) options.gte = range.gte;
    if (range.lt !== undefined) options.lt = range.lt;
    if (range.lte !== undefined) options.lte = range.lte;
    let it;
    try {
      it = this.db.iterator(options);
    } catch (err) {
      throw levelError(err, 'read from', this.dir);
    }
    try {
      for (;;) {
        let entry: [Uint8Array, Uint8Array] | undefined;
        try {
          entry = await it.next();
        } catch (err) {
          throw levelError(err, 'read from', this.dir);
        }
        if (entry === undefined) return;
        yield [plain(entry[0]), plain(entry[1])];
      }
    } finally {
      await it.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.db.close();
    } catch (err) {
      throw levelError(err, 'close', this.dir);
    }
  }

  private checkOpen(): void {
    if (this.closed) {
      throw new StorageError('STORAGE_CLOSED', `the store at ${this.dir} was used after close(); open it again with LevelKvStore.open()`, {
        context: { dir: this.dir },
      });
    }
  }
}

/** A plain Uint8Array over the same bytes (level hands out Buffers). */
function plain(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** level's error (and its cause, which carries the LevelDB status for a failed open) as a StorageError. */
function levelError(err: unknown, op: string, dir: string): StorageError {
  const cause = (err as { cause?: unknown } | null)?.cause;
  const codes = [codeOf(err), codeOf(cause)];
  const detail = cause instanceof Error ? `${messageOf(err)}: ${cause.message}` : messageOf(err);
  const options = { cause: err, context: { dir, levelCode: codes.find((c) => c !== undefined) } };
  if (codes.includes('LEVEL_LOCKED')) {
    return new StorageError(
      'STORAGE_LOCKED',
      `the store at ${dir} is locked by another process (is a node already running with this data dir?); stop that process or give this node its own data directory`,
      options,
    );
  }
  if (codes.includes('LEVEL_CORRUPTION')) {
    return new StorageError(
      'STORAGE_CORRUPT',
      `the store at ${dir} is corrupt (${detail}); restore the directory from a backup, or remove it to start this node with an empty store`,
      options,
    );
  }
  if (codes[0] === 'LEVEL_DATABASE_NOT_OPEN' && cause === undefined) {
    return new StorageError('STORAGE_CLOSED', `the store at ${dir} is not open (it was closed); open it again with LevelKvStore.open()`, options);
  }
  return new StorageError(
    'STORAGE_IO',
    `could not ${op} the store at ${dir} (${detail}); check that the path is a directory you can write to and that the disk is not full`,
    options,
  );
}
