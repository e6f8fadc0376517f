import type { MspRole } from '../policy/index.js';
import type { Certificate } from './certificate.js';

/** A signer as an MSP knows it: the MSP ID it claims and its parsed certificate. Not yet validated. */
export interface Identity {
  readonly mspId: string;
  readonly certificate: Certificate;
  /** The SerializedIdentity id_bytes (PEM) this identity came from. */
  readonly idBytes: Uint8Array;
}

/**
 * An identity that its MSP has validated at some instant: chain to a CA of the MSP, validity window,
 * not revoked, NodeOU. `roles` always includes 'member'.
 */
export interface ValidatedIdentity extends Identity {
  readonly roles: ReadonlySet<MspRole>;
  /** The certification chain, identity first, root CA last. */
  readonly chain: readonly Certificate[];
}

/** The one role word used in messages, e.g. "a client" or "a peer". */
export function describeRoles(roles: ReadonlySet<MspRole>): string {
  const named = [...roles].filter((r) => r !== 'member');
  return named.length === 0 ? 'a member with no node role' : named.map((r) => `${article(r)} ${r}`).join(' and ');
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}
