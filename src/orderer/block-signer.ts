/**
 * Who signs the blocks an orderer writes (Fabric: the orderer's local signing identity). Every orderer
 * signs its own copy of each block, so the SIGNATURES metadata differs between orderers while the
 * header hashes are identical. `SigningIdentity` from src/msp satisfies this interface.
 */
export interface BlockSigner {
  /** ECDSA signature (DER) over `message`. */
  sign(message: Uint8Array): Uint8Array;
  /** The signer's `msp.SerializedIdentity` bytes: the creator in the block's SignatureHeader. */
  readonly serialized: Uint8Array;
}
