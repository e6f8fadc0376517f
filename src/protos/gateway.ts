import { common, gateway, google, orderer, peer } from '@hyperledger/fabric-protos';
import type { Envelope } from './envelope.js';
import type { SignedProposal } from './proposal.js';
import { decodeProto, ProtoDecodeError } from './proto-error.js';
import { FOREVER_WIRE_NUMBER, seekPositionMessage, type SeekPosition } from './seek-info.js';
import type { ChaincodeEvent, ChaincodeResponse } from './transaction.js';
import { TxValidationCode, txValidationCodeName, type TxValidationCodeName } from './tx-validation-code.js';

/**
 * The messages of Fabric's Gateway service (fabric-protos gateway/gateway.proto), what the official
 * `@hyperledger/fabric-gateway` client sends to a peer:
 *
 *   Evaluate(EvaluateRequest { transaction_id, channel_id, proposed_transaction: SignedProposal, target_organizations })
 *     → EvaluateResponse { result: Response }
 *   Endorse(EndorseRequest { transaction_id, channel_id, proposed_transaction, endorsing_organizations })
 *     → EndorseResponse { prepared_transaction: Envelope }          the client signs its payload
 *   Submit(SubmitRequest { transaction_id, channel_id, prepared_transaction: Envelope }) → SubmitResponse {}
 *   CommitStatus(SignedCommitStatusRequest { request: bytes(CommitStatusRequest), signature })
 *     → CommitStatusResponse { result: TxValidationCode, block_number }
 *   ChaincodeEvents(SignedChaincodeEventsRequest { request: bytes(ChaincodeEventsRequest), signature })
 *     → stream ChaincodeEventsResponse { events: [ChaincodeEvent], block_number }
 *
 * CommitStatusRequest { transaction_id, channel_id, identity } and ChaincodeEventsRequest
 * { channel_id, chaincode_id, identity, start_position: orderer.SeekPosition, after_transaction_id }
 * travel as the bytes the client signed (SHA-256 digest, ECDSA), so the parse functions of the
 * signed wrappers return those bytes and the inner request is decoded separately.
 *
 * A failed Gateway call ends with a gRPC status whose `grpc-status-details-bin` trailer is a
 * google.rpc.Status carrying one google.protobuf.Any per ErrorDetail { address, msp_id, message }
 * (one per endorsing peer or orderer that failed); fabric-gateway's GatewayError.details reads them.
 *
 * Parse functions are lenient where Fabric's Gateway answers a missing field with its own
 * InvalidArgument message (a missing sub-message reads as undefined, a missing string as ''), and
 * throw ProtoDecodeError ('PROTO_MALFORMED') for bytes that are not the message, for a
 * TxValidationCode Fabric does not define, and for a start position that sets an unknown type.
 */

// ---- Evaluate ----------------------------------------------------------------------------------

/** `gateway.EvaluateRequest`. */
export interface EvaluateRequest {
  readonly transactionId: string;
  readonly channelId: string;
  /** Undefined when the message carries none (the Gateway answers InvalidArgument). */
  readonly proposedTransaction: SignedProposal | undefined;
  /** MSP IDs of the organizations whose peers may evaluate; empty means the Gateway chooses. */
  readonly targetOrganizations: readonly string[];
}

/** `gateway.EvaluateResponse`: the chaincode's response; undefined when the message carries none. */
export interface EvaluateResponse {
  readonly result: ChaincodeResponse | undefined;
}

// ---- Endorse, Submit -------------------------------------------------------------------------

/** `gateway.EndorseRequest`. */
export interface EndorseRequest {
  readonly transactionId: string;
  readonly channelId: string;
  readonly proposedTransaction: SignedProposal | undefined;
  /** MSP IDs that must endorse (e.g. for private data); empty means the endorsement plan decides. */
  readonly endorsingOrganizations: readonly string[];
}

/** `gateway.EndorseResponse`: the prepared, not yet signed, transaction envelope. */
export interface EndorseResponse {
  readonly preparedTransaction: Envelope | undefined;
}

/** `gateway.SubmitRequest`: the prepared transaction signed by the client. */
export interface SubmitRequest {
  readonly transactionId: string;
  readonly channelId: string;
  readonly preparedTransaction: Envelope | undefined;
}

/** `gateway.SubmitResponse` has no fields. */
export type SubmitResponse = Record<string, never>;

// ---- CommitStatus, ChaincodeEvents -------------------------------------------------------------

/**
 * `gateway.SignedCommitStatusRequest` and `gateway.SignedChaincodeEventsRequest` (same shape):
 * the serialized inner request and the requester's signature over exactly those bytes.
 */
export interface SignedGatewayRequest {
  readonly request: Uint8Array;
  readonly signature: Uint8Array;
}

/** `gateway.CommitStatusRequest`. */
export interface CommitStatusRequest {
  readonly transactionId: string;
  readonly channelId: string;
  /** The requester's msp.SerializedIdentity bytes; it must be the one that signed. */
  readonly identity: Uint8Array;
}

/** `gateway.CommitStatusResponse`. */
export interface CommitStatusResponse {
  readonly result: TxValidationCodeName;
  readonly blockNumber: number;
}

/** `gateway.ChaincodeEventsRequest`. */
export interface ChaincodeEventsRequest {
  readonly channelId: string;
  /** The chaincode name whose events are wanted. */
  readonly chaincodeId: string;
  readonly identity: Uint8Array;
  /** Undefined when absent or when it sets no type (Fabric then starts at the next commit). */
  readonly startPosition: SeekPosition | undefined;
  /** Skip the events of transactions up to and including this one; '' for none. */
  readonly afterTransactionId: string;
}

/** `gateway.ChaincodeEventsResponse`: the requested chaincode's events of one block, in transaction order. */
export interface ChaincodeEventsResponse {
  readonly events: readonly ChaincodeEvent[];
  readonly blockNumber: number;
}

// ---- Errors ------------------------------------------------------------------------------------

/** `gateway.ErrorDetail`: one remote node's failure behind a Gateway error. */
export interface ErrorDetail {
  /** The endorsing peer's or orderer's address, e.g. `peer0.org2.example.com:9051`. */
  readonly address: string;
  readonly mspId: string;
  readonly message: string;
}

/** A Gateway error as google.rpc.Status: the gRPC status code, its message and the ErrorDetails. */
export interface GatewayErrorStatus {
  /** The gRPC status code (e.g. 10 ABORTED, 9 FAILED_PRECONDITION). */
  readonly code: number;
  readonly message: string;
  readonly details: readonly ErrorDetail[];
}

/** The google.protobuf.Any type URL of an ErrorDetail (what Go's status.WithDetails writes). */
export const ERROR_DETAIL_TYPE_URL = 'type.googleapis.com/gateway.ErrorDetail';

// ---- helpers -----------------------------------------------------------------------------------

function signedProposalMessage(sp: SignedProposal): peer.SignedProposal {
  const message = new peer.SignedProposal();
  message.setProposalBytes(sp.proposalBytes);
  message.setSignature(sp.signature);
  return message;
}

function signedProposalOf(message: peer.SignedProposal | undefined): SignedProposal | undefined {
  if (message === undefined) return undefined;
  return { proposalBytes: message.getProposalBytes_asU8(), signature: message.getSignature_asU8() };
}

function envelopeMessage(e: Envelope): common.Envelope {
  const message = new common.Envelope();
  message.setPayload(e.payload);
  message.setSignature(e.signature);
  return message;
}

function envelopeOf(message: common.Envelope | undefined): Envelope | undefined {
  if (message === undefined) return undefined;
  return { payload: message.getPayload_asU8(), signature: message.getSignature_asU8() };
}

function chaincodeEventMessage(e: ChaincodeEvent): peer.ChaincodeEvent {
  const message = new peer.ChaincodeEvent();
  message.setChaincodeId(e.chaincodeId);
  message.setTxId(e.txId);
  message.setEventName(e.eventName);
  message.setPayload(e.payload);
  return message;
}

function chaincodeEventOf(message: peer.ChaincodeEvent): ChaincodeEvent {
  return { chaincodeId: message.getChaincodeId(), txId: message.getTxId(), eventName: message.getEventName(), payload: message.getPayload_asU8() };
}

/** A SeekPosition, or undefined when absent or when it sets none of its types (Go's nil GetType()). */
function seekPositionOf(message: orderer.SeekPosition | undefined): SeekPosition | undefined {
  if (message === undefined) return undefined;
  switch (message.getTypeCase()) {
    case orderer.SeekPosition.TypeCase.TYPE_NOT_SET:
      return undefined;
    case orderer.SeekPosition.TypeCase.OLDEST:
      return { kind: 'oldest' };
    case orderer.SeekPosition.TypeCase.NEWEST:
      return { kind: 'newest' };
    case orderer.SeekPosition.TypeCase.NEXT_COMMIT:
      return { kind: 'nextCommit' };
    case orderer.SeekPosition.TypeCase.SPECIFIED: {
      const number = message.getSpecified()?.getNumber() ?? 0;
      return { kind: 'specified', number: number >= FOREVER_WIRE_NUMBER ? Number.POSITIVE_INFINITY : number };
    }
    default:
      throw new ProtoDecodeError('gateway.ChaincodeEventsRequest', `its start_position sets type ${String(message.getTypeCase())}, which Fabric does not define`);
  }
}

function chaincodeResponseMessage(r: ChaincodeResponse): peer.Response {
  const message = new peer.Response();
  message.setStatus(r.status);
  message.setMessage(r.message);
  message.setPayload(r.payload);
  return message;
}

// ---- Evaluate ----------------------------------------------------------------------------------

export function buildEvaluateRequest(r: EvaluateRequest): Uint8Array {
  const message = new gateway.EvaluateRequest();
  message.setTransactionId(r.transactionId);
  message.setChannelId(r.channelId);
  if (r.proposedTransaction !== undefined) message.setProposedTransaction(signedProposalMessage(r.proposedTransaction));
  message.setTargetOrganizationsList([...r.targetOrganizations]);
  return message.serializeBinary();
}

export function parseEvaluateRequest(bytes: Uint8Array): EvaluateRequest {
  const message = decodeProto('gateway.EvaluateRequest', () => gateway.EvaluateRequest.deserializeBinary(bytes));
  return {
    transactionId: message.getTransactionId(),
    channelId: message.getChannelId(),
    proposedTransaction: signedProposalOf(message.getProposedTransaction()),
    targetOrganizations: message.getTargetOrganizationsList(),
  };
}

export function buildEvaluateResponse(r: EvaluateResponse): Uint8Array {
  const message = new gateway.EvaluateResponse();
  if (r.result !== undefined) message.setResult(chaincodeResponseMessage(r.result));
  return message.serializeBinary();
}

export function parseEvaluateResponse(bytes: Uint8Array): EvaluateResponse {
  const message = decodeProto('gateway.EvaluateResponse', () => gateway.EvaluateResponse.deserializeBinary(bytes));
  const result = message.getResult();
  return { result: result === undefined ? undefined : { status: result.getStatus(), message: result.getMessage(), payload: result.getPayload_asU8() } };
}

// ---- Endorse -----------------------------------------------------------------------------------

export function buildEndorseRequest(r: EndorseRequest): Uint8Array {
  const message = new gateway.EndorseRequest();
  message.setTransactionId(r.transactionId);
  message.setChannelId(r.channelId);
  if (r.proposedTransaction !== undefined) message.setProposedTransaction(signedProposalMessage(r.proposedTransaction));
  message.setEndorsingOrganizationsList([...r.endorsingOrganizations]);
  return message.serializeBinary();
}

export function parseEndorseRequest(bytes: Uint8Array): EndorseRequest {
  const message = decodeProto('gateway.EndorseRequest', () => gateway.EndorseRequest.deserializeBinary(bytes));
  return {
    transactionId: message.getTransactionId(),
    channelId: message.getChannelId(),
    proposedTransaction: signedProposalOf(message.getProposedTransaction()),
    endorsingOrganizations: message.getEndorsingOrganizationsList(),
  };
}

export function buildEndorseResponse(r: EndorseResponse): Uint8Array {
  const message = new gateway.EndorseResponse();
  if (r.preparedTransaction !== undefined) message.setPreparedTransaction(envelopeMessage(r.preparedTransaction));
  return message.serializeBinary();
}

export function parseEndorseResponse(bytes: Uint8Array): EndorseResponse {
  const message = decodeProto('gateway.EndorseResponse', () => gateway.EndorseResponse.deserializeBinary(bytes));
  return { preparedTransaction: envelopeOf(message.getPreparedTransaction()) };
}

// ---- Submit ------------------------------------------------------------------------------------

export function buildSubmitRequest(r: SubmitRequest): Uint8Array {
  const message = new gateway.SubmitRequest();
  message.setTransactionId(r.transactionId);
  message.setChannelId(r.channelId);
  if (r.preparedTransaction !== undefined) message.setPreparedTransaction(envelopeMessage(r.preparedTransaction));
  return message.serializeBinary();
}

export function parseSubmitRequest(bytes: Uint8Array): SubmitRequest {
  const message = decodeProto('gateway.SubmitRequest', () => gateway.SubmitRequest.deserializeBinary(bytes));
  return { transactionId: message.getTransactionId(), channelId: message.getChannelId(), preparedTransaction: envelopeOf(message.getPreparedTransaction()) };
}

export function buildSubmitResponse(): Uint8Array {
  return new gateway.SubmitResponse().serializeBinary();
}

/** Checks that `bytes` are a SubmitResponse (it has no fields). */
export function parseSubmitResponse(bytes: Uint8Array): SubmitResponse {
  decodeProto('gateway.SubmitResponse', () => gateway.SubmitResponse.deserializeBinary(bytes));
  return {};
}

// ---- CommitStatus ------------------------------------------------------------------------------

export function buildSignedCommitStatusRequest(s: SignedGatewayRequest): Uint8Array {
  const message = new gateway.SignedCommitStatusRequest();
  message.setRequest(s.request);
  message.setSignature(s.signature);
  return message.serializeBinary();
}

/** Reads the wrapper only; an empty `request` is returned as is (Fabric: "a commit status request is required"). */
export function parseSignedCommitStatusRequest(bytes: Uint8Array): SignedGatewayRequest {
  const message = decodeProto('gateway.SignedCommitStatusRequest', () => gateway.SignedCommitStatusRequest.deserializeBinary(bytes));
  return { request: message.getRequest_asU8(), signature: message.getSignature_asU8() };
}

export function buildCommitStatusRequest(r: CommitStatusRequest): Uint8Array {
  const message = new gateway.CommitStatusRequest();
  message.setTransactionId(r.transactionId);
  message.setChannelId(r.channelId);
  message.setIdentity(r.identity);
  return message.serializeBinary();
}

export function parseCommitStatusRequest(bytes: Uint8Array): CommitStatusRequest {
  const message = decodeProto('gateway.CommitStatusRequest', () => gateway.CommitStatusRequest.deserializeBinary(bytes));
  return { transactionId: message.getTransactionId(), channelId: message.getChannelId(), identity: message.getIdentity_asU8() };
}

export function buildCommitStatusResponse(r: CommitStatusResponse): Uint8Array {
  const message = new gateway.CommitStatusResponse();
  message.setResult(TxValidationCode[r.result] as peer.TxValidationCodeMap[keyof peer.TxValidationCodeMap]);
  message.setBlockNumber(r.blockNumber);
  return message.serializeBinary();
}

/** Reads a CommitStatusResponse; a result that is not one of Fabric's TxValidationCodes is refused. */
export function parseCommitStatusResponse(bytes: Uint8Array): CommitStatusResponse {
  const message = decodeProto('gateway.CommitStatusResponse', () => gateway.CommitStatusResponse.deserializeBinary(bytes));
  const code = message.getResult();
  const name = txValidationCodeName(code);
  if (!Object.hasOwn(TxValidationCode, name)) throw new ProtoDecodeError('gateway.CommitStatusResponse', `its result ${code} is not a TxValidationCode Fabric defines`);
  return { result: name as TxValidationCodeName, blockNumber: message.getBlockNumber() };
}

// ---- ChaincodeEvents ---------------------------------------------------------------------------

export function buildSignedChaincodeEventsRequest(s: SignedGatewayRequest): Uint8Array {
  const message = new gateway.SignedChaincodeEventsRequest();
  message.setRequest(s.request);
  message.setSignature(s.signature);
  return message.serializeBinary();
}

/** Reads the wrapper only; an empty `request` is returned as is (Fabric: "a chaincode events request is required"). */
export function parseSignedChaincodeEventsRequest(bytes: Uint8Array): SignedGatewayRequest {
  const message = decodeProto('gateway.SignedChaincodeEventsRequest', () => gateway.SignedChaincodeEventsRequest.deserializeBinary(bytes));
  return { request: message.getRequest_asU8(), signature: message.getSignature_asU8() };
}

export function buildChaincodeEventsRequest(r: ChaincodeEventsRequest): Uint8Array {
  const message = new gateway.ChaincodeEventsRequest();
  message.setChannelId(r.channelId);
  message.setChaincodeId(r.chaincodeId);
  message.setIdentity(r.identity);
  if (r.startPosition !== undefined) message.setStartPosition(seekPositionMessage(r.startPosition));
  message.setAfterTransactionId(r.afterTransactionId);
  return message.serializeBinary();
}

export function parseChaincodeEventsRequest(bytes: Uint8Array): ChaincodeEventsRequest {
  const message = decodeProto('gateway.ChaincodeEventsRequest', () => gateway.ChaincodeEventsRequest.deserializeBinary(bytes));
  return {
    channelId: message.getChannelId(),
    chaincodeId: message.getChaincodeId(),
    identity: message.getIdentity_asU8(),
    startPosition: seekPositionOf(message.getStartPosition()),
    afterTransactionId: message.getAfterTransactionId(),
  };
}

export function buildChaincodeEventsResponse(r: ChaincodeEventsResponse): Uint8Array {
  const message = new gateway.ChaincodeEventsResponse();
  message.setEventsList(r.events.map(chaincodeEventMessage));
  message.setBlockNumber(r.blockNumber);
  return message.serializeBinary();
}

export function parseChaincodeEventsResponse(bytes: Uint8Array): ChaincodeEventsResponse {
  const message = decodeProto('gateway.ChaincodeEventsResponse', () => gateway.ChaincodeEventsResponse.deserializeBinary(bytes));
  return { events: message.getEventsList().map(chaincodeEventOf), blockNumber: message.getBlockNumber() };
}

// ---- ErrorDetail, google.rpc.Status ------------------------------------------------------------

export function buildErrorDetail(d: ErrorDetail): Uint8Array {
  const message = new gateway.ErrorDetail();
  message.setAddress(d.address);
  message.setMspId(d.mspId);
  message.setMessage(d.message);
  return message.serializeBinary();
}

export function parseErrorDetail(bytes: Uint8Array): ErrorDetail {
  const message = decodeProto('gateway.ErrorDetail', () => gateway.ErrorDetail.deserializeBinary(bytes));
  return { address: message.getAddress(), mspId: message.getMspId(), message: message.getMessage() };
}

/** The google.rpc.Status bytes of a Gateway error (the `grpc-status-details-bin` trailer), one Any per detail. */
export function buildGatewayErrorStatus(s: GatewayErrorStatus): Uint8Array {
  const message = new google.rpc.Status();
  message.setCode(s.code);
  message.setMessage(s.message);
  for (const detail of s.details) {
    const any = message.addDetails();
    any.setTypeUrl(ERROR_DETAIL_TYPE_URL);
    any.setValue(buildErrorDetail(detail));
  }
  return message.serializeBinary();
}

/**
 * Reads a Gateway error's google.rpc.Status. Details of another type than gateway.ErrorDetail are
 * left out; an ErrorDetail whose bytes do not decode is refused.
 */
export function parseGatewayErrorStatus(bytes: Uint8Array): GatewayErrorStatus {
  const message = decodeProto('google.rpc.Status', () => google.rpc.Status.deserializeBinary(bytes));
  const details = message
    .getDetailsList()
    .filter((any) => any.getTypeUrl() === ERROR_DETAIL_TYPE_URL)
    .map((any) => parseErrorDetail(any.getValue_asU8()));
  return { code: message.getCode(), message: message.getMessage(), details };
}
