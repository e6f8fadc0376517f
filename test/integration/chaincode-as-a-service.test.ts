import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogFields, Logger } from '../../src/core/logger.js';
import type { PeerLedger } from '../../src/ledger/peer-ledger.js';
import { verifyEcdsaInThreadPool } from '../../src/msp/ecdsa.js';
import type { SigningIdentity } from '../../src/msp/signing-identity.js';
import { ChaincodeProcess, type ChaincodeServerSpec } from '../../src/node/chaincode-process.js';
import { ChaincodeServerConnector, type ChaincodeDisconnect } from '../../src/node/chaincode-server-connector.js';
import type { ChaincodeHandler } from '../../src/peer/chaincode/chaincode-handler.js';
import { ChaincodeRegistry } from '../../src/peer/chaincode/chaincode-registry.js';
import { registryChaincodeExecutor } from '../../src/peer/endorser-chaincode.js';
import { ProposalHandler } from '../../src/peer/endorser.js';
import { chaincodeDefinition, MapChaincodeDefinitions } from '../../src/peer/validation/chaincode-definition.js';
import { buildSignedProposal, parseSignedProposal } from '../../src/protos/proposal.js';
import { parseTxRwSet } from '../../src/protos/rwset.js';
import { parseChaincodeAction, parseProposalResponsePayload } from '../../src/protos/transaction.js';
import { dialChaincodeServer, type ChaincodeConnectTls } from '../../src/transport/grpc/chaincode-connect-client.js';
import { makeChannelFixture, NOW, type ChannelFixture } from '../helpers/channel-fixture.js';
import { freePort } from '../helpers/free-port.js';
import { makeTempDir, REPO_ROOT } from '../helpers/repo.js';
import { b, ledgerWith, put, valid } from '../unit/peer/simulation/simulation-ledger.js';
import { FakeTransactionContext } from '../unit/peer/chaincode/fake-transaction-context.js';

/**
 * Chaincode-as-a-service against the real thing: test/fixtures/chaincode/kv-contract (fabric-contract-api
 * 2.5.8 on fabric-shim 2.5.8) runs `fabric-chaincode-node server` on a free 127.0.0.1 port with mutual TLS
 * (peer0.org2's TLS certificate as its server certificate, clients from the org1 TLS CA), and the peer's
 * ChaincodeServerConnector dials its protos.Chaincode/Connect, presenting peer0.org1's TLS certificate
 * (serverAuth and clientAuth, as cryptogen issues it). The chaincode registers as kv:1.0 and endorses
 * through a ProposalHandler; killed, it leaves the registry; restarted on the same port, the connector
 * dials it again and it registers again.
 */

const PACKAGE_DIR = join(REPO_ROOT, 'test/fixtures/chaincode/kv-contract');
const CHANNEL = 'mychannel';
const CHAINCODE_ID = 'kv:1.0';
const definitions = new MapChaincodeDefinitions([chaincodeDefinition({ name: 'kv', version: '1.0' })]);

class RecordingLogger implements Logger {
  readonly events: Array<{ level: string; event: string; fields: LogFields }> = [];
  debug = (event: string, fields: LogFields = {}): void => void this.events.push({ level: 'debug', event, fields });
  info = (event: string, fields: LogFields = {}): void => void this.events.push({ level: 'info', event, fields });
  warn = (event: string, fields: LogFields = {}): void => void this.events.push({ level: 'warn', event, fields });
  error = (event: string, fields: LogFields = {}): void => void this.events.push({ level: 'error', event, fields });
  /** The info-level events named `event`. */
  named(event: string): LogFields[] {
    return this.events.filter((e) => e.event === event && e.level === 'info').map((e) => e.fields);
  }
}

/** `promise`, or a rejection naming `what` after `ms` (a bound on a wait, not a sleep). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

let fixture: ChannelFixture;
let temp: { dir: string; cleanup: () => void };
const processes: ChaincodeProcess<ChaincodeServerSpec>[] = [];
const connectors: ChaincodeServerConnector<ChaincodeHandler>[] = [];
let registry: ChaincodeRegistry<ChaincodeHandler>;
let logger: RecordingLogger;
let serverSpec: ChaincodeServerSpec;
let dialTls: ChaincodeConnectTls;
let address: string;
let server: ChaincodeProcess<ChaincodeServerSpec>;
let connector: ChaincodeServerConnector<ChaincodeHandler>;
let ledger: PeerLedger;
let client: SigningIdentity;
let endorser: ProposalHandler;
let timestamp = NOW;
let starts = 0;
let onDisconnect: ((event: ChaincodeDisconnect) => void) | undefined;

function startServer(spec: ChaincodeServerSpec): ChaincodeProcess<ChaincodeServerSpec> {
  const process = ChaincodeProcess.startServer({ ...spec, logFile: join(temp.dir, `server-${++starts}.log`) });
  processes.push(process);
  return process;
}

/** Waits for `name` to be READY in the registry; fails at once, with its log, if the server exits first. */
async function registered(name: string, process: ChaincodeProcess<ChaincodeServerSpec>): Promise<ChaincodeHandler> {
  const exitedEarly = process.exited.then((exit) => {
    throw new Error(`the chaincode server exited before registering (${JSON.stringify(exit)}); its log:\n${process.log()}`);
  });
  return Promise.race([registry.waitForRegistration(name, 30_000), exitedEarly]);
}

async function endorse(args: string[]): Promise<Awaited<ReturnType<ProposalHandler['process']>>> {
  return endorser.process(buildSignedProposal({ channelId: CHANNEL, chaincode: 'kv', args, signer: client, timestampMs: timestamp++ }).signedProposal);
}

beforeAll(async () => {
  fixture = await makeChannelFixture('ccaas');
  temp = makeTempDir('ccaas');
  const orgs = join(fixture.cryptoDir, 'peerOrganizations');
  const read = (path: string): string => readFileSync(join(orgs, path), 'utf8');
  const org1Peer = 'org1.example.com/peers/peer0.org1.example.com/tls';
  const org2Peer = 'org2.example.com/peers/peer0.org2.example.com/tls';
  address = `127.0.0.1:${await freePort()}`;
  serverSpec = {
    packageDir: PACKAGE_DIR,
    chaincodeId: CHAINCODE_ID,
    listenAddress: address,
    tls: { certPem: read(`${org2Peer}/server.crt`), keyPem: read(`${org2Peer}/server.key`), clientCaPem: read(`${org1Peer}/ca.crt`) },
    logFile: join(temp.dir, 'unused.log'),
    tlsDir: join(temp.dir, 'server-tls'),
  };
  dialTls = {
    rootCertPem: read(`${org2Peer}/ca.crt`),
    clientCertPem: read(`${org1Peer}/server.crt`),
    clientKeyPem: read(`${org1Peer}/server.key`),
    serverNameOverride: 'peer0.org2.example.com',
  };
  registry = new ChaincodeRegistry<ChaincodeHandler>();
  logger = new RecordingLogger();

  client = await fixture.user('org1');
  ledger = await ledgerWith([valid('seed', put('kv', 'color', 'green'))]);
  endorser = new ProposalHandler({
    registry: fixture.registry,
    ledgerOf: () => ledger,
    signer: await fixture.peer('org1'),
    verify: verifyEcdsaInThreadPool,
    chaincodes: { definitionsOf: () => definitions, stateOf: () => ledger, executor: registryChaincodeExecutor(registry), executeTimeoutMs: 10_000 },
  });

  server = startServer(serverSpec);
  connector = new ChaincodeServerConnector<ChaincodeHandler>({
    address,
    expectedChaincodeId: CHAINCODE_ID,
    logger,
    dial: () => dialChaincodeServer({ address, tls: dialTls, registry, logger }),
    onDisconnected: (event) => onDisconnect?.(event),
  });
  connectors.push(connector);
  connector.start();
  await registered(CHAINCODE_ID, server);
}, 60_000);

afterAll(async () => {
  for (const c of connectors) await c.stop();
  for (const p of processes) await p.kill();
  temp?.cleanup();
  fixture?.cleanup();
});

describe('chaincode-as-a-service: the peer dials a fabric-chaincode-node server', () => {
  it('the chaincode registers as kv:1.0 over mutual TLS and the connector reports it connected', () => {
    expect(server.command.args).toEqual(expect.arrayContaining(['server', '--chaincode-address', address, '--chaincode-id', CHAINCODE_ID, '--chaincode-tls-client-cacert-file']));
    expect(registry.names()).toEqual([CHAINCODE_ID]);
    expect(connector.state).toBe('connected');
    expect(connector.chaincode?.chaincodeId).toBe(CHAINCODE_ID);
    expect(logger.named('chaincode connected')).toEqual([expect.objectContaining({ chaincode: CHAINCODE_ID, address })]);
  });

  it('endorses through it: put produces the write set, get reads the committed state', async () => {
    const putOutcome = await endorse(['put', 'color', 'blue']);
    expect(putOutcome.refusal).toBeUndefined();
    expect(putOutcome.response.response.status).toBe(200);
    const action = parseChaincodeAction(parseProposalResponsePayload(putOutcome.response.payload).extension);
    expect(parseTxRwSet(action.results).nsRwsets[0]?.rwset.writes).toEqual([{ key: 'color', isDelete: false, value: b('blue') }]);

    const got = await endorse(['get', 'color']);
    expect(new TextDecoder().decode(got.response.response.payload)).toBe('green');
  });

  it('a killed chaincode server leaves the registry; restarted on the same port, the connector dials it again and it registers again', async () => {
    const before = registry.get(CHAINCODE_ID)!;
    const disconnected = new Promise<ChaincodeDisconnect>((resolve) => (onDisconnect = resolve));
    await server.kill('SIGKILL');
    const reason = await within(before.closed, 10_000, 'the handler seeing the stream end');
    expect(reason).toMatch(/^stream error: 14 UNAVAILABLE/);
    expect(registry.get(CHAINCODE_ID)).toBeUndefined();
    expect(await within(disconnected, 10_000, "the connector's disconnect")).toEqual({ reason, wasConnected: true, chaincodeId: CHAINCODE_ID, retryInMs: 250 });
    expect(logger.named('chaincode disconnected')[0]).toMatchObject({ chaincode: CHAINCODE_ID, address, reason, retryInMs: 250 });
    const gone = await endorse(['get', 'color']);
    expect(gone.response.response).toMatchObject({ status: 500, message: expect.stringMatching(/^chaincode kv is not running on this peer: /) });

    server = startServer(serverSpec);
    const after = await registered(CHAINCODE_ID, server);
    expect(after).not.toBe(before);
    expect(connector.state).toBe('connected');
    expect(logger.named('chaincode connected')).toHaveLength(2);
    const got = await endorse(['get', 'color']);
    expect(got.response.response.status).toBe(200);
    expect(new TextDecoder().decode(got.response.response.payload)).toBe('green');
  }, 60_000);

  it('a peer without a client certificate is refused by the mutual-TLS server: the stream ends before REGISTER', async () => {
    const refusedRegistry = new ChaincodeRegistry<ChaincodeHandler>();
    const connection = dialChaincodeServer({ address, tls: { rootCertPem: dialTls.rootCertPem, serverNameOverride: 'peer0.org2.example.com' }, registry: refusedRegistry, logger });
    expect(await within(connection.registered, 10_000, 'the refused connection ending')).toBeUndefined();
    const end = await connection.ended;
    expect(end.wasReady).toBe(false);
    expect(end.reason).toMatch(/^stream error: 14 UNAVAILABLE: .*certificate required/);
    expect(refusedRegistry.names()).toEqual([]);
  });

  it('a server certificate from an untrusted CA is refused by the peer', async () => {
    const connection = dialChaincodeServer({ address, tls: { ...dialTls, rootCertPem: readFileSync(join(fixture.cryptoDir, 'peerOrganizations/org1.example.com/tlsca/tlsca.org1.example.com-cert.pem'), 'utf8') }, registry: new ChaincodeRegistry<ChaincodeHandler>(), logger });
    const end = await within(connection.ended, 10_000, 'the untrusted connection ending');
    expect(end.wasReady).toBe(false);
    expect(end.reason).toMatch(/^stream error: 14 UNAVAILABLE: .*unable to verify the first certificate/);
  });

  it('plaintext: the peer closes a connection and dials the same server again', async () => {
    const plainAddress = `127.0.0.1:${await freePort()}`;
    const plain = startServer({ packageDir: PACKAGE_DIR, chaincodeId: 'kv_plain:1.0', listenAddress: plainAddress, logFile: join(temp.dir, 'unused.log') });
    expect(plain.command.args).not.toContain('--chaincode-tls-cert-file');
    const plainConnector = new ChaincodeServerConnector<ChaincodeHandler>({ address: plainAddress, logger, dial: () => dialChaincodeServer({ address: plainAddress, registry, logger }) });
    connectors.push(plainConnector);
    plainConnector.start();
    const first = await registered('kv_plain:1.0', plain);

    const context = new FakeTransactionContext(CHANNEL, 'tx-plain-1', 'kv', { state: new Map([['a', 'plain']]) });
    const signed = buildSignedProposal({ channelId: CHANNEL, chaincode: 'kv', args: ['get', 'a'], signer: client, timestampMs: timestamp++ });
    const result = await first.execute({ kind: 'TRANSACTION', txId: signed.txId, channelId: CHANNEL, args: [b('get'), b('a')], context, signedProposal: parseSignedProposal(signed.signedProposal) });
    expect(result).toMatchObject({ outcome: 'COMPLETED', status: 200 });
    expect(new TextDecoder().decode(result.payload)).toBe('plain');

    // the peer ends the stream; the chaincode server keeps running and takes the connector's next dial
    first.close('the test closed the stream');
    expect(await first.closed).toBe('the test closed the stream');
    expect(registry.get('kv_plain:1.0')).toBeUndefined();
    const second = await registered('kv_plain:1.0', plain);
    expect(second).not.toBe(first);
    expect(plain.running).toBe(true);

    await plainConnector.stop();
    expect(await second.closed).toBe('the peer stopped the chaincode connector');
    expect(registry.get('kv_plain:1.0')).toBeUndefined();
    await plain.kill();
  }, 60_000);
});
