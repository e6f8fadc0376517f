import { describe, expect, it } from 'vitest';
import { parseStateMetadata } from '../../../../src/peer/simulation/state-metadata-decoder.js';
import { serializeStateMetadata } from '../../../../src/peer/validation/state-metadata.js';
import { buildKvRwSet } from '../../../../src/protos/rwset.js';
import { decodeError } from '../../../helpers/expect-error.js';

const b = (s: string): Uint8Array => new TextEncoder().encode(s);
const entries = (m: Map<string, Uint8Array>) => [...m].map(([name, value]) => [name, Buffer.from(value).toString()]);

describe('parseStateMetadata (Fabric statemetadata.Deserialize)', () => {
  it('reads back what serializeStateMetadata wrote, empty names and values included', () => {
    const bytes = serializeStateMetadata([{ name: 'VALIDATION_PARAMETER', value: b('policy') }, { name: 'x', value: new Uint8Array() }, { name: '', value: b('anon') }]);
    expect(entries(parseStateMetadata(bytes))).toEqual([
      ['VALIDATION_PARAMETER', 'policy'],
      ['x', ''],
      ['', 'anon'],
    ]);
  });

  it('is empty for absent or empty bytes', () => {
    expect(parseStateMetadata(undefined).size).toBe(0);
    expect(parseStateMetadata(new Uint8Array()).size).toBe(0);
  });

  it('keeps the last value of a name written twice, as a Go map does', () => {
    const bytes = serializeStateMetadata([{ name: 'n', value: b('1') }, { name: 'n', value: b('2') }]);
    expect(entries(parseStateMetadata(bytes))).toEqual([['n', '2']]);
  });

  it('agrees with google-protobuf: a KVMetadataWrite that also carries a key (field 1) decodes the same', () => {
    // A KVRWSet's metadata write has the same message type; build one through the protobuf library and cut it out.
    const rwset = buildKvRwSet({ reads: [], rangeQueriesInfo: [], writes: [], metadataWrites: [{ key: 'k', entries: [{ name: 'A', value: b('a') }, { name: 'B', value: b('b') }] }] });
    // KVRWSet field 4 (metadata_writes): tag 0x22, one-byte length, then the KVMetadataWrite.
    expect(rwset[0]).toBe(0x22);
    const write = rwset.subarray(2, 2 + rwset[1]!);
    expect(entries(parseStateMetadata(write))).toEqual([
      ['A', 'a'],
      ['B', 'b'],
    ]);
  });

  it('refuses bytes that are not a KVMetadataWrite with ProtoDecodeError', () => {
    const good = serializeStateMetadata([{ name: 'VALIDATION_PARAMETER', value: b('policy') }]);
    expect(decodeError(() => parseStateMetadata(good.subarray(0, good.length - 2), 'basic/k'))).toContain('kvrwset.KVMetadataWrite (basic/k) protobuf message (field 2 runs 2 byte(s) past the end)');
    expect(decodeError(() => parseStateMetadata(Uint8Array.of(0x17)))).toContain('wire type 7');
    expect(decodeError(() => parseStateMetadata(Uint8Array.of(0x12, 0x03, 0x0a, 0x01, 0xff)))).toContain('its name is not valid UTF-8');
    expect(decodeError(() => parseStateMetadata(Uint8Array.of(0x10, 0x01)))).toContain('field 2 (entries) has wire type 0');
    expect(decodeError(() => parseStateMetadata(Uint8Array.of(0x12, 0x80)))).toContain('ends inside a varint');
  });
});
