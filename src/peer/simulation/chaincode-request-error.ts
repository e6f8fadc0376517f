import { FabsimError, type ErrorContext } from '../../core/errors.js';

/**
 * A chaincode asked the peer for something it may not do during a transaction (an empty or
 * non-UTF-8 key, a write in a query, a call after the simulation finished...). It is the
 * chaincode's mistake, not the peer's: the chaincode handler sends the message back to the
 * chaincode as the ERROR answer of its request (as Fabric's handler does with the simulator's
 * errors), so the message is written for the chaincode's author.
 */
export class ChaincodeRequestError extends FabsimError<'CHAINCODE_REQUEST_INVALID'> {
  constructor(message: string, context: ErrorContext = {}) {
    super('CHAINCODE_REQUEST_INVALID', message, { context });
  }
}
