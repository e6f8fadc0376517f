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

/**
 * Reads a SignatureHeader. The creator must be present, except with `allowEmptyCreator`: a genesis
 * block's CONFIG envelope is signed by nobody, so configtxgen leaves its creator empty.
 */
export function parseSignatureHeader(bytes: Uint8Array, options: { readonly allowEmptyCreator?: boolean } = {}): SignatureHeader {
  const message = decodeProto('common.SignatureHeader', () => common.SignatureHeader.deserializeBinary(bytes));
  const creator = message.getCreator_asU8();
  if (creator.length === 0 && options.allowEmptyCreator !== true) throw new ProtoDecodeError('common.SignatureHeader', 'its creator is empty');
  return { creator, nonce: message.getNonce_asU8() };
}
