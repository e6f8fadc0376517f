import type { KeyObject } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildSerializedIdentity } from '../protos/identity.js';
import { Certificate } from './certificate.js';
import { loadPrivateKey, signEcdsa } from './ecdsa.js';
import { MspError } from './msp-error.js';

/**
 * An identity that can sign: a certificate and its private key (Fabric's SigningIdentity). Clients,
 * peers and orderers each hold one, loaded from their local MSP folder.
 */
export class SigningIdentity {
  /** The `msp.SerializedIdentity` bytes that name this signer on the wire. Computed once. */
  readonly serialized: Uint8Array;

  constructor(
    readonly mspId: string,
    readonly certificate: Certificate,
    private readonly privateKey: KeyObject,
  ) {
    this.serialized = buildSerializedIdentity({ mspId, idBytes: new TextEncoder().encode(certificate.toPem()) });
    if (!certificate.x509.checkPrivateKey(privateKey)) {
      throw new MspError('MSP_BAD_KEY', `the private key does not belong to the certificate of ${certificate.displayName}`, { context: { mspId, subject: certificate.subject } });
    }
  }

  /** ECDSA-SHA256 over `message`, DER, low-S: what Fabric puts in Envelope.signature and endorsements. */
  sign(message: Uint8Array): Uint8Array {
    return signEcdsa(this.privateKey, message);
  }
}

/** Loads `signcerts/*.pem` and `keystore/priv_sk` (any one key file) from a cryptogen local MSP folder. */
export async function loadSigningIdentity(mspDir: string, mspId: string): Promise<SigningIdentity> {
  const first = async (sub: string): Promise<string> => {
    const names = await readdir(join(mspDir, sub)).catch(() => [] as string[]);
    const name = names.sort()[0];
    if (!name) throw new MspError('MSP_BAD_CONFIG', `${join(mspDir, sub)} is missing or empty; a local MSP needs its ${sub === 'signcerts' ? 'certificate' : 'private key'} there`, { context: { mspId, dir: mspDir } });
    return join(mspDir, sub, name);
  };
  const certPath = await first('signcerts');
  const keyPath = await first('keystore');
  const certificate = Certificate.fromPem(await readFile(certPath, 'utf8'), certPath);
  const privateKey = loadPrivateKey(await readFile(keyPath, 'utf8'), keyPath);
  return new SigningIdentity(mspId, certificate, privateKey);
}
