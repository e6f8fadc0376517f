import { FabsimError, type FabsimErrorOptions } from '../core/errors.js';

/**
 * Operational failures of a KvStore (DESIGN.md "Errors"): the disk said no, not fabsim's logic.
 * - STORAGE_LOCKED: another process (or another open handle in this one) holds the store's lock.
 * - STORAGE_CORRUPT: the files on disk cannot be read back as what fabsim wrote.
 * - STORAGE_CLOSED: the store was used after close().
 * - STORAGE_IO: any other failure of the underlying database or file system.
 * - STORAGE_INVALID_ARGUMENT: a key, value, batch operation or range that no KvStore accepts.
 */
export type StorageErrorCode = 'STORAGE_LOCKED' | 'STORAGE_CORRUPT' | 'STORAGE_CLOSED' | 'STORAGE_IO' | 'STORAGE_INVALID_ARGUMENT';

export class StorageError extends FabsimError<StorageErrorCode> {
  constructor(code: StorageErrorCode, message: string, options: FabsimErrorOptions = {}) {
    super(code, message, options);
  }
}
