/**
 * ECDSA signatures as Fabric encodes them: ASN.1 DER `SEQUENCE { INTEGER r, INTEGER s }`, and
 * always "low-S" (s <= n/2). Fabric's BCCSP normalises every signature it makes to low-S and rejects
 * high-S ones on verify, because (r, n-s) is a second valid signature for the same message: allowing
 * both would let anyone change a transaction's bytes (and so its hash) without the key.
 * Pure byte logic, no crypto calls.
 */
import { assert } from '../core/assert.js';

/** The order n of the P-256 group, big-endian. */
const P256_ORDER = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
/** floor(n / 2): the largest low-S value. */
const P256_HALF_ORDER = Buffer.from('7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8', 'hex');

export interface EcdsaSignatureParts {
  /** Unsigned big-endian integers without leading zero bytes. */
  readonly r: Uint8Array;
  readonly s: Uint8Array;
}

/** Parses a strict DER ECDSA signature, or returns undefined when it is not one. */
export function parseDerSignature(sig: Uint8Array): EcdsaSignatureParts | undefined {
  if (sig.length < 8 || sig[0] !== 0x30) return undefined;
  const seqLen = sig[1] as number;
  if (seqLen >= 0x80 || seqLen !== sig.length - 2) return undefined; // P-256 signatures are < 128 bytes
  const r = readDerInteger(sig, 2);
  if (!r) return undefined;
  const s = readDerInteger(sig, r.next);
  if (!s || s.next !== sig.length) return undefined;
  return { r: r.value, s: s.value };
}

function readDerInteger(buf: Uint8Array, at: number): { value: Uint8Array; next: number } | undefined {
  if (buf[at] !== 0x02) return undefined;
  const len = buf[at + 1];
  if (len === undefined || len === 0 || len >= 0x80 || at + 2 + len > buf.length) return undefined;
  const body = buf.subarray(at + 2, at + 2 + len);
  const first = body[0] as number;
  if (first & 0x80) return undefined; // negative
  // A leading zero is allowed only to keep a high bit positive; a lone zero means r or s = 0.
  if (first === 0 && (len === 1 || !((body[1] as number) & 0x80))) return undefined;
  const value = first === 0 ? body.subarray(1) : body;
  return { value, next: at + 2 + len };
}

function compareUnsigned(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length;
  return Buffer.compare(a, b);
}

function strip(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

export function isLowS(parts: EcdsaSignatureParts): boolean {
  return compareUnsigned(strip(parts.s), P256_HALF_ORDER) <= 0;
}

export function encodeDerSignature(parts: EcdsaSignatureParts): Uint8Array {
  const int = (v: Uint8Array): Buffer => {
    const body = strip(v);
    const padded = (body[0] as number) & 0x80 ? Buffer.concat([Buffer.from([0]), body]) : Buffer.from(body);
    return Buffer.concat([Buffer.from([0x02, padded.length]), padded]);
  };
  const r = int(parts.r);
  const s = int(parts.s);
  return new Uint8Array(Buffer.concat([Buffer.from([0x30, r.length + s.length]), r, s]));
}

/** s -> n - s, the other valid signature for the same (r). */
export function flipS(parts: EcdsaSignatureParts): EcdsaSignatureParts {
  const s = BigInt('0x' + Buffer.from(parts.s).toString('hex'));
  const n = BigInt('0x' + P256_ORDER.toString('hex'));
  const flipped = (n - s).toString(16).padStart(64, '0');
  return { r: parts.r, s: strip(Buffer.from(flipped, 'hex')) };
}

/** The low-S form of a DER signature (unchanged when already low-S). */
export function toLowS(sig: Uint8Array): Uint8Array {
  const parts = parseDerSignature(sig);
  assert(parts, 'toLowS is given signatures that node:crypto just made in DER');
  return isLowS(parts) ? sig : encodeDerSignature(flipS(parts));
}
