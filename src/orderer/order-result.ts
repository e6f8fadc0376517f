/**
 * What ordering an envelope answers, as Fabric's Broadcast does: SUCCESS means the envelope was
 * ACCEPTED for ordering (it is in the leader's block cutter or on its way there), not that it is in a
 * committed block; a client learns that from Deliver. SERVICE_UNAVAILABLE says why it was not accepted
 * (no leader, leader unreachable, chain halted or closed) and that retrying later may work.
 */
export type OrderResult = { readonly status: 'SUCCESS' } | { readonly status: 'SERVICE_UNAVAILABLE'; readonly info: string };

export const ORDER_SUCCESS: OrderResult = { status: 'SUCCESS' };

export function serviceUnavailable(info: string): OrderResult {
  return { status: 'SERVICE_UNAVAILABLE', info };
}
