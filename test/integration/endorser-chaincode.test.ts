import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import type { PeerLedger } from '../../src/ledger/peer-ledger.js';
import { verifyEcdsaInThreadPool } from '../../src/msp/ecdsa.js';
import type { SigningIdentity } from '../../src/msp/signing-identity.js';
import { ChaincodeProcess } from '../../src/node/chaincode-process.js';
import type { ChaincodeHandler } from '../../src/peer/chaincode/chaincode-handler.js';
import { ChaincodeRegistry } from '../../src/peer/chaincode/chaincode-registry.js';
import { registryChaincodeExecutor } from '../../src/peer/endorser-chaincode.js';
import { createSignedTransaction } from '../../src/peer/endorser-transaction.js';
import { ProposalHandler } from '../../src/peer/endorser.js';
import { chaincodeDefinition, MapChaincodeDefinitions } from '../../src/peer/validation/chaincode-definition.js';
import { validateBlock } from '../../src/peer/validation/validate-block.js';
import { blockDataHash, BlockMetadataSlot, buildBlock } from '../../src/protos/block.js';
import { buildSignedProposal, type BuiltProposal } from '../../src/protos/proposal.js';
import { parseTxRwSet } from '../../src/protos/rwset.js';
import { parseChaincodeAction, parseChaincodeEvent, parseProposalResponsePayload } from '../../src/protos/transaction.js';
import { chaincodeSupportService } from '../../src/transport/grpc/chaincode-support-service.js';
import { startGrpcServer, type RunningGrpcServer } from '../../src/transport/grpc/grpc-server.js';
import { serverCredentials } from '../../src/transport/grpc/tls-credentials.js';
import { makeChannelFixture, NOW, type ChannelFixture } from '../helpers/channel-fixture.js';
import { makeTempDir, REPO_ROOT } from '../helpers/repo.js';
import { b, ledgerWith, put, valid } from '../unit/peer/simulation/simulation-ledger.js';

/**
 * The endorser with a real chaincode: test/fixtures/chaincode/kv-contract (fabric-contract-api
 * 2.5.8) runs as its own process, registers over ChaincodeSupport/Register (mutual TLS) as
 * `kv:1.0`, and two peers' ProposalHandlers (peer0.org1 and peer0.org2, over one PeerLedger)
 * endorse through it. The transaction is assembled from their ProposalResponses as the Gateway
 * does (protoutil.CreateSignedTx), and the committing peer's validateBlock over the same ledger
 * finds it VALID with exactly the rwset the chaincode produced.
 */

const PACKAGE_DIR = join(REPO_ROOT, 'test/fixtures/chaincode/kv-contract');
const CHANNEL = 'mychannel';
const definitions = new MapChaincodeDefinitions([chaincodeDefinition({ name: 'kv', version: '1.0' })]);

let fixture: ChannelFixture;
let temp: { dir: string; cleanup: () => void };
let server: RunningGrpcServer | undefined;
let chaincode: ChaincodeProcess | undefined;
let registry: ChaincodeRegistry<ChaincodeHandler>;
let ledger: PeerLedger;
let client: SigningIdentity;
let peers: ProposalHandler[];

beforeAll(async () => {
  fixture = await makeChannelFixture('endorser-cc');
  temp = makeTempDir('endorser-cc');
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
    services: [chaincodeSupportService({ registry, logger: silentLogger })],
    maxMessageBytes: 100 * 1024 * 1024,
  });
  const process = ChaincodeProcess.start({
    packageDir: PACKAGE_DIR,
    chaincodeIdName: 'kv:1.0',
    peerAddress: `127.0.0.1:${server.port}`,
    tls: { rootCertPem: tlsCa, clientCertPem: read('users/User1@org1.example.com/tls/client.crt'), clientKeyPem: read('users/User1@org1.example.com/tls/client.key') },
    mspId: 'Org1MSP',
    logFile: join(temp.dir, 'kv.log'),
    launcher: 'direct',
  });
  chaincode = process;
  const exitedEarly = process.exited.then((exit) => {
    throw new Error(`chaincode exited before registering (${JSON.stringify(exit)}); its log:\n${process.log()}`);
  });
  await Promise.race([registry.waitForRegistration('kv:1.0', 30_000), exitedEarly]);
  const support = { definitionsOf: () => definitions, stateOf: () => ledger, executor: registryChaincodeExecutor(registry), executeTimeoutMs: 10_000 };
  peers = [];
  for (const signer of [await fixture.peer('org1'), await fixture.peer('org2')]) {
    peers.push(new ProposalHandler({ registry: fixture.registry, ledgerOf: () => ledger, signer, verify: verifyEcdsaInThreadPool, chaincodes: support }));
  }
}, 60_000);

afterAll(async () => {
  await chaincode?.kill();
  await server?.shutdown(500);
  temp?.cleanup();
  fixture?.cleanup();
});

let timestamp = NOW;
const propose = (args: string[]): BuiltProposal => buildSignedProposal({ channelId: CHANNEL, chaincode: 'kv', args, signer: client, timestampMs: timestamp++ });

/** Endorses on each peer in turn (one chaincode process serves both, one transaction at a time). */
async function endorse(built: BuiltProposal): Promise<Array<Awaited<ReturnType<ProposalHandler['process']>>>> {
  const outcomes = [];
  for (const peer of peers) outcomes.push(await peer.process(built.signedProposal));
  return outcomes;
}

/** Validates the envelopes as the next block over the ledger and commits it. */
async function validateAndCommit(envelopes: Uint8Array[]): Promise<Awaited<ReturnType<typeof validateBlock>>> {
  const header = { number: ledger.height, previousHash: ledger.chainInfo().currentBlockHash, dataHash: blockDataHash(envelopes) };
  const validation = await validateBlock({
    block: { header, data: envelopes, metadata: [] },
    channelId: CHANNEL,
    resources: fixture.registry.get(CHANNEL)!,
    chaincodes: definitions,
    state: ledger,
    txIds: ledger,
    verify: verifyEcdsaInThreadPool,
    nowMs: NOW,
  });
  const metadata: Uint8Array[] = [new Uint8Array(), new Uint8Array(), new Uint8Array(), new Uint8Array(), new Uint8Array()];
  metadata[BlockMetadataSlot.TRANSACTIONS_FILTER] = validation.filter;
  await ledger.commit({ blockBytes: buildBlock({ header, data: envelopes, metadata }), blockNumber: header.number, transactions: validation.transactions });
  return validation;
}

describe('endorsing with a real fabric-contract-api chaincode, then validating the transaction', () => {
  it('put: both peers endorse byte-identical results; the assembled transaction is VALID with the chaincode’s rwset, and the next get reads it', async () => {
    const built = propose(['put', 'color', 'blue']);
    const [a, c] = await endorse(built);
    for (const outcome of [a!, c!]) {
      expect(outcome.refusal).toBeUndefined();
      expect(outcome.response.response.status).toBe(200);
      expect(outcome.response.endorsement).toBeDefined();
    }
    expect(a!.response.payload).toEqual(c!.response.payload);

    const action = parseChaincodeAction(parseProposalResponsePayload(a!.response.payload).extension);
    expect(action.chaincodeId).toEqual({ name: 'kv', version: '1.0', path: '' });
    const rwset = parseTxRwSet(action.results);
    expect(rwset.nsRwsets.map((ns) => ns.namespace)).toEqual(['kv']);
    expect(rwset.nsRwsets[0]?.rwset.writes).toEqual([{ key: 'color', isDelete: false, value: b('blue') }]);

    const envelope = createSignedTransaction(built.proposal, [a!.response, c!.response], client);
    const validation = await validateAndCommit([envelope]);
    expect(validation.transactions.map((t) => [t.txId, t.code])).toEqual([[built.txId, 'VALID']]);
    expect(validation.transactions[0]?.updates).toEqual([{ kind: 'put', namespace: 'kv', key: 'color', value: b('blue') }]);

    const [got] = await endorse(propose(['get', 'color']));
    expect(new TextDecoder().decode(got!.response.response.payload)).toBe('blue');
    const reads = parseTxRwSet(parseChaincodeAction(parseProposalResponsePayload(got!.response.payload).extension).results).nsRwsets[0]?.rwset.reads;
    expect(reads).toEqual([{ key: 'color', version: { blockNum: 1, txNum: 0 } }]);

    // the same proposal again: its tx id is committed now
    const again = await peers[0]!.process(built.signedProposal);
    expect(again.refusal?.message).toMatch(/^duplicate transaction found/);
  });

  it('carries the chaincode event in the ChaincodeAction, with the chaincode name and tx id', async () => {
    const built = propose(['event', 'Transfer', '{"amount":5}']);
    const [a] = await endorse(built);
    const action = parseChaincodeAction(parseProposalResponsePayload(a!.response.payload).extension);
    expect(parseChaincodeEvent(action.events)).toEqual({ chaincodeId: 'kv', txId: built.txId, eventName: 'Transfer', payload: b('{"amount":5}') });
  });

  it('a contract function that throws: status 500, not endorsed', async () => {
    const [a] = await endorse(propose(['fail', 'insufficient funds']));
    expect(a!.refusal).toBeUndefined();
    expect(a!.response.response).toMatchObject({ status: 500, message: 'insufficient funds' });
    expect(a!.response.endorsement).toBeUndefined();
  });

  it('a chaincode killed mid-transaction, then gone: 500 with a clear message each time', async () => {
    const outcome = peers[0]!.process(propose(['sleep', '60000']).signedProposal);
    const handler = registry.get('kv:1.0')!;
    while (handler.inFlight === 0) await new Promise((r) => setImmediate(r));
    await chaincode!.kill('SIGKILL');
    const crashed = await outcome;
    expect(crashed.response.response).toMatchObject({ status: 500, message: expect.stringMatching(/^error in simulation: failed to execute transaction [0-9a-f]{64}: chaincode kv:1\.0 exited\/disconnected/) });
    await handler.closed;
    const gone = await peers[0]!.process(propose(['get', 'color']).signedProposal);
    expect(gone.response.response).toMatchObject({ status: 500, message: expect.stringMatching(/^chaincode kv is not running on this peer: /) });
  });
});
