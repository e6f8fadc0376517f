import { createRequire } from 'node:module';

/**
 * Protects every protobuf decode in the process from a denial of service in google-protobuf 3.x.
 *
 * Its BinaryReader trusts the length prefix of a nested message or a string: it sets the end of
 * the nested read to cursor + length without comparing it with the buffer, then reads byte by
 * byte up to that end. A 7-byte envelope claiming a 4 GB header (`0a ff ff ff ff 0f ...`) keeps
 * Node busy for minutes, before any fabsim check runs. (Bytes fields are checked; messages and
 * strings are not.) The guard makes readMessage and readString refuse a length that runs past
 * the buffer, which no valid message has, so the decode throws and callers see ProtoDecodeError.
 *
 * Installed once, on the google-protobuf copy that @hyperledger/fabric-protos uses, when this
 * module is first imported (src/protos/proto-error.ts imports it, so every src/protos decoder and
 * the gRPC service deserializers of the same copy are covered).
 */

interface GuardedReader {
  getCursor(): number;
  getBuffer(): Uint8Array;
}

type ReaderMethod = (this: GuardedReader, ...args: unknown[]) => unknown;

const GUARDED = Symbol.for('fabsim.protobufReaderGuard');

const requireFromProtos = createRequire(createRequire(import.meta.url).resolve('@hyperledger/fabric-protos'));
const jspb = requireFromProtos('google-protobuf') as { BinaryReader: { prototype: Record<string | symbol, unknown> } };

/** The varint length prefix at the cursor, and the bytes it occupies; undefined when it is not a valid varint. */
function lengthPrefixAt(buffer: Uint8Array, at: number): { length: number; size: number } | undefined {
  let length = 0;
  for (let i = 0; i < 10; i++) {
    const byte = buffer[at + i];
    if (byte === undefined) return undefined;
    length += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) return { length, size: i + 1 };
  }
  return undefined;
}

function installGuard(): void {
  const proto = jspb.BinaryReader.prototype;
  if (proto[GUARDED] === true) return;
  for (const name of ['readMessage', 'readString']) {
    const original = proto[name] as ReaderMethod;
    proto[name] = function guarded(this: GuardedReader, ...args: unknown[]): unknown {
      const buffer = this.getBuffer();
      const cursor = this.getCursor();
      const prefix = lengthPrefixAt(buffer, cursor);
      if (prefix === undefined || cursor + prefix.size + prefix.length > buffer.length) {
        const claimed = prefix === undefined ? 'an unreadable length' : `${prefix.length} bytes`;
        throw new Error(`a length-delimited field at byte ${cursor} claims ${claimed}, but only ${Math.max(0, buffer.length - cursor - (prefix?.size ?? 0))} remain`);
      }
      return original.apply(this, args);
    };
  }
  proto[GUARDED] = true;
}

installGuard();
