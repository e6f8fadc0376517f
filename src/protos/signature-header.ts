import { common } from '@hyperledger/fabric-protos';
import { noBytes, WireReader } from './wire-reader.js';

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
  const r = WireReader.of(bytes, 'common.SignatureHeader');
  let creator: Uint8Array | undefined;
  let nonce: Uint8Array | undefined;
  while (r.next()) {
    switch (r.field) {
      case 1: creator = r.bytes(); break;
      case 2: nonce = r.bytes(); break;
      default: r.skip();
    }
  }
  creator ??= noBytes();
  if (creator.length === 0 && options.allowEmptyCreator !== true) throw r.error('its creator is empty');
  return { creator, nonce: nonce ?? noBytes() };
}
