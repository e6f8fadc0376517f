import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import type { SigningIdentity } from '../../../src/msp/signing-identity.js';
import { planDeliver, type DeliverPlan, type DeliverRejection } from '../../../src/common/deliver-seek.js';
import { HeaderType } from '../../../src/protos/envelope.js';
import { buildSeekInfo, SEEK_FOREVER, type SeekInfoInput } from '../../../src/protos/seek-info.js';
import { makeTestOrg } from '../../helpers/test-orgs.js';
import { makeChannelFixture, NOW, signedEnvelope, type ChannelFixture } from '../../helpers/channel-fixture.js';

/** planDeliver: a Deliver request envelope → which blocks, or Fabric's status and why. */
describe('planDeliver: Fabric deliver checks and seek positions', () => {
  let fx: ChannelFixture;
  let user1: SigningIdentity;
  const HEIGHT = 5;

  beforeAll(async () => {
    fx = await makeChannelFixture('deliver-seek');
    user1 = await fx.user('org1');
  });
  afterAll(() => fx?.cleanup());

  const seekEnvelope = (signer: SigningIdentity, seek: SeekInfoInput, channelId = 'mychannel', timestampMs: number | null = NOW): Uint8Array =>
    signedEnvelope(signer, { channelId, type: HeaderType.DELIVER_SEEK_INFO, data: buildSeekInfo(seek), timestampMs }, NOW);
  const plan = (bytes: Uint8Array, clock = fx.clock): DeliverPlan | DeliverRejection => planDeliver(bytes, { registry: fx.registry, heightOf: () => HEIGHT, clock });
  const range = (seek: SeekInfoInput): { start: number; stop: number } => {
    const p = plan(seekEnvelope(user1, seek));
    if (!p.ok) throw new Error(`${p.status}: ${p.info}`);
    return { start: p.start, stop: p.stop };
  };
  const expectRejected = (p: DeliverPlan | DeliverRejection, status: string, info: RegExp): void => {
    expect(p.ok).toBe(false);
    if (p.ok) return;
    expect(p.status).toBe(status);
    expect(p.info).toMatch(info);
  };

  it('resolves oldest → newest to every block, newest → newest to the last one', () => {
    expect(range({ start: { kind: 'oldest' }, stop: { kind: 'newest' } })).toEqual({ start: 0, stop: HEIGHT - 1 });
    expect(range({ start: { kind: 'newest' }, stop: { kind: 'newest' } })).toEqual({ start: HEIGHT - 1, stop: HEIGHT - 1 });
    expect(range({ start: { kind: 'oldest' }, stop: { kind: 'oldest' } })).toEqual({ start: 0, stop: 0 });
  });

  it('resolves specified ranges, next commit, and MaxUint64 as forever', () => {
    expect(range({ start: { kind: 'specified', number: 1 }, stop: { kind: 'specified', number: 3 } })).toEqual({ start: 1, stop: 3 });
    expect(range({ start: { kind: 'specified', number: 2 }, stop: { kind: 'oldest' } })).toEqual({ start: 2, stop: 2 });
    expect(range({ start: { kind: 'nextCommit' }, stop: SEEK_FOREVER })).toEqual({ start: HEIGHT, stop: Number.POSITIVE_INFINITY });
    // A start at the height waits for the next block (BLOCK_UNTIL_READY).
    expect(range({ start: { kind: 'specified', number: HEIGHT }, stop: SEEK_FOREVER })).toEqual({ start: HEIGHT, stop: Number.POSITIVE_INFINITY });
  });

  it('keeps behavior and content type, and lets a peer (a Reader but not a Writer) deliver', async () => {
    const p = plan(seekEnvelope(await fx.peer('org2'), { start: { kind: 'oldest' }, stop: { kind: 'newest' }, behavior: 'FAIL_IF_NOT_READY', contentType: 'HEADER_WITH_SIG' }));
    expect(p).toMatchObject({ ok: true, channelId: 'mychannel', behavior: 'FAIL_IF_NOT_READY', contentType: 'HEADER_WITH_SIG', errorResponse: 'STRICT' });
  });

  it('refuses start > stop: BAD_REQUEST', () => {
    expectRejected(
      plan(seekEnvelope(user1, { start: { kind: 'specified', number: 3 }, stop: { kind: 'specified', number: 2 } })),
      'BAD_REQUEST',
      /start is after its stop: start block 3 \(block 3\), stop block 2 resolves to block 3 > block 2/,
    );
    expectRejected(plan(seekEnvelope(user1, { start: { kind: 'nextCommit' }, stop: { kind: 'newest' } })), 'BAD_REQUEST', /start is after its stop/);
    expectRejected(plan(seekEnvelope(user1, { start: { kind: 'oldest' }, stop: { kind: 'nextCommit' } })), 'BAD_REQUEST', /next commit, which is only a start position/);
  });

  it('refuses FAIL_IF_NOT_READY past the end: NOT_FOUND', () => {
    expectRejected(
      plan(seekEnvelope(user1, { start: { kind: 'specified', number: HEIGHT }, stop: SEEK_FOREVER, behavior: 'FAIL_IF_NOT_READY' })),
      'NOT_FOUND',
      /block 5 not found: channel mychannel has height 5 \(blocks 0 to 4\) and the request asked FAIL_IF_NOT_READY/,
    );
    expect(plan(seekEnvelope(user1, { start: { kind: 'specified', number: HEIGHT - 1 }, stop: SEEK_FOREVER, behavior: 'FAIL_IF_NOT_READY' })).ok).toBe(true);
  });

  it('refuses a specified start beyond the next block: NOT_FOUND, even with BLOCK_UNTIL_READY', () => {
    expectRejected(plan(seekEnvelope(user1, { start: { kind: 'specified', number: HEIGHT + 1 }, stop: SEEK_FOREVER })), 'NOT_FOUND', /block 6 cannot be sought: channel mychannel has height 5/);
  });

  it('refuses a requester that is not a channel member: FORBIDDEN', async () => {
    expectRejected(
      plan(seekEnvelope(await fx.user('org2'), { start: { kind: 'oldest' }, stop: { kind: 'newest' } }, 'lab')),
      'FORBIDDEN',
      /^permission denied: the creator User1@org2\.example\.com \(Org2MSP\) is not a valid member of channel lab: MSP ID "Org2MSP" is not known here/,
    );
    const org9 = await makeTestOrg('Org9MSP', 'org9.example.com');
    const { signer } = await org9.issue('User1@org9.example.com', 'client');
    expectRejected(plan(seekEnvelope(signer, { start: { kind: 'oldest' }, stop: { kind: 'newest' } })), 'FORBIDDEN', /MSP ID "Org9MSP" is not known here/);
  });

  it('refuses a request whose signature does not match: FORBIDDEN', () => {
    const bytes = seekEnvelope(user1, { start: { kind: 'oldest' }, stop: { kind: 'newest' } });
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] as number) ^ 0x01; // inside the signature
    expectRejected(plan(bytes), 'FORBIDDEN', /signature/);
  });

  it('refuses an expired requester: FORBIDDEN', () => {
    const later = new ManualClock(user1.certificate.notAfterMs + 1);
    const bytes = signedEnvelope(user1, { channelId: 'mychannel', type: HeaderType.DELIVER_SEEK_INFO, data: buildSeekInfo({ start: { kind: 'oldest' }, stop: { kind: 'newest' } }) }, later.nowMs());
    expectRejected(plan(bytes, later), 'FORBIDDEN', /deliver client identity expired/);
  });

  it('refuses malformed seek info: BAD_REQUEST', () => {
    const bytes = signedEnvelope(user1, { channelId: 'mychannel', type: HeaderType.DELIVER_SEEK_INFO, data: new Uint8Array([0xff, 0xff, 0xff]) }, NOW);
    expectRejected(plan(bytes), 'BAD_REQUEST', /does not carry a valid SeekInfo: the bytes are not a valid orderer\.SeekInfo/);
    expectRejected(plan(seekEnvelope(user1, { start: { kind: 'oldest' }, stop: undefined })), 'BAD_REQUEST', /has no stop position/);
    expectRejected(plan(seekEnvelope(user1, { start: undefined, stop: { kind: 'newest' } })), 'BAD_REQUEST', /has no start position/);
  });

  it('refuses malformed envelopes and timestamps out of the window: BAD_REQUEST', () => {
    expectRejected(plan(new Uint8Array([0xff, 0xff])), 'BAD_REQUEST', /the deliver request is malformed/);
    expectRejected(plan(seekEnvelope(user1, { start: { kind: 'oldest' }, stop: { kind: 'newest' } }, 'mychannel', null)), 'BAD_REQUEST', /must contain timestamp/);
    expectRejected(plan(seekEnvelope(user1, { start: { kind: 'oldest' }, stop: { kind: 'newest' } }, 'mychannel', NOW - 16 * 60 * 1000)), 'BAD_REQUEST', /is more than 900s apart from current server time/);
  });

  it('answers an unknown channel with NOT_FOUND', () => {
    expectRejected(plan(seekEnvelope(user1, { start: { kind: 'oldest' }, stop: { kind: 'newest' } }, 'nochannel')), 'NOT_FOUND', /channel "nochannel" is not served by this orderer \(its channels: lab, mychannel\)/);
  });

  it('checks the channel before the seek info, and access before the positions (Fabric order)', async () => {
    const garbage = (channelId: string, signer = user1): Uint8Array => signedEnvelope(signer, { channelId, type: HeaderType.DELIVER_SEEK_INFO, data: new Uint8Array([0xff, 0xff]) }, NOW);
    expectRejected(plan(garbage('nochannel')), 'NOT_FOUND', /not served/);
    expectRejected(plan(seekEnvelope(await fx.user('org2'), { start: { kind: 'specified', number: 3 }, stop: { kind: 'specified', number: 1 } }, 'lab')), 'FORBIDDEN', /not a valid member/);
  });
});
