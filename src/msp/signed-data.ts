import { isFabsimError } from '../core/errors.js';
import type { PolicyIdentity } from '../policy/index.js';
import { signatureError } from './ecdsa.js';
import { toPolicyIdentity, type MspManager } from './msp-manager.js';

/**
 * One signature over some bytes, as Fabric's `protoutil.SignedData`: the signer's
 * SerializedIdentity, the signed bytes and the signature. Endorsements, an envelope's creator
 * signature and config-update signatures all reduce to this.
 */
export interface SignedData {
  readonly identity: Uint8Array;
  readonly data: Uint8Array;
  readonly signature: Uint8Array;
}

export interface SignerSet {
  /** The signers whose identity is valid and whose signature verifies, ready for policy evaluation. */
  readonly identities: readonly PolicyIdentity[];
  /** The others, with the reason each was left out (for explanations and logs). */
  readonly rejected: ReadonlyArray<{ readonly index: number; readonly code: string; readonly reason: string }>;
}

/**
 * Fabric's `SignatureSetToValidIdentities`: keeps each signature whose identity deserializes and
 * validates in its MSP and whose signature verifies; the rest are left out, not fatal, so the policy
 * decides whether the remaining signers suffice. (Duplicates are removed by the policy evaluation.)
 */
export function validSigners(manager: MspManager, signatures: readonly SignedData[]): SignerSet {
  const identities: PolicyIdentity[] = [];
  const rejected: Array<{ index: number; code: string; reason: string }> = [];
  signatures.forEach((sd, index) => {
    try {
      const check = manager.checkSignature(sd.identity, sd.data, sd.signature);
      if (check.verdict === 'valid') {
        identities.push(toPolicyIdentity(check.identity));
      } else {
        const err = signatureError(check.verdict, check.identity.certificate.displayName);
        rejected.push({ index, code: err.code, reason: err.message });
      }
    } catch (err) {
      if (!isFabsimError(err)) throw err;
      rejected.push({ index, code: err.code, reason: err.message });
    }
  });
  return { identities, rejected };
}
