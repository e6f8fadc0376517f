import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PeerLedger } from '../../../src/ledger/peer-ledger.js';
import { verifyEcdsa, verifyEcdsaInThreadPool } from '../../../src/msp/ecdsa.js';
import { loadSigningIdentity, type SigningIdentity } from '../../../src/msp/signing-identity.js';
import { ChaincodeError } from '../../../src/peer/chaincode/chaincode-error.js';
import type { ChaincodeExecutionResult, ExecuteRequest } from '../../../src/peer/chaincode/chaincode-handler.js';
import { ChaincodeRegistry } from '../../../src/peer/chaincode/chaincode-registry.js';
import { registryChaincodeExecutor, type RunningChaincode } from '../../../src/peer/endorser-chaincode.js';
import { INITIALIZED_KEY } from '../../../src/peer/endorser-simulation.js';
import { createSignedTransaction, createTransactionPayload } from '../../../src/peer/endorser-transaction.js';
import { ProposalHandler } from '../../../src/peer/endorser.js';
import type { TransactionSimulator } from '../../../src/peer/simulation/transaction-simulator.js';
import { chaincodeDefinition, MapChaincodeDefinitions, type ChaincodeDefinitions } from '../../../src/peer/validation/chaincode-definition.js';
import { validateBlock } from '../../../src/peer/validation/validate-block.js';
import { blockDataHash } from '../../../src/protos/block.js';
import { buildChannelHeader, computeTxId, HeaderType } from '../../../src/protos/envelope.js';
import { buildProposal, buildProposalHeader, buildSignedProposal, buildSignedProposalMessage, parseSignedProposal, type BuiltProposal, type ProposalResponse } from '../../../src/protos/proposal.js';
import { parseTxRwSet } from '../../../src/protos/rwset.js';
import { buildSignatureHeader } from '../../../src/protos/signature-header.js';
import {
  buildChaincodeHeaderExtension,
  buildChaincodeInvocationSpec,
  buildChaincodeProposalPayload,
  endorsementMessage,
  parseChaincodeAction,
  parseChaincodeEvent,
  parseProposalResponsePayload,
} from '../../../src/protos/transaction.js';
import { makeChannelFixture, NOW, type ChannelFixture } from '../../helpers/channel-fixture.js';
import { syntheticCommit } from '../../helpers/ledger-reference.js';
import { b, ledgerWith, put, text, valid } from './simulation/simulation-ledger.js';

/**
 * The endorser with user chaincode, against a fake chaincode process (a RunningChaincode that runs
 * a script against the transaction simulator it is handed) and real PeerLedgers: simulation,
 * endorsement, the Fabric answers for errors, and the round trip endorse → transaction → validateBlock.
 */

const CHANNEL = 'mychannel';
const enc = new TextEncoder();

let fixture: ChannelFixture;
let user1: SigningIdentity;
let peer1: SigningIdentity;
let peer2: SigningIdentity;
let ordererAdmin: SigningIdentity;

beforeAll(async () => {
  fixture = await makeChannelFixture('endorser-cc-');
  [user1, peer1, peer2] = await Promise.all([fixture.user('org1'), fixture.peer('org1'), fixture.peer('org2')]);
  ordererAdmin = await loadSigningIdentity(join(fixture.cryptoDir, 'ordererOrganizations', 'example.com', 'users', 'Admin@example.com', 'msp'), 'OrdererMSP');
}, 60_000);
afterAll(() => fixture?.cleanup());

/** A scripted chaincode: `basic`'s functions by args[0], over the context the endorser gives it. */
class FakeChaincode implements RunningChaincode {
  readonly calls: ExecuteRequest[] = [];
  constructor(readonly chaincodeId: string) {}

  async execute(request: ExecuteRequest): Promise<ChaincodeExecutionResult> {
    this.calls.push(request);
    const sim = request.context as TransactionSimulator;
    const [fn = '', ...args] = request.args.map((a) => new TextDecoder().decode(a));
    const ok = (payload = ''): ChaincodeExecutionResult => ({ outcome: 'COMPLETED', status: 200, message: '', payload: enc.encode(payload), event: undefined });
    switch (fn) {
      case 'Transfer': {
        // read asset1, add the amount, write it back, emit an event (what asset-transfer does)
        const [amount = '0'] = args;
        const balance = Number(text(await sim.getState('asset1')));
        sim.putState('asset1', enc.encode(String(balance + Number(amount))));
        sim.setEvent('Transferred', enc.encode(amount));
        return { ...ok(String(balance + Number(amount))), event: { chaincodeId: sim.namespace, txId: request.txId, eventName: 'Transferred', payload: enc.encode(amount) } };
      }
      case 'Init':
        sim.putState('asset1', enc.encode('0'));
        return ok('initialized');
      case 'Fail':
        await sim.getState('asset1');
        sim.putState('asset1', enc.encode('garbage'));
        return { outcome: 'COMPLETED', status: 500, message: 'insufficient funds', payload: enc.encode('detail'), event: { chaincodeId: sim.namespace, txId: request.txId, eventName: 'Nope', payload: new Uint8Array() } };
      case 'NotFound':
        return { outcome: 'COMPLETED', status: 404, message: 'asset9 does not exist', payload: new Uint8Array(), event: undefined };
      case 'Error':
        return { outcome: 'ERROR', status: 500, message: 'transaction returned with failure: the shim gave up', payload: new Uint8Array(), event: undefined };
      case 'Hang':
        throw new ChaincodeError('CHAINCODE_TIMEOUT', `chaincode ${this.chaincodeId} did not complete transaction ${request.txId} on channel ${request.channelId} within 200 ms`);
      case 'Crash':
        throw new ChaincodeError('CHAINCODE_DISCONNECTED', `chaincode ${this.chaincodeId} exited/disconnected (SIGKILL) while executing transaction ${request.txId}`);
      default:
        return ok('noop');
    }
  }
}

interface Peer {
  readonly handler: ProposalHandler;
  readonly ledger: PeerLedger;
  readonly chaincode: FakeChaincode;
}

const basic = chaincodeDefinition({ name: 'basic', version: '1.0' });
const definitions = new MapChaincodeDefinitions([basic, chaincodeDefinition({ name: 'kv', version: '2.1' }), chaincodeDefinition({ name: 'needsinit', version: '3', initRequired: true })]);

/** A peer with its own ledger (asset1 = 100 at 0:0, plus `extra` blocks), and a fake `basic:1.0` (and `needsinit:3`) registered. */
async function makePeer(signer: SigningIdentity, o: { running?: boolean; extraTxIds?: string[]; definitionsOf?: (ch: string) => ChaincodeDefinitions | undefined } = {}): Promise<Peer> {
  const ledger = await ledgerWith([valid('seed', put('basic', 'asset1', '100'))], ...(o.extraTxIds ?? []).map((txId) => [valid(txId)]));
  const registry = new ChaincodeRegistry<FakeChaincode>();
  const chaincode = new FakeChaincode('basic:1.0');
  if (o.running ?? true) {
    for (const cc of [chaincode, new FakeChaincode('needsinit:3')]) {
      registry.register(cc.chaincodeId, cc);
      registry.ready(cc.chaincodeId, cc);
    }
  }
  const handler = new ProposalHandler({
    registry: fixture.registry,
    ledgerOf: (ch) => (ch === CHANNEL ? ledger : undefined),
    signer,
    verify: verifyEcdsaInThreadPool,
    chaincodes: {
      definitionsOf: o.definitionsOf ?? ((ch) => (ch === CHANNEL ? definitions : undefined)),
      stateOf: (ch) => (ch === CHANNEL ? ledger : undefined),
      executor: registryChaincodeExecutor(registry),
    },
  });
  return { handler, ledger, chaincode };
}

const propose = (args: string[], o: { signer?: SigningIdentity; chaincode?: string; nonce?: Uint8Array } = {}): BuiltProposal =>
  buildSignedProposal({ channelId: CHANNEL, chaincode: o.chaincode ?? 'basic', args, signer: o.signer ?? user1, timestampMs: NOW, ...(o.nonce === undefined ? {} : { nonce: o.nonce }) });

/** An `--isInit` proposal (buildSignedProposal never sets is_init). */
function proposeInit(chaincode: string, args: string[]): BuiltProposal {
  const nonce = new Uint8Array(24).fill(7);
  const txId = computeTxId(nonce, user1.serialized);
  const chaincodeId = { name: chaincode, version: '', path: '' };
  const channelHeader = buildChannelHeader({ type: HeaderType.ENDORSER_TRANSACTION, channelId: CHANNEL, txId, epoch: 0, timestampMs: NOW, extension: buildChaincodeHeaderExtension({ chaincodeId }) });
  const input = buildChaincodeInvocationSpec({ chaincodeId, input: { args: args.map((a) => enc.encode(a)), isInit: true } });
  const proposal = buildProposal({
    header: buildProposalHeader({ channelHeader, signatureHeader: buildSignatureHeader({ creator: user1.serialized, nonce }) }),
    payload: buildChaincodeProposalPayload({ input, transientMap: new Map() }),
    extension: new Uint8Array(),
  });
  return { signedProposal: buildSignedProposalMessage({ proposalBytes: proposal, signature: user1.sign(proposal) }), proposal, txId };
}

function actionOf(response: ProposalResponse): ReturnType<typeof parseChaincodeAction> {
  return parseChaincodeAction(parseProposalResponsePayload(response.payload).extension);
}

async function validate(ledger: PeerLedger, envelopes: Uint8Array[]): Promise<Awaited<ReturnType<typeof validateBlock>>> {
  const block = { header: { number: ledger.height, previousHash: new Uint8Array(32), dataHash: blockDataHash(envelopes) }, data: envelopes, metadata: [] };
  return validateBlock({ block, channelId: CHANNEL, resources: fixture.registry.get(CHANNEL)!, chaincodes: definitions, state: ledger, txIds: ledger, verify: verifyEcdsaInThreadPool, nowMs: NOW });
}

describe('Endorser: user chaincode simulated and endorsed', () => {
  it("endorses a Writer's proposal: rwset from the simulation, the event, the response, chaincode_id with the definition's version, the peer's signature", async () => {
    const peer = await makePeer(peer1);
    const built = propose(['Transfer', '5']);
    const outcome = await peer.handler.process(built.signedProposal);
    expect(outcome.refusal).toBeUndefined();
    const { response, payload, endorsement, version } = outcome.response;
    expect(response).toEqual({ status: 200, message: '', payload: b('105') });
    expect(version).toBe(1);

    // the chaincode ran TRANSACTION for this tx with the proposal's args and the signed proposal
    const call = peer.chaincode.calls[0]!;
    expect(call).toMatchObject({ kind: 'TRANSACTION', txId: built.txId, channelId: CHANNEL });
    expect(call.args).toEqual([b('Transfer'), b('5')]);
    expect(call.signedProposal).toEqual(parseSignedProposal(built.signedProposal));
    expect(call.context.namespace).toBe('basic');

    const action = actionOf(outcome.response);
    expect(action.chaincodeId).toEqual({ name: 'basic', version: '1.0', path: '' });
    expect(action.response).toEqual(response);
    expect(parseTxRwSet(action.results)).toEqual({
      nsRwsets: [
        {
          namespace: 'basic',
          collectionHashedRwsetCount: 0,
          rwset: { reads: [{ key: 'asset1', version: { blockNum: 0, txNum: 0 } }], rangeQueriesInfo: [], writes: [{ key: 'asset1', isDelete: false, value: b('105') }], metadataWrites: [] },
        },
      ],
    });
    expect(parseChaincodeEvent(action.events)).toEqual({ chaincodeId: 'basic', txId: built.txId, eventName: 'Transferred', payload: b('5') });

    expect(endorsement?.endorser).toEqual(peer1.serialized);
    expect(verifyEcdsa(peer1.certificate.publicKey, endorsementMessage(payload, peer1.serialized), endorsement!.signature)).toBe('valid');
  });

  it('two peers with the same state give byte-identical payloads; their endorsements make a transaction validateBlock finds VALID', async () => {
    const [a, c] = await Promise.all([makePeer(peer1), makePeer(peer2)]);
    const built = propose(['Transfer', '7']);
    const [ra, rc] = await Promise.all([a.handler.process(built.signedProposal), c.handler.process(built.signedProposal)]);
    expect(ra.response.payload).toEqual(rc.response.payload);
    expect(ra.response.endorsement?.endorser).not.toEqual(rc.response.endorsement?.endorser);

    // the default policy /Channel/Application/Endorsement is MAJORITY: both orgs
    const envelope = createSignedTransaction(built.proposal, [ra.response, rc.response], user1);
    const validation = await validate(a.ledger, [envelope]);
    expect(validation.transactions.map((t) => [t.txId, t.code])).toEqual([[built.txId, 'VALID']]);
    expect(validation.transactions[0]?.updates).toEqual([{ kind: 'put', namespace: 'basic', key: 'asset1', value: b('107') }]);

    // one endorsement alone does not satisfy the policy; a differing payload cannot be combined
    expect((await validate(a.ledger, [createSignedTransaction(built.proposal, [ra.response], user1)])).transactions[0]?.code).toBe('ENDORSEMENT_POLICY_FAILURE');
    const other = await a.handler.process(propose(['Transfer', '8'], { nonce: new Uint8Array(24).fill(3) }).signedProposal);
    expect(() => createTransactionPayload(built.proposal, [ra.response, other.response])).toThrow(/ProposalResponsePayloads do not match/);
  });

  it('a chaincode error (status 500) is answered with the response and the payload, unendorsed and without its event', async () => {
    const outcome = await (await makePeer(peer1)).handler.process(propose(['Fail']).signedProposal);
    expect(outcome.refusal).toBeUndefined();
    expect(outcome.response).toMatchObject({ version: 0, endorsement: undefined, response: { status: 500, message: 'insufficient funds', payload: b('detail') } });
    const action = actionOf(outcome.response);
    expect(action.response.status).toBe(500);
    expect(action.events).toHaveLength(0);
    expect(parseTxRwSet(action.results).nsRwsets[0]?.rwset.writes).toEqual([{ key: 'asset1', isDelete: false, value: b('garbage') }]);
    expect(() => createTransactionPayload(propose(['Fail']).proposal, [outcome.response])).toThrow(/was not successful, error code 500, msg insufficient funds/);
  });

  it('a status 400..499 is answered with the response alone (Fabric: not endorsed, no payload)', async () => {
    const outcome = await (await makePeer(peer1)).handler.process(propose(['NotFound']).signedProposal);
    expect(outcome.response).toMatchObject({ version: 0, endorsement: undefined, response: { status: 404, message: 'asset9 does not exist' } });
    expect(outcome.response.payload).toHaveLength(0);
  });

  it("the shim's ERROR, a timeout and a crash are 500 'error in simulation' responses without payload", async () => {
    const peer = await makePeer(peer1);
    const answer = async (fn: string): Promise<ProposalResponse> => {
      const built = propose([fn]);
      const outcome = await peer.handler.process(built.signedProposal);
      expect(outcome.refusal).toBeUndefined();
      expect(outcome.response).toMatchObject({ version: 0, endorsement: undefined, payload: new Uint8Array() });
      return outcome.response;
    };
    expect((await answer('Error')).response).toMatchObject({ status: 500, message: 'error in simulation: transaction returned with failure: the shim gave up' });
    expect((await answer('Hang')).response.message).toMatch(/^error in simulation: failed to execute transaction [0-9a-f]{64}: chaincode basic:1\.0 did not complete transaction .* within 200 ms$/);
    expect((await answer('Crash')).response.message).toMatch(/^error in simulation: failed to execute transaction [0-9a-f]{64}: chaincode basic:1\.0 exited\/disconnected \(SIGKILL\)/);
  });

  it('a chaincode not defined on the channel: 500 naming the defined ones', async () => {
    const peer = await makePeer(peer1);
    const outcome = await peer.handler.process(propose(['ReadAsset'], { chaincode: 'marbles' }).signedProposal);
    expect(outcome.refusal).toBeUndefined();
    expect(outcome.response).toMatchObject({ version: 0, endorsement: undefined, payload: new Uint8Array() });
    expect(outcome.response.response.status).toBe(500);
    expect(outcome.response.response.message).toBe(
      'make sure the chaincode marbles has been successfully defined on channel mychannel and try again: chaincode marbles not found: it is not defined on channel mychannel (defined there: basic, kv, needsinit); ' +
        "define it under the channel's chaincodes in the network file, or invoke one of the defined chaincodes",
    );
    expect(peer.chaincode.calls).toHaveLength(0);
  });

  it('a defined chaincode that is not running here: 500 "chaincode basic is not running on this peer" with what to do', async () => {
    const outcome = await (await makePeer(peer1, { running: false })).handler.process(propose(['ReadAsset']).signedProposal);
    expect(outcome.refusal).toBeUndefined();
    expect(outcome.response.response.status).toBe(500);
    expect(outcome.response.response.message).toMatch(/^chaincode basic is not running on this peer: its definition \(version 1\.0, sequence 1\) exists on channel mychannel, but no chaincode process has registered with this peer as "basic:1\.0" or "basic" \(registered: none\); start the chaincode with CORE_CHAINCODE_ID_NAME=basic:1\.0/);
  });

  it('refuses a proposal from an identity valid in the channel but not a Writer (the orderer admin): peer/Propose', async () => {
    const peer = await makePeer(peer1);
    const outcome = await peer.handler.process(propose(['Transfer', '1'], { signer: ordererAdmin }).signedProposal);
    expect(outcome.refusal?.kind).toBe('invalid');
    expect(outcome.refusal?.message).toMatch(/\/Channel\/Application\/Writers/);
    expect(outcome.response.response).toMatchObject({ status: 500, message: outcome.refusal?.message });
    expect(peer.chaincode.calls).toHaveLength(0);
  });

  it('refuses a tx id already committed on the channel, before the chaincode runs', async () => {
    const nonce = new Uint8Array(24).fill(9);
    const txId = computeTxId(nonce, user1.serialized);
    const peer = await makePeer(peer1, { extraTxIds: [txId] });
    const outcome = await peer.handler.process(propose(['Transfer', '1'], { nonce }).signedProposal);
    expect(outcome.refusal?.kind).toBe('invalid');
    expect(outcome.refusal?.message).toMatch(new RegExp(`^duplicate transaction found \\[${txId}\\]`));
    expect(peer.chaincode.calls).toHaveLength(0);
  });

  it('a channel without definitions answers "not found" with none defined', async () => {
    const outcome = await (await makePeer(peer1, { definitionsOf: () => undefined })).handler.process(propose(['x']).signedProposal);
    expect(outcome.response.response.message).toMatch(/chaincode basic not found: it is not defined on channel mychannel \(defined there: none\)/);
  });
});

describe('Endorser: init exactly once for a definition with initRequired (Fabric CheckInvocation)', () => {
  it('refuses an invocation before init, runs INIT for --isInit (writing the initialized key), and refuses is_init where no init is required', async () => {
    const peer = await makePeer(peer1);
    const before = await peer.handler.process(propose(['Transfer', '1'], { chaincode: 'needsinit' }).signedProposal);
    expect(before.response.response).toMatchObject({ status: 500, message: expect.stringMatching(/^error in simulation: failed to execute transaction [0-9a-f]{64}: invalid invocation: chaincode 'needsinit' has not been initialized for this version, must call as init first/) });

    const init = await peer.handler.process(proposeInit('needsinit', ['Init']).signedProposal);
    expect(init.response.response.status).toBe(200);
    const rwset = parseTxRwSet(actionOf(init.response).results).nsRwsets[0]!;
    expect(rwset.namespace).toBe('needsinit');
    expect(rwset.rwset.reads).toEqual([{ key: INITIALIZED_KEY, version: undefined }]);
    expect(rwset.rwset.writes).toEqual(
      expect.arrayContaining([
        { key: INITIALIZED_KEY, isDelete: false, value: b('3') },
        { key: 'asset1', isDelete: false, value: b('0') },
      ]),
    );

    const notRequired = await peer.handler.process(proposeInit('basic', ['Init']).signedProposal);
    expect(notRequired.response.response.message).toMatch(/invalid invocation: chaincode 'basic' does not require initialization but called as init/);
    expect(peer.chaincode.calls).toHaveLength(0);
  });

  it('refuses a second init once the initialized key holds the version, and then runs TRANSACTION (its read of the key in the rwset)', async () => {
    const peer = await makePeer(peer1);
    await peer.ledger.commit(syntheticCommit(peer.ledger.height, peer.ledger.chainInfo().currentBlockHash, [valid('init-tx', put('needsinit', INITIALIZED_KEY, '3'))]));
    const again = await peer.handler.process(proposeInit('needsinit', ['Init']).signedProposal);
    expect(again.response.response.message).toMatch(/invalid invocation: chaincode 'needsinit' is already initialized but called as init/);
    const invoke = await peer.handler.process(propose(['Other'], { chaincode: 'needsinit' }).signedProposal);
    expect(invoke.response.response.status).toBe(200);
    expect(parseTxRwSet(actionOf(invoke.response).results).nsRwsets[0]?.rwset.reads).toEqual([{ key: INITIALIZED_KEY, version: { blockNum: 1, txNum: 0 } }]);
  });
});
