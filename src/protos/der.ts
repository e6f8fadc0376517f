/**
 * The few ASN.1 DER encodings Fabric hashes: a block header is
 * `SEQUENCE { number INTEGER, previous_hash OCTET STRING, data_hash OCTET STRING }`
 * (fabric/protoutil BlockHeaderBytes). Encoding only; nothing here parses DER.
 */

function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

function tlv(tag: number, body: Uint8Array): Uint8Array {
  const length = encodeLength(body.length);
  const out = new Uint8Array(1 + length.length + body.length);
  out[0] = tag;
  out.set(length, 1);
  out.set(body, 1 + length.length);
  return out;
}

/** A non-negative integer, minimal two's-complement big-endian (as Go's asn1 encodes *big.Int). */
export function derInteger(value: bigint): Uint8Array {
  if (value < 0n) throw new RangeError('derInteger encodes non-negative integers only');
  const bytes: number[] = [];
  for (let v = value; v > 0n; v >>= 8n) bytes.unshift(Number(v & 0xffn));
  if (bytes.length === 0 || (bytes[0] as number) & 0x80) bytes.unshift(0);
  return tlv(0x02, Uint8Array.from(bytes));
}

export function derOctetString(bytes: Uint8Array): Uint8Array {
  return tlv(0x04, bytes);
}

export function derSequence(...items: Uint8Array[]): Uint8Array {
  const body = new Uint8Array(items.reduce((n, i) => n + i.length, 0));
  let at = 0;
  for (const item of items) {
    body.set(item, at);
    at += item.length;
  }
  return tlv(0x30, body);
}
