import { isFabsimError } from '../../core/errors.js';
import type { ChannelRegistry } from '../../common/channel-resources.js';
import type { LedgerQueries } from '../../ledger/ledger-types.js';
import type { AsyncSignatureVerifier } from '../../msp/ecdsa.js';
import { parseChaincodeEventsRequest, parseSignedChaincodeEventsRequest, type ChaincodeEventsRequest } from '../../protos/gateway.js';
import { describeSeekPosition, type SeekPosition } from '../../protos/seek-info.js';
import type { ChaincodeEvent } from '../../protos/transaction.js';
import { TxValidationCode } from '../../protos/tx-validation-code.js';
import { chaincodeEventsOfBlock, type BlockEvents } from './block-chaincode-events.js';
import { GatewayError } from './gateway-error.js';
import { checkGatewayAccess, type GatewayRefusal } from './gateway-request-check.js';

/**
 * Fabric Gateway's ChaincodeEvents (internal/pkg/gateway/chaincodeevents.go, event/): a stream,
 * per block in ascending order, of the events that one chaincode emitted in that block's VALID
 * transactions, in transaction order; blocks without such events are skipped. The stream reads the
 * committed blocks from its start block on and then follows new commits, until the client goes
 * away (an AbortSignal).
 *
 * Start block (Fabric's chaincodeEventsStartBlock): the block of `after_transaction_id` when the
 * ledger's tx-id index knows it (the start position is then ignored); otherwise the start
 * position: next commit (also when absent) = the ledger height, specified = that block number,
 * oldest = block 0. Fabric refuses oldest and newest with InvalidArgument; fabsim accepts oldest
 * (the official client never sends either) and refuses newest as Fabric does.
 *
 * After a transaction (Fabric's chaincodeEventMatcher): with an `after_transaction_id`, the events
 * of every transaction up to and including that one are skipped, the transaction being found in
 * the stream (normally in the start block, where the index put it; when the index does not know it
 * yet, the skipping lasts until it commits, as in Fabric). Fabric notices the transaction by one of
 * its events, so a transaction without events (or an invalid one) would never end the skipping;
 * fabsim notices the transaction itself, whatever it emitted and whatever its code.
 */

/** What the stream reads from the channel's ledger (src/ledger/peer-ledger.ts PeerLedger has it all). */
export interface ChaincodeEventsLedger extends Pick<LedgerQueries, 'chainInfo' | 'getBlock' | 'getTransactionLocation'> {
  /** Resolves once the height is at least `height`, or when `signal` aborts. */
  waitForHeight(height: number, signal?: AbortSignal): Promise<void>;
}

/** One message of the stream (gateway.ChaincodeEventsResponse). */
export interface ChaincodeEventsBlock {
  readonly blockNumber: number;
  /** At least one. */
  readonly events: readonly ChaincodeEvent[];
}

export type ChaincodeEventsStart = { readonly ok: true; readonly startBlock: number } | { readonly ok: false; readonly refusal: GatewayRefusal };

/** The block the stream starts at (see the module comment). */
export async function chaincodeEventsStartBlock(
  ledger: Pick<LedgerQueries, 'chainInfo' | 'getTransactionLocation'>,
  request: Pick<ChaincodeEventsRequest, 'startPosition' | 'afterTransactionId'>,
): Promise<ChaincodeEventsStart> {
  if (request.afterTransactionId !== '') {
    const location = await ledger.getTransactionLocation(request.afterTransactionId);
    if (location !== undefined) return { ok: true, startBlock: location.blockNum };
  }
  const position: SeekPosition = request.startPosition ?? { kind: 'nextCommit' };
  switch (position.kind) {
    case 'nextCommit':
      return { ok: true, startBlock: ledger.chainInfo().height };
    case 'specified':
      return { ok: true, startBlock: position.number };
    case 'oldest':
      return { ok: true, startBlock: 0 };
    case 'newest':
      return {
        ok: false,
        refusal: { kind: 'invalid-argument', message: `invalid start position type: ${describeSeekPosition(position)}; chaincode events start at the next commit (the default) or at a specified block number` },
      };
  }
}

export interface ChaincodeEventsOptions {
  readonly ledger: ChaincodeEventsLedger;
  /** The chaincode whose events are wanted (ChaincodeEventsRequest.chaincode_id). */
  readonly chaincodeName: string;
  readonly startBlock: number;
  /** Skip transactions up to and including this one ('' or absent: none). */
  readonly afterTransactionId?: string;
  /** The client's cancel or deadline: the iteration then ends (returns). */
  readonly signal?: AbortSignal;
}

/**
 * The stream (see the module comment). Ends when `signal` aborts, also while it waits for a block.
 * Throws GatewayError GATEWAY_LEDGER_FAILED when the ledger lacks a block below its height or
 * holds one that does not parse (Fabric ends the stream with Aborted).
 */
export async function* chaincodeEvents(o: ChaincodeEventsOptions): AsyncGenerator<ChaincodeEventsBlock, void, undefined> {
  const after = o.afterTransactionId ?? '';
  let passedAfter = after === '';
  const aborted = (): boolean => o.signal?.aborted === true;
  for (let number = o.startBlock; ; number++) {
    await o.ledger.waitForHeight(number + 1, o.signal);
    if (aborted()) return;
    const block = await readBlock(o.ledger, number);
    if (aborted()) return;
    const events: ChaincodeEvent[] = [];
    for (const tx of block.transactions) {
      if (!passedAfter) {
        passedAfter = tx.txId === after;
        continue;
      }
      if (tx.code !== TxValidationCode.VALID) continue;
      for (const event of tx.events) if (event.chaincodeId === o.chaincodeName) events.push(event);
    }
    if (events.length > 0) yield { blockNumber: number, events };
  }
}

async function readBlock(ledger: ChaincodeEventsLedger, number: number): Promise<BlockEvents> {
  const bytes = await ledger.getBlock(number);
  if (bytes === undefined) {
    throw new GatewayError('GATEWAY_LEDGER_FAILED', `chaincode events: block ${number} is below the ledger height ${ledger.chainInfo().height} but the ledger does not return it; the peer's ledger is damaged, rebuild it from the orderer`, {
      context: { number },
    });
  }
  try {
    return chaincodeEventsOfBlock(bytes);
  } catch (err) {
    if (!isFabsimError(err, 'PROTO_MALFORMED')) throw err;
    throw new GatewayError('GATEWAY_LEDGER_FAILED', `chaincode events: committed block ${number} does not parse (${err.message}); the peer's ledger is damaged, rebuild it from the orderer`, { cause: err, context: { number } });
  }
}

export type ChaincodeEventsRequestCheck = { readonly ok: true; readonly request: ChaincodeEventsRequest } | { readonly ok: false; readonly refusal: GatewayRefusal };

/**
 * Checks a serialized gateway.SignedChaincodeEventsRequest as Fabric's ChaincodeEvents does, in
 * its order: the request is present and decodes (invalid-argument "a chaincode events request is
 * required" / "invalid chaincode events request: ..."), and its identity signed it and satisfies
 * the channel's /Channel/Application/Readers (permission-denied; see gateway-request-check.ts).
 * The start position is checked by chaincodeEventsStartBlock, after the channel's ledger is found.
 */
export async function checkChaincodeEventsRequest(signedRequestBytes: Uint8Array, channels: ChannelRegistry, verify?: AsyncSignatureVerifier): Promise<ChaincodeEventsRequestCheck> {
  let signed;
  let request: ChaincodeEventsRequest;
  try {
    signed = parseSignedChaincodeEventsRequest(signedRequestBytes);
    if (signed.request.length === 0) return invalid('a chaincode events request is required: SignedChaincodeEventsRequest.request is empty');
    request = parseChaincodeEventsRequest(signed.request);
  } catch (err) {
    if (!isFabsimError(err, 'PROTO_MALFORMED')) throw err;
    return invalid(`invalid chaincode events request: ${err.message}`);
  }
  const access = await checkGatewayAccess(channels, { channelId: request.channelId, request: signed.request, signature: signed.signature, identity: request.identity, what: 'chaincode events' }, verify);
  return access.ok ? { ok: true, request } : { ok: false, refusal: access.refusal };
}

function invalid(message: string): Extract<ChaincodeEventsRequestCheck, { ok: false }> {
  return { ok: false, refusal: { kind: 'invalid-argument', message } };
}
