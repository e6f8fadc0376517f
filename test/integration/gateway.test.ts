/**
 * The Must show of the endorsement-and-chaincode issue, with real processes: three Raft orderers
 * and two peers (`fabsim node start`), each peer launching the example chaincodes of the network
 * file as their own processes (chaincode/asset-transfer as `basic`, chaincode/feature-tour as
 * `tour`), and one chaincode-as-a-service server the peers dial (`svc`). Everything is driven by
 * the official @hyperledger/fabric-gateway client over TLS, as a Fabric application would drive a
 * Fabric network: evaluate, submit, submitAsync with commit status, chaincode and block events,
 * GatewayError details, an MVCC conflict, an endorsement policy failure, rejected identities and
 * signatures, a replayed proposal, the non-determinism error, a chaincode killed mid-transaction,
 * and ccaas.
 */
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connect, GatewayError, signers, type Contract, type Gateway, type Network } from '@hyperledger/fabric-gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNetworkConfig } from '../../src/config/load-network-config.js';
import { generateCrypto } from '../../src/net/generate-crypto.js';
import { parseBlock } from '../../src/protos/block.js';
import { parseBlockchainInfo } from '../../src/protos/ledger-info.js';
import { ChaincodeProcess, type ChaincodeServerSpec } from '../../src/node/chaincode-process.js';
import { freePort } from '../helpers/free-port.js';
import { makeTempDir, REPO_ROOT } from '../helpers/repo.js';
import { CHANNEL, OrdererNetwork, waitFor } from './helpers/orderer-network.js';

const AND_BOTH = "AND('Org1MSP.peer','Org2MSP.peer')";
const utf8 = new TextDecoder();

let net: OrdererNetwork;
let ccaasPort: number;
let ccaas: ChaincodeProcess<ChaincodeServerSpec> | undefined;
let temp: { dir: string; cleanup: () => void };
const clients: grpc.Client[] = [];
const gateways: Gateway[] = [];

interface Identity {
  readonly mspId: string;
  readonly certPem: Buffer;
  readonly keyPem: Buffer;
}

function userOf(cryptoDir: string, org: 'org1' | 'org2', name = 'User1'): Identity {
  const msp = join(cryptoDir, 'peerOrganizations', `${org}.example.com`, 'users', `${name}@${org}.example.com`, 'msp');
  return { mspId: org === 'org1' ? 'Org1MSP' : 'Org2MSP', certPem: readFileSync(join(msp, 'signcerts', `${name}@${org}.example.com-cert.pem`)), keyPem: readFileSync(join(msp, 'keystore', 'priv_sk')) };
}

/** A Gateway connection to peer `j` (0 = peer0.org1, 1 = peer0.org2) as `identity`, signing with `signingKey`. */
function gatewayTo(j: number, identity: Identity, signingKey: Buffer = identity.keyPem): Gateway {
  const p = net.peer(j);
  const tlsCa = readFileSync(join(net.cryptoDir, 'peerOrganizations', `${p.org}.example.com`, 'tlsca', `tlsca.${p.org}.example.com-cert.pem`));
  const client = new grpc.Client(`127.0.0.1:${p.port}`, grpc.credentials.createSsl(tlsCa), { 'grpc.ssl_target_name_override': p.host });
  clients.push(client);
  const gateway = connect({
    client,
    identity: { mspId: identity.mspId, credentials: identity.certPem },
    signer: signers.newPrivateKeySigner(createPrivateKey(signingKey)),
    evaluateOptions: () => ({ deadline: Date.now() + 30_000 }),
    endorseOptions: () => ({ deadline: Date.now() + 30_000 }),
    submitOptions: () => ({ deadline: Date.now() + 30_000 }),
    commitStatusOptions: () => ({ deadline: Date.now() + 60_000 }),
  });
  gateways.push(gateway);
  return gateway;
}

let network: Network;
let basic: Contract;
let tour: Contract;

/** Evaluates on `org`'s peers until the chaincode answers (it registers with the peer a moment after the peer starts). */
async function waitForChaincode(contract: Contract, fn: string, args: string[], what: string, org = 'Org1MSP'): Promise<void> {
  await waitFor(
    what,
    async () => {
      try {
        await contract.evaluate(fn, { arguments: args, endorsingOrganizations: [org] });
        return true;
      } catch (err) {
        // a chaincode error (e.g. "does not exist") means it runs; "is not running" means not yet
        return err instanceof GatewayError && !JSON.stringify(err.details).includes('not running') && !err.message.includes('not running');
      }
    },
    60_000,
  );
}

beforeAll(async () => {
  temp = makeTempDir('gateway-ccaas');
  ccaasPort = await freePort();
  net = await OrdererNetwork.create('gateway', {
    batchTimeout: '100ms',
    maxMessageCount: 100,
    chaincodes: [
      { name: 'basic', path: 'chaincode/asset-transfer', endorsementPolicy: AND_BOTH },
      { name: 'tour', path: 'chaincode/feature-tour', endorsementPolicy: AND_BOTH },
      { name: 'svc', ccaas: `127.0.0.1:${ccaasPort}`, endorsementPolicy: "OR('Org1MSP.peer','Org2MSP.peer')" },
    ],
  });
  // The chaincode processes inherit the peers' environment: debug logs let the crash test see a transaction arrive.
  process.env['CORE_CHAINCODE_LOGGING_LEVEL'] = 'debug';
  await net.startAll();
  for (const n of net.nodes) await net.join(n.index);
  await Promise.all([net.startPeer(0), net.startPeer(1)]);
  await net.joinPeer(0);
  await net.joinPeer(1);
  network = gatewayTo(0, userOf(net.cryptoDir, 'org1')).getNetwork(CHANNEL);
  basic = network.getContract('basic');
  tour = network.getContract('tour');
  await waitForChaincode(basic, 'AssetExists', ['nothing'], 'basic to run on peer0.org1');
  await waitForChaincode(gatewayTo(1, userOf(net.cryptoDir, 'org2')).getNetwork(CHANNEL).getContract('basic'), 'AssetExists', ['nothing'], 'basic to run on peer0.org2', 'Org2MSP');
}, 240_000);

afterAll(async () => {
  delete process.env['CORE_CHAINCODE_LOGGING_LEVEL'];
  for (const g of gateways) g.close();
  for (const c of clients) c.close();
  await ccaas?.kill();
  // Killing a peer by PID ends its chaincode processes too (they exit when their parent is gone).
  await net?.cleanup({ keepDir: process.env['KEEP_GATEWAY_DIR'] === '1' });
  temp?.cleanup();
});

const asset = (id: string): string[] => [id, 'blue', '5', 'Tomoko', '300'];

describe('the Fabric Gateway client against fabsim', () => {
  it('evaluates and submits: CreateAsset commits on both peers, ReadAsset returns it', async () => {
    await basic.submitTransaction('CreateAsset', ...asset('asset-e1'));
    const read = JSON.parse(utf8.decode(await basic.evaluateTransaction('ReadAsset', 'asset-e1'))) as Record<string, unknown>;
    expect(read).toMatchObject({ ID: 'asset-e1', Color: 'blue', Owner: 'Tomoko' });
    // The other organization's peer committed the same transaction.
    const org2 = gatewayTo(1, userOf(net.cryptoDir, 'org2')).getNetwork(CHANNEL).getContract('basic');
    await waitFor('peer0.org2 to have asset-e1', async () => utf8.decode(await org2.evaluateTransaction('AssetExists', 'asset-e1')) === 'true', 10_000);
  });

  it("answers qscc ledger queries through Evaluate, as Fabric's Gateway does", async () => {
    const qscc = network.getContract('qscc');
    const before = (await net.peerInfo(0))!.height;
    const info = parseBlockchainInfo(await qscc.evaluateTransaction('GetChainInfo', CHANNEL));
    expect(info.height).toBeGreaterThanOrEqual(before);
    const genesis = parseBlock(await qscc.evaluateTransaction('GetBlockByNumber', CHANNEL, '0'));
    expect(genesis.header.number).toBe(0);
  });

  it('submitAsync returns the result at once and the commit status later: VALID in a block', async () => {
    await basic.submitTransaction('CreateAsset', ...asset('asset-a1'));
    const submitted = await basic.submitAsync('TransferAsset', { arguments: ['asset-a1', 'Max'] });
    expect(utf8.decode(submitted.getResult())).toBe('Tomoko');
    const status = await submitted.getStatus();
    expect(status).toMatchObject({ successful: true, code: 0, transactionId: submitted.getTransactionId() });
    expect(status.blockNumber).toBeGreaterThan(0n);
  });

  it('streams chaincode events from a block, and block events carry the transaction', async () => {
    const submitted = await tour.submitAsync('PutValue', { arguments: ['color', 'green'] });
    const status = await submitted.getStatus();
    expect(status.successful).toBe(true);
    const events = await network.getChaincodeEvents('tour', { startBlock: status.blockNumber });
    try {
      const first = (await events[Symbol.asyncIterator]().next()).value as { eventName: string; payload: Uint8Array; transactionId: string; blockNumber: bigint };
      expect(first.transactionId).toBe(submitted.getTransactionId());
      expect(first.blockNumber).toBe(status.blockNumber);
      expect(first.eventName).toBeTypeOf('string');
      expect(JSON.parse(utf8.decode(first.payload))).toMatchObject({ key: 'color', value: 'green', txId: submitted.getTransactionId() });
    } finally {
      events.close();
    }
    const blocks = await network.getFilteredBlockEvents({ startBlock: status.blockNumber });
    try {
      const block = (await blocks[Symbol.asyncIterator]().next()).value as { getFilteredTransactionsList(): Array<{ getTxid(): string; getTxValidationCode(): number }> };
      const tx = block.getFilteredTransactionsList().find((t) => t.getTxid() === submitted.getTransactionId());
      expect(tx?.getTxValidationCode()).toBe(0);
    } finally {
      blocks.close();
    }
  });

  it('lets one chaincode call another on the same channel (INVOKE_CHAINCODE), inside the same transaction', async () => {
    await basic.submitTransaction('CreateAsset', ...asset('asset-c1'));
    const read = JSON.parse(utf8.decode(await tour.evaluateTransaction('ReadAssetFrom', 'basic', 'asset-c1'))) as Record<string, unknown>;
    expect(read).toMatchObject({ ID: 'asset-c1', Owner: 'Tomoko' });
    // Submitted, its read of basic/asset-c1 is in the transaction's read set and validated like any read.
    const submitted = await tour.submitAsync('ReadAssetFrom', { arguments: ['basic', 'asset-c1'] });
    expect((await submitted.getStatus()).successful).toBe(true);
    const err = (await tour.evaluateTransaction('ReadAssetFrom', 'nosuch', 'asset-c1').catch((e: unknown) => e)) as GatewayError;
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.details[0]?.message).toContain('make sure the chaincode nosuch has been successfully defined on channel mychannel');
  });

  it("answers a chaincode error with a GatewayError whose details name the peer and the chaincode's message", async () => {
    const err = await basic.evaluateTransaction('ReadAsset', 'no-such-asset').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GatewayError);
    const gatewayError = err as GatewayError;
    expect(gatewayError.code).toBe(grpc.status.UNKNOWN);
    expect(gatewayError.message).toContain('evaluate call to endorser returned error: chaincode response 500');
    expect(gatewayError.details).toHaveLength(1);
    expect(gatewayError.details[0]).toMatchObject({ mspId: 'Org1MSP', address: `${net.peer(0).host}:${net.peer(0).port}` });
    expect(gatewayError.details[0]!.message).toContain('no-such-asset does not exist');
  });

  it('commits one of two conflicting transactions and marks the other MVCC_READ_CONFLICT', async () => {
    await basic.submitTransaction('CreateAsset', ...asset('asset-m1'));
    // Both are endorsed against the same committed version of asset-m1, then both are submitted.
    const first = await basic.newProposal('TransferAsset', { arguments: ['asset-m1', 'Ann'] }).endorse();
    const second = await basic.newProposal('TransferAsset', { arguments: ['asset-m1', 'Bob'] }).endorse();
    const [a, b] = await Promise.all([first.submit(), second.submit()]);
    const codes = [(await a.getStatus()).code, (await b.getStatus()).code].sort();
    expect(codes).toEqual([0, 11]); // VALID, MVCC_READ_CONFLICT
  });

  it('gives ENDORSEMENT_POLICY_FAILURE to a transaction endorsed by Org1 alone under AND(Org1, Org2)', async () => {
    await basic.submitTransaction('CreateAsset', ...asset('asset-p1'));
    const tx = await basic.newProposal('TransferAsset', { arguments: ['asset-p1', 'Eve'], endorsingOrganizations: ['Org1MSP'] }).endorse();
    const status = await (await tx.submit()).getStatus();
    expect(status.code).toBe(10); // ENDORSEMENT_POLICY_FAILURE
    expect(status.successful).toBe(false);
    expect(utf8.decode(await basic.evaluateTransaction('ReadAsset', 'asset-p1'))).toContain('"Owner":"Tomoko"');
  });

  describe('rejections', () => {
    it('refuses an identity issued by a CA the channel does not know', async () => {
      const other = join(temp.dir, 'other-crypto');
      const config = parseNetworkConfig(readFileSync(net.configPath, 'utf8'), net.configPath);
      await generateCrypto(config, other, { force: false, nowMs: Date.now() - 60_000 });
      const stranger = gatewayTo(0, userOf(other, 'org1')).getNetwork(CHANNEL).getContract('basic');
      const err = (await stranger.evaluateTransaction('AssetExists', 'asset-e1').catch((e: unknown) => e)) as GatewayError;
      expect(err).toBeInstanceOf(GatewayError);
      expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
      expect(err.message).toMatch(/error validating proposal: .*(certificate|CA|chain)/i);
    });

    it('refuses a proposal whose signature was made with another key (a forged signature)', async () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const forger = gatewayTo(0, userOf(net.cryptoDir, 'org1'), privateKey.export({ format: 'pem', type: 'pkcs8' }) as unknown as Buffer).getNetwork(CHANNEL).getContract('basic');
      const err = (await forger.evaluateTransaction('AssetExists', 'asset-e1').catch((e: unknown) => e)) as GatewayError;
      expect(err).toBeInstanceOf(GatewayError);
      expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
      expect(err.message).toMatch(/signature/i);
    });

    it('refuses a replayed proposal: its tx id is already committed', async () => {
      const proposal = basic.newProposal('CreateAsset', { arguments: asset('asset-r1') });
      const tx = await proposal.endorse();
      expect((await (await tx.submit()).getStatus()).successful).toBe(true);
      const err = (await proposal.endorse().catch((e: unknown) => e)) as GatewayError;
      expect(err).toBeInstanceOf(GatewayError);
      expect(JSON.stringify(err.details)).toContain(`duplicate transaction found [${tx.getTransactionId()}]`);
    });
  });

  it('explains the endorsement mismatch of non-deterministic chaincode by naming the key that differs', async () => {
    const err = (await tour.submitTransaction('PutNonDeterministic', 'lucky').catch((e: unknown) => e)) as GatewayError;
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.code).toBe(grpc.status.ABORTED);
    expect(err.message).toContain('failed to collect enough transaction endorsements');
    const mismatch = err.details.find((d) => d.message.includes('ProposalResponsePayloads do not match'));
    expect(mismatch?.message).toContain('write lucky');
  });

  it('fails a transaction in flight when its chaincode process is killed, restarts the chaincode, and recovers', async () => {
    const logFile = join(`${net.peer(0).dataDir}-chaincode`, 'tour_1.0.log');
    const startedLine = (): string | undefined =>
      net
        .peerLog(0)
        .split('\n')
        .filter((l) => l.includes('"event":"chaincode started"') && l.includes('tour:1.0'))
        .at(-1);
    const pid = Number(/"pid":(\d+)/.exec(startedLine() ?? '')?.[1]);
    expect(pid).toBeGreaterThan(0);
    const proposal = tour.newProposal('PutValueSlowly', { arguments: ['slow', 'v', '20000'] });
    const inFlight = proposal.endorse().catch((e: unknown) => e);
    await waitFor('the slow transaction to reach the chaincode', () => readFileSync(logFile, 'utf8').includes(proposal.getTransactionId()), 20_000);
    process.kill(pid, 'SIGKILL');
    const err = (await inFlight) as GatewayError;
    expect(err).toBeInstanceOf(GatewayError);
    expect(JSON.stringify(err.details)).toMatch(/chaincode tour:1\.0 .*(disconnected|stream)/);
    await waitFor('the chaincode to be restarted', () => startedLine() !== undefined && !startedLine()!.includes(`"pid":${pid},`), 30_000);
    await waitForChaincode(tour, 'GetValue', ['color'], 'tour to answer again on peer0.org1');
    await tour.submitTransaction('PutValue', 'after-crash', 'ok');
    expect(utf8.decode(await tour.evaluateTransaction('GetValue', 'after-crash'))).toBe('ok');
  });

  it('runs chaincode as a service: the peers dial a chaincode server started on its own', async () => {
    ccaas = ChaincodeProcess.startServer({
      packageDir: join(REPO_ROOT, 'chaincode/asset-transfer'),
      chaincodeId: 'svc:1.0',
      listenAddress: `127.0.0.1:${ccaasPort}`,
      logFile: join(temp.dir, 'svc.log'),
    });
    const svc = network.getContract('svc');
    await waitForChaincode(svc, 'AssetExists', ['x'], 'the ccaas chaincode to be dialled by peer0.org1');
    await svc.submitTransaction('CreateAsset', ...asset('svc-1'));
    expect(utf8.decode(await svc.evaluateTransaction('AssetExists', 'svc-1'))).toBe('true');
  });
});
