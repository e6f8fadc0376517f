import { common } from '@hyperledger/fabric-protos';
import { decodeProto, ProtoDecodeError } from './proto-error.js';

/** `common.SignatureHeader`: who signed (a SerializedIdentity) and a nonce against replay. */
export interface SignatureHeader {
  readonly creator: Uint8Array;
  readonly nonce: Uint8Array;
}

export function buildSignatureHeader(h: SignatureHeader): Uint8Array {
  const message = new common.SignatureHeader();
  message.setCreator(h.creator);
  message.setNonce(h.nonce);
  return message.serializeBinary();
}

export function parseSignatureHeader(bytes: Uint8Array): SignatureHeader {
  const message = decodeProto('common.SignatureHeader', () => common.SignatureHeader.deserializeBinary(bytes));
  const creator = message.getCreator_asU8();
  if (creator.length === 0) throw new ProtoDecodeError('common.SignatureHeader', 'its creator is empty');
  return { creator, nonce: message.getNonce_asU8() };
}
