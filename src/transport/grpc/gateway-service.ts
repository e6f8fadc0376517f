import { gateway } from '@hyperledger/fabric-protos';
import { Metadata, status, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream, type ServiceError } from '@grpc/grpc-js';
import { isFabsimError, messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { GatewayFailure, GatewayResult, GatewayStatusName } from '../../peer/gateway/gateway-failure.js';
import type { Gateway } from '../../peer/gateway/gateway.js';
import { buildGatewayErrorStatus } from '../../protos/gateway.js';
import type { GrpcService } from './grpc-server.js';
import { rawBytesService } from './raw-service.js';
import { writeWithBackpressure } from './stream-write.js';

export interface GatewayServiceOptions {
  readonly gateway: Gateway;
  readonly logger: Logger;
}

const GRPC_CODE: Record<GatewayStatusName, status> = {
  'invalid-argument': status.INVALID_ARGUMENT,
  'permission-denied': status.PERMISSION_DENIED,
  'not-found': status.NOT_FOUND,
  'failed-precondition': status.FAILED_PRECONDITION,
  aborted: status.ABORTED,
  unavailable: status.UNAVAILABLE,
  unknown: status.UNKNOWN,
  'deadline-exceeded': status.DEADLINE_EXCEEDED,
};

/**
 * `gateway.Gateway` (fabric-protos gateway/gateway.proto) on raw bytes, over the peer's Gateway
 * (src/peer/gateway/gateway.ts). A GatewayFailure becomes the gRPC status Fabric's Gateway sends
 * (Go's status.WithDetails): the code, the message, and a `grpc-status-details-bin` trailer holding
 * a google.rpc.Status with one gateway.ErrorDetail per failed endpoint, which
 * @hyperledger/fabric-gateway exposes as GatewayError.details.
 *
 * CommitStatus and ChaincodeEvents wait on the ledger; a cancelled call (the client's deadline or
 * cancel) aborts the wait.
 */
export function gatewayService(o: GatewayServiceOptions): GrpcService {
  const unary =
    (what: string, run: (request: Uint8Array, signal: AbortSignal) => Promise<GatewayResult<Uint8Array>>) =>
    (call: ServerUnaryCall<Uint8Array, Uint8Array>, callback: sendUnaryData<Uint8Array>): void => {
      const abort = new AbortController();
      call.once('cancelled', () => abort.abort(new Error('the client cancelled the call')));
      run(call.request, abort.signal).then(
        (result) => (result.ok ? callback(null, result.value) : callback(serviceError(result.failure))),
        (err: unknown) => {
          o.logger.error(`gateway ${what} failed`, { error: messageOf(err) });
          callback({ code: status.INTERNAL, details: `the gateway failed while processing the ${what} request: ${messageOf(err)}` });
        },
      );
    };
  return {
    definition: rawBytesService(gateway.GatewayService),
    implementation: {
      evaluate: unary('evaluate', (r) => o.gateway.evaluate(r)),
      endorse: unary('endorse', (r) => o.gateway.endorse(r)),
      submit: unary('submit', (r) => o.gateway.submit(r)),
      commitStatus: unary('commit status', (r, signal) => o.gateway.commitStatus(r, signal)),
      chaincodeEvents: (call: ServerWritableStream<Uint8Array, Uint8Array>) => void serveChaincodeEvents(call, o),
    },
  };
}

async function serveChaincodeEvents(call: ServerWritableStream<Uint8Array, Uint8Array>, o: GatewayServiceOptions): Promise<void> {
  const abort = new AbortController();
  const onCancel = (): void => abort.abort(new Error('the client cancelled the call'));
  call.once('cancelled', onCancel);
  call.once('close', onCancel);
  try {
    const result = await o.gateway.chaincodeEvents(call.request, abort.signal);
    if (!result.ok) {
      call.emit('error', serviceError(result.failure));
      return;
    }
    for await (const message of result.value) {
      if (abort.signal.aborted) break;
      await writeWithBackpressure(call, message);
    }
    if (!abort.signal.aborted) call.end();
  } catch (err) {
    if (!isFabsimError(err)) o.logger.error('gateway chaincode events failed', { error: messageOf(err) });
    call.emit('error', serviceError({ kind: 'aborted', message: messageOf(err), details: [] }));
  }
}

function serviceError(failure: GatewayFailure): Partial<ServiceError> {
  const metadata = new Metadata();
  if (failure.details.length > 0) {
    metadata.set('grpc-status-details-bin', Buffer.from(buildGatewayErrorStatus({ code: GRPC_CODE[failure.kind], message: failure.message, details: failure.details })));
  }
  return { code: GRPC_CODE[failure.kind], details: failure.message, metadata };
}
