import { x509 } from './x509-library.js';

/**
 * The certificate shapes cryptogen issues (fabric/internal/cryptogen/ca and msp), reproduced so
 * that fabsim's material is interchangeable with Fabric's:
 * - CA (signing CA and TLS CA): KeyUsage digitalSignature, keyEncipherment, keyCertSign, cRLSign
 *   (critical); ExtKeyUsage clientAuth, serverAuth; BasicConstraints CA:TRUE (critical);
 *   SubjectKeyIdentifier = SHA-256 of the public key point.
 * - signing identity (msp/signcerts): KeyUsage digitalSignature (critical); BasicConstraints
 *   CA:FALSE (critical); AuthorityKeyIdentifier; the NodeOU (client|peer|admin|orderer) as the
 *   subject's OU.
 * - TLS (tls/server.crt, tls/client.crt): KeyUsage digitalSignature, keyEncipherment (critical);
 *   ExtKeyUsage serverAuth, clientAuth; BasicConstraints CA:FALSE; AuthorityKeyIdentifier;
 *   SubjectAltName with the host names and addresses.
 */
export type CertificateProfile = 'ca' | 'signing' | 'tls';

const { KeyUsageFlags: KU, ExtendedKeyUsage: EKU } = x509;

export function profileExtensions(
  profile: CertificateProfile,
  ids: { subjectKeyId?: string; authorityKeyId?: string; subjectAltNames?: readonly string[] },
): x509.Extension[] {
  const aki = ids.authorityKeyId ? [new x509.AuthorityKeyIdentifierExtension(ids.authorityKeyId, false)] : [];
  switch (profile) {
    case 'ca':
      return [
        new x509.KeyUsagesExtension(KU.digitalSignature | KU.keyEncipherment | KU.keyCertSign | KU.cRLSign, true),
        new x509.ExtendedKeyUsageExtension([EKU.clientAuth, EKU.serverAuth], false),
        new x509.BasicConstraintsExtension(true, undefined, true),
        ...(ids.subjectKeyId ? [new x509.SubjectKeyIdentifierExtension(ids.subjectKeyId, false)] : []),
        ...aki,
      ];
    case 'signing':
      return [new x509.KeyUsagesExtension(KU.digitalSignature, true), new x509.BasicConstraintsExtension(false, undefined, true), ...aki];
    case 'tls': {
      const sans = (ids.subjectAltNames ?? []).map((name) => ({ type: isIpAddress(name) ? ('ip' as const) : ('dns' as const), value: name }));
      return [
        new x509.KeyUsagesExtension(KU.digitalSignature | KU.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([EKU.serverAuth, EKU.clientAuth], false),
        new x509.BasicConstraintsExtension(false, undefined, true),
        ...aki,
        ...(sans.length ? [new x509.SubjectAlternativeNameExtension(sans, false)] : []),
      ];
    }
  }
}

function isIpAddress(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(':');
}
