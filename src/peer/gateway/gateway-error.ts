import { FabsimError } from '../../core/errors.js';

/**
 * Operational failures of the peer's Gateway service.
 * - GATEWAY_ABORTED: the client gave up (cancelled the call, or its deadline passed) while the
 *   Gateway waited; `cause` is the AbortSignal's reason (a DOMException named AbortError or
 *   TimeoutError), which the transport maps to CANCELLED or DEADLINE_EXCEEDED.
 * - GATEWAY_LEDGER_FAILED: the ledger could not give a committed block (Fabric answers Aborted).
 */
export class GatewayError extends FabsimError<'GATEWAY_ABORTED' | 'GATEWAY_LEDGER_FAILED'> {}

/** The GATEWAY_ABORTED error for `signal`, which has aborted. */
export function gatewayAborted(signal: AbortSignal, what: string, context: Record<string, string | number>): GatewayError {
  const reason: unknown = signal.reason;
  const timedOut = reason instanceof Error && reason.name === 'TimeoutError';
  return new GatewayError(
    'GATEWAY_ABORTED',
    `${what} was abandoned: ${timedOut ? "the client's deadline passed" : 'the client cancelled the call'} first; call again (with a longer deadline) to keep waiting`,
    { cause: reason, context },
  );
}
