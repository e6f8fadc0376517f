import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { channelResourcesFromBlock, PolicyPath, type ChannelResources } from '../../../src/common/channel-resources.js';
import { makeChannelFixture, NOW, type ChannelFixture } from '../../helpers/channel-fixture.js';

describe('channel resources from a genesis block (Fabric channelconfig.Resources)', () => {
  let fx: ChannelFixture;
  let mychannel: ChannelResources;

  beforeAll(async () => {
    fx = await makeChannelFixture('channel-resources');
    mychannel = await channelResourcesFromBlock(fx.genesis.get('mychannel')!.block, new ManualClock(NOW));
  });
  afterAll(() => fx?.cleanup());

  it('has the MSPs, policies and BatchSize of the config', () => {
    expect(mychannel).toMatchObject({ channelId: 'mychannel', sequence: 0, consensusState: 'NORMAL', batchSize: { maxMessageCount: 10, absoluteMaxBytes: 99 * 1024 * 1024 } });
    expect(mychannel.mspManager.mspIds().sort()).toEqual(['OrdererMSP', 'Org1MSP', 'Org2MSP']);
    for (const path of Object.values(PolicyPath)) expect(mychannel.policies.has(path), path).toBe(true);
    expect(fx.registry.get('lab')?.batchSize.absoluteMaxBytes).toBe(4096);
    expect(fx.registry.channelIds()).toEqual(['lab', 'mychannel']);
  });

  it('evaluateSignedBy: valid signers count, the others are left out with the reason', async () => {
    const user1 = await fx.user('org1');
    const peer = await fx.peer('org2');
    const data = new TextEncoder().encode('signed bytes');
    const sd = (s: typeof user1, signature = s.sign(data)) => ({ identity: s.serialized, data, signature });
    expect(mychannel.evaluateSignedBy(PolicyPath.CHANNEL_WRITERS, [sd(user1)]).satisfied).toBe(true);
    expect(mychannel.evaluateSignedBy(PolicyPath.CHANNEL_READERS, [sd(peer)]).satisfied).toBe(true);
    const writers = mychannel.evaluateSignedBy(PolicyPath.CHANNEL_WRITERS, [sd(peer)]);
    expect(writers.satisfied).toBe(false);
    expect(writers.explanation).toMatch(/^\/Channel\/Writers: ANY Writers not satisfied/);
    const forged = mychannel.evaluateSignedBy(PolicyPath.CHANNEL_WRITERS, [sd(user1, peer.sign(data))]);
    expect(forged.satisfied).toBe(false);
    expect(forged.explanation).toMatch(/signature #1 left out: the signature does not verify with User1@org1\.example\.com/);
    expect(mychannel.evaluateSignedBy('/Channel/Nope', [sd(user1)])).toMatchObject({ satisfied: false, explanation: expect.stringMatching(/channel mychannel has no policy \/Channel\/Nope/) });
  });

  it('validates identities at the injected clock', async () => {
    const user1 = await fx.user('org1');
    const later = await channelResourcesFromBlock(fx.genesis.get('mychannel')!.block, new ManualClock(user1.certificate.notAfterMs + 1));
    const data = new Uint8Array([1]);
    const check = later.evaluateSignedBy(PolicyPath.CHANNEL_WRITERS, [{ identity: user1.serialized, data, signature: user1.sign(data) }]);
    expect(check.satisfied).toBe(false);
    expect(check.explanation).toMatch(/expired at/);
  });
});
