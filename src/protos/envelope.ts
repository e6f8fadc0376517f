import { createHash } from 'node:crypto';
import { common } from '@hyperledger/fabric-protos';
import { ProtoDecodeError } from './proto-error.js';
import { parseSignatureHeader, type SignatureHeader } from './signature-header.js';
import { buildTimestamp } from './timestamp.js';
import { noBytes, WireReader } from './wire-reader.js';

/**
 * Fabric's transaction envelope (common/common.proto), the unit that clients broadcast and that
 * blocks carry, one per `data.data[i]`:
 *
 *   Envelope { payload: bytes(Payload), signature }          the creator signs the payload bytes
 *   Payload  { header: Header, data }                        data depends on the header type
 *   Header   { channel_header: bytes(ChannelHeader), signature_header: bytes(SignatureHeader) }
 *
 * The headers are nested as bytes, not messages, because signatures and hashes are over exactly
 * those bytes; so parse functions return the inner bytes and decoding goes one level at a time.
 * Malformed bytes throw ProtoDecodeError.
 */

/** `common.HeaderType`: what the payload's data holds. */
export const HeaderType = {
  MESSAGE: 0,
  CONFIG: 1,
  CONFIG_UPDATE: 2,
  ENDORSER_TRANSACTION: 3,
  ORDERER_TRANSACTION: 4,
  DELIVER_SEEK_INFO: 5,
  CHAINCODE_PACKAGE: 6,
} as const;
export type HeaderTypeName = keyof typeof HeaderType;

/** `CONFIG (1)`, or `9 (unknown)`, for messages. */
export function describeHeaderType(type: number): string {
  const name = (Object.keys(HeaderType) as HeaderTypeName[]).find((key) => HeaderType[key] === type);
  return name === undefined ? `${type} (unknown)` : `${name} (${type})`;
}

/** `common.ChannelHeader`. */
export interface ChannelHeader {
  /** A `HeaderType` value. */
  readonly type: number;
  /** The message format version (1 in Fabric's genesis blocks, 0 or more elsewhere). */
  readonly version: number;
  /** When the creator made the message, in whole milliseconds; undefined when absent. Sub-millisecond nanos are dropped. */
  readonly timestampMs: number | undefined;
  readonly channelId: string;
  /** Hex SHA-256(nonce ‖ creator) for transactions (see computeTxId); may be empty for other messages. */
  readonly txId: string;
  /** Fabric sets 0 and ignores it. */
  readonly epoch: number;
  /** Type-specific extension, e.g. the ChaincodeHeaderExtension of an endorser transaction. */
  readonly extension: Uint8Array;
  /** The hash of the client's TLS certificate when mutual TLS binds the message to the session. */
  readonly tlsCertHash: Uint8Array;
}

export type ChannelHeaderInput = Pick<ChannelHeader, 'type' | 'channelId'> & Partial<Omit<ChannelHeader, 'type' | 'channelId'>>;

export function buildChannelHeader(h: ChannelHeaderInput): Uint8Array {
  const message = new common.ChannelHeader();
  message.setType(h.type);
  message.setVersion(h.version ?? 0);
  if (h.timestampMs !== undefined) message.setTimestamp(buildTimestamp(h.timestampMs));
  message.setChannelId(h.channelId);
  message.setTxId(h.txId ?? '');
  message.setEpoch(h.epoch ?? 0);
  message.setExtension$(h.extension ?? new Uint8Array());
  message.setTlsCertHash(h.tlsCertHash ?? new Uint8Array());
  return message.serializeBinary();
}

export function parseChannelHeader(bytes: Uint8Array): ChannelHeader {
  const r = WireReader.of(bytes, 'common.ChannelHeader');
  let type = 0;
  let version = 0;
  let timestamp: number | undefined;
  let channelId = '';
  let txId = '';
  let epoch = 0;
  let extension: Uint8Array | undefined;
  let tlsCertHash: Uint8Array | undefined;
  while (r.next()) {
    switch (r.field) {
      case 1: type = r.int32(); break;
      case 2: version = r.int32(); break;
      case 3: timestamp = parseTimestampField(r.message('google.protobuf.Timestamp')); break;
      case 4: channelId = r.string(); break;
      case 5: txId = r.string(); break;
      case 6: epoch = r.uint64(); break;
      case 7: extension = r.bytes(); break;
      case 8: tlsCertHash = r.bytes(); break;
      default: r.skip();
    }
  }
  return { type, version, timestampMs: timestamp, channelId, txId, epoch, extension: extension ?? noBytes(), tlsCertHash: tlsCertHash ?? noBytes() };
}

/** A `google.protobuf.Timestamp` (seconds int64, nanos int32) as whole milliseconds, like timestampMs. */
function parseTimestampField(r: WireReader): number {
  let seconds = 0;
  let nanos = 0;
  while (r.next()) {
    switch (r.field) {
      case 1: seconds = r.int64(); break;
      case 2: nanos = r.int32(); break;
      default: r.skip();
    }
  }
  return seconds * 1000 + Math.floor(nanos / 1e6);
}

/** `common.Header`: the two inner headers, as the bytes that were signed. */
export interface PayloadHeader {
  readonly channelHeader: Uint8Array;
  readonly signatureHeader: Uint8Array;
}

/** `common.Payload`. */
export interface Payload {
  readonly header: PayloadHeader;
  /** e.g. a ConfigEnvelope (CONFIG) or a Transaction (ENDORSER_TRANSACTION). */
  readonly data: Uint8Array;
}

export function buildPayload(p: Payload): Uint8Array {
  const header = new common.Header();
  header.setChannelHeader(p.header.channelHeader);
  header.setSignatureHeader(p.header.signatureHeader);
  const message = new common.Payload();
  message.setHeader(header);
  message.setData(p.data);
  return message.serializeBinary();
}

/** Reads a Payload; one without a header is refused, as Fabric refuses it ("envelope must have a Header"). */
export function parsePayload(bytes: Uint8Array): Payload {
  const r = WireReader.of(bytes, 'common.Payload');
  let header: PayloadHeader | undefined;
  let data: Uint8Array | undefined;
  while (r.next()) {
    switch (r.field) {
      case 1: header = parseHeaderField(r.message('common.Header')); break;
      case 2: data = r.bytes(); break;
      default: r.skip();
    }
  }
  if (header === undefined) throw r.error('it has no header');
  return { header, data: data ?? noBytes() };
}

function parseHeaderField(r: WireReader): PayloadHeader {
  let channelHeader: Uint8Array | undefined;
  let signatureHeader: Uint8Array | undefined;
  while (r.next()) {
    switch (r.field) {
      case 1: channelHeader = r.bytes(); break;
      case 2: signatureHeader = r.bytes(); break;
      default: r.skip();
    }
  }
  return { channelHeader: channelHeader ?? noBytes(), signatureHeader: signatureHeader ?? noBytes() };
}

/** `common.Envelope`: the payload bytes and the creator's signature over them (empty in a genesis block). */
export interface Envelope {
  readonly payload: Uint8Array;
  readonly signature: Uint8Array;
}

export function buildEnvelope(e: Envelope): Uint8Array {
  const message = new common.Envelope();
  message.setPayload(e.payload);
  message.setSignature(e.signature);
  return message.serializeBinary();
}

export function parseEnvelope(bytes: Uint8Array): Envelope {
  const r = WireReader.of(bytes, 'common.Envelope');
  let payload: Uint8Array | undefined;
  let signature: Uint8Array | undefined;
  while (r.next()) {
    switch (r.field) {
      case 1: payload = r.bytes(); break;
      case 2: signature = r.bytes(); break;
      default: r.skip();
    }
  }
  if (payload === undefined || payload.length === 0) throw r.error('its payload is empty');
  return { payload, signature: signature ?? noBytes() };
}

/** An envelope decoded down to its two headers: what the orderer's Broadcast and the peer's validator read first. */
export interface EnvelopeHeaders {
  readonly envelope: Envelope;
  readonly payload: Payload;
  readonly channelHeader: ChannelHeader;
  readonly signatureHeader: SignatureHeader;
}

/**
 * Decodes Envelope → Payload → ChannelHeader and SignatureHeader. The channel header must be
 * present; the creator too, unless `allowEmptyCreator` (a genesis block's CONFIG envelope).
 */
export function parseEnvelopeHeaders(bytes: Uint8Array, options: { readonly allowEmptyCreator?: boolean } = {}): EnvelopeHeaders {
  const envelope = parseEnvelope(bytes);
  const payload = parsePayload(envelope.payload);
  if (payload.header.channelHeader.length === 0) throw new ProtoDecodeError('common.Payload', 'its header has no channel_header');
  return {
    envelope,
    payload,
    channelHeader: parseChannelHeader(payload.header.channelHeader),
    signatureHeader: parseSignatureHeader(payload.header.signatureHeader, options),
  };
}

/**
 * The transaction ID as Fabric's protoutil.ComputeTxID computes it: hex SHA-256 over the nonce
 * followed by the creator (the serialized identity bytes; empty for a genesis block).
 */
export function computeTxId(nonce: Uint8Array, creator: Uint8Array): string {
  return createHash('sha256').update(nonce).update(creator).digest('hex');
}
