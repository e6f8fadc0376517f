import { FabsimError, type FabsimErrorOptions } from '../core/errors.js';

/**
 * Why an identity or signature was refused by an MSP (Fabric's "Membership Service Provider").
 * Every code is stable; every message names the MSP ID, the certificate subject and the reason.
 */
export type MspErrorCode =
  | 'MSP_UNKNOWN' // the SerializedIdentity names an MSP ID this channel or node does not know
  | 'MSP_BAD_IDENTITY_BYTES' // the SerializedIdentity protobuf does not parse
  | 'MSP_BAD_PEM' // not a PEM certificate at all
  | 'MSP_BAD_CERTIFICATE' // PEM, but not a usable X.509 ECDSA certificate
  | 'MSP_IDENTITY_IS_CA' // a CA certificate cannot act as an identity
  | 'MSP_CHAIN_INVALID' // not issued by any CA of the MSP
  | 'MSP_CERT_EXPIRED'
  | 'MSP_CERT_NOT_YET_VALID'
  | 'MSP_CERT_REVOKED'
  | 'MSP_NODE_OU_INVALID' // NodeOUs enabled, but the cert carries no (or more than one) node OU
  | 'MSP_ROLE_MISMATCH' // valid identity, wrong role for what was asked
  | 'MSP_BAD_CONFIG' // an msp/ folder or MSP config that cannot be loaded
  | 'MSP_BAD_KEY' // a private key that cannot be read
  | 'SIGNATURE_MALFORMED' // not a strict DER ECDSA signature
  | 'SIGNATURE_HIGH_S' // Fabric accepts only low-S signatures
  | 'SIGNATURE_MISMATCH'; // the signature does not verify for this message and key

export class MspError extends FabsimError<MspErrorCode> {
  constructor(code: MspErrorCode, message: string, options?: FabsimErrorOptions) {
    super(code, message, options);
  }
}
