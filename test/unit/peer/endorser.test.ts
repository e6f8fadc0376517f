import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyEcdsa, verifyEcdsaInThreadPool } from '../../../src/msp/ecdsa.js';
import { loadSigningIdentity, type SigningIdentity } from '../../../src/msp/signing-identity.js';
import { ProposalHandler } from '../../../src/peer/endorser.js';
import { qsccArgs, QsccFunction } from '../../../src/peer/qscc.js';
import { buildChannelHeader, computeTxId, HeaderType } from '../../../src/protos/envelope.js';
import { parseBlockchainInfo } from '../../../src/protos/ledger-info.js';
import { buildProposal, buildProposalHeader, buildSignedProposal, buildSignedProposalMessage } from '../../../src/protos/proposal.js';
import { buildSignatureHeader } from '../../../src/protos/signature-header.js';
import {
  buildChaincodeHeaderExtension,
  buildChaincodeInvocationSpec,
  buildChaincodeProposalPayload,
  endorsementMessage,
  parseChaincodeAction,
  parseProposalResponsePayload,
  proposalHash,
} from '../../../src/protos/transaction.js';
import { makeChannelFixture, NOW, type ChannelFixture } from '../../helpers/channel-fixture.js';
import { FakeLedger } from '../../helpers/fake-ledger.js';

let fixture: ChannelFixture;
let peer: SigningIdentity;
let user1: SigningIdentity;
let ledgers: Map<string, FakeLedger>;

beforeAll(async () => {
  fixture = await makeChannelFixture('endorser-');
  peer = await fixture.peer('org1');
  user1 = await fixture.user('org1');
  ledgers = new Map([
    ['mychannel', new FakeLedger('mychannel', [[{ txId: 'genesis', type: HeaderType.CONFIG }], [{ txId: 'committed-tx' }]])],
    ['lab', new FakeLedger('lab', [[{ txId: 'lab-genesis', type: HeaderType.CONFIG }]])],
  ]);
}, 60_000);
afterAll(() => fixture?.cleanup());

const handler = (options: { verify?: typeof verifyEcdsaInThreadPool } = {}): ProposalHandler =>
  new ProposalHandler({ registry: fixture.registry, ledgerOf: (ch) => ledgers.get(ch), signer: peer, clock: fixture.clock, ...options });

const getChainInfo = (signer: SigningIdentity, channelId = 'mychannel'): Uint8Array =>
  buildSignedProposal({ channelId, chaincode: 'qscc', args: qsccArgs(QsccFunction.GET_CHAIN_INFO, channelId), signer, timestampMs: NOW }).signedProposal;

interface Craft {
  readonly signer: SigningIdentity;
  readonly channelId?: string;
  readonly chaincode?: string;
  readonly type?: number;
  readonly epoch?: number;
  readonly txId?: string;
  readonly nonce?: Uint8Array;
  readonly args?: Uint8Array[];
  readonly signature?: (proposal: Uint8Array) => Uint8Array;
}

/** A proposal with any header field overridden, to exercise each check. */
function craft(c: Craft): Uint8Array {
  const channelId = c.channelId ?? 'mychannel';
  const nonce = c.nonce ?? new Uint8Array(24).fill(5);
  const chaincodeId = { name: c.chaincode ?? 'qscc', version: '', path: '' };
  const channelHeader = buildChannelHeader({
    type: c.type ?? HeaderType.ENDORSER_TRANSACTION,
    channelId,
    txId: c.txId ?? computeTxId(nonce, c.signer.serialized),
    epoch: c.epoch ?? 0,
    timestampMs: NOW,
    extension: buildChaincodeHeaderExtension({ chaincodeId }),
  });
  const signatureHeader = buildSignatureHeader({ creator: c.signer.serialized, nonce });
  const input = buildChaincodeInvocationSpec({ chaincodeId, input: { args: c.args ?? qsccArgs(QsccFunction.GET_CHAIN_INFO, channelId), isInit: false } });
  const proposal = buildProposal({ header: buildProposalHeader({ channelHeader, signatureHeader }), payload: buildChaincodeProposalPayload({ input, transientMap: new Map() }), extension: new Uint8Array() });
  return buildSignedProposalMessage({ proposalBytes: proposal, signature: (c.signature ?? ((p) => c.signer.sign(p)))(proposal) });
}

describe('ProposalHandler: qscc through a signed proposal, answered as Fabric’s endorser answers', () => {
  it('endorses a channel member’s GetChainInfo: response, ProposalResponsePayload and the peer’s signature', async () => {
    const signed = buildSignedProposal({ channelId: 'mychannel', chaincode: 'qscc', args: qsccArgs(QsccFunction.GET_CHAIN_INFO, 'mychannel'), signer: user1, timestampMs: NOW });
    const outcome = await handler().process(signed.signedProposal);
    expect(outcome.refusal).toBeUndefined();
    expect(outcome).toMatchObject({ txId: signed.txId, channelId: 'mychannel', chaincodeName: 'qscc' });
    const { response, payload, endorsement, version } = outcome.response;
    expect(response.status).toBe(200);
    expect(parseBlockchainInfo(response.payload).height).toBe(2);
    expect(version).toBe(1);

    // payload = ProposalResponsePayload { proposal_hash, extension = ChaincodeAction }
    const prp = parseProposalResponsePayload(payload);
    const action = parseChaincodeAction(prp.extension);
    expect(action.chaincodeId).toEqual({ name: 'qscc', version: 'syscc', path: '' });
    expect(action.results).toHaveLength(0);
    expect(action.events).toHaveLength(0);
    expect(action.response).toEqual(response);

    // the endorsement: the peer's identity, signing payload ‖ endorser
    expect(endorsement?.endorser).toEqual(peer.serialized);
    expect(verifyEcdsa(peer.certificate.publicKey, endorsementMessage(payload, peer.serialized), endorsement!.signature)).toBe('valid');
  });

  it('commits to the proposal hash Fabric computes: SHA-256(channel header ‖ signature header ‖ payload without transient data)', async () => {
    const nonce = new Uint8Array(24).fill(1);
    const withTransient = buildSignedProposal({ channelId: 'mychannel', chaincode: 'qscc', args: qsccArgs(QsccFunction.GET_CHAIN_INFO, 'mychannel'), signer: user1, timestampMs: NOW, nonce, transientMap: new Map([['secret', new Uint8Array([1])]]) });
    const without = buildSignedProposal({ channelId: 'mychannel', chaincode: 'qscc', args: qsccArgs(QsccFunction.GET_CHAIN_INFO, 'mychannel'), signer: user1, timestampMs: NOW, nonce });
    const a = parseProposalResponsePayload((await handler().process(withTransient.signedProposal)).response.payload);
    const b = parseProposalResponsePayload((await handler().process(without.signedProposal)).response.payload);
    expect(a.proposalHash).toEqual(b.proposalHash);
    // recompute from the parts
    const channelHeader = buildChannelHeader({
      type: HeaderType.ENDORSER_TRANSACTION,
      channelId: 'mychannel',
      txId: computeTxId(nonce, user1.serialized),
      timestampMs: NOW,
      epoch: 0,
      extension: buildChaincodeHeaderExtension({ chaincodeId: { name: 'qscc', version: '', path: '' } }),
    });
    const input = buildChaincodeInvocationSpec({ chaincodeId: { name: 'qscc', version: '', path: '' }, input: { args: qsccArgs(QsccFunction.GET_CHAIN_INFO, 'mychannel'), isInit: false } });
    expect(b.proposalHash).toEqual(proposalHash(channelHeader, buildSignatureHeader({ creator: user1.serialized, nonce }), buildChaincodeProposalPayload({ input, transientMap: new Map() })));
  });

  it('admits every Reader of /Channel/Application/Readers (an Org2 admin, a peer) and verifies on the thread pool too', async () => {
    for (const signer of [await fixture.user('org2', 'Admin'), await fixture.peer('org2')]) {
      expect((await handler({ verify: verifyEcdsaInThreadPool }).process(getChainInfo(signer))).response.response.status).toBe(200);
    }
  });

  it('answers a qscc error with status 500 and the payload, unendorsed', async () => {
    const outcome = await handler().process(craft({ signer: user1, args: qsccArgs(QsccFunction.GET_BLOCK_BY_NUMBER, 'mychannel', '9') }));
    expect(outcome.refusal).toBeUndefined();
    expect(outcome.response.response).toMatchObject({ status: 500, message: expect.stringMatching(/^Failed to get block number 9/) });
    expect(outcome.response.endorsement).toBeUndefined();
    expect(parseChaincodeAction(parseProposalResponsePayload(outcome.response.payload).extension).response.status).toBe(500);
  });

  it('a creator valid in the channel but not a Reader gets qscc’s access denied (a 500 response, as Fabric’s ACL inside qscc)', async () => {
    const ordererAdmin = await loadSigningIdentity(join(fixture.cryptoDir, 'ordererOrganizations', 'example.com', 'users', 'Admin@example.com', 'msp'), 'OrdererMSP');
    const outcome = await handler().process(getChainInfo(ordererAdmin));
    expect(outcome.refusal).toBeUndefined();
    expect(outcome.response.response.status).toBe(500);
    expect(outcome.response.response.message).toMatch(/^access denied for \[GetChainInfo\]\[mychannel\]: \[.*\/Channel\/Application\/Readers/);
    expect(outcome.response.endorsement).toBeUndefined();
  });
});

describe('ProposalHandler: refusals (Fabric returns an error: gRPC error on the wire)', () => {
  const refusal = async (bytes: Uint8Array): Promise<string> => {
    const outcome = await handler().process(bytes);
    expect(outcome.refusal?.kind).toBe('invalid');
    expect(outcome.response.response).toMatchObject({ status: 500, message: outcome.refusal?.message });
    return outcome.refusal?.message ?? '';
  };

  it('bytes that do not unpack are malformed', async () => {
    const outcome = await handler().process(new Uint8Array([0x0a, 0x03, 0x01, 0x02]));
    expect(outcome.refusal?.kind).toBe('malformed');
    expect(outcome.refusal?.message).toMatch(/PROTO|protobuf|not a valid/i);
    expect(outcome.response.response.status).toBe(500);
  });

  it('a creator that is not a member of the channel (Org2 on the Org1-only channel lab)', async () => {
    expect(await refusal(getChainInfo(await fixture.user('org2'), 'lab'))).toMatch(/^error validating proposal: access denied: channel \[lab\]: the creator User1@org2\.example\.com \(Org2MSP\) is not a valid member/);
  });

  it('a signature that does not verify', async () => {
    const other = await fixture.user('org1', 'Admin');
    expect(await refusal(craft({ signer: user1, signature: (p) => other.sign(p) }))).toMatch(/^error validating proposal: access denied: channel \[mychannel\]: the proposal's signature is not valid/);
    expect(await refusal(craft({ signer: user1, signature: () => new Uint8Array() }))).toMatch(/empty signature bytes/);
  });

  it('a tx id that is not SHA-256(nonce ‖ creator)', async () => {
    expect(await refusal(craft({ signer: user1, txId: 'abc' }))).toMatch(/^error validating proposal: incorrectly computed txid 'abc' -- expected '[0-9a-f]{64}'/);
  });

  it('a header type other than ENDORSER_TRANSACTION (CONFIG passes, as in Fabric), a non-zero epoch, an empty nonce', async () => {
    expect(await refusal(craft({ signer: user1, type: HeaderType.MESSAGE }))).toMatch(/invalid header type MESSAGE \(0\)/);
    expect((await handler().process(craft({ signer: user1, type: HeaderType.CONFIG }))).response.response.status).toBe(200);
    expect(await refusal(craft({ signer: user1, epoch: 3 }))).toMatch(/epoch is non-zero/);
    expect(await refusal(craft({ signer: user1, nonce: new Uint8Array() }))).toMatch(/nonce is empty/);
  });

  it('a tx id already committed on the channel', async () => {
    const ledger = ledgers.get('mychannel')!;
    const nonce = new Uint8Array(24).fill(42);
    const txId = computeTxId(nonce, user1.serialized);
    ledger.append([{ txId }]);
    expect(await refusal(craft({ signer: user1, nonce }))).toMatch(new RegExp(`^duplicate transaction found \\[${txId}\\]\\. Creator \\[User1@org1\\.example\\.com \\(Org1MSP\\)\\]`));
  });

  it('user chaincode from a creator that is not a Writer (peer/Propose ACL)', async () => {
    expect(await refusal(craft({ signer: peer, chaincode: 'basic', args: [new TextEncoder().encode('ReadAsset')] }))).toMatch(/\/Channel\/Application\/Writers/);
  });
});

describe('ProposalHandler: answers Fabric gives as a 500 response', () => {
  it('a channel this peer has not joined', async () => {
    const outcome = await handler().process(getChainInfo(user1, 'elsewhere'));
    expect(outcome.refusal).toBeUndefined();
    expect(outcome.response).toMatchObject({ version: 0, endorsement: undefined, response: { status: 500, message: "channel 'elsewhere' not found: this peer has not joined it (its channels: lab, mychannel)" } });
  });

  it('user chaincode on a peer started without a chaincode runtime (see endorser-user-chaincode.test.ts for one with)', async () => {
    const outcome = await handler().process(craft({ signer: user1, chaincode: 'basic', args: [new TextEncoder().encode('ReadAsset')] }));
    expect(outcome.refusal).toBeUndefined();
    expect(outcome.response.response.status).toBe(500);
    expect(outcome.response.response.message).toMatch(/^make sure the chaincode basic has been successfully defined on channel mychannel and try again: this peer was started without a chaincode runtime/);
    expect(outcome.response.payload).toHaveLength(0);
  });

  it('system chaincode other than qscc (cscc)', async () => {
    const outcome = await handler().process(craft({ signer: user1, chaincode: 'cscc', args: [new TextEncoder().encode('GetChannels')] }));
    expect(outcome.refusal).toBeUndefined();
    expect(outcome.response.response).toMatchObject({ status: 500, message: expect.stringMatching(/system chaincode cscc is not supported by this peer/) });
  });
});
