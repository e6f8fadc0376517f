import { common, peer } from '@hyperledger/fabric-protos';
import { decodeProto, ProtoDecodeError } from './proto-error.js';

/**
 * The answers of Fabric's ledger query system chaincode (QSCC) that are not blocks:
 * `common.BlockchainInfo` (common/ledger.proto; GetChainInfo, `peer channel getinfo`) and
 * `protos.ProcessedTransaction` (peer/transaction.proto; GetTransactionByID).
 * Malformed bytes throw ProtoDecodeError ('PROTO_MALFORMED').
 */

/** `common.BlockchainInfo` (its bootstrapping_snapshot_info is not modelled: fabsim peers do not join from snapshots). */
export interface BlockchainInfo {
  /** The number of blocks: the next block's number. */
  readonly height: number;
  /** Header hash of the newest block (empty when there is none). */
  readonly currentBlockHash: Uint8Array;
  /** Header hash of the block before it (empty below height 2). */
  readonly previousBlockHash: Uint8Array;
}

export function buildBlockchainInfo(info: BlockchainInfo): Uint8Array {
  const message = new common.BlockchainInfo();
  message.setHeight(info.height);
  message.setCurrentblockhash(info.currentBlockHash);
  message.setPreviousblockhash(info.previousBlockHash);
  return message.serializeBinary();
}

export function parseBlockchainInfo(bytes: Uint8Array): BlockchainInfo {
  const message = decodeProto('common.BlockchainInfo', () => common.BlockchainInfo.deserializeBinary(bytes));
  const height = message.getHeight();
  if (!Number.isSafeInteger(height) || height < 0) throw new ProtoDecodeError('common.BlockchainInfo', `its height ${height} is not a whole number fabsim can represent`);
  return { height, currentBlockHash: message.getCurrentblockhash_asU8(), previousBlockHash: message.getPreviousblockhash_asU8() };
}

/** `protos.ProcessedTransaction`: a committed transaction's envelope and the verdict the committing peer gave it. */
export interface ProcessedTransaction {
  /** The serialized common.Envelope, as the block carries it. */
  readonly transactionEnvelope: Uint8Array;
  /** A TxValidationCode value (0 = VALID; see tx-validation-code.ts). */
  readonly validationCode: number;
}

/** Throws ProtoDecodeError when `transactionEnvelope` is not an Envelope (it is embedded as a message, not bytes). */
export function buildProcessedTransaction(tx: ProcessedTransaction): Uint8Array {
  const envelope = decodeProto('common.Envelope', () => common.Envelope.deserializeBinary(tx.transactionEnvelope));
  const message = new peer.ProcessedTransaction();
  message.setTransactionenvelope(envelope);
  message.setValidationcode(tx.validationCode);
  return message.serializeBinary();
}

/** Reads a ProcessedTransaction; one without an envelope is refused. */
export function parseProcessedTransaction(bytes: Uint8Array): ProcessedTransaction {
  const message = decodeProto('protos.ProcessedTransaction', () => peer.ProcessedTransaction.deserializeBinary(bytes));
  const envelope = message.getTransactionenvelope();
  if (envelope === undefined) throw new ProtoDecodeError('protos.ProcessedTransaction', 'it has no transaction_envelope');
  return { transactionEnvelope: envelope.serializeBinary(), validationCode: message.getValidationcode() };
}
