/**
 * A growable big-endian byte buffer and its reader: the ledger's record encodings (ledger-keys.ts,
 * ledger-values.ts) and the state hash input (state-hash.ts) are built with it.
 * Integers: u8, u32 (4 bytes) and u64 (8 bytes, for any safe integer), all big-endian, so encoded
 * numbers sort bytewise in numeric order. `lp` = length-prefixed: u32 byte length, then the bytes.
 */
export class ByteWriter {
  private buf: Buffer;
  private len = 0;

  constructor(initialCapacity = 64) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialCapacity));
  }

  get length(): number {
    return this.len;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  u8(v: number): this {
    this.reserve(1);
    this.buf[this.len++] = v;
    return this;
  }

  u32(v: number): this {
    this.reserve(4);
    this.buf.writeUInt32BE(v, this.len);
    this.len += 4;
    return this;
  }

  /** A non-negative safe integer as 8 bytes. */
  u64(v: number): this {
    this.reserve(8);
    this.buf.writeUInt32BE(Math.floor(v / 0x1_0000_0000), this.len);
    this.buf.writeUInt32BE(v >>> 0, this.len + 4);
    this.len += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.reserve(b.byteLength);
    this.buf.set(b, this.len);
    this.len += b.byteLength;
    return this;
  }

  /** The UTF-8 bytes of `s`, without a length. */
  utf8(s: string): this {
    const n = Buffer.byteLength(s, 'utf8');
    this.reserve(n);
    this.buf.write(s, this.len, n, 'utf8');
    this.len += n;
    return this;
  }

  lpBytes(b: Uint8Array): this {
    return this.u32(b.byteLength).bytes(b);
  }

  lpUtf8(s: string): this {
    return this.u32(Buffer.byteLength(s, 'utf8')).utf8(s);
  }

  /**
   * What was written, as a plain Uint8Array over the writer's memory (no copy): the writer must not
   * be used afterwards. Size the writer close to the final length, since the result keeps its
   * buffer alive; that ArrayBuffer may be Node's shared Buffer pool, so respect byteOffset/byteLength.
   */
  finish(): Uint8Array {
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.len);
  }

  /** A view of what was written, valid until the next write (for hashing without a copy). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

/** Reads what ByteWriter wrote; throws RangeError when the bytes run out (callers map it to LEDGER_CORRUPT). */
export class ByteReader {
  private pos: number;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    offset = 0,
  ) {
    this.pos = offset;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.bytes.byteLength - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.bytes.byteLength) throw new RangeError(`record truncated: need ${n} bytes at offset ${this.pos} of ${this.bytes.byteLength}`);
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++] as number;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  u64(): number {
    this.need(8);
    const v = this.view.getUint32(this.pos) * 0x1_0000_0000 + this.view.getUint32(this.pos + 4);
    this.pos += 8;
    return v;
  }

  /** The next `n` bytes, as a copy. */
  bytesN(n: number): Uint8Array {
    this.need(n);
    const out = new Uint8Array(this.bytes.subarray(this.pos, this.pos + n)); // a plain copy, even of a Buffer
    this.pos += n;
    return out;
  }

  lpBytes(): Uint8Array {
    return this.bytesN(this.u32());
  }

  lpUtf8(): string {
    const n = this.u32();
    this.need(n);
    const s = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.pos, n).toString('utf8');
    this.pos += n;
    return s;
  }

  /** Everything left, as a copy. */
  rest(): Uint8Array {
    return this.bytesN(this.remaining);
  }
}
