import { messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { buildEnvelope } from '../../protos/envelope.js';
import type { ErrorDetail, SubmitRequest } from '../../protos/gateway.js';
import { Status } from '../../protos/seek-info.js';
import { errorDetail, type GatewayOrderer } from './gateway-endpoints.js';
import { gatewayFailure, gatewaySuccess, type GatewayResult } from './gateway-failure.js';

/**
 * The Gateway's Submit (Fabric internal/pkg/gateway/submit.go, the non-BFT path): the client's
 * signed transaction envelope goes to one orderer of the channel; when an orderer cannot be reached
 * or answers with a server-side status, the next one is tried.
 *
 * - No request, no prepared transaction, or an unsigned one → invalid-argument.
 * - No orderer known for the channel → unavailable "no orderer nodes available".
 * - SUCCESS from an orderer → done.
 * - A 4xx status (BAD_REQUEST, FORBIDDEN...: the transaction itself is refused) → aborted
 *   "received unsuccessful response from orderer: status=..., info=...", not retried elsewhere.
 * - Every orderer failed → unavailable "no orderers could successfully process transaction", with
 *   one ErrorDetail per orderer.
 *
 * Fabric tries the orderers in random order; fabsim's pure logic has no randomness, so the
 * caller passes `startAt` (e.g. a counter), which rotates the order to spread the load.
 */
export interface SubmitOptions {
  readonly orderers: readonly GatewayOrderer[];
  /** Index of the orderer to try first (taken modulo the count). */
  readonly startAt: number;
  readonly logger: Logger;
}

export async function submitTransaction(request: SubmitRequest, o: SubmitOptions): Promise<GatewayResult<void>> {
  const prepared = request.preparedTransaction;
  if (prepared === undefined) return gatewayFailure('invalid-argument', 'a prepared transaction is required: SubmitRequest.prepared_transaction is empty; send the envelope Endorse returned, signed');
  if (prepared.signature.length === 0) {
    return gatewayFailure('invalid-argument', 'prepared transaction must be signed: sign the payload of the envelope Endorse returned with the client identity, then submit it');
  }
  if (o.orderers.length === 0) return gatewayFailure('unavailable', `no orderer nodes available: channel ${request.channelId}'s config lists no orderer endpoints`);
  const envelope = buildEnvelope(prepared);
  const details: ErrorDetail[] = [];
  const count = o.orderers.length;
  for (let i = 0; i < count; i++) {
    const orderer = o.orderers[(((o.startAt + i) % count) + count) % count]!;
    let response;
    try {
      response = await orderer.broadcast(envelope);
    } catch (err) {
      o.logger.warn('error sending transaction to orderer', { txId: request.transactionId, orderer: orderer.address, error: messageOf(err) });
      details.push(errorDetail(orderer, messageOf(err)));
      continue;
    }
    if (response.status === 'SUCCESS') return gatewaySuccess(undefined);
    const message = `received unsuccessful response from orderer: status=${response.status}, info=${response.info}`;
    o.logger.warn('unsuccessful response from orderer', { txId: request.transactionId, orderer: orderer.address, status: response.status, info: response.info });
    const code = Status[response.status];
    if (code >= 400 && code < 500) return gatewayFailure('aborted', message, [errorDetail(orderer, message)]);
    details.push(errorDetail(orderer, message));
  }
  return gatewayFailure('unavailable', 'no orderers could successfully process transaction', details);
}
