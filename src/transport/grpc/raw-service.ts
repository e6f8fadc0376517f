import { makeGenericClientConstructor, type ServiceClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';

/**
 * A fabric-protos service definition whose messages travel as raw bytes: the same method paths and
 * wire format, but handlers receive and write the serialized protobuf (Uint8Array) instead of
 * google-protobuf objects. Broadcast needs the envelope bytes exactly as the client sent them (the
 * block carries them and signatures are over them), and src/protos parses and builds bytes anyway.
 */
export function rawBytesService(definition: ServiceDefinition): ServiceDefinition<Record<string, never>> {
  const toBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fromBuffer = (buffer: Buffer): Uint8Array => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const raw: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(definition)) {
    raw[name] = { ...method, requestSerialize: toBuffer, requestDeserialize: fromBuffer, responseSerialize: toBuffer, responseDeserialize: fromBuffer };
  }
  return raw as unknown as ServiceDefinition<Record<string, never>>;
}

/** A grpc-js client constructor for a raw-bytes service. */
export function rawBytesClient(definition: ServiceDefinition, serviceName: string): ServiceClientConstructor {
  return makeGenericClientConstructor(rawBytesService(definition) as ServiceDefinition, serviceName);
}
