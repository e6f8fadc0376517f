import { createPrivateKey, sign, verify, type KeyObject } from 'node:crypto';
import { isLowS, parseDerSignature, toLowS } from './ecdsa-signature.js';
import { MspError } from './msp-error.js';

/**
 * ECDSA P-256 with SHA-256, the way Fabric signs proposals, transactions and blocks: the signature
 * is over SHA-256(message), DER-encoded, and low-S (see ecdsa-signature.ts).
 */

export type SignatureVerdict = 'valid' | 'malformed' | 'high-s' | 'mismatch';

/** Signs `message` with a P-256 private key; the result is always low-S. */
export function signEcdsa(privateKey: KeyObject, message: Uint8Array): Uint8Array {
  const der = sign('sha256', message, { key: privateKey, dsaEncoding: 'der' });
  return toLowS(new Uint8Array(der.buffer, der.byteOffset, der.byteLength));
}

/**
 * Checks a signature as Fabric's BCCSP does: strict DER, low-S, then the curve check.
 * Returns a verdict rather than throwing: a bad signature is an expected outcome (e.g. a
 * transaction's BAD_CREATOR_SIGNATURE), not a failure of fabsim.
 */
export function verifyEcdsa(publicKey: KeyObject, message: Uint8Array, signature: Uint8Array): SignatureVerdict {
  const parts = parseDerSignature(signature);
  if (!parts) return 'malformed';
  if (!isLowS(parts)) return 'high-s';
  return verify('sha256', message, { key: publicKey, dsaEncoding: 'der' }, signature) ? 'valid' : 'mismatch';
}

/** verifyEcdsa's signature, for callers that let the verification run elsewhere (see verifyEcdsaInThreadPool). */
export type AsyncSignatureVerifier = (publicKey: KeyObject, message: Uint8Array, signature: Uint8Array) => Promise<SignatureVerdict>;

/**
 * verifyEcdsa with the curve arithmetic on libuv's thread pool (node:crypto's verify with a
 * callback), so a process that checks many signatures (an orderer's Broadcast, a committer) keeps
 * its event loop free and uses more than one core. Same checks, same verdicts.
 */
export const verifyEcdsaInThreadPool: AsyncSignatureVerifier = (publicKey, message, signature) => {
  const parts = parseDerSignature(signature);
  if (!parts) return Promise.resolve('malformed');
  if (!isLowS(parts)) return Promise.resolve('high-s');
  return new Promise((resolve) => {
    verify('sha256', message, { key: publicKey, dsaEncoding: 'der' }, signature, (err, ok) => resolve(err === null && ok ? 'valid' : 'mismatch'));
  });
};

/** The verdict as an error, for callers that must refuse (e.g. the orderer's Broadcast). */
export function signatureError(verdict: Exclude<SignatureVerdict, 'valid'>, signer: string): MspError {
  switch (verdict) {
    case 'malformed':
      return new MspError(
        'SIGNATURE_MALFORMED',
        `the signature by ${signer} is not a DER-encoded ECDSA signature (SEQUENCE of two positive INTEGERs); ` +
          'sign with ECDSA P-256/SHA-256 and send the DER bytes',
        { context: { signer } },
      );
    case 'high-s':
      return new MspError(
        'SIGNATURE_HIGH_S',
        `the signature by ${signer} has a high S value (s > n/2); Fabric accepts only low-S signatures ` +
          'so that a signature cannot be altered into a second valid one. Normalise s to n - s before sending',
        { context: { signer } },
      );
    case 'mismatch':
      return new MspError(
        'SIGNATURE_MISMATCH',
        `the signature does not verify with ${signer}'s public key: the message was changed after signing, ` +
          'or it was signed with another key',
        { context: { signer } },
      );
  }
}

/** Reads a PKCS#8 (or SEC1) PEM private key, as in a cryptogen `keystore/priv_sk`. */
export function loadPrivateKey(pem: string, what: string): KeyObject {
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error(`it is a ${key.asymmetricKeyType ?? 'unknown'} key, not ECDSA P-256`);
    }
    return key;
  } catch (cause) {
    throw new MspError('MSP_BAD_KEY', `${what} is not a usable ECDSA P-256 private key (${(cause as Error).message}); expected a PEM "PRIVATE KEY" as cryptogen writes to keystore/priv_sk`, { cause, context: { what } });
  }
}
