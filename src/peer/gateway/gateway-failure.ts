import type { ErrorDetail } from '../../protos/gateway.js';
import type { GatewayRefusal } from './gateway-request-check.js';

/**
 * How a Gateway call fails, as Fabric's Gateway answers it: a gRPC status code (named here,
 * mapped to gRPC by src/transport), a message, and one gateway.ErrorDetail per endorsing peer or
 * orderer that failed (address, MSP ID, what it said). fabric-gateway's GatewayError (and its
 * EndorseError, SubmitError, ...) carries `code`, `message` and `details` from these.
 */
export type GatewayStatusName =
  | 'invalid-argument'
  | 'permission-denied'
  | 'not-found'
  | 'failed-precondition'
  | 'aborted'
  | 'unavailable'
  | 'unknown'
  | 'deadline-exceeded';

export interface GatewayFailure {
  readonly kind: GatewayStatusName;
  readonly message: string;
  readonly details: readonly ErrorDetail[];
}

/** A Gateway call's outcome: its value, or how it failed. */
export type GatewayResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: GatewayFailure };

export function gatewayFailure(kind: GatewayStatusName, message: string, details: readonly ErrorDetail[] = []): { readonly ok: false; readonly failure: GatewayFailure } {
  return { ok: false, failure: { kind, message, details } };
}

export function gatewaySuccess<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

/** A refusal of the request checks (gateway-request-check.ts) as a failure without details. */
export function refusalFailure(refusal: GatewayRefusal): { readonly ok: false; readonly failure: GatewayFailure } {
  return gatewayFailure(refusal.kind, refusal.message);
}
