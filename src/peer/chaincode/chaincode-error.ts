import { FabsimError } from '../../core/errors.js';

/**
 * Operational failures of the peer's chaincode runtime (Fabric core/chaincode): a chaincode that does
 * not register, that goes away while a transaction runs, or that does not answer in time. A chaincode
 * that answers with an error is not one of these: that is an execution result (status 500).
 */
export type ChaincodeErrorCode =
  /** No chaincode registered under the name within the wait. */
  | 'CHAINCODE_REGISTRATION_TIMEOUT'
  /** The chaincode's REGISTER was refused (empty or duplicate name). */
  | 'CHAINCODE_REGISTRATION_REFUSED'
  /** The chaincode is not (or no longer) connected and READY. */
  | 'CHAINCODE_NOT_READY'
  /** The stream to the chaincode ended while a transaction was running. */
  | 'CHAINCODE_DISCONNECTED'
  /** The chaincode did not COMPLETE the transaction within the execute timeout. */
  | 'CHAINCODE_TIMEOUT'
  /** A transaction with the same channel and id is already running on this chaincode. */
  | 'CHAINCODE_DUPLICATE_TX';

export class ChaincodeError extends FabsimError<ChaincodeErrorCode> {}
