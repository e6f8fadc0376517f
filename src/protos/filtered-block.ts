import { common, peer } from '@hyperledger/fabric-protos';
import { BlockMetadataSlot, parseBlock } from './block.js';
import { HeaderType, parseChannelHeader, parseEnvelope, parsePayload, type ChannelHeader } from './envelope.js';
import { decodeProto, ProtoDecodeError, unlessMalformed } from './proto-error.js';
import { Status, statusName, type StatusName } from './seek-info.js';
import { chaincodeEventsOfTransaction, type ChaincodeEvent } from './transaction.js';
import { TxValidationCode } from './tx-validation-code.js';

/**
 * The messages of the peer's `protos.Deliver` service (fabric-protos peer/events.proto): what
 * block-event listeners (fabric-gateway's block events, `peer channel fetch`, the Gateway's commit
 * status) receive from a peer.
 *
 *   FilteredBlock        { channel_id, number, filtered_transactions }
 *   FilteredTransaction  { txid, type: HeaderType, tx_validation_code, oneof Data { transaction_actions } }
 *   FilteredTransactionActions { chaincode_actions: [FilteredChaincodeAction { chaincode_event }] }
 *   DeliverResponse      { oneof Type { status, block, filtered_block, block_and_private_data } }
 */

/** A chaincode event as a filtered block carries it: without its payload. */
export type FilteredChaincodeEvent = Omit<ChaincodeEvent, 'payload'>;

export interface FilteredTransaction {
  readonly txId: string;
  /** The channel header's `HeaderType` value. */
  readonly type: number;
  /** The transaction's `TxValidationCode` value, from the block's TRANSACTIONS_FILTER metadata. */
  readonly txValidationCode: number;
  /** Set for ENDORSER_TRANSACTIONs only (the `Data` oneof), possibly with no actions. */
  readonly transactionActions: { readonly chaincodeActions: ReadonlyArray<{ readonly chaincodeEvent: FilteredChaincodeEvent }> } | undefined;
}

export interface FilteredBlock {
  readonly channelId: string;
  readonly number: number;
  readonly filteredTransactions: readonly FilteredTransaction[];
}

/**
 * The FilteredBlock of a committed block, as Fabric's deliverevents toFilteredBlock builds it:
 *
 * - one entry per transaction whose envelope, payload and channel header can be read, in block
 *   order, with the channel header's tx_id and type and the validation code from the block's
 *   TRANSACTIONS_FILTER (NOT_VALIDATED when the block carries no code for it, e.g. an orderer's
 *   block); the block's channel_id is the one its transactions' headers name;
 * - an envelope that is empty or does not parse, or a payload without a header, gets no entry
 *   (Fabric skips it: it has no tx_id to report);
 * - an ENDORSER_TRANSACTION gets transaction_actions: one chaincode action per transaction action
 *   whose ChaincodeAction carries an event with a chaincode ID, the event's payload removed.
 *
 * Where Fabric gives up on the whole block (a payload, channel header, Transaction or action that
 * does not decode; the Deliver stream then answers BAD_REQUEST for that block and goes on), fabsim
 * keeps the block and leaves the unreadable part out: a transaction without a readable payload or
 * channel header gets no entry, an action that does not decode adds no chaincode action. Such
 * transactions are invalid in the TRANSACTIONS_FILTER anyway, and a listener keeps its stream.
 * Throws ProtoDecodeError only when the block itself does not parse.
 */
export function filteredBlockOf(blockBytes: Uint8Array): FilteredBlock {
  const block = parseBlock(blockBytes);
  const flags = block.metadata[BlockMetadataSlot.TRANSACTIONS_FILTER] ?? new Uint8Array();
  let channelId = '';
  const filteredTransactions: FilteredTransaction[] = [];
  block.data.forEach((envelopeBytes, txIndex) => {
    const read = readTransaction(envelopeBytes);
    if (read === undefined) return;
    channelId = read.channelHeader.channelId;
    filteredTransactions.push({
      txId: read.channelHeader.txId,
      type: read.channelHeader.type,
      txValidationCode: flags[txIndex] ?? TxValidationCode.NOT_VALIDATED,
      transactionActions: read.channelHeader.type === HeaderType.ENDORSER_TRANSACTION ? { chaincodeActions: chaincodeEventsOfTransaction(read.data)
              .filter((e) => e.chaincodeId !== '')
              .map((e) => ({ chaincodeEvent: { chaincodeId: e.chaincodeId, txId: e.txId, eventName: e.eventName } })) } : undefined,
    });
  });
  return { channelId, number: block.header.number, filteredTransactions };
}

/** The channel header and payload data of one block transaction; undefined when they cannot be read. */
function readTransaction(envelopeBytes: Uint8Array): { readonly channelHeader: ChannelHeader; readonly data: Uint8Array } | undefined {
  if (envelopeBytes.length === 0) return undefined;
  return unlessMalformed(() => {
    const payload = parsePayload(parseEnvelope(envelopeBytes).payload);
    return { channelHeader: parseChannelHeader(payload.header.channelHeader), data: payload.data };
  });
}



function filteredBlockMessage(fb: FilteredBlock): peer.FilteredBlock {
  const message = new peer.FilteredBlock();
  message.setChannelId(fb.channelId);
  message.setNumber(fb.number);
  message.setFilteredTransactionsList(
    fb.filteredTransactions.map((ft) => {
      const tx = new peer.FilteredTransaction();
      tx.setTxid(ft.txId);
      tx.setType(ft.type as common.HeaderTypeMap[keyof common.HeaderTypeMap]);
      tx.setTxValidationCode(ft.txValidationCode as peer.TxValidationCodeMap[keyof peer.TxValidationCodeMap]);
      if (ft.transactionActions !== undefined) {
        const actions = new peer.FilteredTransactionActions();
        actions.setChaincodeActionsList(
          ft.transactionActions.chaincodeActions.map(({ chaincodeEvent }) => {
            const event = new peer.ChaincodeEvent();
            event.setChaincodeId(chaincodeEvent.chaincodeId);
            event.setTxId(chaincodeEvent.txId);
            event.setEventName(chaincodeEvent.eventName);
            const action = new peer.FilteredChaincodeAction();
            action.setChaincodeEvent(event);
            return action;
          }),
        );
        tx.setTransactionActions(actions);
      }
      return tx;
    }),
  );
  return message;
}

function filteredBlockFromMessage(message: peer.FilteredBlock): FilteredBlock {
  return {
    channelId: message.getChannelId(),
    number: message.getNumber(),
    filteredTransactions: message.getFilteredTransactionsList().map((tx) => {
      const actions = tx.getTransactionActions();
      return {
        txId: tx.getTxid(),
        type: tx.getType(),
        txValidationCode: tx.getTxValidationCode(),
        transactionActions:
          actions === undefined
            ? undefined
            : {
                chaincodeActions: actions.getChaincodeActionsList().map((a) => {
                  const event = a.getChaincodeEvent();
                  return { chaincodeEvent: { chaincodeId: event?.getChaincodeId() ?? '', txId: event?.getTxId() ?? '', eventName: event?.getEventName() ?? '' } };
                }),
              },
      };
    }),
  };
}

export function buildFilteredBlock(fb: FilteredBlock): Uint8Array {
  return filteredBlockMessage(fb).serializeBinary();
}

export function parseFilteredBlock(bytes: Uint8Array): FilteredBlock {
  return filteredBlockFromMessage(decodeProto('protos.FilteredBlock', () => peer.FilteredBlock.deserializeBinary(bytes)));
}

/**
 * One message of a peer Deliver stream (`protos.DeliverResponse`): a block (Deliver), a filtered
 * block (DeliverFiltered), a block with its private data (DeliverWithPrivateData; fabsim has no
 * private data, so the map is always empty), or the final status.
 */
export type PeerDeliverResponse =
  | { readonly kind: 'block'; readonly block: Uint8Array }
  | { readonly kind: 'filteredBlock'; readonly filteredBlock: FilteredBlock }
  | { readonly kind: 'blockAndPrivateData'; readonly block: Uint8Array }
  | { readonly kind: 'status'; readonly status: StatusName };

export function buildPeerDeliverResponse(response: PeerDeliverResponse): Uint8Array {
  const message = new peer.DeliverResponse();
  switch (response.kind) {
    case 'block':
      message.setBlock(decodeProto('common.Block', () => common.Block.deserializeBinary(response.block)));
      break;
    case 'filteredBlock':
      message.setFilteredBlock(filteredBlockMessage(response.filteredBlock));
      break;
    case 'blockAndPrivateData': {
      const both = new peer.BlockAndPrivateData();
      both.setBlock(decodeProto('common.Block', () => common.Block.deserializeBinary(response.block)));
      message.setBlockAndPrivateData(both);
      break;
    }
    case 'status':
      message.setStatus(Status[response.status]);
      break;
  }
  return message.serializeBinary();
}

/** Reads a peer DeliverResponse. A block_and_private_data's private data is not read (fabsim sends none). */
export function parsePeerDeliverResponse(bytes: Uint8Array): PeerDeliverResponse {
  const message = decodeProto('protos.DeliverResponse', () => peer.DeliverResponse.deserializeBinary(bytes));
  const block = message.getBlock();
  if (block !== undefined) return { kind: 'block', block: block.serializeBinary() };
  const filtered = message.getFilteredBlock();
  if (filtered !== undefined) return { kind: 'filteredBlock', filteredBlock: filteredBlockFromMessage(filtered) };
  const both = message.getBlockAndPrivateData();
  if (both !== undefined) {
    const inner = both.getBlock();
    if (inner === undefined) throw new ProtoDecodeError('protos.DeliverResponse', 'its block_and_private_data has no block');
    return { kind: 'blockAndPrivateData', block: inner.serializeBinary() };
  }
  if (!message.hasStatus()) throw new ProtoDecodeError('protos.DeliverResponse', 'it holds none of status, block, filtered_block, block_and_private_data');
  return { kind: 'status', status: statusName(message.getStatus()) };
}
