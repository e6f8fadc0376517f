import { credentials, experimental, ServerCredentials, type ChannelCredentials } from '@grpc/grpc-js';

/**
 * TLS for fabsim's gRPC endpoints, from cryptogen material (a node's `tls/server.crt`,
 * `tls/server.key`, `tls/ca.crt`). As in Fabric, servers may require client certificates (mutual TLS)
 * signed by one of the trusted TLS CAs: the orderer cluster service always does.
 */
export interface ServerTlsMaterial {
  readonly certPem: string;
  readonly keyPem: string;
  /** TLS root CAs whose client certificates are accepted. */
  readonly clientCaPems: readonly string[];
  readonly requireClientCert: boolean;
}

export interface ClientTlsMaterial {
  /** TLS root CAs trusted for the server's certificate. */
  readonly serverCaPems: readonly string[];
  /** For mutual TLS. */
  readonly certPem?: string;
  readonly keyPem?: string;
}

export function serverCredentials(tls: ServerTlsMaterial): ServerCredentials {
  const rootCerts = tls.clientCaPems.length > 0 ? Buffer.from(tls.clientCaPems.join('\n')) : null;
  return ServerCredentials.createSsl(rootCerts, [{ cert_chain: Buffer.from(tls.certPem), private_key: Buffer.from(tls.keyPem) }], tls.requireClientCert);
}

export function clientCredentials(tls: ClientTlsMaterial): ChannelCredentials {
  return credentials.createSsl(
    Buffer.from(tls.serverCaPems.join('\n')),
    tls.keyPem ? Buffer.from(tls.keyPem) : null,
    tls.certPem ? Buffer.from(tls.certPem) : null,
  );
}

/**
 * Server TLS that asks every client for a certificate but lets clients without one in (Fabric's
 * ClientAuthRequired=false with the cluster service on the same listener): a presented certificate
 * must chain to one of `clientCaPems`, and handlers read it from the call's auth context (the
 * cluster service identifies consenters by it). grpc-js offers this only through certificate providers.
 */
export function optionalClientCertServerCredentials(tls: Omit<ServerTlsMaterial, 'requireClientCert'>): ServerCredentials {
  const identity = staticProvider({ certificate: Buffer.from(tls.certPem), privateKey: Buffer.from(tls.keyPem) }, undefined);
  const ca = staticProvider(undefined, { caCertificate: Buffer.from(tls.clientCaPems.join('\n')) });
  // The factory passes its first argument on as the identity provider (grpc-js 1.14).
  return experimental.createCertificateProviderServerCredentials(identity, ca, false);
}

function staticProvider(
  identity: experimental.IdentityCertificateUpdate | undefined,
  ca: experimental.CaCertificateUpdate | undefined,
): experimental.CertificateProvider {
  // Answer on a microtask: grpc-js registers its watcher only after adding these listeners.
  return {
    addCaCertificateListener: (listener) => void Promise.resolve().then(() => listener(ca ?? null)),
    removeCaCertificateListener: () => undefined,
    addIdentityCertificateListener: (listener) => void Promise.resolve().then(() => listener(identity ?? null)),
    removeIdentityCertificateListener: () => undefined,
  };
}
