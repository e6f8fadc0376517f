import { BlockMetadataSlot, parseBlock } from '../../protos/block.js';
import { HeaderType, parseChannelHeader, parseEnvelope, parsePayload } from '../../protos/envelope.js';
import { unlessMalformed } from '../../protos/proto-error.js';
import { chaincodeEventsOfTransaction, type ChaincodeEvent } from '../../protos/transaction.js';
import { TxValidationCode } from '../../protos/tx-validation-code.js';

/**
 * The chaincode events a committed block carries, transaction by transaction (Fabric's Gateway
 * event/block.go and event/transaction.go):
 *
 *   block.data[i] = Envelope → Payload { header.channel_header: ChannelHeader { tx_id, type }, data }
 *   ENDORSER_TRANSACTION data = Transaction { actions: [TransactionAction { payload: ChaincodeActionPayload
 *     { action: { proposal_response_payload: ProposalResponsePayload { extension: ChaincodeAction
 *       { events: ChaincodeEvent } } } } }] }
 *
 * and the transaction's TxValidationCode from the block's TRANSACTIONS_FILTER metadata (a missing
 * code reads as INVALID_OTHER_REASON, as Fabric's Gateway reads it).
 *
 * As Fabric: an action whose payloads do not decode, or that carries no event, adds no event; an
 * event counts only when it names a chaincode, an event name and a tx id. Where Fabric fails the
 * whole block (an envelope, payload or channel header that does not decode), fabsim leaves that
 * transaction out: it has no tx id and its code is never VALID. Throws ProtoDecodeError only when
 * the block itself does not parse.
 */

export interface TransactionEvents {
  /** Its position in the block. */
  readonly txNum: number;
  readonly txId: string;
  /** The TxValidationCode value from TRANSACTIONS_FILTER. */
  readonly code: number;
  /** Its chaincode events in action order (none for transactions other than ENDORSER_TRANSACTIONs). */
  readonly events: readonly ChaincodeEvent[];
}

export interface BlockEvents {
  readonly blockNumber: number;
  /** The block's readable transactions, in block order. */
  readonly transactions: readonly TransactionEvents[];
}

export function chaincodeEventsOfBlock(blockBytes: Uint8Array): BlockEvents {
  const block = parseBlock(blockBytes);
  const flags = block.metadata[BlockMetadataSlot.TRANSACTIONS_FILTER] ?? new Uint8Array();
  const transactions: TransactionEvents[] = [];
  block.data.forEach((envelopeBytes, txNum) => {
    const read = unlessMalformed(() => {
      const payload = parsePayload(parseEnvelope(envelopeBytes).payload);
      return { channelHeader: parseChannelHeader(payload.header.channelHeader), data: payload.data };
    });
    if (read === undefined) return;
    const { txId, type } = read.channelHeader;
    const code = flags[txNum] ?? TxValidationCode.INVALID_OTHER_REASON;
    transactions.push({ txNum, txId, code, events: type === HeaderType.ENDORSER_TRANSACTION ? chaincodeEventsOfTransaction(read.data).filter(isCompleteEvent) : [] });
  });
  return { blockNumber: block.header.number, transactions };
}



/** Fabric's gateway delivers an event only when it names its chaincode, event and transaction. */
function isCompleteEvent(e: ChaincodeEvent): boolean {
  return e.chaincodeId !== '' && e.eventName !== '' && e.txId !== '';
}
