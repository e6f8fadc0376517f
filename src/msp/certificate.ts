import { X509Certificate, type KeyObject } from 'node:crypto';
import { decodeCertificatePem, encodePem } from './pem.js';
import { MspError } from './msp-error.js';

/**
 * An X.509 certificate parsed once, with the fields the MSP reads on every check. Parsing is the
 * expensive part (3-14x a signature verify), so MSPs and caches hold these, never raw PEM.
 */
export class Certificate {
  readonly der: Uint8Array;
  readonly x509: X509Certificate;
  readonly publicKey: KeyObject;
  /** Subject attributes in order, e.g. [['C','US'], ..., ['OU','peer'], ['CN','peer0.org1.example.com']]. */
  readonly subjectAttributes: ReadonlyArray<readonly [string, string]>;
  readonly subject: string;
  readonly issuer: string;
  readonly commonName: string;
  readonly organizationalUnits: readonly string[];
  readonly serialNumber: string;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
  readonly isCa: boolean;
  /** SHA-256 fingerprint, hex: a stable identity key. */
  readonly fingerprint: string;

  private constructor(der: Uint8Array, x509: X509Certificate) {
    this.der = der;
    this.x509 = x509;
    this.publicKey = x509.publicKey;
    this.subjectAttributes = parseDistinguishedName(x509.subject);
    this.subject = oneLine(this.subjectAttributes);
    this.issuer = oneLine(parseDistinguishedName(x509.issuer));
    this.commonName = this.subjectAttributes.find(([k]) => k === 'CN')?.[1] ?? '';
    this.organizationalUnits = this.subjectAttributes.filter(([k]) => k === 'OU').map(([, v]) => v);
    this.serialNumber = x509.serialNumber.toLowerCase();
    this.notBeforeMs = Date.parse(x509.validFrom);
    this.notAfterMs = Date.parse(x509.validTo);
    this.isCa = x509.ca;
    this.fingerprint = x509.fingerprint256.replaceAll(':', '').toLowerCase();
  }

  /** Parses DER bytes; `what` names the source in the error ("Org1MSP's cacerts/ca.pem"). */
  static fromDer(der: Uint8Array, what: string): Certificate {
    let x509: X509Certificate;
    try {
      x509 = new X509Certificate(der);
    } catch (cause) {
      throw new MspError(
        'MSP_BAD_CERTIFICATE',
        `${what} holds PEM armour but not a valid X.509 certificate (${(cause as Error).message}); regenerate it with \`fabsim crypto generate\``,
        { cause, context: { what } },
      );
    }
    const key = x509.publicKey;
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new MspError(
        'MSP_BAD_CERTIFICATE',
        `${what} (${x509.subject.replaceAll('\n', ', ')}) has a ${key.asymmetricKeyType ?? 'unknown'} key; Fabric identities use ECDSA P-256`,
        { context: { what } },
      );
    }
    return new Certificate(der, x509);
  }

  static fromPem(pem: string | Uint8Array, what: string): Certificate {
    const text = typeof pem === 'string' ? pem : Buffer.from(pem).toString('utf8');
    return Certificate.fromDer(decodeCertificatePem(text, what), what);
  }

  toPem(): string {
    return encodePem('CERTIFICATE', this.der);
  }

  /** True when `issuer` signed this certificate (names match and the signature verifies). */
  isIssuedBy(issuer: Certificate): boolean {
    return this.issuer === issuer.subject && this.x509.checkIssued(issuer.x509) && this.x509.verify(issuer.publicKey);
  }

  /** Human-readable name for messages: the CN, else the whole subject. */
  get displayName(): string {
    return this.commonName || this.subject;
  }
}

/** Node prints a DN as "C=US\nST=California\n...". Values never contain newlines there. */
function parseDistinguishedName(dn: string): Array<readonly [string, string]> {
  return dn
    .split('\n')
    .filter((line) => line.includes('='))
    .map((line) => {
      const eq = line.indexOf('=');
      return [line.slice(0, eq), line.slice(eq + 1)] as const;
    });
}

function oneLine(attrs: ReadonlyArray<readonly [string, string]>): string {
  return attrs.map(([k, v]) => `${k}=${v}`).join(', ');
}
