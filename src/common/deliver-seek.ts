import type { Clock } from '../core/clock.js';
import { isFabsimError } from '../core/errors.js';
import { describeHeaderType, parseChannelHeader, parseEnvelope, parsePayload, type ChannelHeader, type Envelope, type Payload } from '../protos/envelope.js';
import {
  describeSeekPosition,
  parseSeekInfo,
  type SeekBehavior,
  type SeekContentType,
  type SeekErrorResponse,
  type SeekInfo,
  type SeekPosition,
  type StatusName,
} from '../protos/seek-info.js';
import { parseSignatureHeader } from '../protos/signature-header.js';
import type { ChannelRegistry } from './channel-resources.js';
import { DeliverAccessControl, type DeliverAccessOptions } from './deliver-access.js';

/**
 * Turns one Deliver request (an Envelope whose payload is a DELIVER_SEEK_INFO carrying an
 * orderer.SeekInfo) into a plan against the channel's current height, with Fabric's checks in
 * Fabric's order (common/deliver/deliver.go deliverBlocks):
 *
 *   envelope, payload, headers parse; the channel header has a timestamp
 *   within the time window of the orderer's clock                           else BAD_REQUEST
 *   the channel exists                                                      else NOT_FOUND
 *   the SeekInfo parses                                                     else BAD_REQUEST
 *   the requester is a valid member satisfying /Channel/Readers (the peer:
 *   /Channel/Application/Readers, see DeliverAccessOptions; the
 *   request's own signature is checked) and its certificate has not expired else FORBIDDEN
 *   start and stop are set, and start <= stop                               else BAD_REQUEST
 *   a specified start beyond the height                                     NOT_FOUND (Fabric's NotFoundErrorIterator)
 *   FAIL_IF_NOT_READY and the start block does not exist yet                NOT_FOUND
 *
 * Positions resolve as Fabric's ledger iterator does: oldest = 0, newest = height - 1,
 * next commit = height, specified = its number. A stop of oldest means "just the start block";
 * newest means the newest block now (or the start block when both are newest); specified
 * MaxUint64 (Infinity here) means forever. Unlike Fabric, a stop of next commit, or a newest stop
 * below the start, is BAD_REQUEST (Fabric would stream without ever reaching its stop).
 */

/** Fabric's default General.Authentication.TimeWindow: 15 minutes. */
export const DEFAULT_DELIVER_TIME_WINDOW_MS = 15 * 60 * 1000;

export interface DeliverPlanOptions extends DeliverAccessOptions {
  readonly registry: ChannelRegistry;
  /** The channel's chain height now (blocks 0 .. height-1 exist). */
  readonly heightOf: (channelId: string) => number;
  readonly clock: Clock;
  /** How far the request's timestamp may be from the orderer's clock, either way. */
  readonly timeWindowMs?: number;
}

export interface DeliverPlan {
  readonly ok: true;
  readonly channelId: string;
  readonly seekInfo: SeekInfo;
  /** The first block number to send. */
  readonly start: number;
  /** The last block number to send; Infinity for "forever". */
  readonly stop: number;
  readonly behavior: SeekBehavior;
  readonly errorResponse: SeekErrorResponse;
  readonly contentType: SeekContentType;
  /** Re-evaluated before each block: Readers on config change, and the requester's expiry. */
  readonly access: DeliverAccessControl;
}

export interface DeliverRejection {
  readonly ok: false;
  readonly status: Extract<StatusName, 'BAD_REQUEST' | 'FORBIDDEN' | 'NOT_FOUND'>;
  readonly info: string;
  readonly channelId: string | undefined;
}

export function planDeliver(bytes: Uint8Array, options: DeliverPlanOptions): DeliverPlan | DeliverRejection {
  let envelope: Envelope;
  let payload: Payload;
  let channelHeader: ChannelHeader;
  let creator: Uint8Array;
  try {
    envelope = parseEnvelope(bytes);
    payload = parsePayload(envelope.payload);
    if (payload.header.channelHeader.length === 0) return reject('BAD_REQUEST', undefined, 'the deliver request is malformed: its payload header has no channel header');
    channelHeader = parseChannelHeader(payload.header.channelHeader);
    creator = parseSignatureHeader(payload.header.signatureHeader, { allowEmptyCreator: true }).creator;
  } catch (err) {
    if (!isFabsimError(err, 'PROTO_MALFORMED')) throw err;
    return reject('BAD_REQUEST', undefined, `the deliver request is malformed: ${err.message}`);
  }
  const { channelId } = channelHeader;
  const timeProblem = checkTimestamp(channelHeader, options);
  if (timeProblem !== undefined) return reject('BAD_REQUEST', channelId, timeProblem);

  if (options.registry.get(channelId) === undefined) {
    const known = options.registry.channelIds().join(', ') || 'none';
    return reject('NOT_FOUND', channelId, `channel "${channelId}" is not served by this ${options.servedBy ?? 'orderer'} (its channels: ${known}); check the channel name, or wait until the ${options.servedBy ?? 'orderer'} has joined it`);
  }

  let seekInfo: SeekInfo;
  try {
    seekInfo = parseSeekInfo(payload.data);
  } catch (err) {
    if (!isFabsimError(err, 'PROTO_MALFORMED')) throw err;
    return reject('BAD_REQUEST', channelId, `the deliver request's payload (a ${describeHeaderType(channelHeader.type)} envelope) does not carry a valid SeekInfo: ${err.message}`);
  }

  const access = new DeliverAccessControl(options.registry, channelId, { identity: creator, data: envelope.payload, signature: envelope.signature }, options.clock, options);
  const denied = access.evaluate();
  if (denied !== undefined) return reject(denied.status, channelId, denied.info);

  const { start, stop } = seekInfo;
  if (start === undefined || stop === undefined) {
    return reject('BAD_REQUEST', channelId, `the SeekInfo has no ${start === undefined ? 'start' : 'stop'} position; set both start and stop (e.g. start newest, stop specified MaxUint64 to follow the chain)`);
  }
  const height = options.heightOf(channelId);
  const startNumber = resolveStart(start, height);
  const range = `start ${describeSeekPosition(start)} (block ${startNumber}), stop ${describeSeekPosition(stop)}`;
  if (start.kind === 'specified' && startNumber > height) {
    return reject('NOT_FOUND', channelId, `block ${startNumber} cannot be sought: channel ${channelId} has height ${height}, so the furthest start is block ${height} (the next one to be cut)`);
  }
  let stopNumber: number;
  switch (stop.kind) {
    case 'oldest':
      stopNumber = startNumber;
      break;
    case 'newest':
      stopNumber = start.kind === 'newest' ? startNumber : Math.max(0, height - 1);
      break;
    case 'specified':
      stopNumber = stop.number;
      break;
    case 'nextCommit':
      return reject('BAD_REQUEST', channelId, `the SeekInfo (${range}) stops at next commit, which is only a start position; stop at a specified block, or at specified MaxUint64 to follow the chain`);
  }
  if (stopNumber < startNumber) {
    return reject('BAD_REQUEST', channelId, `the SeekInfo's start is after its stop: ${range} resolves to block ${startNumber} > block ${stopNumber} at height ${height}; seek a start at or before the stop`);
  }
  if (seekInfo.behavior === 'FAIL_IF_NOT_READY' && startNumber > height - 1) {
    return reject('NOT_FOUND', channelId, `block ${startNumber} not found: channel ${channelId} has height ${height} (blocks 0 to ${height - 1}) and the request asked FAIL_IF_NOT_READY; seek an existing block, or use BLOCK_UNTIL_READY to wait for it`);
  }
  return {
    ok: true,
    channelId,
    seekInfo,
    start: startNumber,
    stop: stopNumber,
    behavior: seekInfo.behavior,
    errorResponse: seekInfo.errorResponse,
    contentType: seekInfo.contentType,
    access,
  };
}

function resolveStart(start: SeekPosition, height: number): number {
  switch (start.kind) {
    case 'oldest':
      return 0;
    case 'newest':
      return Math.max(0, height - 1);
    case 'nextCommit':
      return height;
    case 'specified':
      return start.number;
  }
}

/** Fabric's validateChannelHeader: a timestamp must be present and within the window. */
function checkTimestamp(channelHeader: ChannelHeader, options: DeliverPlanOptions): string | undefined {
  if (channelHeader.timestampMs === undefined) {
    return 'the deliver request is malformed: channel header in envelope must contain timestamp; set ChannelHeader.timestamp to the current time';
  }
  const windowMs = options.timeWindowMs ?? DEFAULT_DELIVER_TIME_WINDOW_MS;
  const nowMs = options.clock.nowMs();
  if (Math.abs(nowMs - channelHeader.timestampMs) > windowMs) {
    return (
      `envelope timestamp ${new Date(channelHeader.timestampMs).toISOString()} is more than ${windowMs / 1000}s apart from current server time ${new Date(nowMs).toISOString()}; ` +
      'check the client clock, and build a fresh request for each seek'
    );
  }
  return undefined;
}

function reject(status: DeliverRejection['status'], channelId: string | undefined, info: string): DeliverRejection {
  return { ok: false, status, info, channelId };
}
