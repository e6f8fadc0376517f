import type { Clock } from '../core/clock.js';
import { bytesKey } from '../core/bytes.js';
import { isFabsimError } from '../core/errors.js';
import { parseSerializedIdentity } from '../protos/identity.js';
import type { PolicyIdentity } from '../policy/index.js';
import { verifyEcdsa, type SignatureVerdict } from './ecdsa.js';
import type { Identity, ValidatedIdentity } from './identity.js';
import { MspError } from './msp-error.js';
import type { X509Msp } from './x509-msp.js';

const SERIALIZED_CACHE_LIMIT = 10_000;

/** The outcome of checking one signature by one serialized identity. */
export interface SignatureCheck {
  readonly identity: ValidatedIdentity;
  readonly verdict: SignatureVerdict;
}

/**
 * Fabric's MSP manager: the set of MSPs a channel (or a node) trusts, keyed by MSP ID. It is the
 * entry point for everything that arrives as a `msp.SerializedIdentity`.
 *
 * Contract: `validateSerialized` throws MspError (MSP_BAD_IDENTITY_BYTES, MSP_UNKNOWN, or the MSP's
 * own codes); the time used is the injected Clock's. Deserialization is cached on the serialized
 * bytes, so a repeated identity skips protobuf decoding and certificate parsing.
 */
export class MspManager {
  private readonly msps: ReadonlyMap<string, X509Msp>;
  private readonly deserialized = new Map<string, { readonly msp: X509Msp; readonly identity: Identity }>();

  constructor(msps: readonly X509Msp[], private readonly clock: Clock) {
    this.msps = new Map(msps.map((m) => [m.mspId, m]));
  }

  mspIds(): string[] {
    return [...this.msps.keys()];
  }

  get(mspId: string): X509Msp | undefined {
    return this.msps.get(mspId);
  }

  /** Finds the MSP named in a SerializedIdentity and parses its certificate (no validation). */
  deserializeIdentity(serialized: Uint8Array): { msp: X509Msp; identity: Identity } {
    const key = bytesKey(serialized);
    const hit = this.deserialized.get(key);
    if (hit) return hit;
    let parsed;
    try {
      parsed = parseSerializedIdentity(serialized);
    } catch (cause) {
      if (!isFabsimError(cause, 'PROTO_MALFORMED')) throw cause;
      throw new MspError('MSP_BAD_IDENTITY_BYTES', `the signer's identity is not a valid msp.SerializedIdentity: ${cause.message}`, { cause });
    }
    const msp = this.msps.get(parsed.mspId);
    if (!msp) {
      const known = this.mspIds().join(', ') || 'none';
      throw new MspError(
        'MSP_UNKNOWN',
        `MSP ID "${parsed.mspId}" is not known here (known MSPs: ${known}); check the mspid of the client's identity, or add the organization to the channel`,
        { context: { mspId: parsed.mspId } },
      );
    }
    const result = { msp, identity: msp.deserializeIdentity(parsed.idBytes) };
    if (this.deserialized.size >= SERIALIZED_CACHE_LIMIT) {
      const oldest = this.deserialized.keys().next().value;
      if (oldest !== undefined) this.deserialized.delete(oldest);
    }
    this.deserialized.set(key, result);
    return result;
  }

  /** Deserializes and validates at the clock's current time. */
  validateSerialized(serialized: Uint8Array): ValidatedIdentity {
    const { msp, identity } = this.deserializeIdentity(serialized);
    return msp.validate(identity, this.clock.nowMs());
  }

  /**
   * Validates the signer and checks its signature over `message`. An invalid identity throws; an
   * invalid signature is a verdict (Fabric maps it to e.g. BAD_CREATOR_SIGNATURE).
   */
  checkSignature(serialized: Uint8Array, message: Uint8Array, signature: Uint8Array): SignatureCheck {
    const identity = this.validateSerialized(serialized);
    return { identity, verdict: verifyEcdsa(identity.certificate.publicKey, message, signature) };
  }
}

/** The view of a validated identity that policy evaluation needs (src/policy stays pure). */
export function toPolicyIdentity(identity: ValidatedIdentity): PolicyIdentity {
  return {
    key: `${identity.mspId}\u0000${identity.certificate.fingerprint}`,
    mspId: identity.mspId,
    name: identity.certificate.displayName,
    roles: identity.roles,
  };
}
