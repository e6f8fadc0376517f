import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import type { SigningIdentity } from '../../src/msp/signing-identity.js';
import { ChaincodeProcess, type ChaincodeTls } from '../../src/node/chaincode-process.js';
import { ChaincodeError } from '../../src/peer/chaincode/chaincode-error.js';
import type { ChaincodeExecutionResult, ChaincodeHandler } from '../../src/peer/chaincode/chaincode-handler.js';
import { ChaincodeRegistry } from '../../src/peer/chaincode/chaincode-registry.js';
import { buildSignedProposal, parseSignedProposal } from '../../src/protos/proposal.js';
import { chaincodeSupportService } from '../../src/transport/grpc/chaincode-support-service.js';
import { startGrpcServer, type RunningGrpcServer } from '../../src/transport/grpc/grpc-server.js';
import { serverCredentials } from '../../src/transport/grpc/tls-credentials.js';
import { makeChannelFixture, type ChannelFixture } from '../helpers/channel-fixture.js';
import { makeTempDir, REPO_ROOT } from '../helpers/repo.js';
import { FakeTransactionContext, numberedState, type FakeState } from '../unit/peer/chaincode/fake-transaction-context.js';

/**
 * The peer side of the chaincode protocol against the real thing: test/fixtures/chaincode/kv-contract
 * (fabric-contract-api 2.5.8 on fabric-shim 2.5.8) runs as its own process, registers over
 * ChaincodeSupport/Register with mutual TLS (the peer0.org1 TLS server certificate; User1's TLS client
 * certificate, both from the org1 TLS CA), and executes transactions against fake transaction contexts.
 */

const PACKAGE_DIR = join(REPO_ROOT, 'test/fixtures/chaincode/kv-contract');
const CHAINCODE_ID = 'kv_1.0:0123456789abcdef';
const CHANNEL = 'mychannel';

let fixture: ChannelFixture;
let temp: { dir: string; cleanup: () => void };
let server: RunningGrpcServer | undefined;
let registry: ChaincodeRegistry<ChaincodeHandler>;
let tls: ChaincodeTls;
let signer: SigningIdentity;
const processes: ChaincodeProcess[] = [];
let chaincode: ChaincodeProcess;
let handler: ChaincodeHandler;

async function launch(chaincodeIdName: string, launcher: 'direct' | 'npm'): Promise<{ process: ChaincodeProcess; handler: ChaincodeHandler; registrationMs: number }> {
  const startedAt = performance.now();
  const process = ChaincodeProcess.start({
    packageDir: PACKAGE_DIR,
    chaincodeIdName,
    peerAddress: `127.0.0.1:${server?.port}`,
    tls,
    mspId: 'Org1MSP',
    logFile: join(temp.dir, `${launcher}-${chaincodeIdName.replace(/[^a-z0-9]/gi, '_')}.log`),
    launcher,
  });
  processes.push(process);
  const exitedEarly = process.exited.then((exit) => {
    throw new Error(`chaincode exited before registering (${JSON.stringify(exit)}); its log:\n${process.log()}`);
  });
  const registered = await Promise.race([registry.waitForRegistration(chaincodeIdName, 30_000), exitedEarly]);
  return { process, handler: registered, registrationMs: performance.now() - startedAt };
}

let txCounter = 0;
interface Invocation {
  readonly result: ChaincodeExecutionResult;
  readonly context: FakeTransactionContext;
  readonly payload: string;
}

async function invoke(args: string[], state: FakeState = {}, options: { on?: ChaincodeHandler; timeoutMs?: number; readOnly?: boolean } = {}): Promise<Invocation> {
  const built = buildSignedProposal({ channelId: CHANNEL, chaincode: 'kv', args, signer, timestampMs: Date.now() + txCounter++ });
  const context = new FakeTransactionContext(CHANNEL, built.txId, 'kv', state);
  context.readOnly = options.readOnly ?? false;
  const encoder = new TextEncoder();
  const result = await (options.on ?? handler).execute({
    kind: 'TRANSACTION',
    txId: built.txId,
    channelId: CHANNEL,
    args: args.map((a) => encoder.encode(a)),
    context,
    signedProposal: parseSignedProposal(built.signedProposal),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  return { result, context, payload: new TextDecoder().decode(result.payload) };
}

beforeAll(async () => {
  fixture = await makeChannelFixture('cc-process');
  temp = makeTempDir('cc-process');
  const org1 = join(fixture.cryptoDir, 'peerOrganizations/org1.example.com');
  const read = (path: string): string => readFileSync(join(org1, path), 'utf8');
  const tlsCa = read('peers/peer0.org1.example.com/tls/ca.crt');
  tls = { rootCertPem: tlsCa, clientCertPem: read('users/User1@org1.example.com/tls/client.crt'), clientKeyPem: read('users/User1@org1.example.com/tls/client.key') };
  signer = await fixture.user('org1');
  registry = new ChaincodeRegistry<ChaincodeHandler>();
  server = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    credentials: serverCredentials({
      certPem: read('peers/peer0.org1.example.com/tls/server.crt'),
      keyPem: read('peers/peer0.org1.example.com/tls/server.key'),
      clientCaPems: [tlsCa],
      requireClientCert: true,
    }),
    services: [chaincodeSupportService({ registry, logger: silentLogger })],
    maxMessageBytes: 100 * 1024 * 1024,
  });
  const launched = await launch(CHAINCODE_ID, 'direct');
  chaincode = launched.process;
  handler = launched.handler;
  console.log(`kv-contract (node + fabric-chaincode-node start, mutual TLS) registered in ${launched.registrationMs.toFixed(0)} ms`);
}, 60_000);

afterAll(async () => {
  for (const p of processes) await p.kill();
  await server?.shutdown(500);
  temp?.cleanup();
  fixture?.cleanup();
});

describe('a real fabric-contract-api chaincode process', () => {
  it('registers with the name of CORE_CHAINCODE_ID_NAME and is READY', () => {
    expect(handler.chaincodeId).toBe(CHAINCODE_ID);
    expect(handler.state).toBe('ready');
    expect(registry.names()).toContain(CHAINCODE_ID);
  });

  it('puts, gets and deletes through PUT_STATE, GET_STATE and DEL_STATE', async () => {
    const put = await invoke(['put', 'color', 'blue']);
    expect(put.result).toMatchObject({ outcome: 'COMPLETED', status: 200 });
    expect([...put.context.writes]).toEqual([['color', 'blue']]);

    const got = await invoke(['get', 'color'], { state: new Map([['color', 'green']]) });
    expect(got.result.status).toBe(200);
    expect(got.payload).toBe('green');

    const missing = await invoke(['get', 'nothing']);
    expect(missing.result.status).toBe(200);
    expect(missing.payload).toBe('');

    const del = await invoke(['del', 'color'], { state: new Map([['color', 'green']]) });
    expect(del.result.status).toBe(200);
    expect([...del.context.writes]).toEqual([['color', null]]);
  });

  it('serves a range of 250 keys in batches of 100 (QUERY_STATE_NEXT) and closes the iterator', async () => {
    const state = numberedState('k', 250);
    state.set('z-outside', 'x');
    const { result, payload, context } = await invoke(['range', 'k', 'l'], { state });
    expect(result.status).toBe(200);
    const rows = JSON.parse(payload) as Array<{ key: string; value: string }>;
    expect(rows).toHaveLength(250);
    expect(rows[0]).toEqual({ key: 'k000', value: 'v000' });
    expect(rows[249]).toEqual({ key: 'k249', value: 'v249' });
    expect(context.ranges).toEqual([{ startKey: 'k', endKey: 'l', served: 250, closed: true }]);
  });

  it('pages with getStateByRangeWithPagination: page size, bookmark, fetched count', async () => {
    const state = numberedState('k', 250);
    const first = JSON.parse((await invoke(['page', 'k', 'l', '100', ''], { state })).payload) as { keys: string[]; bookmark: string; fetched: number };
    expect(first.keys).toHaveLength(100);
    expect(first.keys[0]).toBe('k000');
    expect(first).toMatchObject({ bookmark: 'k100', fetched: 100 });
    const second = JSON.parse((await invoke(['page', 'k', 'l', '100', first.bookmark], { state })).payload) as typeof first;
    expect(second.keys[0]).toBe('k100');
    expect(second).toMatchObject({ bookmark: 'k200', fetched: 100 });
    const last = JSON.parse((await invoke(['page', 'k', 'l', '100', second.bookmark], { state })).payload) as typeof first;
    expect(last.keys).toHaveLength(50);
    expect(last).toMatchObject({ bookmark: '', fetched: 50 });
  });

  it('closes a range the contract leaves early (QUERY_STATE_CLOSE)', async () => {
    const { result, payload, context } = await invoke(['first', 'k', 'l', '3'], { state: numberedState('k', 150) });
    expect(result.status).toBe(200);
    expect(JSON.parse(payload)).toEqual(['k000', 'k001', 'k002']);
    expect(context.ranges[0]?.closed).toBe(true);
  });

  it("answers GET_HISTORY_FOR_KEY with the key's modifications", async () => {
    const history = new Map([
      [
        'color',
        [
          { txId: 'tx1', value: new TextEncoder().encode('red'), isDelete: false, timestampMs: 1_700_000_000_000 },
          { txId: 'tx2', value: new Uint8Array(), isDelete: true },
        ],
      ],
    ]);
    const { result, payload } = await invoke(['history', 'color'], { history });
    expect(result.status).toBe(200);
    expect(JSON.parse(payload)).toEqual([
      { txId: 'tx1', value: 'red', isDelete: false, seconds: 1_700_000_000 },
      { txId: 'tx2', value: '', isDelete: true, seconds: 0 },
    ]);
  });

  it('returns the chaincode event with the COMPLETED message and records it in the context', async () => {
    const { result, context } = await invoke(['event', 'Transfer', '{"amount":5}']);
    expect(result.status).toBe(200);
    expect(result.event?.eventName).toBe('Transfer');
    expect(new TextDecoder().decode(result.event?.payload)).toBe('{"amount":5}');
    expect(result.event).toMatchObject({ chaincodeId: 'kv', txId: context.txId });
    expect(context.event).toEqual({ name: 'Transfer', payload: '{"amount":5}' });
  });

  it('writes and reads key metadata (a key-level endorsement policy)', async () => {
    const set = await invoke(['setPolicy', 'color', 'policy-bytes']);
    expect(set.result.status).toBe(200);
    expect(set.context.metadataWrites).toEqual([{ key: 'color', name: 'VALIDATION_PARAMETER', value: 'policy-bytes' }]);
    const metadata = new Map([['color', new Map([['VALIDATION_PARAMETER', new TextEncoder().encode('stored-policy')]])]]);
    const got = await invoke(['getPolicy', 'color'], { metadata });
    expect(got.payload).toBe('stored-policy');
  });

  it('reports a chaincode error as status 500 with its message', async () => {
    const { result } = await invoke(['fail', 'insufficient funds']);
    expect(result).toMatchObject({ outcome: 'COMPLETED', status: 500, message: 'insufficient funds' });
  });

  it("passes the context's refusal to the chaincode as that call's error", async () => {
    const { result, context } = await invoke(['put', 'color', 'blue'], {}, { readOnly: true });
    expect(result.status).toBe(500);
    expect(result.message).toContain('PUT_STATE failed');
    expect(result.message).toContain('putState is not allowed in a query');
    expect(context.writes.size).toBe(0);
  });

  it('refuses rich queries, private data and chaincode-to-chaincode calls it cannot run, per call, and the chaincode keeps running', async () => {
    const rich = await invoke(['rich', '{"selector":{}}']);
    expect(rich.result.status).toBe(500);
    expect(rich.result.message).toContain('GET_QUERY_RESULT is not supported by fabsim yet');

    const mixed = await invoke(['unsupported', 'color'], { state: new Map([['color', 'green']]) });
    expect(mixed.result.status).toBe(200);
    const body = JSON.parse(mixed.payload) as { errors: string[]; value: string };
    expect(body.value).toBe('green');
    expect(body.errors).toHaveLength(2);
    expect(body.errors[0]).toContain('private data (collection "collection1") is not supported by fabsim yet');
    expect(body.errors[1]).toContain('chaincode-to-chaincode calls are not available to this transaction');

    expect(chaincode.running).toBe(true);
    expect((await invoke(['get', 'color'], { state: new Map([['color', 'still-here']]) })).payload).toBe('still-here');
  });

  it('runs concurrent transactions, each against its own context', async () => {
    const runs = await Promise.all(Array.from({ length: 8 }, (_, i) => invoke(['put', `key${i}`, `value${i}`])));
    runs.forEach((run, i) => {
      expect(run.result.status).toBe(200);
      expect([...run.context.writes]).toEqual([[`key${i}`, `value${i}`]]);
    });
  });

  it('fails a call that outlives its timeout, and the chaincode still serves the next one', async () => {
    const slow = invoke(['sleep', '1500'], {}, { timeoutMs: 200 });
    await expect(slow).rejects.toMatchObject({ code: 'CHAINCODE_TIMEOUT' });
    await expect(slow).rejects.toThrow(/did not complete transaction .* within 200 ms/);
    expect((await invoke(['get', 'a'], { state: new Map([['a', 'b']]) })).payload).toBe('b');
  });

  it('starts through npm start too (the way a Fabric peer starts Node.js chaincode)', async () => {
    const viaNpm = await launch('kv_npm:fedcba9876543210', 'npm');
    console.log(`kv-contract via npm start registered in ${viaNpm.registrationMs.toFixed(0)} ms`);
    expect((await invoke(['get', 'a'], { state: new Map([['a', 'npm']]) }, { on: viaNpm.handler })).payload).toBe('npm');
    await viaNpm.process.kill();
    await viaNpm.handler.closed;
    expect(registry.get('kv_npm:fedcba9876543210')).toBeUndefined();
  }, 60_000);

  it('fails the call in flight with a clear error when the chaincode process is killed', async () => {
    // Settle into a value at once, so the rejection is handled while the kill is awaited.
    const outcome = invoke(['sleep', '60000']).then(
      () => undefined,
      (e: unknown) => e,
    );
    // Wait until the chaincode has the transaction, then kill it by PID.
    while (handler.inFlight === 0) await new Promise((r) => setImmediate(r));
    const killedAt = performance.now();
    await chaincode.kill('SIGKILL');
    const err = await outcome;
    expect(err).toBeInstanceOf(ChaincodeError);
    expect(err).toMatchObject({ code: 'CHAINCODE_DISCONNECTED' });
    expect((err as Error).message).toContain(`chaincode ${CHAINCODE_ID} exited/disconnected`);
    console.log(`killed chaincode: the call failed ${(performance.now() - killedAt).toFixed(0)} ms after SIGKILL`);
    expect(registry.get(CHAINCODE_ID)).toBeUndefined();
    await expect(handler.execute({ kind: 'TRANSACTION', txId: 'after', channelId: CHANNEL, args: [], context: new FakeTransactionContext(CHANNEL, 'after', 'kv') })).rejects.toMatchObject({
      code: 'CHAINCODE_NOT_READY',
    });
  });
});
