import { common, orderer } from '@hyperledger/fabric-protos';
import { buildChannelHeader, buildEnvelope, buildPayload, HeaderType } from './envelope.js';
import { decodeProto, ProtoDecodeError } from './proto-error.js';
import { buildSignatureHeader } from './signature-header.js';

/**
 * The messages of the orderer's `AtomicBroadcast` service (orderer/ab.proto) besides the Envelope:
 *
 *   Broadcast:  client → Envelope,  orderer → BroadcastResponse { status, info }
 *   Deliver:    client → Envelope { DELIVER_SEEK_INFO payload whose data is a SeekInfo },
 *               orderer → DeliverResponse { block } ... then DeliverResponse { status }
 *
 * `SeekInfo { start, stop: SeekPosition, behavior, error_response, content_type }`, where a
 * SeekPosition is one of oldest, newest, specified { number } or next_commit.
 */

/** `common.Status`: HTTP-like codes that Broadcast and Deliver answer with. */
export const Status = {
  UNKNOWN: 0,
  SUCCESS: 200,
  BAD_REQUEST: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  REQUEST_ENTITY_TOO_LARGE: 413,
  INTERNAL_SERVER_ERROR: 500,
  NOT_IMPLEMENTED: 501,
  SERVICE_UNAVAILABLE: 503,
} as const;
export type StatusName = keyof typeof Status;

/** The name of a status code; codes Fabric does not define read as UNKNOWN. */
export function statusName(code: number): StatusName {
  const name = (Object.keys(Status) as StatusName[]).find((key) => Status[key] === code);
  return name ?? 'UNKNOWN';
}

/**
 * Where a seek starts or stops. Specified numbers are uint64 on the wire; values from
 * Number.MAX_SAFE_INTEGER up (Go clients send MaxUint64 to mean "forever") read as Infinity.
 */
export type SeekPosition =
  | { readonly kind: 'oldest' }
  | { readonly kind: 'newest' }
  | { readonly kind: 'specified'; readonly number: number }
  /** The block after the newest one, i.e. the next block to be committed (start positions). */
  | { readonly kind: 'nextCommit' };

/** `SeekInfo.SeekBehavior`: wait for blocks not yet cut, or fail at once. */
export type SeekBehavior = 'BLOCK_UNTIL_READY' | 'FAIL_IF_NOT_READY';
/** `SeekInfo.SeekErrorResponse`: STRICT stops on consenter errors, BEST_EFFORT keeps delivering. */
export type SeekErrorResponse = 'STRICT' | 'BEST_EFFORT';
/** `SeekInfo.SeekContentType`: whole blocks, or headers and metadata only (config blocks stay whole). */
export type SeekContentType = 'BLOCK' | 'HEADER_WITH_SIG';

export interface SeekInfo {
  /** Undefined when the message has no start (Deliver answers BAD_REQUEST). */
  readonly start: SeekPosition | undefined;
  readonly stop: SeekPosition | undefined;
  readonly behavior: SeekBehavior;
  readonly errorResponse: SeekErrorResponse;
  readonly contentType: SeekContentType;
}

export type SeekInfoInput = Pick<SeekInfo, 'start' | 'stop'> & Partial<Omit<SeekInfo, 'start' | 'stop'>>;

/** The stop position Fabric clients send to mean "forever": specified MaxUint64. */
export const SEEK_FOREVER: SeekPosition = { kind: 'specified', number: Number.POSITIVE_INFINITY };

const BEHAVIORS: readonly SeekBehavior[] = ['BLOCK_UNTIL_READY', 'FAIL_IF_NOT_READY'];
const ERROR_RESPONSES: readonly SeekErrorResponse[] = ['STRICT', 'BEST_EFFORT'];
const CONTENT_TYPES: readonly SeekContentType[] = ['BLOCK', 'HEADER_WITH_SIG'];
/**
 * What fabsim writes for a stop of "forever": google-protobuf cannot write 2^64 - 1 from a JS number,
 * so the largest exact integer stands in for it. Reading, anything from it up counts as forever.
 */
export const FOREVER_WIRE_NUMBER = Number.MAX_SAFE_INTEGER;

/** The protobuf message of a position (also used by gateway.ChaincodeEventsRequest's start_position). */
export function seekPositionMessage(position: SeekPosition): orderer.SeekPosition {
  const message = new orderer.SeekPosition();
  switch (position.kind) {
    case 'oldest':
      message.setOldest(new orderer.SeekOldest());
      break;
    case 'newest':
      message.setNewest(new orderer.SeekNewest());
      break;
    case 'nextCommit':
      message.setNextCommit(new orderer.SeekNextCommit());
      break;
    case 'specified': {
      const specified = new orderer.SeekSpecified();
      specified.setNumber(Math.min(position.number, FOREVER_WIRE_NUMBER));
      message.setSpecified(specified);
      break;
    }
  }
  return message;
}

function parseSeekPosition(message: orderer.SeekPosition | undefined, which: string): SeekPosition | undefined {
  if (message === undefined) return undefined;
  if (message.hasOldest()) return { kind: 'oldest' };
  if (message.hasNewest()) return { kind: 'newest' };
  if (message.hasNextCommit()) return { kind: 'nextCommit' };
  const specified = message.getSpecified();
  if (specified !== undefined) {
    const number = specified.getNumber();
    return { kind: 'specified', number: number >= FOREVER_WIRE_NUMBER ? Number.POSITIVE_INFINITY : number };
  }
  throw new ProtoDecodeError('orderer.SeekInfo', `its ${which} position sets none of oldest, newest, specified or next_commit`);
}

export function buildSeekInfo(info: SeekInfoInput): Uint8Array {
  const message = new orderer.SeekInfo();
  if (info.start !== undefined) message.setStart(seekPositionMessage(info.start));
  if (info.stop !== undefined) message.setStop(seekPositionMessage(info.stop));
  message.setBehavior(BEHAVIORS.indexOf(info.behavior ?? 'BLOCK_UNTIL_READY') as 0 | 1);
  message.setErrorResponse(ERROR_RESPONSES.indexOf(info.errorResponse ?? 'STRICT') as 0 | 1);
  message.setContentType(CONTENT_TYPES.indexOf(info.contentType ?? 'BLOCK') as 0 | 1);
  return message.serializeBinary();
}

/** Reads a SeekInfo. Throws ProtoDecodeError for malformed bytes, an empty position or an enum value Fabric does not define. */
export function parseSeekInfo(bytes: Uint8Array): SeekInfo {
  const message = decodeProto('orderer.SeekInfo', () => orderer.SeekInfo.deserializeBinary(bytes));
  const enumValue = <T extends string>(names: readonly T[], value: number, field: string): T => {
    const name = names[value];
    if (name === undefined) throw new ProtoDecodeError('orderer.SeekInfo', `its ${field} is ${value}; Fabric defines ${names.map((n, i) => `${n} (${i})`).join(', ')}`);
    return name;
  };
  return {
    start: parseSeekPosition(message.getStart(), 'start'),
    stop: parseSeekPosition(message.getStop(), 'stop'),
    behavior: enumValue(BEHAVIORS, message.getBehavior(), 'behavior'),
    errorResponse: enumValue(ERROR_RESPONSES, message.getErrorResponse(), 'error_response'),
    contentType: enumValue(CONTENT_TYPES, message.getContentType(), 'content_type'),
  };
}

/** "oldest", "newest", "next commit", "block 5" or "forever", for messages. */
export function describeSeekPosition(position: SeekPosition): string {
  switch (position.kind) {
    case 'oldest':
      return 'oldest';
    case 'newest':
      return 'newest';
    case 'nextCommit':
      return 'next commit';
    case 'specified':
      return Number.isFinite(position.number) ? `block ${position.number}` : 'block MaxUint64 (forever)';
  }
}

/** One message of a Deliver stream: a block, or the final status. */
export type DeliverResponse = { readonly kind: 'block'; readonly block: Uint8Array } | { readonly kind: 'status'; readonly status: StatusName };

/** `orderer.DeliverResponse` bytes; `block` is a serialized common.Block. */
export function buildDeliverResponse(response: DeliverResponse): Uint8Array {
  const message = new orderer.DeliverResponse();
  if (response.kind === 'block') message.setBlock(decodeProto('common.Block', () => common.Block.deserializeBinary(response.block)));
  else message.setStatus(Status[response.status]);
  return message.serializeBinary();
}

export function parseDeliverResponse(bytes: Uint8Array): DeliverResponse {
  const message = decodeProto('orderer.DeliverResponse', () => orderer.DeliverResponse.deserializeBinary(bytes));
  const block = message.getBlock();
  if (block !== undefined) return { kind: 'block', block: block.serializeBinary() };
  if (!message.hasStatus()) throw new ProtoDecodeError('orderer.DeliverResponse', 'it holds neither a block nor a status');
  return { kind: 'status', status: statusName(message.getStatus()) };
}

/** `orderer.BroadcastResponse`: the status of one broadcast envelope and, when refused, why. */
export interface BroadcastResponse {
  readonly status: StatusName;
  readonly info: string;
}

export function buildBroadcastResponse(response: BroadcastResponse): Uint8Array {
  const message = new orderer.BroadcastResponse();
  message.setStatus(Status[response.status]);
  message.setInfo(response.info);
  return message.serializeBinary();
}

export function parseBroadcastResponse(bytes: Uint8Array): BroadcastResponse {
  const message = decodeProto('orderer.BroadcastResponse', () => orderer.BroadcastResponse.deserializeBinary(bytes));
  return { status: statusName(message.getStatus()), info: message.getInfo() };
}

/** Who signs a Deliver request: a SigningIdentity or an orderer's BlockSigner. */
export interface SeekSigner {
  /** ECDSA signature (DER) over `message`. */
  sign(message: Uint8Array): Uint8Array;
  /** The `msp.SerializedIdentity` bytes: the creator of the request. */
  readonly serialized: Uint8Array;
}

/**
 * A signed DELIVER_SEEK_INFO envelope for `seek` (Fabric's protoutil.CreateSignedEnvelope, as
 * peers' DeliveryRequester and orderers' BlockPuller make it); the caller supplies the nonce.
 */
export function buildSignedSeekEnvelope(signer: SeekSigner, channelId: string, seek: SeekInfoInput, nowMs: number, nonce: Uint8Array): Uint8Array {
  const header = { channelHeader: buildChannelHeader({ type: HeaderType.DELIVER_SEEK_INFO, channelId, timestampMs: nowMs }), signatureHeader: buildSignatureHeader({ creator: signer.serialized, nonce }) };
  const payload = buildPayload({ header, data: buildSeekInfo(seek) });
  return buildEnvelope({ payload, signature: signer.sign(payload) });
}
