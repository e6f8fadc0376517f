import { x509 } from './x509-library.js';
import type { Certificate } from './certificate.js';
import { MspError } from './msp-error.js';
import { decodePemBlocks } from './pem.js';

/**
 * A certificate revocation list (RFC 5280 CRL) that an MSP has checked: signed by one of its CAs.
 * Fabric checks a CRL against the identity's direct issuer: a serial listed in a CRL signed by that
 * issuer revokes the identity.
 */
export interface RevocationList {
  /** Fingerprint of the CA certificate that signed the CRL. */
  readonly issuerFingerprint: string;
  readonly issuerName: string;
  /** Revoked serial numbers (lowercase hex, no leading zeros) → revocation time (ms). */
  readonly revoked: ReadonlyMap<string, number>;
}

export function normalizeSerial(hex: string): string {
  return hex.toLowerCase().replace(/^0+(?=.)/, '');
}

/** Parses a PEM CRL and finds which of `cas` signed it; an unsigned or foreign CRL is a config error. */
export async function loadRevocationList(pem: string, cas: readonly Certificate[], mspId: string, what: string): Promise<RevocationList> {
  const block = decodePemBlocks(pem).find((b) => b.label === 'X509 CRL');
  if (!block) {
    throw new MspError('MSP_BAD_CONFIG', `${what} of ${mspId} is not a PEM "X509 CRL"; put only CRLs in the msp/crls folder`, { context: { mspId, what } });
  }
  let crl: x509.X509Crl;
  try {
    crl = new x509.X509Crl(block.der);
  } catch (cause) {
    throw new MspError('MSP_BAD_CONFIG', `${what} of ${mspId} is not a valid CRL (${(cause as Error).message})`, { cause, context: { mspId, what } });
  }
  for (const ca of cas) {
    const publicKey = new x509.X509Certificate(ca.der);
    if (await crl.verify({ publicKey }).catch(() => false)) {
      const revoked = new Map<string, number>();
      for (const entry of crl.entries) revoked.set(normalizeSerial(entry.serialNumber), entry.revocationDate.getTime());
      return { issuerFingerprint: ca.fingerprint, issuerName: ca.displayName, revoked };
    }
  }
  throw new MspError(
    'MSP_BAD_CONFIG',
    `${what} of ${mspId} (issuer ${crl.issuer}) is not signed by any CA of ${mspId}; a CRL must be signed by the CA that issued the revoked certificates`,
    { context: { mspId, what } },
  );
}
