import { describe, expect, it } from 'vitest';
import { ProtoDecodeError } from '../../../src/protos/proto-error.js';
import { plainBytes, WireReader, WireType } from '../../../src/protos/wire-reader.js';
import { decodeError } from '../../helpers/expect-error.js';

const reader = (...bytes: number[]): WireReader => WireReader.of(Uint8Array.from(bytes), 'test.Message');

/** All fields of a message as [field, wireType, value]; varints read as uint64, delimited as bytes, others skipped. */
function fields(r: WireReader): Array<[number, number, unknown]> {
  const out: Array<[number, number, unknown]> = [];
  while (r.next()) {
    if (r.wireType === WireType.VARINT) out.push([r.field, r.wireType, r.uint64()]);
    else if (r.wireType === WireType.DELIMITED) out.push([r.field, r.wireType, Array.from(r.bytes())]);
    else {
      out.push([r.field, r.wireType, undefined]);
      r.skip();
    }
  }
  return out;
}

describe('WireReader', () => {
  it('reads tags, varints and length-delimited fields, and skips fixed-width fields and groups', () => {
    const r = reader(0x08, 0x96, 0x01, 0x12, 0x02, 0x61, 0x62, 0x19, 1, 2, 3, 4, 5, 6, 7, 8, 0x25, 1, 2, 3, 4, 0x2b, 0x08, 0x01, 0x2c, 0x30, 0x00);
    expect(fields(r)).toEqual([
      [1, 0, 150],
      [2, 2, [0x61, 0x62]],
      [3, 1, undefined],
      [4, 5, undefined],
      [5, 3, undefined],
      [6, 0, 0],
    ]);
  });

  it('reads integers as google-protobuf does: int32 and bool from the low 32 bits, uint64 and int64 as doubles', () => {
    const minusOne = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    const one = (f: (r: WireReader) => unknown, ...varint: number[]): unknown => {
      const r = reader(0x08, ...varint);
      r.next();
      return f(r);
    };
    expect(one((r) => r.int32(), ...minusOne)).toBe(-1);
    expect(one((r) => r.int64(), ...minusOne)).toBe(-1);
    expect(one((r) => r.uint64(), ...minusOne)).toBe(2 ** 64);
    expect(one((r) => r.uint32(), 0xff, 0xff, 0xff, 0xff, 0x0f)).toBe(2 ** 32 - 1);
    expect(one((r) => r.uint32(), 0xff, 0xff, 0xff, 0xff, 0xff, 0x00)).toBe(-1); // signed beyond 5 bytes
    expect(one((r) => r.int32(), 0x83, 0x80, 0x80, 0x80, 0x10)).toBe(3);
    expect(one((r) => r.bool(), 0x80, 0x80, 0x80, 0x80, 0x10)).toBe(false);
    expect(one((r) => r.bool(), 0x02)).toBe(true);
    expect(one((r) => r.uint64(), 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10)).toBe(2 ** 53);
  });

  it('decodes strings like google-protobuf: UTF-8, lax with invalid bytes', () => {
    const str = (...bytes: number[]): string => {
      const length = bytes.length < 0x80 ? [bytes.length] : [(bytes.length & 0x7f) | 0x80, bytes.length >> 7];
      const r = reader(0x0a, ...length, ...bytes);
      r.next();
      return r.string();
    };
    expect(str(0x61, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80)).toBe('a€😀');
    expect(str(0xff, 0xc3, 0x28, 0x41)).toBe('èA');
    expect(str(0xed, 0xa0, 0x80)).toBe('\ud800');
    expect(str(...Array(5000).fill(0x41))).toBe('A'.repeat(5000));
  });

  it('stops a message at an END_GROUP tag and skips field 0 like an unknown field', () => {
    expect(fields(reader(0x02, 0x01, 0x05, 0x08, 0x01, 0x0c, 0x08, 0x02))).toEqual([
      [0, 2, [5]],
      [1, 0, 1],
    ]);
  });

  it('reads a sub-message within its bounds, and bytes as views of the input', () => {
    const input = Uint8Array.of(0x0a, 0x03, 0x12, 0x01, 0x07, 0x10, 0x01);
    const r = WireReader.of(input, 'outer');
    expect(r.next()).toBe(true);
    const inner = r.message('inner');
    expect(inner.next()).toBe(true);
    const bytes = inner.bytes();
    expect(bytes.buffer).toBe(input.buffer);
    expect(inner.next()).toBe(false);
    expect(fields(r)).toEqual([[2, 0, 1]]);
    const fromBuffer = plainBytes(Buffer.from(input));
    expect(fromBuffer.constructor).toBe(Uint8Array);
  });

  it('refuses truncation, overflow, bad wire types and mismatched groups with a ProtoDecodeError naming the message', () => {
    const refuse = (...bytes: number[]): string => decodeError(() => fields(reader(...bytes)));
    expect(refuse(0x0a, 0x05, 0x01)).toMatch(/test\.Message.*claims 5 bytes, but only 1 remain/);
    expect(refuse(0x08, 0x80)).toMatch(/runs past the end/);
    expect(refuse(0x80)).toMatch(/runs past the end/);
    expect(refuse(0x19, 0x01, 0x02)).toMatch(/runs past the end/);
    expect(refuse(0x0d, 0x01)).toMatch(/runs past the end/);
    expect(refuse(0x08, ...Array(10).fill(0x80), 0x01)).toMatch(/longer than 10 bytes/);
    expect(refuse(0x0e)).toMatch(/invalid wire type 6/);
    expect(refuse(0x0f)).toMatch(/invalid wire type 7/);
    expect(refuse(0x0b, 0x08, 0x01)).toMatch(/no END_GROUP/);
    expect(refuse(0x0b, 0x14)).toMatch(/closed by an END_GROUP tag for field 2/);
    expect(refuse(0x0a, 0x85, 0x80, 0x80, 0x80, 0x88, 0x00)).toMatch(/claims -/);
    // a known field read with the wrong type
    const r = reader(0x08, 0x01);
    r.next();
    expect(() => r.bytes()).toThrow(ProtoDecodeError);
    expect(decodeError(() => r.bytes())).toMatch(/field 1 has wire type 0, expected 2/);
    // a sub-message longer than its parent
    const outer = WireReader.of(Uint8Array.of(0x0a, 0x02, 0x08), 'outer');
    outer.next();
    expect(decodeError(() => outer.message('inner'))).toMatch(/the bytes are not a valid outer protobuf message/);
    // a string whose last multi-byte sequence runs past the message
    const s = reader(0x0a, 0x02, 0x41, 0xe2);
    s.next();
    expect(decodeError(() => s.string())).toMatch(/multi-byte UTF-8 sequence/);
  });

  it('skips an unknown varint of any length, as google-protobuf does', () => {
    expect(fields(reader(0x0b, 0x18, ...Array(12).fill(0x80), 0x01, 0x0c, 0x10, 0x05))).toEqual([
      [1, 3, undefined],
      [2, 0, 5],
    ]);
  });
});
