import { checkBatch, checkKey, checkRange, checkValue } from './kv-arguments.js';
import { compareBytes } from './compare-bytes.js';
import type { KvBatchOp, KvRange, KvStore, KvWriteOptions } from './kv-store.js';
import { StorageError } from './storage-error.js';

/**
 * A KvStore in memory: two parallel arrays sorted bytewise by key, searched by bisection. Used by the
 * deterministic simulator (a simulated disk) and unit tests. Writes are applied at once, so the
 * `sync` write option has nothing to wait for. Keys and values are copied on the way
 * in and out, so nothing the caller holds aliases the store.
 */
export class MemoryKvStore implements KvStore {
  private keys: Uint8Array[] = [];
  private values: Uint8Array[] = [];
  private closed = false;

  /** Number of keys stored (for tests and the simulator's disk statistics). */
  get size(): number {
    return this.keys.length;
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.checkOpen();
    checkKey(key);
    const i = this.find(key);
    return i.found ? new Uint8Array(this.values[i.at] as Uint8Array) : undefined;
  }

  async getMany(keys: readonly Uint8Array[]): Promise<Array<Uint8Array | undefined>> {
    this.checkOpen();
    keys.forEach((k, i) => checkKey(k, `key ${i}`));
    return keys.map((k) => {
      const i = this.find(k);
      return i.found ? new Uint8Array(this.values[i.at] as Uint8Array) : undefined;
    });
  }

  async put(key: Uint8Array, value: Uint8Array, _options?: KvWriteOptions): Promise<void> {
    this.checkOpen();
    checkKey(key);
    checkValue(value);
    this.applyPut(key, value);
  }

  async del(key: Uint8Array, _options?: KvWriteOptions): Promise<void> {
    this.checkOpen();
    checkKey(key);
    this.applyDel(key);
  }

  /** Atomic because every operation is validated before the first is applied, and applying cannot fail. */
  async batch(ops: readonly KvBatchOp[], _options?: KvWriteOptions): Promise<void> {
    this.checkOpen();
    checkBatch(ops);
    for (const op of ops) {
      if (op.type === 'put') this.applyPut(op.key, op.value);
      else this.applyDel(op.key);
    }
  }

  async *iterate(range: KvRange = {}): AsyncGenerator<[Uint8Array, Uint8Array]> {
    this.checkOpen();
    checkRange(range);
    // Bounds and the window are computed synchronously on the first step, so the copied window is
    // the snapshot: later writes splice the store's arrays, never these copies.
    let lo = 0;
    if (range.gte !== undefined) lo = lowerBound(this.keys, range.gte, false);
    else if (range.gt !== undefined) lo = lowerBound(this.keys, range.gt, true);
    let hi = this.keys.length;
    if (range.lt !== undefined) hi = lowerBound(this.keys, range.lt, false);
    else if (range.lte !== undefined) hi = lowerBound(this.keys, range.lte, true);
    const count = Math.max(0, Math.min(hi - lo, range.limit ?? Number.POSITIVE_INFINITY));
    const from = range.reverse === true ? hi - count : lo;
    const keys = this.keys.slice(from, from + count);
    const values = this.values.slice(from, from + count);
    for (let n = 0; n < count; n++) {
      const i = range.reverse === true ? count - 1 - n : n;
      yield [new Uint8Array(keys[i] as Uint8Array), new Uint8Array(values[i] as Uint8Array)];
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw new StorageError('STORAGE_CLOSED', 'the in-memory store was used after close(); open a new one');
  }

  private find(key: Uint8Array): { found: boolean; at: number } {
    const at = lowerBound(this.keys, key, false);
    const k = this.keys[at];
    return { found: k !== undefined && compareBytes(k, key) === 0, at };
  }

  private applyPut(key: Uint8Array, value: Uint8Array): void {
    const i = this.find(key);
    if (i.found) {
      this.values[i.at] = new Uint8Array(value);
    } else {
      this.keys.splice(i.at, 0, new Uint8Array(key));
      this.values.splice(i.at, 0, new Uint8Array(value));
    }
  }

  private applyDel(key: Uint8Array): void {
    const i = this.find(key);
    if (i.found) {
      this.keys.splice(i.at, 1);
      this.values.splice(i.at, 1);
    }
  }
}

/** The first position whose key is >= `key` (or > `key` when `strict`). */
function lowerBound(keys: readonly Uint8Array[], key: Uint8Array, strict: boolean): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareBytes(keys[mid] as Uint8Array, key);
    if (c < 0 || (strict && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
