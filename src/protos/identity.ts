import { msp } from '@hyperledger/fabric-protos';
import { decodeProto, ProtoDecodeError } from './proto-error.js';

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
  const message = decodeProto('msp.SerializedIdentity', () => msp.SerializedIdentity.deserializeBinary(bytes));
  const mspId = message.getMspid();
  const idBytes = message.getIdBytes_asU8();
  if (mspId === '') throw new ProtoDecodeError('msp.SerializedIdentity', 'its mspid field is empty');
  if (idBytes.length === 0) throw new ProtoDecodeError('msp.SerializedIdentity', 'its id_bytes field is empty');
  return { mspId, idBytes };
}
