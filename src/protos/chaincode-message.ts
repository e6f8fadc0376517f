import { ledger, peer } from '@hyperledger/fabric-protos';
import { decodeProto, ProtoDecodeError } from './proto-error.js';
import type { SignedProposal } from './proposal.js';
import { buildTimestamp, timestampMs, type TimestampMessage } from './timestamp.js';
import type { ChaincodeEvent } from './transaction.js';

/**
 * Fabric's chaincode protocol messages (fabric-protos peer/chaincode_shim.proto and
 * ledger/queryresult/kv_query_result.proto): what a peer and a chaincode process exchange on the
 * `protos.ChaincodeSupport/Register` bidi stream (and chaincode-as-a-service `protos.Chaincode/Connect`).
 *
 *   ChaincodeMessage { type, timestamp, payload: bytes(one of the messages below), txid,
 *                      proposal: SignedProposal, chaincode_event, channel_id }
 *
 * The payload's message depends on the type: REGISTER carries a ChaincodeID, INIT/TRANSACTION a
 * ChaincodeInput, GET_STATE a GetState, ... RESPONSE the answer to the request (raw value bytes for
 * GET_STATE, a QueryResponse for range and history queries), ERROR a UTF-8 message, COMPLETED a
 * peer.Response. The payload messages reused from transaction.ts (ChaincodeID, ChaincodeInput,
 * ChaincodeEvent, Response) are re-exported here.
 *
 * Parsers refuse bytes that do not decode (ProtoDecodeError 'PROTO_MALFORMED'); semantic checks
 * (an empty key, an unknown message type) are left to the handler, which answers them as Fabric does.
 */

export {
  buildChaincodeEvent,
  buildChaincodeId,
  buildChaincodeInput,
  buildChaincodeResponse,
  parseChaincodeEvent,
  parseChaincodeId,
  parseChaincodeInput,
  parseChaincodeResponse,
  type ChaincodeEvent,
  type ChaincodeId,
  type ChaincodeInput,
  type ChaincodeResponse,
} from './transaction.js';

/** `protos.ChaincodeMessage.Type` (numbers as on the wire). */
export const ChaincodeMessageType = {
  UNDEFINED: 0,
  REGISTER: 1,
  REGISTERED: 2,
  INIT: 3,
  READY: 4,
  TRANSACTION: 5,
  COMPLETED: 6,
  ERROR: 7,
  GET_STATE: 8,
  PUT_STATE: 9,
  DEL_STATE: 10,
  INVOKE_CHAINCODE: 11,
  RESPONSE: 13,
  GET_STATE_BY_RANGE: 14,
  GET_QUERY_RESULT: 15,
  QUERY_STATE_NEXT: 16,
  QUERY_STATE_CLOSE: 17,
  KEEPALIVE: 18,
  GET_HISTORY_FOR_KEY: 19,
  GET_STATE_METADATA: 20,
  PUT_STATE_METADATA: 21,
  GET_PRIVATE_DATA_HASH: 22,
  PURGE_PRIVATE_DATA: 23,
  WRITE_BATCH_STATE: 24,
  GET_STATE_MULTIPLE: 25,
} as const;

export type ChaincodeMessageTypeName = keyof typeof ChaincodeMessageType;

const typeNames = new Map<number, ChaincodeMessageTypeName>(
  Object.entries(ChaincodeMessageType).map(([name, value]) => [value, name as ChaincodeMessageTypeName]),
);

/** The name of a message type, as Fabric logs it (`TYPE_42` for a number the protocol does not define). */
export function chaincodeMessageTypeName(type: number): string {
  return typeNames.get(type) ?? `TYPE_${type}`;
}

/** `protos.ChaincodeMessage`. */
export interface ChaincodeMessage {
  /** A ChaincodeMessageType value; parse keeps unknown numbers so the handler can answer them. */
  readonly type: number;
  /** Fabric leaves it unset on most messages. Whole milliseconds. */
  readonly timestampMs?: number;
  readonly payload: Uint8Array;
  readonly txid: string;
  readonly channelId: string;
  /** INIT/TRANSACTION carry the client's signed proposal (the shim's stub decodes creator, transient map...). */
  readonly proposal?: SignedProposal;
  /** COMPLETED carries the chaincode's event (stub.setEvent), if any. */
  readonly chaincodeEvent?: ChaincodeEvent;
}

type MessageTypeValue = peer.ChaincodeMessage.TypeMap[keyof peer.ChaincodeMessage.TypeMap];

export function buildChaincodeMessage(m: ChaincodeMessage): Uint8Array {
  const message = new peer.ChaincodeMessage();
  message.setType(m.type as MessageTypeValue);
  if (m.timestampMs !== undefined) message.setTimestamp(buildTimestamp(m.timestampMs));
  message.setPayload(m.payload);
  message.setTxid(m.txid);
  message.setChannelId(m.channelId);
  if (m.proposal !== undefined) {
    const sp = new peer.SignedProposal();
    sp.setProposalBytes(m.proposal.proposalBytes);
    sp.setSignature(m.proposal.signature);
    message.setProposal(sp);
  }
  if (m.chaincodeEvent !== undefined) {
    const event = new peer.ChaincodeEvent();
    event.setChaincodeId(m.chaincodeEvent.chaincodeId);
    event.setTxId(m.chaincodeEvent.txId);
    event.setEventName(m.chaincodeEvent.eventName);
    event.setPayload(m.chaincodeEvent.payload);
    message.setChaincodeEvent(event);
  }
  return message.serializeBinary();
}

/** Reads a ChaincodeMessage. Bytes that do not decode throw ProtoDecodeError; an unknown type is kept as its number. */
export function parseChaincodeMessage(bytes: Uint8Array): ChaincodeMessage {
  const message = decodeProto('protos.ChaincodeMessage', () => peer.ChaincodeMessage.deserializeBinary(bytes));
  const timestamp = message.getTimestamp() as TimestampMessage | undefined;
  const proposal = message.getProposal();
  const event = message.getChaincodeEvent();
  return {
    type: message.getType(),
    ...(timestamp === undefined ? {} : { timestampMs: timestampMs(timestamp) }),
    payload: message.getPayload_asU8(),
    txid: message.getTxid(),
    channelId: message.getChannelId(),
    ...(proposal === undefined ? {} : { proposal: { proposalBytes: proposal.getProposalBytes_asU8(), signature: proposal.getSignature_asU8() } }),
    ...(event === undefined
      ? {}
      : { chaincodeEvent: { chaincodeId: event.getChaincodeId(), txId: event.getTxId(), eventName: event.getEventName(), payload: event.getPayload_asU8() } }),
  };
}

// ---- key requests: GetState (also GET_PRIVATE_DATA_HASH), GetStateMetadata, DelState, GetHistoryForKey

/** `protos.GetState`; a non-empty `collection` means private data. */
export interface GetStateRequest {
  readonly key: string;
  readonly collection: string;
}

export function buildGetState(x: GetStateRequest): Uint8Array {
  const message = new peer.GetState();
  message.setKey(x.key);
  message.setCollection(x.collection);
  return message.serializeBinary();
}

export function parseGetState(bytes: Uint8Array): GetStateRequest {
  const message = decodeProto('protos.GetState', () => peer.GetState.deserializeBinary(bytes));
  return { key: message.getKey(), collection: message.getCollection() };
}

/** `protos.GetStateMetadata`. */
export function buildGetStateMetadata(x: GetStateRequest): Uint8Array {
  const message = new peer.GetStateMetadata();
  message.setKey(x.key);
  message.setCollection(x.collection);
  return message.serializeBinary();
}

export function parseGetStateMetadata(bytes: Uint8Array): GetStateRequest {
  const message = decodeProto('protos.GetStateMetadata', () => peer.GetStateMetadata.deserializeBinary(bytes));
  return { key: message.getKey(), collection: message.getCollection() };
}

/** `protos.DelState` (also PURGE_PRIVATE_DATA's payload). */
export function buildDelState(x: GetStateRequest): Uint8Array {
  const message = new peer.DelState();
  message.setKey(x.key);
  message.setCollection(x.collection);
  return message.serializeBinary();
}

export function parseDelState(bytes: Uint8Array): GetStateRequest {
  const message = decodeProto('protos.DelState', () => peer.DelState.deserializeBinary(bytes));
  return { key: message.getKey(), collection: message.getCollection() };
}

/** `protos.GetHistoryForKey`. */
export function buildGetHistoryForKey(key: string): Uint8Array {
  const message = new peer.GetHistoryForKey();
  message.setKey(key);
  return message.serializeBinary();
}

export function parseGetHistoryForKey(bytes: Uint8Array): { readonly key: string } {
  const message = decodeProto('protos.GetHistoryForKey', () => peer.GetHistoryForKey.deserializeBinary(bytes));
  return { key: message.getKey() };
}

// ---- writes: PutState, PutStateMetadata ---------------------------------------------------------

/** `protos.PutState`. */
export interface PutStateRequest {
  readonly key: string;
  readonly value: Uint8Array;
  readonly collection: string;
}

export function buildPutState(x: PutStateRequest): Uint8Array {
  const message = new peer.PutState();
  message.setKey(x.key);
  message.setValue(x.value);
  message.setCollection(x.collection);
  return message.serializeBinary();
}

export function parsePutState(bytes: Uint8Array): PutStateRequest {
  const message = decodeProto('protos.PutState', () => peer.PutState.deserializeBinary(bytes));
  return { key: message.getKey(), value: message.getValue_asU8(), collection: message.getCollection() };
}

/** `protos.StateMetadata`: one named metadata entry of a key (e.g. VALIDATION_PARAMETER, a key-level endorsement policy). */
export interface StateMetadataEntry {
  readonly metakey: string;
  readonly value: Uint8Array;
}

/** `protos.PutStateMetadata`. */
export interface PutStateMetadataRequest {
  readonly key: string;
  readonly collection: string;
  readonly metadata: StateMetadataEntry;
}

export function buildPutStateMetadata(x: PutStateMetadataRequest): Uint8Array {
  const entry = new peer.StateMetadata();
  entry.setMetakey(x.metadata.metakey);
  entry.setValue(x.metadata.value);
  const message = new peer.PutStateMetadata();
  message.setKey(x.key);
  message.setCollection(x.collection);
  message.setMetadata(entry);
  return message.serializeBinary();
}

/** Reads a PutStateMetadata; one without its metadata entry is refused (Fabric would dereference nil). */
export function parsePutStateMetadata(bytes: Uint8Array): PutStateMetadataRequest {
  const message = decodeProto('protos.PutStateMetadata', () => peer.PutStateMetadata.deserializeBinary(bytes));
  const entry = message.getMetadata();
  if (entry === undefined) throw new ProtoDecodeError('protos.PutStateMetadata', 'it has no metadata entry');
  return { key: message.getKey(), collection: message.getCollection(), metadata: { metakey: entry.getMetakey(), value: entry.getValue_asU8() } };
}

/** `protos.StateMetadataResult`: GET_STATE_METADATA's answer. */
export function buildStateMetadataResult(entries: readonly StateMetadataEntry[]): Uint8Array {
  const message = new peer.StateMetadataResult();
  message.setEntriesList(
    entries.map((e) => {
      const entry = new peer.StateMetadata();
      entry.setMetakey(e.metakey);
      entry.setValue(e.value);
      return entry;
    }),
  );
  return message.serializeBinary();
}

export function parseStateMetadataResult(bytes: Uint8Array): StateMetadataEntry[] {
  const message = decodeProto('protos.StateMetadataResult', () => peer.StateMetadataResult.deserializeBinary(bytes));
  return message.getEntriesList().map((e) => ({ metakey: e.getMetakey(), value: e.getValue_asU8() }));
}

// ---- range queries: GetStateByRange, QueryMetadata, QueryStateNext/Close, QueryResponse ----------

/** `protos.QueryMetadata`: explicit pagination (stub.getStateByRangeWithPagination). */
export interface QueryMetadata {
  readonly pageSize: number;
  readonly bookmark: string;
}

export function buildQueryMetadata(x: QueryMetadata): Uint8Array {
  const message = new peer.QueryMetadata();
  message.setPagesize(x.pageSize);
  message.setBookmark(x.bookmark);
  return message.serializeBinary();
}

export function parseQueryMetadata(bytes: Uint8Array): QueryMetadata {
  const message = decodeProto('protos.QueryMetadata', () => peer.QueryMetadata.deserializeBinary(bytes));
  return { pageSize: message.getPagesize(), bookmark: message.getBookmark() };
}

/** `protos.GetStateByRange`; `metadata` is a serialized QueryMetadata, undefined when absent or empty. */
export interface GetStateByRangeRequest {
  readonly startKey: string;
  readonly endKey: string;
  readonly collection: string;
  readonly metadata: QueryMetadata | undefined;
}

export function buildGetStateByRange(x: GetStateByRangeRequest): Uint8Array {
  const message = new peer.GetStateByRange();
  message.setStartkey(x.startKey);
  message.setEndkey(x.endKey);
  message.setCollection(x.collection);
  if (x.metadata !== undefined) message.setMetadata(buildQueryMetadata(x.metadata));
  return message.serializeBinary();
}

/** Reads a GetStateByRange and its nested QueryMetadata (which must decode too). */
export function parseGetStateByRange(bytes: Uint8Array): GetStateByRangeRequest {
  const message = decodeProto('protos.GetStateByRange', () => peer.GetStateByRange.deserializeBinary(bytes));
  const metadata = message.getMetadata_asU8();
  return {
    startKey: message.getStartkey(),
    endKey: message.getEndkey(),
    collection: message.getCollection(),
    metadata: metadata.length === 0 ? undefined : parseQueryMetadata(metadata),
  };
}

/** `protos.QueryStateNext` / `protos.QueryStateClose`: the iterator id the peer handed out. */
export function buildQueryStateNext(id: string): Uint8Array {
  const message = new peer.QueryStateNext();
  message.setId(id);
  return message.serializeBinary();
}

export function parseQueryStateNext(bytes: Uint8Array): { readonly id: string } {
  return { id: decodeProto('protos.QueryStateNext', () => peer.QueryStateNext.deserializeBinary(bytes)).getId() };
}

export function buildQueryStateClose(id: string): Uint8Array {
  const message = new peer.QueryStateClose();
  message.setId(id);
  return message.serializeBinary();
}

export function parseQueryStateClose(bytes: Uint8Array): { readonly id: string } {
  return { id: decodeProto('protos.QueryStateClose', () => peer.QueryStateClose.deserializeBinary(bytes)).getId() };
}

/** `protos.QueryResponseMetadata`: how many records this page fetched and where the next page starts. */
export interface QueryResponseMetadata {
  readonly fetchedRecordsCount: number;
  readonly bookmark: string;
}

/**
 * `protos.QueryResponse`: one batch of results (each a serialized queryresult.KV or KeyModification,
 * wrapped in QueryResultBytes), whether the shim should ask QUERY_STATE_NEXT for more, the iterator
 * id, and for explicitly paginated queries the response metadata.
 */
export interface QueryResponse {
  readonly results: readonly Uint8Array[];
  readonly hasMore: boolean;
  readonly id: string;
  readonly metadata: QueryResponseMetadata | undefined;
}

export function buildQueryResponse(x: QueryResponse): Uint8Array {
  const message = new peer.QueryResponse();
  message.setResultsList(
    x.results.map((bytes) => {
      const result = new peer.QueryResultBytes();
      result.setResultbytes(bytes);
      return result;
    }),
  );
  message.setHasMore(x.hasMore);
  message.setId(x.id);
  if (x.metadata !== undefined) {
    const metadata = new peer.QueryResponseMetadata();
    metadata.setFetchedRecordsCount(x.metadata.fetchedRecordsCount);
    metadata.setBookmark(x.metadata.bookmark);
    message.setMetadata(metadata.serializeBinary());
  }
  return message.serializeBinary();
}

export function parseQueryResponse(bytes: Uint8Array): QueryResponse {
  const message = decodeProto('protos.QueryResponse', () => peer.QueryResponse.deserializeBinary(bytes));
  const metadataBytes = message.getMetadata_asU8();
  let metadata: QueryResponseMetadata | undefined;
  if (metadataBytes.length > 0) {
    const m = decodeProto('protos.QueryResponseMetadata', () => peer.QueryResponseMetadata.deserializeBinary(metadataBytes));
    metadata = { fetchedRecordsCount: m.getFetchedRecordsCount(), bookmark: m.getBookmark() };
  }
  return { results: message.getResultsList().map((r) => r.getResultbytes_asU8()), hasMore: message.getHasMore(), id: message.getId(), metadata };
}

/** `queryresult.KV`: one result of a range query. */
export interface QueryResultKv {
  readonly namespace: string;
  readonly key: string;
  readonly value: Uint8Array;
}

export function buildQueryResultKv(x: QueryResultKv): Uint8Array {
  const message = new ledger.queryresult.KV();
  message.setNamespace(x.namespace);
  message.setKey(x.key);
  message.setValue(x.value);
  return message.serializeBinary();
}

export function parseQueryResultKv(bytes: Uint8Array): QueryResultKv {
  const message = decodeProto('queryresult.KV', () => ledger.queryresult.KV.deserializeBinary(bytes));
  return { namespace: message.getNamespace(), key: message.getKey(), value: message.getValue_asU8() };
}

/**
 * `queryresult.KeyModification`: one entry of a key's history. fabric-shim 2.5 reads the timestamp
 * unconditionally (`getTimestamp().toObject()`), so the builder always sets one (the epoch when unknown).
 */
export interface KeyModification {
  readonly txId: string;
  readonly value: Uint8Array;
  readonly timestampMs: number;
  readonly isDelete: boolean;
}

export function buildKeyModification(x: KeyModification): Uint8Array {
  const message = new ledger.queryresult.KeyModification();
  message.setTxId(x.txId);
  message.setValue(x.value);
  message.setTimestamp(buildTimestamp(x.timestampMs));
  message.setIsDelete(x.isDelete);
  return message.serializeBinary();
}

export function parseKeyModification(bytes: Uint8Array): KeyModification {
  const message = decodeProto('queryresult.KeyModification', () => ledger.queryresult.KeyModification.deserializeBinary(bytes));
  const timestamp = message.getTimestamp() as TimestampMessage | undefined;
  return { txId: message.getTxId(), value: message.getValue_asU8(), timestampMs: timestamp === undefined ? 0 : timestampMs(timestamp), isDelete: message.getIsDelete() };
}

// ---- requests fabsim answers with "not supported" (built here for tests and the handler's names) --

/** `protos.GetQueryResult`: a rich (CouchDB) query. */
export function buildGetQueryResult(x: { readonly query: string; readonly collection: string }): Uint8Array {
  const message = new peer.GetQueryResult();
  message.setQuery(x.query);
  message.setCollection(x.collection);
  return message.serializeBinary();
}

/**
 * `protos.ChaincodeSpec` as INVOKE_CHAINCODE carries it: the called chaincode's name (Fabric's
 * composite "name", "name:version" or "name:version/channel") and its ChaincodeInput args.
 */
export interface InvokeChaincodeRequest {
  readonly name: string;
  readonly args: readonly Uint8Array[];
}

export function buildInvokeChaincodeSpec(x: InvokeChaincodeRequest): Uint8Array {
  const message = new peer.ChaincodeSpec();
  const id = new peer.ChaincodeID();
  id.setName(x.name);
  message.setChaincodeId(id);
  const input = new peer.ChaincodeInput();
  input.setArgsList(x.args.map((a) => a));
  message.setInput(input);
  return message.serializeBinary();
}

export function parseInvokeChaincodeSpec(bytes: Uint8Array): InvokeChaincodeRequest {
  const message = decodeProto('protos.ChaincodeSpec', () => peer.ChaincodeSpec.deserializeBinary(bytes));
  return { name: message.getChaincodeId()?.getName() ?? '', args: message.getInput()?.getArgsList_asU8() ?? [] };
}
