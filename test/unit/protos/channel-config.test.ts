import { common, orderer } from '@hyperledger/fabric-protos';
import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../../src/core/assert.js';
import { evaluatePolicy, formatPolicy, parseSignaturePolicy, type Policy } from '../../../src/policy/index.js';
import { parseBlock } from '../../../src/protos/block.js';
import { buildChannelConfig, channelConfigTree, channelMspConfigs, parseChannelConfig, type ChannelConfigSpec } from '../../../src/protos/channel-config.js';
import { buildConfigEnvelope, parseConfigEnvelope, type ConfigGroupNode } from '../../../src/protos/config-tree.js';
import { buildConsensusType } from '../../../src/protos/config-values.js';
import { parseEnvelopeHeaders } from '../../../src/protos/envelope.js';
import { identity } from '../policy/identities.js';
import { shapeOfJson, shapeOfTree, vectorBytes, vectorChannelGroupJson } from '../../helpers/config-vectors.js';
import { decodeError } from '../../helpers/expect-error.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The ConfigEnvelope bytes of the real v2.5 genesis block, exactly as configtxgen wrote them. */
const vectorConfigEnvelope = (): Uint8Array =>
  parseEnvelopeHeaders(parseBlock(vectorBytes('block0-config.pb')).data[0] as Uint8Array, { allowEmptyCreator: true }).payload.data;

/** Keys of the map field `field` of a serialized message, in wire order (1 = key of each entry). */
function wireMapKeys(bytes: Uint8Array, field: number): string[] {
  const keys: string[] = [];
  for (const [f, value] of wireFields(bytes)) if (f === field && value instanceof Uint8Array) keys.push(new TextDecoder().decode(wireFields(value).find(([k]) => k === 1)?.[1] as Uint8Array));
  return keys;
}

function wireFields(bytes: Uint8Array): Array<[number, number | Uint8Array]> {
  const out: Array<[number, number | Uint8Array]> = [];
  let at = 0;
  const varint = (): number => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++] as number;
      v += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return v;
    }
  };
  while (at < bytes.length) {
    const tag = varint();
    if ((tag & 7) === 0) out.push([tag >>> 3, varint()]);
    else {
      const length = varint();
      out.push([tag >>> 3, bytes.subarray(at, at + length)]);
      at += length;
    }
  }
  return out;
}

/** Config → channel_group (wire), then a path of groups. */
function wireGroup(configEnvelope: Uint8Array, ...path: string[]): Uint8Array {
  let group = wireFields(wireFields(configEnvelope)[0]?.[1] as Uint8Array).find(([f]) => f === 2)?.[1] as Uint8Array;
  for (const name of path) {
    const entry = wireFields(group).filter(([f]) => f === 2).map(([, v]) => wireFields(v as Uint8Array)).find((e) => new TextDecoder().decode(e[0]?.[1] as Uint8Array) === name);
    group = entry?.[1]?.[1] as Uint8Array;
  }
  return group;
}

/** Every value and policy of a tree by path, as hex. */
function leaves(group: ConfigGroupNode, path = '/Channel'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of group.values) out[`${path}/${k} (value)`] = hex(v.value);
  for (const [k, p] of group.policies) out[`${path}/${k} (policy)`] = hex(p.policy ?? new Uint8Array());
  for (const [k, g] of group.groups) Object.assign(out, leaves(g, `${path}/${k}`));
  return out;
}


describe('the channel config (configtx), checked against a real Fabric v2.5 genesis block', () => {
  const original = vectorConfigEnvelope();
  const parsed = parseChannelConfig(original);

  it('rebuilds the real config from the parsed model: identical bytes up to protobuf map order', () => {
    // Byte identity with the original is impossible for any encoder: Go's proto.Marshal writes map
    // entries in Go's randomized map order, and the vector shows it: two groups built by the same
    // configtxgen code hold their values in opposite orders.
    expect(wireMapKeys(wireGroup(original, 'Application', 'Org1MSP'), 3)).toEqual(['AnchorPeers', 'MSP']);
    expect(wireMapKeys(wireGroup(original, 'Application', 'Org2MSP'), 3)).toEqual(['MSP', 'AnchorPeers']);
    // So compare with the canonical form: the same message with map entries sorted by key, as
    // google-protobuf (and Go with Deterministic: true) writes it. Same size, same content.
    const canonical = common.ConfigEnvelope.deserializeBinary(original).serializeBinary();
    expect(canonical.length).toBe(original.length);
    expect(hex(canonical)).not.toBe(hex(original));
    const rebuilt = buildChannelConfig(parsed.spec);
    expect(hex(rebuilt)).toBe(hex(canonical));
    // The generic tree round-trips too, and every value and policy is byte-identical to Fabric's.
    expect(hex(buildConfigEnvelope(parsed.tree))).toBe(hex(canonical));
    expect(leaves(channelConfigTree(parsed.spec).channelGroup)).toEqual(leaves(parseConfigEnvelope(original).channelGroup));
  });

  it('reads the same group/value/policy tree, versions and mod_policies as configtxlator', () => {
    expect(shapeOfTree(parsed.tree.channelGroup)).toEqual(shapeOfJson(vectorChannelGroupJson()));
    expect(shapeOfTree(channelConfigTree(parsed.spec).channelGroup)).toEqual(shapeOfJson(vectorChannelGroupJson()));
  });

  it('models the test-network profile: values', () => {
    const { spec } = parsed;
    expect(spec).toMatchObject({ sequence: 0, hashingAlgorithm: 'SHA256', blockDataHashingStructureWidth: 4294967295, ordererAddresses: [], capabilities: ['V2_0'] });
    expect(spec.orderer).toMatchObject({
      batchSize: { maxMessageCount: 10, absoluteMaxBytes: 103809024, preferredMaxBytes: 524288 },
      batchTimeoutMs: 2000,
      maxChannels: 0,
      capabilities: ['V2_0'],
      consensusState: 'NORMAL',
      raftOptions: { tickIntervalMs: 500, electionTick: 10, heartbeatTick: 1, maxInflightBlocks: 5, snapshotIntervalSizeBytes: 16777216 },
    });
    expect(spec.orderer.consenters).toHaveLength(1);
    expect(spec.orderer.consenters[0]).toMatchObject({ host: '127.0.0.1', port: 7050 });
    expect(spec.orderer.consenters[0]?.serverTlsCert).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(spec.orderer.organizations.map((o) => [o.name, o.msp.mspId, o.endpoints])).toEqual([['OrdererOrg', 'OrdererMSP', ['127.0.0.1:7050']]]);
    expect(spec.application.capabilities).toEqual(['V2_5']);
    expect(spec.application.organizations.map((o) => [o.name, o.msp.mspId, o.anchorPeers])).toEqual([
      ['Org1MSP', 'Org1MSP', [{ host: '127.0.0.1', port: 7051 }]],
      ['Org2MSP', 'Org2MSP', [{ host: '127.0.0.1', port: 9051 }]],
    ]);
    expect(channelMspConfigs(spec).map((m) => m.mspId)).toEqual(['OrdererMSP', 'Org1MSP', 'Org2MSP']);
  });

  it('models the test-network profile: policies, in Fabric policy language', () => {
    const text = (path: string): string => formatPolicy(parsed.policies.get(path) as Policy);
    expect(text('/Channel/Readers')).toBe('ANY Readers');
    expect(text('/Channel/Writers')).toBe('ANY Writers');
    expect(text('/Channel/Admins')).toBe('MAJORITY Admins');
    expect(text('/Channel/Orderer/BlockValidation')).toBe('ANY Writers');
    expect(text('/Channel/Application/Endorsement')).toBe('MAJORITY Endorsement');
    expect(text('/Channel/Application/LifecycleEndorsement')).toBe('MAJORITY Endorsement');
    expect(text('/Channel/Orderer/OrdererOrg/Writers')).toBe("OR('OrdererMSP.member')");
    expect(text('/Channel/Orderer/OrdererOrg/Admins')).toBe("OR('OrdererMSP.admin')");
    expect(text('/Channel/Application/Org1MSP/Readers')).toBe("OR('Org1MSP.admin','Org1MSP.peer','Org1MSP.client')");
    expect(text('/Channel/Application/Org1MSP/Writers')).toBe("OR('Org1MSP.admin','Org1MSP.client')");
    expect(text('/Channel/Application/Org2MSP/Endorsement')).toBe("OR('Org2MSP.peer')");
    expect(parsed.policies.size).toBe(23);
    // the spec holds them unresolved, as configtx.yaml writes them
    expect(parsed.spec.application.organizations[0]?.policies.Endorsement).toEqual(parseSignaturePolicy("OR('Org1MSP.peer')"));
    // implicit meta policies resolve over the child groups, in key order
    const readers = parsed.policies.get('/Channel/Readers');
    expect(readers?.kind === 'implicitMeta' && readers.subPolicies.map((s) => s.name)).toEqual(['Application', 'Orderer']);
  });

  it('evaluates the resolved policies as Fabric does', () => {
    const satisfied = (path: string, ...who: ReturnType<typeof identity>[]): boolean => evaluatePolicy(parsed.policies.get(path) as Policy, who).satisfied;
    const client1 = identity('Org1MSP', 'User1@org1.example.com', 'client');
    const peer1 = identity('Org1MSP', 'peer0.org1.example.com', 'peer');
    const peer2 = identity('Org2MSP', 'peer0.org2.example.com', 'peer');
    const admin1 = identity('Org1MSP', 'Admin@org1.example.com', 'admin');
    const orderer = identity('OrdererMSP', 'orderer.example.com', 'orderer');
    const outsider = identity('Org3MSP', 'User1@org3.example.com', 'client');
    expect(satisfied('/Channel/Application/Writers', client1)).toBe(true);
    expect(satisfied('/Channel/Application/Writers', peer1)).toBe(false); // Writers = admin or client
    expect(satisfied('/Channel/Writers', client1)).toBe(true);
    expect(satisfied('/Channel/Orderer/Writers', orderer)).toBe(true);
    expect(satisfied('/Channel/Orderer/BlockValidation', orderer)).toBe(true);
    expect(satisfied('/Channel/Orderer/Writers', client1)).toBe(false);
    expect(satisfied('/Channel/Readers', outsider)).toBe(false);
    expect(satisfied('/Channel/Writers', outsider)).toBe(false);
    expect(satisfied('/Channel/Application/Endorsement', peer1)).toBe(false); // MAJORITY of 2 = 2
    expect(satisfied('/Channel/Application/Endorsement', peer1, peer2)).toBe(true);
    // MAJORITY Admins over Application and Orderer: both groups' admins are needed
    expect(satisfied('/Channel/Admins', admin1)).toBe(false);
    expect(satisfied('/Channel/Admins', admin1, identity('Org2MSP', 'Admin@org2.example.com', 'admin'), identity('OrdererMSP', 'Admin@example.com', 'admin'))).toBe(true);
  });

  it('writes configtxgen mod_policies and leaves empty optional values out', () => {
    const spec: ChannelConfigSpec = {
      ...parsed.spec,
      ordererAddresses: ['127.0.0.1:7050'],
      application: { ...parsed.spec.application, capabilities: [], organizations: parsed.spec.application.organizations.map((o) => ({ ...o, anchorPeers: [] })) },
    };
    const tree = channelConfigTree(spec).channelGroup;
    expect(tree.values.get('OrdererAddresses')?.modPolicy).toBe('/Channel/Orderer/Admins');
    expect(tree.groups.get('Application')?.values.has('Capabilities')).toBe(false);
    expect(tree.groups.get('Application')?.groups.get('Org1MSP')?.values.has('AnchorPeers')).toBe(false);
    expect(parseChannelConfig(buildChannelConfig(spec)).spec).toEqual(spec);
    const twice = { ...parsed.spec, application: { ...parsed.spec.application, organizations: [parsed.spec.application.organizations[0]!, parsed.spec.application.organizations[0]!] } };
    expect(() => buildChannelConfig(twice)).toThrow(AssertionError);
  });

  describe('refuses what is not a usable channel config, naming the path', () => {
    /** The vector's tree with one change. */
    const edit = (change: (group: common.ConfigGroup) => void): Uint8Array => {
      const envelope = common.ConfigEnvelope.deserializeBinary(original);
      change(envelope.getConfig()!.getChannelGroup()!);
      return envelope.serializeBinary();
    };
    const ordererGroup = (g: common.ConfigGroup): common.ConfigGroup => g.getGroupsMap().get('Orderer') as common.ConfigGroup;

    it('malformed bytes', () => {
      expect(decodeError(() => parseChannelConfig(Uint8Array.of(0x0a, 0x05, 0x12, 0x03)))).toMatch(/^the bytes are not a valid common\.ConfigEnvelope protobuf message/);
      expect(decodeError(() => parseChannelConfig(new Uint8Array()))).toContain('it has no config');
      expect(decodeError(() => parseChannelConfig(original.subarray(0, 5000)))).toContain('common.ConfigEnvelope');
      const badValue = edit((g) => ordererGroup(g).getValuesMap().get('BatchSize')?.setValue(Uint8Array.of(0x08, 0xff)));
      expect(decodeError(() => parseChannelConfig(badValue))).toContain('/Channel/Orderer/BatchSize: the bytes are not a valid orderer.BatchSize protobuf message');
      const badPolicy = edit((g) => {
        const policy = new common.Policy();
        policy.setType(1);
        policy.setValue(Uint8Array.of(0x12, 0x7f));
        ordererGroup(g).getGroupsMap().get('OrdererOrg')?.getPoliciesMap().get('Writers')?.setPolicy(policy);
      });
      expect(decodeError(() => parseChannelConfig(badPolicy))).toContain('the policy at /Channel/Orderer/OrdererOrg/Writers');
      const badMsp = edit((g) => g.getGroupsMap().get('Application')?.getGroupsMap().get('Org2MSP')?.getValuesMap().get('MSP')?.setValue(Uint8Array.of(0x12, 0x02, 0x0a, 0x09)));
      expect(decodeError(() => parseChannelConfig(badMsp))).toContain('/Channel/Application/Org2MSP/MSP: the bytes are not a valid msp.FabricMSPConfig');
    });

    it('missing groups and values, other consensus types, bad durations', () => {
      expect(decodeError(() => parseChannelConfig(edit((g) => g.getGroupsMap().del('Application'))))).toContain('/Channel has no Application group');
      expect(decodeError(() => parseChannelConfig(edit((g) => ordererGroup(g).getValuesMap().del('BatchTimeout'))))).toContain('/Channel/Orderer has no BatchTimeout value, which Fabric requires there');
      const solo = edit((g) => ordererGroup(g).getValuesMap().get('ConsensusType')?.setValue(buildConsensusType({ type: 'solo', state: 'NORMAL', metadata: new Uint8Array() })));
      expect(decodeError(() => parseChannelConfig(solo))).toContain('/Channel/Orderer/ConsensusType is "solo"; fabsim orders with Raft only');
      const timeout = new orderer.BatchTimeout();
      timeout.setTimeout('2 seconds');
      const badTimeout = edit((g) => ordererGroup(g).getValuesMap().get('BatchTimeout')?.setValue(timeout.serializeBinary()));
      expect(decodeError(() => parseChannelConfig(badTimeout))).toContain('/Channel/Orderer/BatchTimeout is "2 seconds", not a Go duration such as "2s"');
      const noOptions = edit((g) => ordererGroup(g).getValuesMap().get('ConsensusType')?.setValue(buildConsensusType({ type: 'etcdraft', state: 'NORMAL', metadata: new Uint8Array() })));
      expect(decodeError(() => parseChannelConfig(noOptions))).toContain('/Channel/Orderer/ConsensusType: the bytes are not a valid etcdraft.ConfigMetadata protobuf message (it has no options');
    });
  });
});
