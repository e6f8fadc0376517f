import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNetworkConfig } from '../../../src/config/load-network-config.js';
import { isFabsimError } from '../../../src/core/errors.js';
import { silentLogger } from '../../../src/core/logger.js';
import { loadSigningIdentity, type SigningIdentity } from '../../../src/msp/signing-identity.js';
import { ProposalHandler } from '../../../src/peer/endorser.js';
import { qsccArgs, QsccFunction } from '../../../src/peer/qscc.js';
import { HeaderType } from '../../../src/protos/envelope.js';
import { parseBlockchainInfo } from '../../../src/protos/ledger-info.js';
import { buildSignedProposal } from '../../../src/protos/proposal.js';
import { processProposal } from '../../../src/transport/grpc/endorser-client.js';
import { endorserService } from '../../../src/transport/grpc/endorser-service.js';
import { startGrpcServer, type RunningGrpcServer } from '../../../src/transport/grpc/grpc-server.js';
import { serverCredentials, type ClientTlsMaterial } from '../../../src/transport/grpc/tls-credentials.js';
import { queryQscc, resolvePeerTarget } from '../../../src/cli/ledger-command.js';
import { makeChannelFixture, NOW, type ChannelFixture } from '../../helpers/channel-fixture.js';
import { FakeLedger } from '../../helpers/fake-ledger.js';
import { freePort } from '../../helpers/free-port.js';
import { REPO_ROOT } from '../../helpers/repo.js';

/** protos.Endorser/ProcessProposal over real gRPC+TLS on 127.0.0.1, with the peer's cryptogen TLS material and a fake ledger. */
let fixture: ChannelFixture;
let server: RunningGrpcServer | undefined;
let user1: SigningIdentity;
let tls: ClientTlsMaterial;
let address: string;
const ledger = new FakeLedger('mychannel', [[{ txId: 'genesis', type: HeaderType.CONFIG }], [{ txId: 'tx-1' }], [{ txId: 'tx-2', code: 'ENDORSEMENT_POLICY_FAILURE' }]]);
const PEER_HOST = 'peer0.org1.example.com';

beforeAll(async () => {
  fixture = await makeChannelFixture('endorser-service-');
  user1 = await fixture.user('org1');
  const orgDir = join(fixture.cryptoDir, 'peerOrganizations', 'org1.example.com');
  const nodeDir = join(orgDir, 'peers', PEER_HOST);
  const read = (f: string): string => readFileSync(join(nodeDir, f), 'utf8');
  const handler = new ProposalHandler({ registry: fixture.registry, ledgerOf: (ch) => (ch === 'mychannel' ? ledger : undefined), signer: await fixture.peer('org1') });
  server = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    credentials: serverCredentials({ certPem: read('tls/server.crt'), keyPem: read('tls/server.key'), clientCaPems: [], requireClientCert: false }),
    services: [endorserService({ handler, logger: silentLogger })],
    maxMessageBytes: 4 * 1024 * 1024,
  });
  address = `127.0.0.1:${server.port}`;
  tls = { serverCaPems: [readFileSync(join(orgDir, 'tlsca', 'tlsca.org1.example.com-cert.pem'), 'utf8')] };
}, 60_000);
afterAll(async () => {
  await server?.shutdown(100);
  fixture?.cleanup();
});

const proposal = (channelId: string): Uint8Array =>
  buildSignedProposal({ channelId, chaincode: 'qscc', args: qsccArgs(QsccFunction.GET_CHAIN_INFO, channelId), signer: user1, timestampMs: NOW }).signedProposal;

async function rejection(run: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await run();
  } catch (err) {
    if (isFabsimError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected the call to fail');
}

describe('endorser-service and endorser-client over gRPC+TLS', () => {
  it('answers GetChainInfo with an endorsed ProposalResponse', async () => {
    const answer = await processProposal(address, tls, proposal('mychannel'), { serverNameOverride: PEER_HOST });
    expect(answer.response.status).toBe(200);
    expect(answer.version).toBe(1);
    expect(answer.endorsement).toBeDefined();
    expect(parseBlockchainInfo(answer.response.payload).height).toBe(3);
  });

  it('answers an unknown channel with a 500 ProposalResponse, not a gRPC error', async () => {
    const answer = await processProposal(address, tls, proposal('elsewhere'), { serverNameOverride: PEER_HOST });
    expect(answer.response).toMatchObject({ status: 500, message: expect.stringMatching(/^channel 'elsewhere' not found/) });
  });

  it('refuses an invalid proposal with a gRPC error the client reports as PROPOSAL_REFUSED', async () => {
    const garbage = new Uint8Array([0x0a, 0x02, 0x01]);
    const refused = await rejection(() => processProposal(address, tls, garbage, { serverNameOverride: PEER_HOST }));
    expect(refused.code).toBe('PROPOSAL_REFUSED');
    expect(refused.message).toMatch(/^peer peer0\.org1\.example\.com \(127\.0\.0\.1:\d+\) refused the proposal: the bytes are not a valid/);
  });

  it('reports a peer that is not listening as PEER_UNREACHABLE', async () => {
    const port = await freePort();
    const failed = await rejection(() => processProposal(`127.0.0.1:${port}`, tls, proposal('mychannel'), { serverNameOverride: PEER_HOST, timeoutMs: 5000 }));
    expect(failed.code).toBe('PEER_UNREACHABLE');
    expect(failed.message).toMatch(/^cannot reach peer peer0\.org1\.example\.com/);
  });
});

describe('fabsim ledger: finding the peer and querying it as the org Admin', () => {
  const config = (): ReturnType<typeof parseNetworkConfig> => parseNetworkConfig(readFileSync(join(REPO_ROOT, 'config/network.yaml'), 'utf8'), 'network.yaml');

  it("resolves a peer's address, its org's TLS CA and Admin MSP from the config and the cryptogen layout", () => {
    const target = resolvePeerTarget(config(), 'peer0.org2.example.com', fixture.cryptoDir);
    expect(target).toMatchObject({ host: 'peer0.org2.example.com', address: '127.0.0.1:9051', mspId: 'Org2MSP' });
    expect(target.adminMspDir).toBe(join(fixture.cryptoDir, 'peerOrganizations', 'org2.example.com', 'users', 'Admin@org2.example.com', 'msp'));
    expect(target.tls.serverCaPems[0]).toMatch(/BEGIN CERTIFICATE/);
    expect(target.tls.certPem).toMatch(/BEGIN CERTIFICATE/);
  });

  it('names the known peers for an unknown one, and says how to make missing crypto', () => {
    expect(() => resolvePeerTarget(config(), 'peer9.org1.example.com', fixture.cryptoDir)).toThrow(/no peer named peer9\.org1\.example\.com .*peer0\.org1\.example\.com, peer0\.org2\.example\.com/);
    expect(() => resolvePeerTarget(config(), 'peer0.org1.example.com', '/nonexistent')).toThrow(/crypto material of Org1's Admin is missing .*fabsim crypto generate/);
  });

  it('queries through the CLI path (Admin signer, TLS with host name override) and turns a 500 into LEDGER_QUERY_FAILED', async () => {
    const target = { ...resolvePeerTarget(config(), PEER_HOST, fixture.cryptoDir), address };
    const admin = await loadSigningIdentity(target.adminMspDir, target.mspId);
    expect(parseBlockchainInfo(await queryQscc(target, admin, 'mychannel', QsccFunction.GET_CHAIN_INFO)).height).toBe(3);
    const failed = await rejection(() => queryQscc(target, admin, 'mychannel', QsccFunction.GET_BLOCK_BY_NUMBER, '7'));
    expect(failed.code).toBe('LEDGER_QUERY_FAILED');
    expect(failed.message).toBe('peer peer0.org1.example.com answered GetBlockByNumber on channel mychannel with status 500: Failed to get block number 7, error: no such block; channel mychannel has 3 blocks (0 to 2)');
  });
});
