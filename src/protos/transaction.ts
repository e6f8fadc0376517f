import { createHash } from 'node:crypto';
import { peer } from '@hyperledger/fabric-protos';
import { decodeProto, ProtoDecodeError, unlessMalformed } from './proto-error.js';
import { noBytes, WireReader } from './wire-reader.js';

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
  return readChaincodeId(WireReader.of(bytes, 'peer.ChaincodeID'));
}

function readChaincodeId(r: WireReader): ChaincodeId {
  let path = '';
  let name = '';
  let version = '';
  while (r.next()) {
    switch (r.field) {
      case 1: path = r.string(); break;
      case 2: name = r.string(); break;
      case 3: version = r.string(); break;
      default: r.skip();
    }
  }
  return { name, version, path };
}

// ---- Endorsement, ChaincodeEndorsedAction, ChaincodeActionPayload --------------------------------

function endorsementMessageOf(e: Endorsement): peer.Endorsement {
  const message = new peer.Endorsement();
  message.setEndorser(e.endorser);
  message.setSignature(e.signature);
  return message;
}

export function buildEndorsement(x: Endorsement): Uint8Array {
  return endorsementMessageOf(x).serializeBinary();
}

export function parseEndorsement(bytes: Uint8Array): Endorsement {
  return readEndorsement(WireReader.of(bytes, 'peer.Endorsement'));
}

function readEndorsement(r: WireReader): Endorsement {
  let endorser: Uint8Array | undefined;
  let signature: Uint8Array | undefined;
  while (r.next()) {
    switch (r.field) {
      case 1: endorser = r.bytes(); break;
      case 2: signature = r.bytes(); break;
      default: r.skip();
    }
  }
  return { endorser: endorser ?? noBytes(), signature: signature ?? noBytes() };
}

function endorsedActionMessage(x: ChaincodeEndorsedAction): peer.ChaincodeEndorsedAction {
  const message = new peer.ChaincodeEndorsedAction();
  message.setProposalResponsePayload(x.proposalResponsePayload);
  message.setEndorsementsList(x.endorsements.map(endorsementMessageOf));
  return message;
}

function readEndorsedAction(r: WireReader): ChaincodeEndorsedAction {
  let proposalResponsePayload: Uint8Array | undefined;
  const endorsements: Endorsement[] = [];
  while (r.next()) {
    switch (r.field) {
      case 1: proposalResponsePayload = r.bytes(); break;
      case 2: endorsements.push(readEndorsement(r.message('peer.Endorsement'))); break;
      default: r.skip();
    }
  }
  return { proposalResponsePayload: proposalResponsePayload ?? noBytes(), endorsements };
}

export function buildChaincodeEndorsedAction(x: ChaincodeEndorsedAction): Uint8Array {
  return endorsedActionMessage(x).serializeBinary();
}

export function parseChaincodeEndorsedAction(bytes: Uint8Array): ChaincodeEndorsedAction {
  return readEndorsedAction(WireReader.of(bytes, 'peer.ChaincodeEndorsedAction'));
}

export function buildChaincodeActionPayload(x: ChaincodeActionPayload): Uint8Array {
  const message = new peer.ChaincodeActionPayload();
  message.setChaincodeProposalPayload(x.chaincodeProposalPayload);
  message.setAction(endorsedActionMessage(x.action));
  return message.serializeBinary();
}

/** Reads a ChaincodeActionPayload; one without an action is refused (Fabric: "nil ChaincodeEndorsedAction"). */
export function parseChaincodeActionPayload(bytes: Uint8Array): ChaincodeActionPayload {
  const r = WireReader.of(bytes, 'peer.ChaincodeActionPayload');
  let chaincodeProposalPayload: Uint8Array | undefined;
  let action: ChaincodeEndorsedAction | undefined;
  while (r.next()) {
    switch (r.field) {
      case 1: chaincodeProposalPayload = r.bytes(); break;
      case 2: action = readEndorsedAction(r.message('peer.ChaincodeEndorsedAction')); break;
      default: r.skip();
    }
  }
  if (action === undefined) throw r.error('it has no action (ChaincodeEndorsedAction)');
  return { chaincodeProposalPayload: chaincodeProposalPayload ?? noBytes(), action };
}

// ---- Transaction, TransactionAction ------------------------------------------------------------

function transactionActionMessage(x: TransactionAction): peer.TransactionAction {
  const message = new peer.TransactionAction();
  message.setHeader(x.header);
  message.setPayload(x.payload);
  return message;
}

function readTransactionAction(r: WireReader): TransactionAction {
  let header: Uint8Array | undefined;
  let payload: Uint8Array | undefined;
  while (r.next()) {
    switch (r.field) {
      case 1: header = r.bytes(); break;
      case 2: payload = r.bytes(); break;
      default: r.skip();
    }
  }
  return { header: header ?? noBytes(), payload: payload ?? noBytes() };
}

export function buildTransactionAction(x: TransactionAction): Uint8Array {
  return transactionActionMessage(x).serializeBinary();
}

export function parseTransactionAction(bytes: Uint8Array): TransactionAction {
  return readTransactionAction(WireReader.of(bytes, 'peer.TransactionAction'));
}

export function buildTransaction(x: Transaction): Uint8Array {
  const message = new peer.Transaction();
  message.setActionsList(x.actions.map(transactionActionMessage));
  return message.serializeBinary();
}

/** Reads a Transaction; any number of actions (including none) is returned for the validator to judge. */
export function parseTransaction(bytes: Uint8Array): Transaction {
  const r = WireReader.of(bytes, 'peer.Transaction');
  const actions: TransactionAction[] = [];
  while (r.next()) {
    if (r.field === 1) actions.push(readTransactionAction(r.message('peer.TransactionAction')));
    else r.skip();
  }
  return { actions };
}

// ---- ProposalResponsePayload, Response, ChaincodeAction ------------------------------------------

export function buildProposalResponsePayload(x: ProposalResponsePayload): Uint8Array {
  const message = new peer.ProposalResponsePayload();
  message.setProposalHash(x.proposalHash);
  message.setExtension$(x.extension);
  return message.serializeBinary();
}

export function parseProposalResponsePayload(bytes: Uint8Array): ProposalResponsePayload {
  const r = WireReader.of(bytes, 'peer.ProposalResponsePayload');
  let proposalHash: Uint8Array | undefined;
  let extension: Uint8Array | undefined;
  while (r.next()) {
    switch (r.field) {
      case 1: proposalHash = r.bytes(); break;
      case 2: extension = r.bytes(); break;
      default: r.skip();
    }
  }
  return { proposalHash: proposalHash ?? noBytes(), extension: extension ?? noBytes() };
}

function responseMessage(x: ChaincodeResponse): peer.Response {
  const message = new peer.Response();
  message.setStatus(x.status);
  message.setMessage(x.message);
  message.setPayload(x.payload);
  return message;
}

function readResponse(r: WireReader): ChaincodeResponse {
  let status = 0;
  let message = '';
  let payload: Uint8Array | undefined;
  while (r.next()) {
    switch (r.field) {
      case 1: status = r.int32(); break;
      case 2: message = r.string(); break;
      case 3: payload = r.bytes(); break;
      default: r.skip();
    }
  }
  return { status, message, payload: payload ?? noBytes() };
}

export function buildChaincodeResponse(x: ChaincodeResponse): Uint8Array {
  return responseMessage(x).serializeBinary();
}

export function parseChaincodeResponse(bytes: Uint8Array): ChaincodeResponse {
  return readResponse(WireReader.of(bytes, 'peer.Response'));
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
  const r = WireReader.of(bytes, 'peer.ChaincodeAction');
  let results: Uint8Array | undefined;
  let events: Uint8Array | undefined;
  let response: ChaincodeResponse | undefined;
  let chaincodeId: ChaincodeId | undefined;
  while (r.next()) {
    switch (r.field) {
      case 1: results = r.bytes(); break;
      case 2: events = r.bytes(); break;
      case 3: response = readResponse(r.message('peer.Response')); break;
      case 4: chaincodeId = readChaincodeId(r.message('peer.ChaincodeID')); break;
      default: r.skip();
    }
  }
  if (chaincodeId === undefined) throw r.error('it has no chaincode_id');
  return { results: results ?? noBytes(), events: events ?? noBytes(), response: response ?? { status: 0, message: '', payload: noBytes() }, chaincodeId };
}

// ---- ChaincodeHeaderExtension, ChaincodeEvent ----------------------------------------------------

export function buildChaincodeHeaderExtension(x: ChaincodeHeaderExtension): Uint8Array {
  const message = new peer.ChaincodeHeaderExtension();
  message.setChaincodeId(chaincodeIdMessage(x.chaincodeId));
  return message.serializeBinary();
}

/** Reads a ChaincodeHeaderExtension; one without chaincode_id is refused, as Fabric's endorser refuses it. */
export function parseChaincodeHeaderExtension(bytes: Uint8Array): ChaincodeHeaderExtension {
  const r = WireReader.of(bytes, 'peer.ChaincodeHeaderExtension');
  let chaincodeId: ChaincodeId | undefined;
  while (r.next()) {
    if (r.field === 2) chaincodeId = readChaincodeId(r.message('peer.ChaincodeID'));
    else r.skip();
  }
  if (chaincodeId === undefined) throw r.error('it has no chaincode_id');
  return { chaincodeId };
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

/**
 * The chaincode events of an endorser transaction's actions (the `common.Payload.data` bytes), in
 * action order, as Fabric's deliver and gateway code read them: an action that does not decode, or
 * that emitted no event, is left out.
 */
export function chaincodeEventsOfTransaction(transactionBytes: Uint8Array): ChaincodeEvent[] {
  const transaction = unlessMalformed(() => parseTransaction(transactionBytes));
  if (transaction === undefined) return [];
  const events: ChaincodeEvent[] = [];
  for (const action of transaction.actions) {
    const event = unlessMalformed(() => {
      const endorsed = parseChaincodeActionPayload(action.payload).action;
      const chaincodeAction = parseChaincodeAction(parseProposalResponsePayload(endorsed.proposalResponsePayload).extension);
      return chaincodeAction.events.length === 0 ? undefined : parseChaincodeEvent(chaincodeAction.events);
    });
    if (event !== undefined) events.push(event);
  }
  return events;
}
