import { FabsimError } from '../core/errors.js';

/**
 * Operational failures of the peer ledger (Fabric's kvledger) other than block ordering, which
 * BlockStoreError reports (LEDGER_BLOCK_OUT_OF_ORDER, LEDGER_BLOCK_MALFORMED):
 * - LEDGER_CORRUPT: what is on disk is not a state PeerLedger.commit could have left (for example
 *   blocks without the state hash their commit writes in the same batch). The message says what is
 *   inconsistent; the remedy is to remove the channel's ledger data and let the peer pull the
 *   blocks again.
 * - LEDGER_INVALID_COMMIT: the BlockCommit handed to `commit` does not describe its block (wrong
 *   number, transactions missing or out of place, updates on invalid transactions, a namespace or
 *   key the ledger cannot store). Nothing is written.
 */
export type LedgerErrorCode = 'LEDGER_CORRUPT' | 'LEDGER_INVALID_COMMIT';

export class LedgerError extends FabsimError<LedgerErrorCode> {}
