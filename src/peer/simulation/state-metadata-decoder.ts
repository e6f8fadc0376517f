import { ProtoDecodeError } from '../../protos/proto-error.js';

/**
 * Reads a key's stored state metadata (Fabric's statemetadata.Deserialize): the bytes
 * serializeStateMetadata (src/peer/validation/state-metadata.ts) writes, a `kvrwset.KVMetadataWrite`
 * (field 1 key, ignored; field 2 repeated KVMetadataEntry{1: name, 2: value}), as a map from entry
 * name to value. A name written twice keeps its last value, as Go's map does. Empty or absent bytes
 * are no metadata. Decoded by hand, like the encoder, because src/protos/rwset.ts has no
 * parser for it yet (it belongs there as `parseStateMetadata`).
 *
 * Bytes that are not such a message throw ProtoDecodeError (the ledger holds something no
 * fabsim or Fabric peer wrote).
 */
export function parseStateMetadata(bytes: Uint8Array | undefined, where = 'the state metadata'): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  if (bytes === undefined || bytes.length === 0) return out;
  const outer = new FieldReader(bytes, `kvrwset.KVMetadataWrite (${where})`);
  for (let field = outer.nextField(); field !== undefined; field = outer.nextField()) {
    if (field.number !== 2) continue;
    const entry = outer.delimited(field, 'entries');
    const inner = new FieldReader(entry, `kvrwset.KVMetadataEntry (${where})`);
    let name = '';
    let value = new Uint8Array();
    for (let f = inner.nextField(); f !== undefined; f = inner.nextField()) {
      if (f.number === 1) name = inner.utf8(inner.delimited(f, 'name'), 'name');
      else if (f.number === 2) value = inner.delimited(f, 'value').slice();
    }
    out.set(name, value);
  }
  return out;
}

/** A field header just read, its payload already stepped over (callers ignore fields they do not know). */
interface Field {
  readonly number: number;
  readonly wireType: number;
  /** For wire type 2: where the payload starts and ends. */
  readonly start: number;
  readonly end: number;
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A minimal protobuf wire-format reader: varint, fixed64, length-delimited and fixed32 fields. */
class FieldReader {
  private pos = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly messageType: string,
  ) {}

  nextField(): Field | undefined {
    if (this.pos >= this.bytes.length) return undefined;
    const at = this.pos;
    const tag = this.varint();
    const number = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (number === 0) throw this.error(`field number 0 at byte ${at}`);
    switch (wireType) {
      case 0:
        this.varint();
        return { number, wireType, start: this.pos, end: this.pos };
      case 1:
        return this.skip(number, wireType, 8);
      case 2: {
        const length = this.varint();
        return this.skip(number, wireType, length);
      }
      case 5:
        return this.skip(number, wireType, 4);
      default:
        throw this.error(`field ${number} at byte ${at} has wire type ${wireType}, which this message cannot hold`);
    }
  }

  /** The payload of a length-delimited field. */
  delimited(field: Field, name: string): Uint8Array {
    if (field.wireType !== 2) throw this.error(`field ${field.number} (${name}) has wire type ${field.wireType}, not 2 (length-delimited)`);
    return this.bytes.subarray(field.start, field.end);
  }

  utf8(bytes: Uint8Array, name: string): string {
    try {
      return fatalUtf8.decode(bytes);
    } catch {
      throw this.error(`its ${name} is not valid UTF-8`);
    }
  }

  private skip(number: number, wireType: number, length: number): Field {
    const start = this.pos;
    const end = start + length;
    if (end > this.bytes.length) throw this.error(`field ${number} runs ${end - this.bytes.length} byte(s) past the end`);
    this.pos = end;
    return { number, wireType, start, end };
  }

  private varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.bytes[this.pos];
      if (b === undefined) throw this.error('it ends inside a varint');
      this.pos++;
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (!Number.isSafeInteger(value)) throw this.error(`a varint is larger than ${Number.MAX_SAFE_INTEGER}`);
        return value;
      }
      scale *= 0x80;
    }
    throw this.error('a varint is longer than 10 bytes');
  }

  private error(detail: string): ProtoDecodeError {
    return new ProtoDecodeError(this.messageType, detail);
  }
}
