import { FabsimError } from '../core/errors.js';
// Side effect: bounds-checks google-protobuf's nested lengths before any decode (see the module).
import './protobuf-reader-guard.js';

/** Bytes that do not decode as the protobuf message they claim to be. */
export class ProtoDecodeError extends FabsimError<'PROTO_MALFORMED'> {
  constructor(messageType: string, detail: string, cause?: unknown) {
    super(
      'PROTO_MALFORMED',
      `the bytes are not a valid ${messageType} protobuf message (${detail}); check that the sender encodes Fabric's ${messageType}`,
      { cause, context: { messageType } },
    );
  }
}

/**
 * Runs a google-protobuf `deserializeBinary`, turning its exceptions into ProtoDecodeError.
 * google-protobuf accepts some garbage silently, so callers still check required fields.
 */
export function decodeProto<T>(messageType: string, decode: () => T): T {
  try {
    return decode();
  } catch (cause) {
    throw new ProtoDecodeError(messageType, (cause as Error).message ?? String(cause), cause);
  }
}

/** `read()`, or undefined when it throws PROTO_MALFORMED (for readers that skip what does not decode, as Fabric's event code does). */
export function unlessMalformed<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (err) {
    if (err instanceof ProtoDecodeError) return undefined;
    throw err;
  }
}
