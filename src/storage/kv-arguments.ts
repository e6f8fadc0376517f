import { StorageError } from './storage-error.js';
import type { KvBatchOp, KvRange } from './kv-store.js';

/**
 * The argument checks every KvStore implementation runs before it touches its data, so both
 * implementations reject the same inputs the same way (and a bad batch writes nothing).
 */

function invalid(message: string): StorageError {
  return new StorageError('STORAGE_INVALID_ARGUMENT', message);
}

export function checkKey(key: unknown, what = 'key'): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array)) {
    throw invalid(`${what} must be a Uint8Array, got ${describe(key)}; encode strings with utf8() before storing them`);
  }
}

export function checkValue(value: unknown, what = 'value'): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw invalid(`${what} must be a Uint8Array, got ${describe(value)}; encode the value to bytes before storing it`);
  }
}

export function checkBatch(ops: readonly KvBatchOp[]): void {
  if (!Array.isArray(ops)) throw invalid(`a batch must be an array of operations, got ${describe(ops)}`);
  ops.forEach((op: unknown, i) => {
    if (typeof op !== 'object' || op === null) throw invalid(`batch operation ${i} must be an object, got ${describe(op)}`);
    const { type, key, value } = op as { type?: unknown; key?: unknown; value?: unknown };
    if (type === 'put') {
      checkKey(key, `batch operation ${i} (put): key`);
      checkValue(value, `batch operation ${i} (put): value`);
    } else if (type === 'del') {
      checkKey(key, `batch operation ${i} (del): key`);
    } else {
      throw invalid(`batch operation ${i} has type ${describe(type)}; expected 'put' or 'del'`);
    }
  });
}

export function checkRange(range: KvRange): void {
  if (range.gt !== undefined && range.gte !== undefined) throw invalid('a range takes gt or gte, not both');
  if (range.lt !== undefined && range.lte !== undefined) throw invalid('a range takes lt or lte, not both');
  for (const bound of ['gt', 'gte', 'lt', 'lte'] as const) {
    if (range[bound] !== undefined) checkKey(range[bound], `range bound ${bound}`);
  }
  if (range.limit !== undefined && !(Number.isSafeInteger(range.limit) && range.limit >= 0)) {
    throw invalid(`range limit must be a non-negative integer, got ${describe(range.limit)}`);
  }
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'string') return `the string ${JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}...` : x)}`;
  if (typeof x === 'object') return `an object (${(x as object).constructor?.name ?? 'no prototype'})`;
  return `${typeof x} ${String(x)}`;
}
