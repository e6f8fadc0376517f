import { createHash, KeyObject, randomBytes } from 'node:crypto';
import { Certificate } from './certificate.js';
import { profileExtensions, type CertificateProfile } from './certificate-profiles.js';
import { toJsonName, type DistinguishedName } from './distinguished-name.js';
import { isLowS, parseDerSignature } from './ecdsa-signature.js';
import { encodePem } from './pem.js';
import { normalizeSerial } from './revocation-list.js';
import { subtle, x509, type CryptoKey, type CryptoKeyPair } from './x509-library.js';
import { MspError } from './msp-error.js';
import { loadPrivateKey } from './ecdsa.js';

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 3600 * 1000;
/** cryptogen: valid from 5 minutes before issuance (clock skew), for 10 years. */
export const CRYPTOGEN_VALIDITY = { backdateMs: 5 * 60 * 1000, lifetimeMs: 3650 * DAY_MS } as const;

/** A key pair and the certificate issued for it. */
export interface IssuedCertificate {
  readonly certificate: Certificate;
  readonly certPem: string;
  /** PKCS#8 PEM, as cryptogen writes `priv_sk`. */
  readonly keyPem: string;
  readonly privateKey: KeyObject;
}

export interface IssueRequest {
  readonly subject: DistinguishedName;
  readonly profile: Exclude<CertificateProfile, 'ca'>;
  /** For TLS certificates: DNS names and IP addresses. */
  readonly subjectAltNames?: readonly string[];
  /** Issuance time (from the caller's Clock). */
  readonly nowMs: number;
  /** Validity window; defaults to cryptogen's (−5 min, +10 years). */
  readonly notBeforeMs?: number;
  readonly notAfterMs?: number;
}

export interface RevokedEntry {
  readonly serialNumber: string;
  readonly revokedAtMs: number;
}

/**
 * A certificate authority, as cryptogen's `ca` package or a Fabric CA: holds a CA key and issues
 * signing identities, TLS certificates and intermediate CAs, and revokes them by publishing a CRL.
 * Every signature it makes (certificates, CRLs) is low-S, as Fabric expects.
 */
export class CertificateAuthority {
  private readonly revoked: RevokedEntry[] = [];
  private readonly peculiarCert: x509.X509Certificate;

  private constructor(
    readonly certificate: Certificate,
    readonly certPem: string,
    private readonly keys: CryptoKeyPair,
    readonly keyPem: string,
  ) {
    this.peculiarCert = new x509.X509Certificate(certificate.der);
  }

  /** A self-signed root CA with cryptogen's CA profile. */
  static async createRoot(subject: DistinguishedName, nowMs: number, validity = CRYPTOGEN_VALIDITY): Promise<CertificateAuthority> {
    const keys = await generateKeyPair();
    const subjectKeyId = await subjectKeyIdOf(keys.publicKey);
    const cert = await signLowS(() =>
      x509.X509CertificateGenerator.create({
        serialNumber: randomSerial(),
        subject: toJsonName(subject),
        issuer: toJsonName(subject),
        notBefore: new Date(nowMs - validity.backdateMs),
        notAfter: new Date(nowMs - validity.backdateMs + validity.lifetimeMs),
        publicKey: keys.publicKey,
        signingKey: keys.privateKey,
        signingAlgorithm: ECDSA_SHA256,
        extensions: profileExtensions('ca', { subjectKeyId }),
      }),
    );
    return CertificateAuthority.fromParts(cert, keys);
  }

  /** Loads a CA from its certificate and PKCS#8 key PEM (cryptogen's ca/*-cert.pem and ca/priv_sk). */
  static async load(certPem: string, keyPem: string): Promise<CertificateAuthority> {
    const certificate = Certificate.fromPem(certPem, 'the CA certificate');
    if (!certificate.isCa) throw new MspError('MSP_BAD_CONFIG', `${certificate.subject} is not a CA certificate`, { context: { subject: certificate.subject } });
    const pkcs8 = loadPrivateKey(keyPem, `the CA key for ${certificate.subject}`).export({ format: 'der', type: 'pkcs8' });
    const privateKey = await subtle.importKey('pkcs8', pkcs8, ECDSA_P256, true, ['sign']);
    const publicKey = await subtle.importKey('spki', certificate.publicKey.export({ format: 'der', type: 'spki' }), ECDSA_P256, true, ['verify']);
    return new CertificateAuthority(certificate, certPem, { privateKey, publicKey }, keyPem);
  }

  private static async fromParts(cert: x509.X509Certificate, keys: CryptoKeyPair): Promise<CertificateAuthority> {
    const der = new Uint8Array(cert.rawData);
    const pkcs8 = new Uint8Array(await subtle.exportKey('pkcs8', keys.privateKey));
    return new CertificateAuthority(Certificate.fromDer(der, 'a newly issued CA certificate'), encodePem('CERTIFICATE', der), keys, encodePem('PRIVATE KEY', pkcs8));
  }

  /** Issues a signing identity (msp/signcerts) or a TLS certificate, with a fresh P-256 key. */
  async issue(request: IssueRequest): Promise<IssuedCertificate> {
    const keys = await generateKeyPair();
    const notBeforeMs = request.notBeforeMs ?? request.nowMs - CRYPTOGEN_VALIDITY.backdateMs;
    const notAfterMs = request.notAfterMs ?? notBeforeMs + CRYPTOGEN_VALIDITY.lifetimeMs;
    const cert = await signLowS(() =>
      x509.X509CertificateGenerator.create({
        serialNumber: randomSerial(),
        subject: toJsonName(request.subject),
        issuer: this.issuerName(),
        notBefore: new Date(notBeforeMs),
        notAfter: new Date(notAfterMs),
        publicKey: keys.publicKey,
        signingKey: this.keys.privateKey,
        signingAlgorithm: ECDSA_SHA256,
        extensions: profileExtensions(request.profile, {
          authorityKeyId: this.subjectKeyId,
          ...(request.subjectAltNames ? { subjectAltNames: request.subjectAltNames } : {}),
        }),
      }),
    );
    const der = new Uint8Array(cert.rawData);
    const pkcs8 = new Uint8Array(await subtle.exportKey('pkcs8', keys.privateKey));
    const keyPem = encodePem('PRIVATE KEY', pkcs8);
    return {
      certificate: Certificate.fromDer(der, 'a newly issued certificate'),
      certPem: encodePem('CERTIFICATE', der),
      keyPem,
      privateKey: KeyObject.from(keys.privateKey),
    };
  }

  /** Issues an intermediate CA under this one (Fabric MSPs accept chains through msp/intermediatecerts). */
  async issueIntermediate(subject: DistinguishedName, nowMs: number): Promise<CertificateAuthority> {
    const keys = await generateKeyPair();
    const subjectKeyId = await subjectKeyIdOf(keys.publicKey);
    const notBefore = nowMs - CRYPTOGEN_VALIDITY.backdateMs;
    const cert = await signLowS(() =>
      x509.X509CertificateGenerator.create({
        serialNumber: randomSerial(),
        subject: toJsonName(subject),
        issuer: this.issuerName(),
        notBefore: new Date(notBefore),
        notAfter: new Date(Math.min(notBefore + CRYPTOGEN_VALIDITY.lifetimeMs, this.certificate.notAfterMs)),
        publicKey: keys.publicKey,
        signingKey: this.keys.privateKey,
        signingAlgorithm: ECDSA_SHA256,
        extensions: profileExtensions('ca', { subjectKeyId, authorityKeyId: this.subjectKeyId }),
      }),
    );
    return CertificateAuthority.fromParts(cert, keys);
  }

  /**
   * Revokes a certificate this CA issued and returns the CA's new CRL (PEM) listing every
   * certificate revoked so far. Put it in the MSP's `crls/` folder (or channel config) to take effect.
   */
  async revoke(serialNumber: string, nowMs: number): Promise<string> {
    const serial = normalizeSerial(serialNumber);
    if (!this.revoked.some((r) => r.serialNumber === serial)) this.revoked.push({ serialNumber: serial, revokedAtMs: nowMs });
    return this.crl(nowMs);
  }

  /** The CRL of everything revoked so far, signed now. */
  async crl(nowMs: number): Promise<string> {
    const crl = await signLowS(() =>
      x509.X509CrlGenerator.create({
        issuer: this.issuerName(),
        thisUpdate: new Date(nowMs),
        nextUpdate: new Date(nowMs + 365 * DAY_MS),
        entries: this.revoked.map((r) => ({ serialNumber: r.serialNumber, revocationDate: new Date(r.revokedAtMs), reason: x509.X509CrlReason.keyCompromise })),
        signingKey: this.keys.privateKey,
        signingAlgorithm: ECDSA_SHA256,
        extensions: [new x509.AuthorityKeyIdentifierExtension(this.subjectKeyId, false)],
      }),
    );
    return encodePem('X509 CRL', new Uint8Array(crl.rawData));
  }

  /** The issuer name, byte-for-byte the CA certificate's subject. */
  private issuerName(): x509.Name {
    return this.peculiarCert.subjectName;
  }

  /** The CA's SubjectKeyIdentifier, which its certificates and CRLs carry as AuthorityKeyIdentifier. */
  private get subjectKeyId(): string {
    return this.peculiarCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId ?? '';
  }
}

async function generateKeyPair(): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(ECDSA_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** cryptogen's SKI: SHA-256 over the uncompressed public point. */
async function subjectKeyIdOf(publicKey: CryptoKey): Promise<string> {
  const raw = new Uint8Array(await subtle.exportKey('raw', publicKey));
  return createHash('sha256').update(raw).digest('hex');
}

/** A positive 128-bit serial, as cryptogen draws. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] as number) & 0x7f;
  return bytes.toString('hex');
}

/**
 * WebCrypto signs with whatever S it draws; Fabric wants low-S everywhere. Signing again gives a
 * fresh random nonce, and half of all signatures are low-S, so this loop ends after ~2 tries.
 */
async function signLowS<T extends { signature: ArrayBuffer }>(make: () => Promise<T>): Promise<T> {
  for (;;) {
    const signed = await make();
    const parts = parseDerSignature(new Uint8Array(signed.signature));
    if (parts && isLowS(parts)) return signed;
  }
}
