import { msp } from '@hyperledger/fabric-protos';
import { WireReader } from './wire-reader.js';

/**
 * `msp.SerializedIdentity`: how Fabric names a signer on the wire (a proposal's creator, an
 * endorser, a block signer): the MSP ID plus the PEM certificate bytes.
 */
export interface SerializedIdentity {
  readonly mspId: string;
  /** The PEM-encoded X.509 certificate, as bytes. */
  readonly idBytes: Uint8Array;
}

export function buildSerializedIdentity(identity: SerializedIdentity): Uint8Array {
  const message = new msp.SerializedIdentity();
  message.setMspid(identity.mspId);
  message.setIdBytes(identity.idBytes);
  return message.serializeBinary();
}

export function parseSerializedIdentity(bytes: Uint8Array): SerializedIdentity {
  const r = WireReader.of(bytes, 'msp.SerializedIdentity');
  let mspId = '';
  let idBytes: Uint8Array | undefined;
  while (r.next()) {
    switch (r.field) {
      case 1: mspId = r.string(); break;
      case 2: idBytes = r.bytes(); break;
      default: r.skip();
    }
  }
  if (mspId === '') throw r.error('its mspid field is empty');
  if (idBytes === undefined || idBytes.length === 0) throw r.error('its id_bytes field is empty');
  return { mspId, idBytes };
}
