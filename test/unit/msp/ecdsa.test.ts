import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signEcdsa, verifyEcdsa, signatureError } from '../../../src/msp/ecdsa.js';
import { encodeDerSignature, flipS, isLowS, parseDerSignature, toLowS } from '../../../src/msp/ecdsa-signature.js';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const message = new TextEncoder().encode('proposal bytes');

/** A raw node:crypto signature with a high S, found by signing until one is. */
function highSSignature(): Uint8Array {
  for (;;) {
    const sig = new Uint8Array(sign('sha256', message, { key: privateKey, dsaEncoding: 'der' }));
    const parts = parseDerSignature(sig);
    if (parts && !isLowS(parts)) return sig;
  }
}

describe('ECDSA signatures as Fabric makes them', () => {
  it('always signs low-S, and the signature verifies', () => {
    for (let i = 0; i < 50; i++) {
      const sig = signEcdsa(privateKey, message);
      const parts = parseDerSignature(sig);
      expect(parts && isLowS(parts)).toBe(true);
      expect(verifyEcdsa(publicKey, message, sig)).toBe('valid');
    }
  });

  it('rejects a high-S signature even though the curve math accepts it', () => {
    const high = highSSignature();
    expect(verifyEcdsa(publicKey, message, high)).toBe('high-s');
    // its low-S twin is the same signature, and is accepted
    expect(verifyEcdsa(publicKey, message, toLowS(high))).toBe('valid');
    expect(signatureError('high-s', 'User1@org1.example.com').message).toMatch(/high S value.*low-S/);
  });

  it('flipping S of a low-S signature gives a high-S one', () => {
    const low = signEcdsa(privateKey, message);
    const flipped = encodeDerSignature(flipS(parseDerSignature(low)!));
    expect(verifyEcdsa(publicKey, message, flipped)).toBe('high-s');
  });

  it('reports a tampered message or signature as a mismatch', () => {
    const sig = signEcdsa(privateKey, message);
    expect(verifyEcdsa(publicKey, new TextEncoder().encode('proposal bytez'), sig)).toBe('mismatch');
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(verifyEcdsa(other.publicKey, message, sig)).toBe('mismatch');
    const tampered = Uint8Array.from(sig);
    tampered[tampered.length - 5] = (tampered[tampered.length - 5] as number) ^ 0x01;
    expect(['mismatch', 'high-s']).toContain(verifyEcdsa(publicKey, message, tampered));
  });

  it('rejects signatures that are not strict DER', () => {
    const sig = signEcdsa(privateKey, message);
    const cases: Record<string, Uint8Array> = {
      empty: new Uint8Array(),
      garbage: new TextEncoder().encode('not a signature at all'),
      trailing: Uint8Array.from([...sig, 0]),
      truncated: sig.subarray(0, sig.length - 1),
      'raw r||s': new Uint8Array(64).fill(7),
      'zero r': Uint8Array.from([0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01]),
      'negative s': Uint8Array.from([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x81]),
      'non-minimal': Uint8Array.from([0x30, 0x08, 0x02, 0x02, 0x00, 0x01, 0x02, 0x02, 0x00, 0x01]),
    };
    for (const [name, bad] of Object.entries(cases)) expect(verifyEcdsa(publicKey, message, bad), name).toBe('malformed');
  });
});
