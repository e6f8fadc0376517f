import { credentials, ServerCredentials, type ChannelCredentials } from '@grpc/grpc-js';

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
