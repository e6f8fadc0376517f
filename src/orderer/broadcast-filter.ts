import type { Clock } from '../core/clock.js';
import { isFabsimError } from '../core/errors.js';
import { describeHeaderType, HeaderType, parseChannelHeader, parseEnvelope, parsePayload, type ChannelHeader, type Envelope } from '../protos/envelope.js';
import type { StatusName } from '../protos/seek-info.js';
import { parseSignatureHeader } from '../protos/signature-header.js';
import type { AsyncSignatureVerifier } from '../msp/ecdsa.js';
import type { SignedData } from '../msp/signed-data.js';
import { checkSigner, checkSignerAsync, PolicyPath, summarizeCreator, type ChannelRegistry, type ChannelResources, type SignerCheck } from '../common/channel-resources.js';

/**
 * The checks an orderer runs on every envelope a client broadcasts, before ordering it: Fabric's
 * Broadcast handler (orderer/common/broadcast/broadcast.go ProcessMessage), the registrar's
 * BroadcastChannelSupport, and the standard channel's filter chain (orderer/common/msgprocessor:
 * CreateStandardChannelFilters = EmptyRejectRule, SizeFilter, ExpirationRejectRule, SigFilter on
 * /Channel/Writers), in Fabric's order:
 *
 *   1. the envelope, its payload, header and channel header parse            else BAD_REQUEST
 *   2. the channel exists on this orderer                                     else BAD_REQUEST
 *   3. the header type is one a client may send (not CONFIG, ORDERER_TRANSACTION;
 *      CONFIG_UPDATE is Fabric's config path, which fabsim does not support)  else BAD_REQUEST
 *   4. the channel is not in maintenance mode                                 else SERVICE_UNAVAILABLE
 *   5. len(payload) + len(signature) <= BatchSize.AbsoluteMaxBytes            else BAD_REQUEST
 *   6. the signature header parses, and the creator's certificate has not
 *      expired (Fabric's ExpirationRejectRule runs before the SigFilter)      else BAD_REQUEST
 *   7. the creator is valid in a channel MSP, the signature verifies (low-S),
 *      and the creator satisfies /Channel/Writers                            else FORBIDDEN
 *
 * Statuses are Fabric's: BroadcastChannelSupport errors and every filter error other than
 * ErrPermissionDenied (SigFilter) and ErrMaintenanceMode become BAD_REQUEST (ClassifyError).
 * Every other header type (ENDORSER_TRANSACTION, MESSAGE, ...) is a "normal" message, as in Fabric.
 *
 * Not the orderer's job: replay. The orderer orders a resubmitted envelope again; committing peers
 * mark the second copy DUPLICATE_TXID (Fabric docs "Transaction flow"), so no tx-ID index is kept here.
 *
 * A pure function of (bytes, registry, clock): no I/O, and the time comes from the clock; the
 * async variant only hands step 7's signature verification to the injected verifier.
 */

/** The statuses Broadcast refuses an envelope with. */
export type BroadcastRejectStatus = Extract<StatusName, 'BAD_REQUEST' | 'FORBIDDEN' | 'SERVICE_UNAVAILABLE'>;

export type BroadcastVerdict =
  | {
      readonly ok: true;
      readonly channelId: string;
      /** The envelope bytes exactly as received: what the block will carry. */
      readonly envelope: Uint8Array;
      readonly headerType: number;
      readonly txId: string;
      /** The config sequence the envelope was checked against (Fabric's configSeq; re-check when it changed before ordering). */
      readonly configSequence: number;
    }
  | { readonly ok: false; readonly status: BroadcastRejectStatus; readonly info: string; readonly channelId: string | undefined };

export function filterBroadcast(bytes: Uint8Array, registry: ChannelRegistry, clock: Clock): BroadcastVerdict {
  const screened = screenBroadcast(bytes, registry, clock);
  if (!screened.ok) return screened;
  return concludeBroadcast(screened, checkSigner(screened.resources, screened.signed, PolicyPath.CHANNEL_WRITERS, screened.who));
}

/**
 * filterBroadcast with step 7's signature verified by `verify` (the orderer passes the thread-pool
 * verifier, so Broadcast's signature checks use every core): the same checks in the same order.
 */
export async function filterBroadcastAsync(bytes: Uint8Array, registry: ChannelRegistry, clock: Clock, verify: AsyncSignatureVerifier): Promise<BroadcastVerdict> {
  const screened = screenBroadcast(bytes, registry, clock);
  if (!screened.ok) return screened;
  return concludeBroadcast(screened, await checkSignerAsync(screened.resources, screened.signed, PolicyPath.CHANNEL_WRITERS, screened.who, verify));
}

/** An envelope that passed steps 1 to 6, with what step 7 needs. */
interface ScreenedEnvelope {
  readonly ok: true;
  readonly resources: ChannelResources;
  readonly signed: SignedData;
  readonly who: string;
  readonly envelope: Uint8Array;
  readonly channelHeader: ChannelHeader;
}

function concludeBroadcast(screened: ScreenedEnvelope, check: SignerCheck): BroadcastVerdict {
  const { resources, channelHeader } = screened;
  if (!check.ok) return reject('FORBIDDEN', resources.channelId, `permission denied: ${check.reason}`);
  return { ok: true, channelId: resources.channelId, envelope: screened.envelope, headerType: channelHeader.type, txId: channelHeader.txId, configSequence: resources.sequence };
}

/** Steps 1 to 6. */
function screenBroadcast(bytes: Uint8Array, registry: ChannelRegistry, clock: Clock): ScreenedEnvelope | Extract<BroadcastVerdict, { ok: false }> {
  // 1. Parse down to the channel header (Fabric's protoutil.ChannelHeader).
  let envelope: Envelope;
  let channelHeader: ChannelHeader;
  let signatureHeaderBytes: Uint8Array;
  try {
    envelope = parseEnvelope(bytes);
    const payload = parsePayload(envelope.payload);
    if (payload.header.channelHeader.length === 0) {
      return reject('BAD_REQUEST', undefined, 'the envelope is malformed: its payload header has no channel header; set Payload.header.channel_header to a ChannelHeader naming the channel');
    }
    channelHeader = parseChannelHeader(payload.header.channelHeader);
    signatureHeaderBytes = payload.header.signatureHeader;
  } catch (err) {
    if (!isFabsimError(err, 'PROTO_MALFORMED')) throw err;
    return reject('BAD_REQUEST', undefined, `the envelope is malformed: ${err.message}`);
  }
  const { channelId } = channelHeader;

  // 2. The channel (Fabric v2.3+ answers BAD_REQUEST "channel does not exist").
  if (channelId === '') {
    return reject('BAD_REQUEST', channelId, 'the channel header names no channel (channel_id is empty); set it to the channel the transaction is for');
  }
  const resources = registry.get(channelId);
  if (resources === undefined) {
    const known = registry.channelIds().join(', ') || 'none';
    return reject('BAD_REQUEST', channelId, `channel does not exist: this orderer does not serve channel "${channelId}" (its channels: ${known}); check the channel name, or join the orderer to the channel`);
  }

  // 3. Classify (Fabric's StandardChannel.ClassifyMsg and BroadcastChannelSupport).
  const type = channelHeader.type;
  if (type === HeaderType.CONFIG_UPDATE) {
    return reject('BAD_REQUEST', channelId, `the envelope is a ${describeHeaderType(type)}: fabsim does not support channel configuration updates yet, so channel ${channelId} keeps its genesis configuration`);
  }
  if (type === HeaderType.CONFIG || type === HeaderType.ORDERER_TRANSACTION) {
    return reject('BAD_REQUEST', channelId, `message is of type that cannot be processed directly: ${describeHeaderType(type)} envelopes are made by orderers, never broadcast by clients`);
  }

  // 4. Maintenance mode (Fabric's ErrMaintenanceMode).
  if (resources.consensusState === 'MAINTENANCE') {
    return reject('SERVICE_UNAVAILABLE', channelId, `channel ${channelId} is in maintenance mode (ConsensusType state MAINTENANCE): normal transactions are rejected until it returns to NORMAL`);
  }

  // 5. Size (Fabric's MaxBytesRule: payload plus signature, against AbsoluteMaxBytes).
  const size = envelope.payload.length + envelope.signature.length;
  const maxBytes = resources.batchSize.absoluteMaxBytes;
  if (size > maxBytes) {
    return reject(
      'BAD_REQUEST',
      channelId,
      `message payload is ${size} bytes and exceeds maximum allowed ${maxBytes} bytes (BatchSize.AbsoluteMaxBytes of channel ${channelId}); send a smaller transaction, or raise AbsoluteMaxBytes in the channel config`,
    );
  }

  return screenCreator(resources, envelope, signatureHeaderBytes, bytes, channelHeader, clock);
}

/** Step 6: who claims to have signed, and is their certificate still valid. */
function screenCreator(resources: ChannelResources, envelope: Envelope, signatureHeaderBytes: Uint8Array, bytes: Uint8Array, channelHeader: ChannelHeader, clock: Clock): ScreenedEnvelope | Extract<BroadcastVerdict, { ok: false }> {
  const { channelId } = resources;
  let creator: Uint8Array;
  try {
    creator = parseSignatureHeader(signatureHeaderBytes, { allowEmptyCreator: true }).creator;
  } catch (err) {
    if (!isFabsimError(err, 'PROTO_MALFORMED')) throw err;
    return reject('BAD_REQUEST', channelId, `the envelope is malformed: could not read its signature header: ${err.message}`);
  }
  const summary = summarizeCreator(resources, creator);
  const nowMs = clock.nowMs();
  if (summary.expiresAtMs !== undefined && nowMs > summary.expiresAtMs) {
    return reject(
      'BAD_REQUEST',
      channelId,
      `broadcast client identity expired: the certificate of ${summary.description} expired at ${iso(summary.expiresAtMs)} and it is now ${iso(nowMs)}; enroll a new identity and sign with it`,
    );
  }
  return { ok: true, resources, signed: { identity: creator, data: envelope.payload, signature: envelope.signature }, who: summary.description, envelope: bytes, channelHeader };
}

function reject(status: BroadcastRejectStatus, channelId: string | undefined, info: string): Extract<BroadcastVerdict, { ok: false }> {
  return { ok: false, status, info, channelId };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
