import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { encodeDerSignature, flipS, parseDerSignature } from '../../../src/msp/ecdsa-signature.js';
import type { SigningIdentity } from '../../../src/msp/signing-identity.js';
import { verifyEcdsaInThreadPool } from '../../../src/msp/ecdsa.js';
import { filterBroadcast, filterBroadcastAsync, type BroadcastVerdict } from '../../../src/orderer/broadcast-filter.js';
import { MapChannelRegistry, type ChannelResources } from '../../../src/common/channel-resources.js';
import { buildChannelHeader, buildEnvelope, buildPayload, HeaderType, parseChannelHeader, parseEnvelope, parsePayload } from '../../../src/protos/envelope.js';
import { buildSerializedIdentity } from '../../../src/protos/identity.js';
import { buildSignatureHeader } from '../../../src/protos/signature-header.js';
import { makeTestOrg } from '../../helpers/test-orgs.js';
import { LAB_MAX_BYTES, makeChannelFixture, NOW, payloadBytes, signedEnvelope, type ChannelFixture, type EnvelopeSpec } from '../../helpers/channel-fixture.js';

/**
 * One test per reason the orderer's Broadcast refuses an envelope, with Fabric's status and an
 * info text that says what was wrong; real cryptogen material and genesis blocks throughout.
 */
describe('filterBroadcast: Fabric msgprocessor checks on a broadcast envelope', () => {
  let fx: ChannelFixture;
  let user1: SigningIdentity;
  const mychannel: EnvelopeSpec = { channelId: 'mychannel' };

  beforeAll(async () => {
    fx = await makeChannelFixture('broadcast');
    user1 = await fx.user('org1');
  });
  afterAll(() => fx?.cleanup());

  const filter = (bytes: Uint8Array, registry = fx.registry, clock = fx.clock): BroadcastVerdict => filterBroadcast(bytes, registry, clock);
  const expectRejected = (verdict: BroadcastVerdict, status: string, info: RegExp): void => {
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.status).toBe(status);
    expect(verdict.info).toMatch(info);
  };

  it('accepts a transaction signed by a client of a channel organization', () => {
    const bytes = signedEnvelope(user1, mychannel, NOW);
    const verdict = filter(bytes);
    expect(verdict).toMatchObject({ ok: true, channelId: 'mychannel', headerType: HeaderType.ENDORSER_TRANSACTION, configSequence: 0 });
    if (!verdict.ok) return;
    expect(verdict.envelope).toBe(bytes);
    expect(verdict.txId).toBe(parseChannelHeader(parsePayload(parseEnvelope(bytes).payload).header.channelHeader).txId);
  });

  it('accepts an org admin, and a MESSAGE envelope (every non-config type is a normal message in Fabric)', async () => {
    expect(filter(signedEnvelope(await fx.user('org2', 'Admin'), mychannel, NOW)).ok).toBe(true);
    expect(filter(signedEnvelope(user1, { channelId: 'mychannel', type: HeaderType.MESSAGE }, NOW)).ok).toBe(true);
  });

  it('refuses bytes that are not an Envelope: BAD_REQUEST', () => {
    expectRejected(filter(new Uint8Array([0xff, 0xff, 0xff, 0xff])), 'BAD_REQUEST', /^the envelope is malformed: the bytes are not a valid common\.Envelope protobuf message/);
  });

  it('refuses an envelope with an empty payload: BAD_REQUEST', () => {
    expectRejected(filter(buildEnvelope({ payload: new Uint8Array(), signature: new Uint8Array([1]) })), 'BAD_REQUEST', /malformed.*its payload is empty/);
  });

  it('refuses a payload without a header, or a header without a channel header: BAD_REQUEST', () => {
    const noChannelHeader = buildPayload({ header: { channelHeader: new Uint8Array(), signatureHeader: buildSignatureHeader({ creator: user1.serialized, nonce: new Uint8Array(24) }) }, data: new Uint8Array([1]) });
    expectRejected(filter(buildEnvelope({ payload: noChannelHeader, signature: user1.sign(noChannelHeader) })), 'BAD_REQUEST', /has no channel header; set Payload\.header\.channel_header/);
    // A Payload with only data (field 2): no header at all.
    const headerless = new Uint8Array([0x12, 0x01, 0x41]);
    expectRejected(filter(buildEnvelope({ payload: headerless, signature: user1.sign(headerless) })), 'BAD_REQUEST', /malformed.*it has no header/);
  });

  it('refuses an unknown channel: BAD_REQUEST "channel does not exist" (Fabric v2.3+), naming the channels served', () => {
    expectRejected(filter(signedEnvelope(user1, { channelId: 'nochannel' }, NOW)), 'BAD_REQUEST', /^channel does not exist: this orderer does not serve channel "nochannel" \(its channels: lab, mychannel\)/);
    expectRejected(filter(signedEnvelope(user1, { channelId: '' }, NOW)), 'BAD_REQUEST', /names no channel/);
  });

  it('refuses CONFIG_UPDATE (not supported by fabsim yet) and orderer-made CONFIG envelopes: BAD_REQUEST', () => {
    expectRejected(filter(signedEnvelope(user1, { channelId: 'mychannel', type: HeaderType.CONFIG_UPDATE }, NOW)), 'BAD_REQUEST', /CONFIG_UPDATE \(2\): fabsim does not support channel configuration updates yet/);
    expectRejected(filter(signedEnvelope(user1, { channelId: 'mychannel', type: HeaderType.CONFIG }, NOW)), 'BAD_REQUEST', /cannot be processed directly: CONFIG \(1\) envelopes are made by orderers/);
  });

  it('refuses an envelope larger than AbsoluteMaxBytes: BAD_REQUEST with both sizes', () => {
    const big = signedEnvelope(user1, { channelId: 'lab', data: new Uint8Array(LAB_MAX_BYTES) }, NOW);
    const verdict = filter(big);
    const { payload, signature } = parseEnvelope(big);
    expectRejected(verdict, 'BAD_REQUEST', new RegExp(`^message payload is ${payload.length + signature.length} bytes and exceeds maximum allowed ${LAB_MAX_BYTES} bytes \\(BatchSize\\.AbsoluteMaxBytes of channel lab\\)`));
    expect(filter(signedEnvelope(user1, { channelId: 'lab', data: new Uint8Array(100) }, NOW)).ok).toBe(true);
  });

  it('refuses a creator from an MSP the channel does not know: FORBIDDEN, listing the known MSPs', async () => {
    const org9 = await makeTestOrg('Org9MSP', 'org9.example.com');
    const { signer } = await org9.issue('User1@org9.example.com', 'client');
    expectRejected(
      filter(signedEnvelope(signer, mychannel, NOW)),
      'FORBIDDEN',
      /^permission denied: the creator User1@org9\.example\.com \(Org9MSP\) is not a valid member of channel mychannel: MSP ID "Org9MSP" is not known here \(known MSPs: OrdererMSP, Org1MSP, Org2MSP\)/,
    );
  });

  it("refuses a creator claiming Org1MSP with a certificate from another CA: FORBIDDEN", async () => {
    const impostor = await makeTestOrg('Org1MSP', 'org1.example.com');
    const { signer } = await impostor.issue('User1@org1.example.com', 'client');
    expectRejected(filter(signedEnvelope(signer, mychannel, NOW)), 'FORBIDDEN', /not a valid member of channel mychannel: .*issued by .*which is not a CA of Org1MSP/);
  });

  it('refuses an expired creator: BAD_REQUEST "broadcast client identity expired" (Fabric\'s expiration rule)', () => {
    const notAfter = user1.certificate.notAfterMs;
    const later = new ManualClock(notAfter + 1000);
    const verdict = filter(signedEnvelope(user1, mychannel, later.nowMs()), fx.registry, later);
    expectRejected(verdict, 'BAD_REQUEST', new RegExp(`^broadcast client identity expired: the certificate of User1@org1\\.example\\.com \\(Org1MSP\\) expired at ${new Date(notAfter).toISOString()}.*enroll a new identity`));
    expect(filter(signedEnvelope(user1, mychannel, notAfter), fx.registry, new ManualClock(notAfter)).ok).toBe(true);
  });

  it('refuses a payload changed after signing: FORBIDDEN, the signature does not verify', () => {
    const payload = payloadBytes(user1, mychannel, NOW);
    const tampered = payloadBytes(user1, { channelId: 'mychannel', data: new TextEncoder().encode('another transaction') }, NOW);
    expectRejected(filter(buildEnvelope({ payload: tampered, signature: user1.sign(payload) })), 'FORBIDDEN', /the envelope's signature is not valid: the signature does not verify with User1@org1\.example\.com \(Org1MSP\)'s public key/);
  });

  it('refuses a high-S signature even though it verifies mathematically: FORBIDDEN', () => {
    const payload = payloadBytes(user1, mychannel, NOW);
    const parts = parseDerSignature(user1.sign(payload));
    const highS = encodeDerSignature(flipS(parts!));
    expectRejected(filter(buildEnvelope({ payload, signature: highS })), 'FORBIDDEN', /high S value .* Fabric accepts only low-S signatures/);
  });

  it('refuses a client of an organization that is not in the channel: FORBIDDEN', async () => {
    const org2User = await fx.user('org2');
    expect(filter(signedEnvelope(org2User, mychannel, NOW)).ok).toBe(true);
    expectRejected(
      filter(signedEnvelope(org2User, { channelId: 'lab' }, NOW)),
      'FORBIDDEN',
      /the creator User1@org2\.example\.com \(Org2MSP\) is not a valid member of channel lab: MSP ID "Org2MSP" is not known here \(known MSPs: OrdererMSP, Org1MSP\)/,
    );
  });

  it('refuses a channel member that does not satisfy /Channel/Writers (a peer identity): FORBIDDEN with the policy explanation', async () => {
    const verdict = filter(signedEnvelope(await fx.peer('org1'), mychannel, NOW));
    expectRejected(verdict, 'FORBIDDEN', /^permission denied: the creator peer0\.org1\.example\.com \(Org1MSP\) does not satisfy \/Channel\/Writers of channel mychannel: \/Channel\/Writers: /);
    expectRejected(verdict, 'FORBIDDEN', /Org1MSP\.admin|Org1MSP\.client/);
  });

  it('refuses an envelope without a creator: FORBIDDEN', () => {
    const payload = payloadBytes(user1, { channelId: 'mychannel', creator: new Uint8Array() }, NOW);
    expectRejected(filter(buildEnvelope({ payload, signature: user1.sign(payload) })), 'FORBIDDEN', /the creator \(none: the signature header's creator is empty\) is not a valid member.*not a valid msp\.SerializedIdentity/);
  });

  it('refuses a creator whose serialized identity names Org1MSP but carries no certificate: FORBIDDEN', () => {
    const creator = buildSerializedIdentity({ mspId: 'Org1MSP', idBytes: new TextEncoder().encode('not a PEM') });
    const payload = payloadBytes(user1, { channelId: 'mychannel', creator }, NOW);
    expectRejected(filter(buildEnvelope({ payload, signature: user1.sign(payload) })), 'FORBIDDEN', /a creator of Org1MSP whose certificate does not parse/);
  });

  it('refuses normal transactions while the channel is in maintenance mode: SERVICE_UNAVAILABLE', () => {
    const resources = fx.registry.get('mychannel') as ChannelResources;
    const registry = new MapChannelRegistry([{ ...resources, consensusState: 'MAINTENANCE' }]);
    expectRejected(filter(signedEnvelope(user1, mychannel, NOW), registry), 'SERVICE_UNAVAILABLE', /maintenance mode/);
  });

  it('checks in Fabric order: channel before size, size before signature', () => {
    const hugeUnknown = signedEnvelope(user1, { channelId: 'nochannel', data: new Uint8Array(LAB_MAX_BYTES) }, NOW);
    expectRejected(filter(hugeUnknown), 'BAD_REQUEST', /channel does not exist/);
    const payload = payloadBytes(user1, { channelId: 'lab', data: new Uint8Array(LAB_MAX_BYTES) }, NOW);
    expectRejected(filter(buildEnvelope({ payload, signature: new Uint8Array([1, 2, 3]) })), 'BAD_REQUEST', /exceeds maximum allowed/);
  });

  it('does not guard against replay: the same envelope passes twice (committing peers mark DUPLICATE_TXID)', () => {
    const bytes = signedEnvelope(user1, mychannel, NOW);
    expect(filter(bytes).ok).toBe(true);
    expect(filter(bytes).ok).toBe(true);
  });

  it('reads a malformed channel header as BAD_REQUEST', () => {
    const payload = buildPayload({ header: { channelHeader: new Uint8Array([0xff, 0xff]), signatureHeader: buildSignatureHeader({ creator: user1.serialized, nonce: new Uint8Array(24) }) }, data: new Uint8Array() });
    expectRejected(filter(buildEnvelope({ payload, signature: user1.sign(payload) })), 'BAD_REQUEST', /common\.ChannelHeader/);
    const badSignatureHeader = buildPayload({ header: { channelHeader: buildChannelHeader({ type: HeaderType.ENDORSER_TRANSACTION, channelId: 'mychannel' }), signatureHeader: new Uint8Array([0xff, 0xff]) }, data: new Uint8Array() });
    expectRejected(filter(buildEnvelope({ payload: badSignatureHeader, signature: user1.sign(badSignatureHeader) })), 'BAD_REQUEST', /could not read its signature header/);
  });

  it('filterBroadcastAsync (signatures on the thread pool) gives the same verdict as filterBroadcast, including for bad signatures', async () => {
    const payload = payloadBytes(user1, mychannel, NOW);
    const other = payloadBytes(user1, { channelId: 'mychannel', data: new TextEncoder().encode('another transaction') }, NOW);
    const highS = encodeDerSignature(flipS(parseDerSignature(user1.sign(payload))!));
    const cases = [
      signedEnvelope(user1, mychannel, NOW),
      buildEnvelope({ payload: other, signature: user1.sign(payload) }),
      buildEnvelope({ payload, signature: highS }),
      buildEnvelope({ payload, signature: new Uint8Array([0x30, 0x01]) }),
      signedEnvelope(user1, { channelId: 'nochannel' }, NOW),
    ];
    const verdicts = await Promise.all(cases.map((bytes) => filterBroadcastAsync(bytes, fx.registry, fx.clock, verifyEcdsaInThreadPool)));
    expect(verdicts.map((v) => v.ok)).toEqual([true, false, false, false, false]);
    expect(verdicts).toEqual(cases.map((bytes) => filter(bytes)));
  });
});
