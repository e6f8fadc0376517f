import { createHash } from 'node:crypto';
import { common } from '@hyperledger/fabric-protos';
import { decodeProto, ProtoDecodeError } from './proto-error.js';
import { parseSignatureHeader, type SignatureHeader } from './signature-header.js';
import { buildTimestamp, timestampMs, type TimestampMessage } from './timestamp.js';

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
  const message = decodeProto('common.ChannelHeader', () => common.ChannelHeader.deserializeBinary(bytes));
  const timestamp = message.getTimestamp() as TimestampMessage | undefined;
  return {
    type: message.getType(),
    version: message.getVersion(),
    timestampMs: timestamp === undefined ? undefined : timestampMs(timestamp),
    channelId: message.getChannelId(),
    txId: message.getTxId(),
    epoch: message.getEpoch(),
    extension: message.getExtension_asU8(),
    tlsCertHash: message.getTlsCertHash_asU8(),
  };
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
  const message = decodeProto('common.Payload', () => common.Payload.deserializeBinary(bytes));
  const header = message.getHeader();
  if (header === undefined) throw new ProtoDecodeError('common.Payload', 'it has no header');
  return {
    header: { channelHeader: header.getChannelHeader_asU8(), signatureHeader: header.getSignatureHeader_asU8() },
    data: message.getData_asU8(),
  };
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
  const message = decodeProto('common.Envelope', () => common.Envelope.deserializeBinary(bytes));
  const payload = message.getPayload_asU8();
  if (payload.length === 0) throw new ProtoDecodeError('common.Envelope', 'its payload is empty');
  return { payload, signature: message.getSignature_asU8() };
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
