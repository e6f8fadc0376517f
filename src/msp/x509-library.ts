/**
 * @peculiar/x509, bound to Node's WebCrypto. Import x509 from here, never directly, so the
 * crypto provider is always set. It is used for what node:crypto cannot do: issuing certificates
 * and CRLs, and reading CRLs. Checking certificates and signatures uses node:crypto (faster).
 */
// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
export const subtle = webcrypto.subtle;
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
