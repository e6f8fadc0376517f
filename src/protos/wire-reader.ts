import { ProtoDecodeError } from './proto-error.js';

/**
 * A small reader of the protobuf binary wire format, for the hot parse* functions (the committing
 * peer decodes ~15 messages per endorser transaction). It reproduces what google-protobuf 3.21's
 * generated `deserializeBinary` returns for the same bytes, quirks included, so that switching a
 * parser to it changes speed, not results (test/unit/protos/fast-parse-differential.test.ts):
 *
 * - a tag is a varint whose low 32 bits give field = low >>> 3 and wire type = low & 7; wire types
 *   6 and 7 are refused; field number 0 is skipped like any unknown field;
 * - an END_GROUP tag where a field is expected ends the message (`next()` returns false) and the
 *   remaining bytes of that message are ignored, as the generated loops `break` on it;
 * - an unknown field is skipped by wire type (groups must close with a matching END_GROUP);
 * - a known field with another wire type than its declared one is refused;
 * - int32 = low 32 bits as signed; uint32 = low 32 bits, signed when the varint is over 5 bytes;
 *   bool = low 32 bits non-zero; uint64 = hi·2^32 + lo as a double (large values round); int64
 *   and enums = two's-complement 64-bit as a double; varints of known fields take at most 10 bytes;
 * - strings are decoded with google-protobuf's lax UTF-8 decoder (no validation; stray bytes
 *   dropped; a multi-byte sequence cut by the end of the string reads on into the following
 *   bytes, as it does);
 * - bytes are views (subarrays) of the input, like google-protobuf's `_asU8` getters give;
 * - any read that runs past the end of its message, or a length past the buffer, is refused.
 *
 * Every refusal throws ProtoDecodeError('PROTO_MALFORMED') naming the message being decoded.
 * Last occurrence wins for scalars and for sub-messages (google-protobuf JS replaces, it does not
 * merge); repeated fields append. Callers write one `while (r.next())` loop per message.
 */

export const WireType = { VARINT: 0, FIXED64: 1, DELIMITED: 2, START_GROUP: 3, END_GROUP: 4, FIXED32: 5 } as const;

const TWO_POW_32 = 4294967296;
/** Decodes ASCII-only strings (latin1 = windows-1252 agrees with ASCII below 0x80). */
const latin1 = new TextDecoder('latin1');

/** Views `bytes` as a plain Uint8Array (a Node Buffer becomes a Uint8Array over the same memory), as google-protobuf does. */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export class WireReader {
  /** The field number of the field `next()` found. */
  field = 0;
  /** The wire type of the field `next()` found. */
  wireType = 0;
  private pos: number;
  // Varint scratch: the last varint's low and high 32 bits and its length in bytes.
  private lo = 0;
  private hi = 0;
  private size = 0;

  /** Reads `buf[start, end)` as one `messageType` message (the name goes into errors). */
  constructor(
    private readonly buf: Uint8Array,
    readonly messageType: string,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  /** A reader over a whole serialized message. */
  static of(bytes: Uint8Array, messageType: string): WireReader {
    return new WireReader(plainBytes(bytes), messageType);
  }

  /** The error for a `messageType` that fails a check: `throw r.error('it has no header')`. */
  error(detail: string): ProtoDecodeError {
    return new ProtoDecodeError(this.messageType, detail);
  }

  private fail(detail: string): never {
    throw this.error(detail);
  }

  /** Moves to the next field; false at the end of the message or at an END_GROUP tag (see the module). */
  next(): boolean {
    if (this.pos >= this.end) return false;
    const at = this.pos;
    const byte = this.buf[at] as number;
    let tag: number;
    if (byte < 0x80) {
      tag = byte;
      this.pos = at + 1;
    } else {
      this.varint(true);
      tag = this.lo;
    }
    const wireType = tag & 7;
    if (wireType > 5) this.fail(`invalid wire type ${wireType} at byte ${at}`);
    this.field = tag >>> 3;
    this.wireType = wireType;
    return wireType !== WireType.END_GROUP;
  }

  /**
   * Reads a varint into lo/hi/size (google-protobuf's readSplitVarint64 arithmetic). `limited`:
   * at most 10 bytes, as for known fields and tags. It must end inside the message.
   */
  private varint(limited: boolean): void {
    const buf = this.buf;
    const end = this.end;
    let p = this.pos;
    let lo = 0;
    let hi = 0;
    let b = 128;
    for (let f = 0; f < 4 && b >= 128; f++) {
      if (p >= end) this.truncated('varint');
      b = buf[p++] as number;
      lo |= (b & 127) << (7 * f);
    }
    if (b >= 128) {
      if (p >= end) this.truncated('varint');
      b = buf[p++] as number;
      lo |= (b & 127) << 28;
      hi |= (b & 127) >> 4;
    }
    if (b >= 128) {
      for (let f = 0; f < 5 && b >= 128; f++) {
        if (p >= end) this.truncated('varint');
        b = buf[p++] as number;
        hi |= (b & 127) << (7 * f + 3);
      }
    }
    if (b >= 128) {
      if (limited) this.fail(`a varint at byte ${this.pos} is longer than 10 bytes`);
      while (b >= 128) {
        if (p >= end) this.truncated('varint');
        b = buf[p++] as number;
      }
    }
    this.size = p - this.pos;
    this.pos = p;
    this.lo = lo;
    this.hi = hi;
  }

  private truncated(what: string): never {
    this.fail(`a ${what} at byte ${this.pos} runs past the end of the message (byte ${this.end})`);
  }

  private expect(wireType: number): void {
    if (this.wireType !== wireType) this.fail(`field ${this.field} has wire type ${this.wireType}, expected ${wireType}`);
  }

  /** A varint of a known field: fast path for one byte. */
  private scalar(): void {
    this.expect(WireType.VARINT);
    const p = this.pos;
    const b = this.buf[p] as number;
    if (p < this.end && b < 0x80) {
      this.lo = b;
      this.hi = 0;
      this.size = 1;
      this.pos = p + 1;
      return;
    }
    this.varint(true);
  }

  int32(): number {
    this.scalar();
    return this.lo | 0;
  }

  /** google-protobuf's readUint32: unsigned, except signed for a varint of more than 5 bytes. */
  uint32(): number {
    this.scalar();
    return this.size > 5 ? this.lo | 0 : this.lo >>> 0;
  }

  bool(): boolean {
    this.scalar();
    return this.lo !== 0;
  }

  /** hi·2^32 + lo as a double: exact up to 2^53, rounded above (callers range-check). */
  uint64(): number {
    this.scalar();
    return TWO_POW_32 * (this.hi >>> 0) + (this.lo >>> 0);
  }

  /** Two's-complement 64-bit as a double (google-protobuf's joinInt64); also enums. */
  int64(): number {
    this.scalar();
    let lo = this.lo >>> 0;
    let hi = this.hi >>> 0;
    const negative = (hi & 0x80000000) !== 0;
    if (negative) {
      lo = (~lo + 1) >>> 0;
      hi = ~hi >>> 0;
      if (lo === 0) hi = (hi + 1) >>> 0;
    }
    const value = TWO_POW_32 * hi + lo;
    return negative ? -value : value;
  }

  enum(): number {
    return this.int64();
  }

  /**
   * A length prefix as google-protobuf reads it: the low 32 bits, signed beyond 5 bytes. With
   * `guarded` (strings and messages: protobuf-reader-guard.ts), the full value must fit the buffer.
   */
  private length(guarded: boolean): number {
    const p = this.pos;
    const b = this.buf[p] as number;
    if (p < this.end && b < 0x80) {
      this.pos = p + 1;
      if (this.pos + b > this.end) this.fail(`a length-delimited field at byte ${p} claims ${b} bytes, but only ${this.end - this.pos} remain`);
      return b;
    }
    this.varint(true);
    const length = this.size > 5 ? this.lo | 0 : this.lo >>> 0;
    const full = TWO_POW_32 * (this.hi >>> 0) + (this.lo >>> 0);
    if ((guarded ? full : length) < 0 || this.pos + (guarded ? full : length) > this.end) {
      this.fail(`a length-delimited field at byte ${p} claims ${guarded ? full : length} bytes, but only ${Math.max(0, this.end - this.pos)} remain`);
    }
    return length;
  }

  /** A bytes field, as a view of the input. */
  bytes(): Uint8Array {
    this.expect(WireType.DELIMITED);
    const length = this.length(false);
    const start = this.pos;
    this.pos = start + length;
    return this.buf.subarray(start, this.pos);
  }

  /** A string field, decoded like google-protobuf (see the module). */
  string(): string {
    this.expect(WireType.DELIMITED);
    const length = this.length(true);
    const buf = this.buf;
    const start = this.pos;
    const stop = start + length;
    let ascii = true;
    for (let i = start; i < stop; i++) {
      if ((buf[i] as number) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      this.pos = stop;
      if (length <= 24) {
        let out = '';
        for (let i = start; i < stop; i++) out += String.fromCharCode(buf[i] as number);
        return out;
      }
      return latin1.decode(buf.subarray(start, stop));
    }
    return this.laxUtf8(start, stop);
  }

  /** google-protobuf's BinaryDecoder.readString, byte for byte (it may read past `stop`). */
  private laxUtf8(start: number, stop: number): string {
    const b = this.buf;
    let c = start;
    const codes: number[] = [];
    let out = '';
    while (c < stop) {
      let h = b[c++] as number;
      if (h < 128) codes.push(h);
      else if (h < 192) continue;
      else if (h < 224) {
        const m = b[c++] as number;
        codes.push(((h & 31) << 6) | (m & 63));
      } else if (h < 240) {
        const m = b[c++] as number;
        const t = b[c++] as number;
        codes.push(((h & 15) << 12) | ((m & 63) << 6) | (t & 63));
      } else if (h < 248) {
        const m = b[c++] as number;
        const t = b[c++] as number;
        const u = b[c++] as number;
        h = ((h & 7) << 18) | ((m & 63) << 12) | ((t & 63) << 6) | (u & 63);
        h -= 65536;
        codes.push(((h >> 10) & 1023) + 55296, (h & 1023) + 56320);
      }
      if (codes.length >= 8192) {
        out += String.fromCharCode(...codes);
        codes.length = 0;
      }
    }
    out += String.fromCharCode(...codes);
    this.pos = c;
    if (c > this.end) this.fail(`a string ends inside a multi-byte UTF-8 sequence that runs past the end of the message`);
    return out;
  }

  /** A sub-message field: a reader over its bytes (the caller runs its own `next()` loop). */
  message(messageType: string): WireReader {
    this.expect(WireType.DELIMITED);
    const length = this.length(true);
    const start = this.pos;
    this.pos = start + length;
    return new WireReader(this.buf, messageType, start, this.pos);
  }

  /** Skips the current (unknown) field by its wire type. */
  skip(): void {
    switch (this.wireType) {
      case WireType.VARINT:
        this.varint(false);
        return;
      case WireType.FIXED64:
        this.advance(8);
        return;
      case WireType.DELIMITED:
        this.advance(this.length(false));
        return;
      case WireType.FIXED32:
        this.advance(4);
        return;
      case WireType.START_GROUP:
        this.skipGroup();
        return;
      default:
        this.fail(`unexpected wire type ${this.wireType} for field ${this.field}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) this.truncated(`field ${this.field}`);
    this.pos += n;
  }

  private skipGroup(): void {
    const group = this.field;
    for (;;) {
      if (this.pos >= this.end) this.fail(`group ${group} has no END_GROUP tag before the end of the message`);
      this.next();
      if (this.wireType === WireType.END_GROUP) {
        if (this.field !== group) this.fail(`group ${group} is closed by an END_GROUP tag for field ${this.field}`);
        return;
      }
      this.skip();
    }
  }
}

/** An empty bytes value, as google-protobuf's `_asU8` getters return for an absent field (a fresh array each time). */
export function noBytes(): Uint8Array {
  return new Uint8Array(0);
}
