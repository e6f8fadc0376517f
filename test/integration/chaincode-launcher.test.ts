import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogFields, Logger } from '../../src/core/logger.js';
import type { PeerLedger } from '../../src/ledger/peer-ledger.js';
import type { SigningIdentity } from '../../src/msp/signing-identity.js';
import { ChaincodeLauncher, type ChaincodeExitEvent } from '../../src/node/chaincode-launcher.js';
import { ChaincodeError } from '../../src/peer/chaincode/chaincode-error.js';
import type { ChaincodeExecutionResult, ChaincodeHandler } from '../../src/peer/chaincode/chaincode-handler.js';
import { ChaincodeRegistry } from '../../src/peer/chaincode/chaincode-registry.js';
import { TransactionSimulator } from '../../src/peer/simulation/transaction-simulator.js';
import { buildSignedProposal, parseSignedProposal } from '../../src/protos/proposal.js';
import { chaincodeSupportService } from '../../src/transport/grpc/chaincode-support-service.js';
import { startGrpcServer, type RunningGrpcServer } from '../../src/transport/grpc/grpc-server.js';
import { serverCredentials } from '../../src/transport/grpc/tls-credentials.js';
import { makeChannelFixture, NOW, type ChannelFixture } from '../helpers/channel-fixture.js';
import { makeTempDir, REPO_ROOT } from '../helpers/repo.js';
import { b, ledgerWith, put, valid } from '../unit/peer/simulation/simulation-ledger.js';

/**
 * The launcher keeping a real chaincode alive: test/fixtures/chaincode/kv-contract (fabric-contract-api
 * 2.5.8) is started by ChaincodeLauncher as `kv:1.0` against a ChaincodeSupport server (mutual TLS,
 * the peer0.org1 TLS server certificate and User1's TLS client certificate), registers, and runs
 * transactions against TransactionSimulators over a PeerLedger. Killed with SIGKILL in the middle of a
 * transaction, the transaction fails with CHAINCODE_DISCONNECTED, the launcher restarts the process, it
 * registers again and serves the next transaction. A transaction that hangs fails after the execute
 * timeout (1 s here).
 */

const PACKAGE_DIR = join(REPO_ROOT, 'test/fixtures/chaincode/kv-contract');
const CHAINCODE = 'kv:1.0';
const CHANNEL = 'mychannel';
const EXECUTE_TIMEOUT_MS = 1000;

let fixture: ChannelFixture;
let temp: { dir: string; cleanup: () => void };
let server: RunningGrpcServer | undefined;
let launcher: ChaincodeLauncher | undefined;
let registry: ChaincodeRegistry<ChaincodeHandler>;
let ledger: PeerLedger;
let client: SigningIdentity;
const exits: ChaincodeExitEvent[] = [];
const logged: Array<{ level: string; event: string; fields: LogFields }> = [];
/** Every PID the launcher ran, to kill in afterAll whatever happens. */
const pids = new Set<number>();

const logger: Logger = {
  debug: (event, fields = {}) => logged.push({ level: 'debug', event, fields }),
  info: (event, fields = {}) => logged.push({ level: 'info', event, fields }),
  warn: (event, fields = {}) => logged.push({ level: 'warn', event, fields }),
  error: (event, fields = {}) => logged.push({ level: 'error', event, fields }),
};

const notePids = (): void => {
  for (const pid of launcher?.pids().values() ?? []) pids.add(pid);
};

/** The READY handler of kv:1.0, once it has registered; notes the launcher's PIDs for afterAll. */
async function registered(): Promise<ChaincodeHandler> {
  const handler = await registry.waitForRegistration(CHAINCODE, 30_000);
  notePids();
  return handler;
}

let timestamp = NOW;
interface Run {
  readonly simulator: TransactionSimulator;
  readonly result: Promise<ChaincodeExecutionResult>;
}

/** Starts one transaction of kv on `handler`, against a simulator over the ledger. */
function run(handler: ChaincodeHandler, args: string[], timeoutMs?: number): Run {
  const built = buildSignedProposal({ channelId: CHANNEL, chaincode: 'kv', args, signer: client, timestampMs: timestamp++ });
  const simulator = TransactionSimulator.start({ channelId: CHANNEL, txId: built.txId, namespace: 'kv', state: ledger });
  const result = handler.execute({
    kind: 'TRANSACTION',
    txId: built.txId,
    channelId: CHANNEL,
    args: args.map(b),
    context: simulator,
    signedProposal: parseSignedProposal(built.signedProposal),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  return { simulator, result };
}

/** Settles at once into the error (or undefined), so a rejection is handled while the test does other things. */
const failure = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (err: unknown) => err,
  );

beforeAll(async () => {
  fixture = await makeChannelFixture('cc-launcher');
  temp = makeTempDir('cc-launcher');
  const org1 = join(fixture.cryptoDir, 'peerOrganizations/org1.example.com');
  const read = (path: string): string => readFileSync(join(org1, path), 'utf8');
  const tlsCa = read('peers/peer0.org1.example.com/tls/ca.crt');
  client = await fixture.user('org1');
  ledger = await ledgerWith([valid('seed', put('kv', 'color', 'green'))]);
  registry = new ChaincodeRegistry<ChaincodeHandler>();
  server = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    credentials: serverCredentials({ certPem: read('peers/peer0.org1.example.com/tls/server.crt'), keyPem: read('peers/peer0.org1.example.com/tls/server.key'), clientCaPems: [tlsCa], requireClientCert: true }),
    services: [chaincodeSupportService({ registry, logger, executeTimeoutMs: EXECUTE_TIMEOUT_MS })],
    maxMessageBytes: 100 * 1024 * 1024,
  });
  launcher = new ChaincodeLauncher({
    chaincodes: [{ chaincodeIdName: CHAINCODE, packageDir: PACKAGE_DIR, logFile: join(temp.dir, 'kv.log'), launcher: 'direct' }],
    peerAddress: `127.0.0.1:${server.port}`,
    tls: { rootCertPem: tlsCa, clientCertPem: read('users/User1@org1.example.com/tls/client.crt'), clientKeyPem: read('users/User1@org1.example.com/tls/client.key') },
    mspId: 'Org1MSP',
    logger,
    registry,
    onExit: (e) => {
      pids.add(e.pid);
      exits.push(e);
    },
  });
  launcher.start();
  notePids();
  await registered();
}, 60_000);

afterAll(async () => {
  try {
    notePids();
    await launcher?.stop(1000);
  } finally {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await server?.shutdown(500);
    temp?.cleanup();
    fixture?.cleanup();
  }
});

describe('ChaincodeLauncher with a real fabric-contract-api chaincode', () => {
  it('starts kv-contract as kv:1.0; it registers and runs a transaction', async () => {
    expect(launcher?.pids().get(CHAINCODE)).toBeGreaterThan(0);
    const handler = registry.get(CHAINCODE);
    expect(handler?.state).toBe('ready');
    const { simulator, result } = run(handler!, ['get', 'color']);
    expect(await result).toMatchObject({ outcome: 'COMPLETED', status: 200, payload: b('green') });
    expect(simulator.done().rwset.nsRwsets[0]?.rwset.reads).toEqual([{ key: 'color', version: { blockNum: 0, txNum: 0 } }]);
  });

  it('killed mid-transaction: the transaction fails with a clear error, the launcher restarts the process, it registers again and serves the next one', async () => {
    const before = registry.get(CHAINCODE)!;
    const pid = launcher!.pids().get(CHAINCODE)!;
    const crashed = failure(run(before, ['sleep', '60000'], 30_000).result);
    while (before.inFlight === 0) await new Promise((r) => setImmediate(r));

    process.kill(pid, 'SIGKILL');
    const err = await crashed;
    expect(err).toBeInstanceOf(ChaincodeError);
    expect(err).toMatchObject({ code: 'CHAINCODE_DISCONNECTED' });
    expect((err as Error).message).toMatch(/^chaincode kv:1\.0 exited\/disconnected \(.+\) while executing transaction [0-9a-f]{64} on channel mychannel \(Fabric: "chaincode stream terminated"\); check the chaincode's log, then restart it$/);
    await before.closed;

    const after = await registered();
    expect(after).not.toBe(before);
    expect(after.state).toBe('ready');
    const newPid = launcher!.pids().get(CHAINCODE);
    expect(newPid).toBeGreaterThan(0);
    expect(newPid).not.toBe(pid);
    expect(launcher!.restarts(CHAINCODE)).toBe(1);
    expect(exits).toEqual([expect.objectContaining({ chaincodeIdName: CHAINCODE, pid, code: null, signal: 'SIGKILL', unexpected: true, restartInMs: 500, restarts: 0 })]);
    expect(logged.find((l) => l.event === 'chaincode exited')).toMatchObject({ level: 'warn', fields: { chaincode: CHAINCODE, pid, signal: 'SIGKILL', restartInMs: 500 } });

    const { simulator, result } = run(after, ['put', 'color', 'blue']);
    expect(await result).toMatchObject({ outcome: 'COMPLETED', status: 200 });
    expect(simulator.done().rwset.nsRwsets[0]?.rwset.writes).toEqual([{ key: 'color', isDelete: false, value: b('blue') }]);
  }, 60_000);

  it('a transaction that hangs fails after the execute timeout, naming it; the chaincode keeps serving', async () => {
    const handler = await registered();
    const started = Date.now();
    const err = await failure(run(handler, ['sleep', '60000']).result);
    expect(err).toBeInstanceOf(ChaincodeError);
    expect(err).toMatchObject({ code: 'CHAINCODE_TIMEOUT' });
    expect((err as Error).message).toMatch(
      /^chaincode kv:1\.0 did not complete transaction [0-9a-f]{64} on channel mychannel within 1000 ms \(Fabric: "timeout expired while executing transaction"\); the chaincode may be stuck or slow/,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(EXECUTE_TIMEOUT_MS - 50);
    expect(handler.state).toBe('ready');
    expect(launcher!.restarts(CHAINCODE)).toBe(1); // nothing crashed
    expect(await run(handler, ['get', 'color']).result).toMatchObject({ status: 200, payload: b('green') });
  });

  it('stop() ends the process and does not restart it', async () => {
    const handler = registry.get(CHAINCODE)!;
    const pid = launcher!.pids().get(CHAINCODE)!;
    await launcher!.stop(1000);
    expect(launcher!.pids().size).toBe(0);
    expect(exits[exits.length - 1]).toMatchObject({ pid, unexpected: false, restartInMs: undefined });
    expect(() => process.kill(pid, 0)).toThrow(); // gone
    await handler.closed;
    expect(registry.get(CHAINCODE)).toBeUndefined();
  });
});
