import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNetworkConfig, parseNetworkConfig } from '../../../src/config/load-network-config.js';
import type { NetworkConfig } from '../../../src/config/network-config.js';
import { ManualClock } from '../../../src/core/clock.js';
import { isFabsimError } from '../../../src/core/errors.js';
import { MspManager, toPolicyIdentity } from '../../../src/msp/msp-manager.js';
import { loadSigningIdentity } from '../../../src/msp/signing-identity.js';
import { X509Msp } from '../../../src/msp/x509-msp.js';
import { generateCrypto } from '../../../src/net/generate-crypto.js';
import { generateGenesisBlocks, type ChannelGenesis } from '../../../src/net/genesis-block.js';
import { evaluatePolicy, type Policy, type PolicyIdentity } from '../../../src/policy/index.js';
import { blockDataHash } from '../../../src/protos/block.js';
import { channelMspConfigs } from '../../../src/protos/channel-config.js';
import { parseConfigBlock, type ConfigBlock } from '../../../src/protos/config-block.js';
import type { ConfigGroupNode } from '../../../src/protos/config-tree.js';
import { parseBatchTimeout } from '../../../src/protos/config-values.js';
import { computeTxId, HeaderType } from '../../../src/protos/envelope.js';
import { groupAt, shapeOfJson, shapeOfTree, vectorBytes, vectorChannelGroupJson } from '../../helpers/config-vectors.js';
import { makeTempDir, REPO_ROOT } from '../../helpers/repo.js';
import { makeTestOrg } from '../../helpers/test-orgs.js';

const NOW = Date.UTC(2026, 5, 1, 9, 30, 0, 123);
const NONCE = new Uint8Array(24).fill(0x5a);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

/** Every value and policy by path, as hex. */
function leaves(group: ConfigGroupNode, path = '/Channel'): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of group.values) out.set(`${path}/${k}`, hex(v.value));
  for (const [k, p] of group.policies) out.set(`${path}/${k} (policy)`, hex(p.policy ?? new Uint8Array()));
  for (const [k, g] of group.groups) for (const [p, v] of leaves(g, `${path}/${k}`)) out.set(p, v);
  return out;
}

describe('fabsim genesis blocks from config/network.yaml, compared with a real Fabric v2.5 genesis block', () => {
  const temp = makeTempDir('genesis');
  const crypto = join(temp.dir, 'organizations');
  let config: NetworkConfig;
  let genesis: ChannelGenesis;
  let parsed: ConfigBlock;
  const vector = parseConfigBlock(vectorBytes('block0-config.pb'));

  beforeAll(async () => {
    config = loadNetworkConfig(join(REPO_ROOT, 'config/network.yaml'));
    await generateCrypto(config, crypto, { force: false, nowMs: NOW });
    const blocks = await generateGenesisBlocks(config, crypto, { nowMs: NOW, randomBytes: (n) => NONCE.subarray(0, n) });
    expect(blocks.map((b) => b.channelId)).toEqual(['mychannel']);
    genesis = blocks[0] as ChannelGenesis;
    parsed = parseConfigBlock(genesis.block);
  });
  afterAll(() => temp.cleanup());

  it('is block 0: no previous hash, a correct data hash, five metadata slots as Fabric writes them', () => {
    const { block } = parsed;
    expect(block.header.number).toBe(0);
    expect(block.header.previousHash).toHaveLength(0);
    expect(hex(block.header.dataHash)).toBe(hex(blockDataHash(block.data)));
    expect(block.data).toHaveLength(1);
    expect(block.metadata).toHaveLength(5);
    expect(block.metadata.map(b64)).toEqual(vector.block.metadata.map(b64));
    expect(parsed.lastConfigIndex).toBe(0);
  });

  it('holds one unsigned CONFIG envelope with the headers configtxgen writes', () => {
    expect(parsed.channelHeader).toMatchObject({ type: HeaderType.CONFIG, version: vector.channelHeader.version, channelId: 'mychannel', epoch: 0 });
    expect(parsed.channelHeader.timestampMs).toBe(Math.floor(NOW / 1000) * 1000);
    expect(parsed.channelHeader.txId).toBe(computeTxId(NONCE, new Uint8Array()));
    expect(hex(parsed.signatureHeader.nonce)).toBe(hex(NONCE));
    expect(parsed.signatureHeader.creator).toHaveLength(0);
    expect(parsed.envelope.signature).toHaveLength(0);
  });

  it('has the same group/value/policy tree, versions and mod_policies as the real block', () => {
    expect(shapeOfTree(parsed.config.tree.channelGroup)).toEqual(shapeOfJson(vectorChannelGroupJson()));
    expect(shapeOfTree(parsed.config.tree.channelGroup)).toEqual(shapeOfTree(vector.config.tree.channelGroup));
  });

  it('matches the real block byte for byte wherever the crypto material and node count do not enter', () => {
    const ours = leaves(parsed.config.tree.channelGroup);
    const theirs = leaves(vector.config.tree.channelGroup);
    // MSPs hold freshly generated certificates; ConsensusType and Endpoints list three orderers, not one.
    const differing = [...theirs.keys()].filter((path) => ours.get(path) !== theirs.get(path));
    expect(differing.sort()).toEqual([
      '/Channel/Application/Org1MSP/MSP',
      '/Channel/Application/Org2MSP/MSP',
      '/Channel/Orderer/ConsensusType',
      '/Channel/Orderer/OrdererOrg/Endpoints',
      '/Channel/Orderer/OrdererOrg/MSP',
    ]);
    expect(ours.size).toBe(theirs.size);
  });

  it('lists every orderer as a Raft consenter with its TLS certificate, and the anchor peers', () => {
    const { orderer, application } = genesis.spec;
    const tls = (host: string): string => readFileSync(join(crypto, 'ordererOrganizations/example.com/orderers', host, 'tls/server.crt'), 'utf8');
    expect(parsed.config.spec.orderer.consenters).toEqual(
      ['orderer', 'orderer2', 'orderer3'].map((name, i) => ({ host: '127.0.0.1', port: 7050 + 1000 * i, clientTlsCert: tls(`${name}.example.com`), serverTlsCert: tls(`${name}.example.com`) })),
    );
    expect(orderer.organizations.map((o) => [o.name, o.endpoints])).toEqual([['OrdererOrg', ['127.0.0.1:7050', '127.0.0.1:8050', '127.0.0.1:9050']]]);
    expect(application.organizations.map((o) => [o.name, o.anchorPeers])).toEqual([
      ['Org1MSP', [{ host: '127.0.0.1', port: 7051 }]],
      ['Org2MSP', [{ host: '127.0.0.1', port: 9051 }]],
    ]);
    expect(parsed.config.spec.orderer.raftOptions).toEqual(vector.config.spec.orderer.raftOptions);
    expect(parsed.config.spec.orderer.batchSize).toEqual({ maxMessageCount: 10, absoluteMaxBytes: 103809024, preferredMaxBytes: 524288 });
    expect(parsed.config.spec).toEqual(genesis.spec);
  });

  describe("the policies read back from the block, evaluated for cryptogen's identities", () => {
    let manager: MspManager;
    const clock = new ManualClock(NOW + 60_000);
    const who = async (mspDir: string, mspId: string): Promise<PolicyIdentity> =>
      toPolicyIdentity(manager.validateSerialized((await loadSigningIdentity(join(crypto, mspDir, 'msp'), mspId)).serialized));
    const satisfied = (path: string, ...ids: PolicyIdentity[]): boolean => evaluatePolicy(parsed.config.policies.get(path) as Policy, ids).satisfied;

    beforeAll(async () => {
      // the MSPs come from the block, not from the folders
      manager = new MspManager(await Promise.all(channelMspConfigs(parsed.config.spec).map((m) => X509Msp.create(m))), clock);
    });

    it('lets members in and keeps everybody else out', async () => {
      const user1 = await who('peerOrganizations/org1.example.com/users/User1@org1.example.com', 'Org1MSP');
      const peer1 = await who('peerOrganizations/org1.example.com/peers/peer0.org1.example.com', 'Org1MSP');
      const peer2 = await who('peerOrganizations/org2.example.com/peers/peer0.org2.example.com', 'Org2MSP');
      const orderer = await who('ordererOrganizations/example.com/orderers/orderer2.example.com', 'OrdererMSP');
      expect(satisfied('/Channel/Application/Writers', user1)).toBe(true);
      expect(satisfied('/Channel/Writers', user1)).toBe(true);
      expect(satisfied('/Channel/Readers', peer2)).toBe(true);
      expect(satisfied('/Channel/Orderer/Writers', orderer)).toBe(true);
      expect(satisfied('/Channel/Orderer/BlockValidation', orderer)).toBe(true);
      expect(satisfied('/Channel/Orderer/Writers', user1)).toBe(false);
      expect(satisfied('/Channel/Application/Endorsement', peer1)).toBe(false);
      expect(satisfied('/Channel/Application/Endorsement', peer1, peer2)).toBe(true);
      expect(satisfied('/Channel/Application/Org1MSP/Endorsement', peer1)).toBe(true);
    });

    it('rejects outsiders: an unknown MSP, and an impostor claiming Org1MSP with another CA', async () => {
      const org3 = await makeTestOrg('Org3MSP', 'org3.example.com');
      const stranger = (await org3.issue('User1@org3.example.com', 'client')).signer;
      expect(() => manager.validateSerialized(stranger.serialized)).toThrow(/MSP ID "Org3MSP" is not known here/);
      const fakeOrg1 = await makeTestOrg('Org1MSP', 'org1.example.com');
      const impostor = (await fakeOrg1.issue('User1@org1.example.com', 'client')).signer;
      expect(() => manager.validateSerialized(impostor.serialized)).toThrow();
      // and even a validated Org3 identity satisfies none of the channel's policies
      const org3Identity = toPolicyIdentity(org3.msp.validate(org3.msp.deserializeIdentity(new TextEncoder().encode(stranger.certificate.toPem())), NOW + 60_000));
      for (const path of ['/Channel/Readers', '/Channel/Writers', '/Channel/Application/Readers', '/Channel/Orderer/Readers']) expect(satisfied(path, org3Identity), path).toBe(false);
    });
  });

  it("takes batch and Raft settings from the network file's orderer sections", async () => {
    const text = readFileSync(join(REPO_ROOT, 'config/network.yaml'), 'utf8');
    const custom = parseNetworkConfig(
      `${text}\n  - name: lab\n    organizations: [Org1]\n    orderer: { batchTimeout: 500ms, batchSize: { maxMessageCount: 500 } }\norderer:\n  batchSize: { preferredMaxBytes: 2 MB }\n  raft: { tickInterval: 100ms, electionTick: 20 }\n`,
      'custom.yaml',
    );
    const blocks = await generateGenesisBlocks(custom, crypto, { nowMs: NOW });
    expect(blocks.map((b) => b.channelId)).toEqual(['mychannel', 'lab']);
    const [mychannel, lab] = blocks.map((b) => parseConfigBlock(b.block));
    expect(mychannel?.config.spec.orderer.batchTimeoutMs).toBe(2000);
    expect(mychannel?.config.spec.orderer.batchSize).toEqual({ maxMessageCount: 10, absoluteMaxBytes: 103809024, preferredMaxBytes: 2097152 });
    expect(lab?.config.spec.orderer.batchSize).toEqual({ maxMessageCount: 500, absoluteMaxBytes: 103809024, preferredMaxBytes: 2097152 });
    expect(lab?.config.spec.orderer.raftOptions).toMatchObject({ tickIntervalMs: 100, electionTick: 20, heartbeatTick: 1 });
    expect(parseBatchTimeout(groupAt(lab!.config.tree.channelGroup, 'Orderer').values.get('BatchTimeout')!.value)).toBe('500ms');
    expect(lab?.config.spec.application.organizations.map((o) => o.name)).toEqual(['Org1MSP']);
    // random nonces by default: two channels, two transaction ids
    expect(mychannel?.channelHeader.txId).not.toBe(lab?.channelHeader.txId);
  });

  it('says which crypto material is missing and how to make it', async () => {
    await rm(join(crypto, 'ordererOrganizations/example.com/orderers/orderer3.example.com/tls/server.crt'));
    const err = await generateGenesisBlocks(config, crypto, { nowMs: NOW }).catch((e: unknown) => e);
    expect(isFabsimError(err, 'CRYPTO_MATERIAL_MISSING')).toBe(true);
    expect((err as Error).message).toMatch(/orderer3\.example\.com\/tls\/server\.crt is missing \(crypto material of OrdererOrg\); run `fabsim crypto generate --out .*` first/);
    const empty = makeTempDir('genesis-empty');
    try {
      await expect(generateGenesisBlocks(config, empty.dir, { nowMs: NOW })).rejects.toThrow(/ordererOrganizations\/example\.com\/msp is missing/);
    } finally {
      empty.cleanup();
    }
  });
});
