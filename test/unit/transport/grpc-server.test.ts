import { peer } from '@hyperledger/fabric-protos';
import { status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority, type IssuedCertificate } from '../../../src/msp/certificate-authority.js';
import { startGrpcServer, type RunningGrpcServer } from '../../../src/transport/grpc/grpc-server.js';
import { clientCredentials, serverCredentials } from '../../../src/transport/grpc/tls-credentials.js';

/** Real gRPC over TLS on 127.0.0.1, with cryptogen-style TLS certificates. */
let tlsCa: CertificateAuthority;
let otherCa: CertificateAuthority;
let serverCert: IssuedCertificate;
let clientCert: IssuedCertificate;
const servers: RunningGrpcServer[] = [];

const echoService = {
  definition: peer.EndorserService,
  implementation: {
    processProposal: (call: { request: peer.SignedProposal }, callback: (err: null, res: peer.ProposalResponse) => void) => {
      const response = new peer.ProposalResponse();
      response.setPayload(call.request.getProposalBytes_asU8());
      callback(null, response);
    },
  },
};

beforeAll(async () => {
  const now = Date.now();
  tlsCa = await CertificateAuthority.createRoot({ organization: 'org1.example.com', commonName: 'tlsca.org1.example.com' }, now);
  otherCa = await CertificateAuthority.createRoot({ organization: 'org2.example.com', commonName: 'tlsca.org2.example.com' }, now);
  serverCert = await tlsCa.issue({ subject: { commonName: 'peer0.org1.example.com' }, profile: 'tls', subjectAltNames: ['peer0.org1.example.com', 'localhost', '127.0.0.1'], nowMs: now });
  clientCert = await tlsCa.issue({ subject: { commonName: 'User1@org1.example.com' }, profile: 'tls', nowMs: now });
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.shutdown(100)));
});

async function start(requireClientCert: boolean): Promise<RunningGrpcServer> {
  const server = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    credentials: serverCredentials({ certPem: serverCert.certPem, keyPem: serverCert.keyPem, clientCaPems: [tlsCa.certPem], requireClientCert }),
    services: [echoService],
    maxMessageBytes: 1024 * 1024,
  });
  servers.push(server);
  return server;
}

function call(port: number, creds: ReturnType<typeof clientCredentials>, payload = new Uint8Array([1, 2, 3])): Promise<Uint8Array> {
  const client = new peer.EndorserClient(`127.0.0.1:${port}`, creds);
  const request = new peer.SignedProposal();
  request.setProposalBytes(payload);
  return new Promise<Uint8Array>((resolve, reject) =>
    client.processProposal(request, { deadline: Date.now() + 5000 }, (err, res) => {
      client.close();
      if (err) reject(err);
      else resolve(res!.getPayload_asU8());
    }),
  );
}

describe('gRPC over TLS', () => {
  it('serves a client that trusts the TLS CA', async () => {
    const server = await start(false);
    expect([...(await call(server.port, clientCredentials({ serverCaPems: [tlsCa.certPem] })))]).toEqual([1, 2, 3]);
  });

  it('refuses a client that trusts another CA', async () => {
    const server = await start(false);
    await expect(call(server.port, clientCredentials({ serverCaPems: [otherCa.certPem] }))).rejects.toMatchObject({ code: status.UNAVAILABLE });
  });

  it('requires a client certificate for mutual TLS', async () => {
    const server = await start(true);
    await expect(call(server.port, clientCredentials({ serverCaPems: [tlsCa.certPem] }))).rejects.toMatchObject({ code: status.UNAVAILABLE });
    const ok = await call(server.port, clientCredentials({ serverCaPems: [tlsCa.certPem], certPem: clientCert.certPem, keyPem: clientCert.keyPem }));
    expect(ok.length).toBe(3);
  });

  it('rejects an oversized message', async () => {
    const server = await start(false);
    const err = (await call(server.port, clientCredentials({ serverCaPems: [tlsCa.certPem] }), new Uint8Array(2 * 1024 * 1024)).catch((e: ServiceError) => e)) as ServiceError;
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
  });

  it('says what to do when the port is taken', async () => {
    const server = await start(false);
    await expect(
      startGrpcServer({ host: '127.0.0.1', port: server.port, credentials: serverCredentials({ certPem: serverCert.certPem, keyPem: serverCert.keyPem, clientCaPems: [], requireClientCert: false }), services: [echoService], maxMessageBytes: 1024 }),
    ).rejects.toMatchObject({ code: 'ADDRESS_IN_USE', message: expect.stringMatching(/port is in use \(is another node/) });
  });
});
