import { CertificateAuthority, type IssuedCertificate } from '../../src/msp/certificate-authority.js';
import { CRYPTOGEN_LOCATION } from '../../src/msp/distinguished-name.js';
import { cryptogenNodeOUs, type MspConfig } from '../../src/msp/msp-config.js';
import { SigningIdentity } from '../../src/msp/signing-identity.js';
import { X509Msp } from '../../src/msp/x509-msp.js';

/** A fixed instant for tests: 2026-06-01T00:00:00Z. Certificates are issued relative to it. */
export const T0 = Date.UTC(2026, 5, 1);
export const DAY = 24 * 3600 * 1000;

/** An organization made in memory the way cryptogen makes one: a CA with NodeOUs. */
export interface TestOrg {
  readonly mspId: string;
  readonly domain: string;
  readonly ca: CertificateAuthority;
  readonly config: MspConfig;
  readonly msp: X509Msp;
  issue(name: string, ou: string, validity?: { notBeforeMs: number; notAfterMs: number }): Promise<IssuedCertificate & { signer: SigningIdentity }>;
}

export async function makeTestOrg(mspId: string, domain: string, extra: Partial<MspConfig> = {}): Promise<TestOrg> {
  const ca = await CertificateAuthority.createRoot({ ...CRYPTOGEN_LOCATION, organization: domain, commonName: `ca.${domain}` }, T0);
  const config: MspConfig = {
    mspId,
    rootCerts: [ca.certPem],
    intermediateCerts: [],
    tlsRootCerts: [],
    tlsIntermediateCerts: [],
    admins: [],
    revocationList: [],
    nodeOUs: cryptogenNodeOUs(ca.certPem),
    ...extra,
  };
  return {
    mspId,
    domain,
    ca,
    config,
    msp: await X509Msp.create(config),
    async issue(name, ou, validity) {
      const issued = await ca.issue({
        subject: { ...CRYPTOGEN_LOCATION, organizationalUnit: ou, commonName: name },
        profile: 'signing',
        nowMs: T0,
        ...(validity ?? {}),
      });
      return { ...issued, signer: new SigningIdentity(mspId, issued.certificate, issued.privateKey) };
    },
  };
}

export function pemBytes(pem: string): Uint8Array {
  return new TextEncoder().encode(pem);
}
