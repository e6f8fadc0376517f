import { createHash } from 'node:crypto';
import { peer } from '@hyperledger/fabric-protos';
import { decodeProto, ProtoDecodeError } from './proto-error.js';

/**
 * Fabric's endorser-transaction messages (peer/transaction.proto, proposal.proto,
 * proposal_response.proto, chaincode.proto, chaincode_event.proto). An ENDORSER_TRANSACTION
 * Payload's data is a Transaction:
 *
 *   Transaction             { actions: [TransactionAction] }                     (Fabric uses exactly one)
 *   TransactionAction       { header: bytes(SignatureHeader), payload: bytes(ChaincodeActionPayload) }
 *   ChaincodeActionPayload  { chaincode_proposal_payload: bytes(ChaincodeProposalPayload, no transient map),
 *                             action: ChaincodeEndorsedAction }
 *   ChaincodeEndorsedAction { proposal_response_payload: bytes(ProposalResponsePayload), endorsements }
 *   ProposalResponsePayload { proposal_hash, extension: bytes(ChaincodeAction) }
 *   ChaincodeAction         { results: bytes(TxReadWriteSet), events: bytes(ChaincodeEvent), response, chaincode_id }
 *
 * As in envelope.ts, nested messages that are signed or hashed stay bytes and are decoded one
 * level at a time. Every parse* turns bytes that do not decode, or that lack a sub-message the
 * type needs, into ProtoDecodeError ('PROTO_MALFORMED') naming the message that failed.
 * Semantic checks (one action, a known chaincode, ...) are the validator's, not these parsers'.
 */

/** `peer.ChaincodeID`. */
export interface ChaincodeId { readonly name: string; readonly version: string; readonly path: string }
/** `peer.Endorsement`: endorser = SerializedIdentity bytes; signature over endorsementMessage(). */
export interface Endorsement { readonly endorser: Uint8Array; readonly signature: Uint8Array }
/** `peer.ChaincodeEndorsedAction`: the one response payload all endorsers signed, and their signatures. */
export interface ChaincodeEndorsedAction { readonly proposalResponsePayload: Uint8Array; readonly endorsements: readonly Endorsement[] }
/** `peer.ChaincodeActionPayload`. */
export interface ChaincodeActionPayload { readonly chaincodeProposalPayload: Uint8Array; readonly action: ChaincodeEndorsedAction }
/** `peer.TransactionAction`. */
export interface TransactionAction { readonly header: Uint8Array /* SignatureHeader bytes */; readonly payload: Uint8Array /* ChaincodeActionPayload bytes */ }
/** `peer.Transaction`. */
export interface Transaction { readonly actions: readonly TransactionAction[] }
/** `peer.ProposalResponsePayload`. */
export interface ProposalResponsePayload { readonly proposalHash: Uint8Array; readonly extension: Uint8Array /* ChaincodeAction bytes */ }
/** `peer.Response`: what the chaincode returned (status 200 = OK, >= 400 = error). */
export interface ChaincodeResponse { readonly status: number; readonly message: string; readonly payload: Uint8Array }
/** `peer.ChaincodeAction`. A missing response reads as status 0, as protobuf zero values would. */
export interface ChaincodeAction {
  readonly results: Uint8Array /* TxReadWriteSet bytes */;
  readonly events: Uint8Array /* ChaincodeEvent bytes, may be empty */;
  readonly response: ChaincodeResponse;
  readonly chaincodeId: ChaincodeId;
}
/** `peer.ChaincodeHeaderExtension`: ChannelHeader.extension of an endorser transaction. */
export interface ChaincodeHeaderExtension { readonly chaincodeId: ChaincodeId }
/** `peer.ChaincodeEvent`. */
export interface ChaincodeEvent { readonly chaincodeId: string; readonly txId: string; readonly eventName: string; readonly payload: Uint8Array }
/** `peer.ChaincodeInput`: args[0] is the function name by convention. */
export interface ChaincodeInput { readonly args: readonly Uint8Array[]; readonly isInit: boolean }
/** `peer.ChaincodeInvocationSpec`, with its one ChaincodeSpec flattened in. */
export interface ChaincodeInvocationSpec { readonly chaincodeId: ChaincodeId; readonly input: ChaincodeInput; readonly type?: number /* ChaincodeSpec.Type, default NODE */ }
/** `peer.ChaincodeProposalPayload`. */
export interface ChaincodeProposalPayload { readonly input: Uint8Array /* ChaincodeInvocationSpec bytes */; readonly transientMap: ReadonlyMap<string, Uint8Array> }

/** `peer.ChaincodeSpec.Type`. */
export const ChaincodeType = { UNDEFINED: 0, GOLANG: 1, NODE: 2, CAR: 3, JAVA: 4 } as const;

// ---- ChaincodeID -------------------------------------------------------------------------------

function chaincodeIdMessage(id: ChaincodeId): peer.ChaincodeID {
  const message = new peer.ChaincodeID();
  message.setName(id.name);
  message.setVersion(id.version);
  message.setPath(id.path);
  return message;
}

function chaincodeIdOf(message: peer.ChaincodeID): ChaincodeId {
  return { name: message.getName(), version: message.getVersion(), path: message.getPath() };
}

function requireChaincodeId(message: peer.ChaincodeID | undefined, container: string): ChaincodeId {
  if (message === undefined) throw new ProtoDecodeError(container, 'it has no chaincode_id');
  return chaincodeIdOf(message);
}

export function buildChaincodeId(x: ChaincodeId): Uint8Array {
  return chaincodeIdMessage(x).serializeBinary();
}

export function parseChaincodeId(bytes: Uint8Array): ChaincodeId {
  return chaincodeIdOf(decodeProto('peer.ChaincodeID', () => peer.ChaincodeID.deserializeBinary(bytes)));
}

// ---- Endorsement, ChaincodeEndorsedAction, ChaincodeActionPayload --------------------------------

function endorsementMessageOf(e: Endorsement): peer.Endorsement {
  const message = new peer.Endorsement();
  message.setEndorser(e.endorser);
  message.setSignature(e.signature);
  return message;
}

function endorsementOf(message: peer.Endorsement): Endorsement {
  return { endorser: message.getEndorser_asU8(), signature: message.getSignature_asU8() };
}

export function buildEndorsement(x: Endorsement): Uint8Array {
  return endorsementMessageOf(x).serializeBinary();
}

export function parseEndorsement(bytes: Uint8Array): Endorsement {
  return endorsementOf(decodeProto('peer.Endorsement', () => peer.Endorsement.deserializeBinary(bytes)));
}

function endorsedActionMessage(x: ChaincodeEndorsedAction): peer.ChaincodeEndorsedAction {
  const message = new peer.ChaincodeEndorsedAction();
  message.setProposalResponsePayload(x.proposalResponsePayload);
  message.setEndorsementsList(x.endorsements.map(endorsementMessageOf));
  return message;
}

function endorsedActionOf(message: peer.ChaincodeEndorsedAction): ChaincodeEndorsedAction {
  return { proposalResponsePayload: message.getProposalResponsePayload_asU8(), endorsements: message.getEndorsementsList().map(endorsementOf) };
}

export function buildChaincodeEndorsedAction(x: ChaincodeEndorsedAction): Uint8Array {
  return endorsedActionMessage(x).serializeBinary();
}

export function parseChaincodeEndorsedAction(bytes: Uint8Array): ChaincodeEndorsedAction {
  return endorsedActionOf(decodeProto('peer.ChaincodeEndorsedAction', () => peer.ChaincodeEndorsedAction.deserializeBinary(bytes)));
}

export function buildChaincodeActionPayload(x: ChaincodeActionPayload): Uint8Array {
  const message = new peer.ChaincodeActionPayload();
  message.setChaincodeProposalPayload(x.chaincodeProposalPayload);
  message.setAction(endorsedActionMessage(x.action));
  return message.serializeBinary();
}

/** Reads a ChaincodeActionPayload; one without an action is refused (Fabric: "nil ChaincodeEndorsedAction"). */
export function parseChaincodeActionPayload(bytes: Uint8Array): ChaincodeActionPayload {
  const message = decodeProto('peer.ChaincodeActionPayload', () => peer.ChaincodeActionPayload.deserializeBinary(bytes));
  const action = message.getAction();
  if (action === undefined) throw new ProtoDecodeError('peer.ChaincodeActionPayload', 'it has no action (ChaincodeEndorsedAction)');
  return { chaincodeProposalPayload: message.getChaincodeProposalPayload_asU8(), action: endorsedActionOf(action) };
}

// ---- Transaction, TransactionAction ------------------------------------------------------------

function transactionActionMessage(x: TransactionAction): peer.TransactionAction {
  const message = new peer.TransactionAction();
  message.setHeader(x.header);
  message.setPayload(x.payload);
  return message;
}

function transactionActionOf(message: peer.TransactionAction): TransactionAction {
  return { header: message.getHeader_asU8(), payload: message.getPayload_asU8() };
}

export function buildTransactionAction(x: TransactionAction): Uint8Array {
  return transactionActionMessage(x).serializeBinary();
}

export function parseTransactionAction(bytes: Uint8Array): TransactionAction {
  return transactionActionOf(decodeProto('peer.TransactionAction', () => peer.TransactionAction.deserializeBinary(bytes)));
}

export function buildTransaction(x: Transaction): Uint8Array {
  const message = new peer.Transaction();
  message.setActionsList(x.actions.map(transactionActionMessage));
  return message.serializeBinary();
}

/** Reads a Transaction; any number of actions (including none) is returned for the validator to judge. */
export function parseTransaction(bytes: Uint8Array): Transaction {
  const message = decodeProto('peer.Transaction', () => peer.Transaction.deserializeBinary(bytes));
  return { actions: message.getActionsList().map(transactionActionOf) };
}

// ---- ProposalResponsePayload, Response, ChaincodeAction ------------------------------------------

export function buildProposalResponsePayload(x: ProposalResponsePayload): Uint8Array {
  const message = new peer.ProposalResponsePayload();
  message.setProposalHash(x.proposalHash);
  message.setExtension$(x.extension);
  return message.serializeBinary();
}

export function parseProposalResponsePayload(bytes: Uint8Array): ProposalResponsePayload {
  const message = decodeProto('peer.ProposalResponsePayload', () => peer.ProposalResponsePayload.deserializeBinary(bytes));
  return { proposalHash: message.getProposalHash_asU8(), extension: message.getExtension_asU8() };
}

function responseMessage(x: ChaincodeResponse): peer.Response {
  const message = new peer.Response();
  message.setStatus(x.status);
  message.setMessage(x.message);
  message.setPayload(x.payload);
  return message;
}

function responseOf(message: peer.Response | undefined): ChaincodeResponse {
  if (message === undefined) return { status: 0, message: '', payload: new Uint8Array() };
  return { status: message.getStatus(), message: message.getMessage(), payload: message.getPayload_asU8() };
}

export function buildChaincodeResponse(x: ChaincodeResponse): Uint8Array {
  return responseMessage(x).serializeBinary();
}

export function parseChaincodeResponse(bytes: Uint8Array): ChaincodeResponse {
  return responseOf(decodeProto('peer.Response', () => peer.Response.deserializeBinary(bytes)));
}

export function buildChaincodeAction(x: ChaincodeAction): Uint8Array {
  const message = new peer.ChaincodeAction();
  message.setResults(x.results);
  message.setEvents(x.events);
  message.setResponse(responseMessage(x.response));
  message.setChaincodeId(chaincodeIdMessage(x.chaincodeId));
  return message.serializeBinary();
}

/** Reads a ChaincodeAction; one without chaincode_id is refused (the validator needs to know which chaincode acted). */
export function parseChaincodeAction(bytes: Uint8Array): ChaincodeAction {
  const message = decodeProto('peer.ChaincodeAction', () => peer.ChaincodeAction.deserializeBinary(bytes));
  return {
    results: message.getResults_asU8(),
    events: message.getEvents_asU8(),
    response: responseOf(message.getResponse()),
    chaincodeId: requireChaincodeId(message.getChaincodeId(), 'peer.ChaincodeAction'),
  };
}

// ---- ChaincodeHeaderExtension, ChaincodeEvent ----------------------------------------------------

export function buildChaincodeHeaderExtension(x: ChaincodeHeaderExtension): Uint8Array {
  const message = new peer.ChaincodeHeaderExtension();
  message.setChaincodeId(chaincodeIdMessage(x.chaincodeId));
  return message.serializeBinary();
}

/** Reads a ChaincodeHeaderExtension; one without chaincode_id is refused, as Fabric's endorser refuses it. */
export function parseChaincodeHeaderExtension(bytes: Uint8Array): ChaincodeHeaderExtension {
  const message = decodeProto('peer.ChaincodeHeaderExtension', () => peer.ChaincodeHeaderExtension.deserializeBinary(bytes));
  return { chaincodeId: requireChaincodeId(message.getChaincodeId(), 'peer.ChaincodeHeaderExtension') };
}

export function buildChaincodeEvent(x: ChaincodeEvent): Uint8Array {
  const message = new peer.ChaincodeEvent();
  message.setChaincodeId(x.chaincodeId);
  message.setTxId(x.txId);
  message.setEventName(x.eventName);
  message.setPayload(x.payload);
  return message.serializeBinary();
}

export function parseChaincodeEvent(bytes: Uint8Array): ChaincodeEvent {
  const message = decodeProto('peer.ChaincodeEvent', () => peer.ChaincodeEvent.deserializeBinary(bytes));
  return { chaincodeId: message.getChaincodeId(), txId: message.getTxId(), eventName: message.getEventName(), payload: message.getPayload_asU8() };
}

// ---- ChaincodeInput, ChaincodeInvocationSpec, ChaincodeProposalPayload ----------------------------

function inputMessage(x: ChaincodeInput): peer.ChaincodeInput {
  const message = new peer.ChaincodeInput();
  message.setArgsList([...x.args]);
  message.setIsInit(x.isInit);
  return message;
}

function inputOf(message: peer.ChaincodeInput | undefined): ChaincodeInput {
  if (message === undefined) return { args: [], isInit: false };
  return { args: message.getArgsList_asU8(), isInit: message.getIsInit() };
}

export function buildChaincodeInput(x: ChaincodeInput): Uint8Array {
  return inputMessage(x).serializeBinary();
}

export function parseChaincodeInput(bytes: Uint8Array): ChaincodeInput {
  return inputOf(decodeProto('peer.ChaincodeInput', () => peer.ChaincodeInput.deserializeBinary(bytes)));
}

export function buildChaincodeInvocationSpec(x: ChaincodeInvocationSpec): Uint8Array {
  const spec = new peer.ChaincodeSpec();
  spec.setType((x.type ?? ChaincodeType.NODE) as peer.ChaincodeSpec.TypeMap[keyof peer.ChaincodeSpec.TypeMap]);
  spec.setChaincodeId(chaincodeIdMessage(x.chaincodeId));
  spec.setInput(inputMessage(x.input));
  const message = new peer.ChaincodeInvocationSpec();
  message.setChaincodeSpec(spec);
  return message.serializeBinary();
}

/** Reads a ChaincodeInvocationSpec; its chaincode_spec and the spec's chaincode_id must be present (a missing input reads as no args). */
export function parseChaincodeInvocationSpec(bytes: Uint8Array): ChaincodeInvocationSpec {
  const message = decodeProto('peer.ChaincodeInvocationSpec', () => peer.ChaincodeInvocationSpec.deserializeBinary(bytes));
  const spec = message.getChaincodeSpec();
  if (spec === undefined) throw new ProtoDecodeError('peer.ChaincodeInvocationSpec', 'it has no chaincode_spec');
  return {
    chaincodeId: requireChaincodeId(spec.getChaincodeId(), 'peer.ChaincodeSpec'),
    input: inputOf(spec.getInput()),
    type: spec.getType(),
  };
}

/** Writes a ChaincodeProposalPayload; transient entries are written in key order, so equal maps give equal bytes. */
export function buildChaincodeProposalPayload(x: ChaincodeProposalPayload): Uint8Array {
  const message = new peer.ChaincodeProposalPayload();
  message.setInput(x.input);
  const map = message.getTransientmapMap();
  for (const key of [...x.transientMap.keys()].sort()) map.set(key, x.transientMap.get(key) ?? new Uint8Array());
  return message.serializeBinary();
}

export function parseChaincodeProposalPayload(bytes: Uint8Array): ChaincodeProposalPayload {
  const message = decodeProto('peer.ChaincodeProposalPayload', () => peer.ChaincodeProposalPayload.deserializeBinary(bytes));
  const transientMap = new Map<string, Uint8Array>();
  message.getTransientmapMap().forEach((value: Uint8Array | string, key: string) => {
    transientMap.set(key, typeof value === 'string' ? new Uint8Array(Buffer.from(value, 'base64')) : value);
  });
  return { input: message.getInput_asU8(), transientMap };
}

// ---- Signing and hashing -------------------------------------------------------------------------

/**
 * The bytes an endorser signs and a validator verifies an Endorsement against: the proposal
 * response payload bytes followed by the endorser's SerializedIdentity bytes (Fabric's endorser
 * signs `append(prpBytes, endorser...)`; the committer checks SignedData over the same).
 */
export function endorsementMessage(proposalResponsePayload: Uint8Array, endorser: Uint8Array): Uint8Array {
  const out = new Uint8Array(proposalResponsePayload.length + endorser.length);
  out.set(proposalResponsePayload, 0);
  out.set(endorser, proposalResponsePayload.length);
  return out;
}

/**
 * ProposalResponsePayload.proposal_hash as Fabric's endorser computes it (protoutil.GetProposalHash1):
 * SHA-256 over the proposal's ChannelHeader bytes ‖ SignatureHeader bytes ‖ the ChaincodeProposalPayload
 * re-serialized without its transient map. The caller passes that last one already stripped (the
 * bytes a transaction carries in ChaincodeActionPayload.chaincode_proposal_payload); then this is
 * also GetProposalHash2, so a committer can recompute the hash from the transaction alone.
 */
export function proposalHash(channelHeader: Uint8Array, signatureHeader: Uint8Array, chaincodeProposalPayloadWithoutTransient: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(channelHeader).update(signatureHeader).update(chaincodeProposalPayloadWithoutTransient).digest());
}
