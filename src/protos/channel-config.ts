import { assert } from '../core/assert.js';
import { isFabsimError, messageOf } from '../core/errors.js';
import { formatGoDuration, parseGoDuration } from '../core/go-duration.js';
import type { MspConfig } from '../msp/msp-config.js';
import type { Policy, PolicyDefinition } from '../policy/index.js';
import { decodePolicy, resolveChannelPolicies, ROOT_GROUP_PATH } from './channel-policies.js';
import { buildConfigEnvelope, configGroup, parseConfigEnvelope, type ConfigGroupNode, type ConfigTree } from './config-tree.js';
import {
  buildAnchorPeers,
  buildBatchSize,
  buildBatchTimeout,
  buildBlockDataHashingStructure,
  buildCapabilities,
  buildChannelRestrictions,
  buildConsensusType,
  buildHashingAlgorithm,
  buildOrdererAddresses,
  ConfigValueKey,
  parseAnchorPeers,
  parseBatchSize,
  parseBatchTimeout,
  parseBlockDataHashingStructure,
  parseCapabilities,
  parseChannelRestrictions,
  parseConsensusType,
  parseHashingAlgorithm,
  parseOrdererAddresses,
  type AnchorPeer,
  type BatchSize,
} from './config-values.js';
import { buildEtcdRaftMetadata, parseEtcdRaftMetadata, type RaftConsenter, type RaftOptions } from './etcdraft-metadata.js';
import { buildMspConfig, parseMspConfig } from './msp-config.js';
import { buildPolicy } from './policy-envelope.js';
import { ProtoDecodeError } from './proto-error.js';

/**
 * An application channel's configuration (Fabric docs "Channel configuration (configtx)") as
 * plain data, and its `common.ConfigEnvelope` form with exactly the group/value/policy tree that
 * configtxgen writes (internal/configtxgen/encoder: NewChannelGroup, NewOrdererGroup,
 * NewOrdererOrgGroup, NewApplicationGroup, NewApplicationOrgGroup):
 *
 *   /Channel                  HashingAlgorithm, BlockDataHashingStructure, [OrdererAddresses], [Capabilities]
 *     /Orderer                BatchSize, BatchTimeout, ChannelRestrictions, [Capabilities], ConsensusType (etcdraft)
 *       /<orderer org>        MSP, [Endpoints]
 *     /Application            [Capabilities]
 *       /<application org>    MSP, [AnchorPeers]
 *
 * with each group's policies (Readers, Writers, Admins, plus BlockValidation on Orderer and
 * Endorsement/LifecycleEndorsement where the profile defines them). As configtxgen does, every
 * element has version 0 and mod_policy `Admins` (relative: the Admins policy of its own group),
 * except OrdererAddresses whose mod_policy is `/Channel/Orderer/Admins`; bracketed values are
 * written only when non-empty. Map entries are sorted by key (see config-tree.ts).
 */

/** The name of a `ConfigGroup` child: `Orderer`, `Application`. */
export const ConfigGroupKey = { ORDERER: 'Orderer', APPLICATION: 'Application' } as const;

/** The mod_policy configtxgen gives everything (the group's own Admins policy). */
export const ADMINS_MOD_POLICY = 'Admins';
/** The mod_policy of /Channel/OrdererAddresses. */
export const ORDERER_ADMINS_POLICY_PATH = '/Channel/Orderer/Admins';

/** A group's policies by name (Readers, Writers, Admins, Endorsement, ...). */
export type GroupPolicies = Readonly<Record<string, PolicyDefinition>>;

export interface ChannelConfigSpec {
  /** Config.sequence: 0 for a genesis block. */
  readonly sequence: number;
  /** Always "SHA256" in Fabric. */
  readonly hashingAlgorithm: string;
  /** Always 4294967295 (MaxUint32) in Fabric. */
  readonly blockDataHashingStructureWidth: number;
  /** Legacy /Channel/OrdererAddresses; Fabric v2.x test-network configs leave it out and use each orderer org's endpoints. */
  readonly ordererAddresses: readonly string[];
  /** Channel capabilities, e.g. ["V2_0"]. */
  readonly capabilities: readonly string[];
  /** /Channel's policies. */
  readonly policies: GroupPolicies;
  readonly orderer: OrdererGroupSpec;
  readonly application: ApplicationGroupSpec;
}

export interface OrdererGroupSpec {
  readonly batchSize: BatchSize;
  /** orderer.BatchTimeout, written as Go duration text ("2s"). */
  readonly batchTimeoutMs: number;
  /** ChannelRestrictions.max_count; 0 = no limit. */
  readonly maxChannels: number;
  /** Orderer capabilities, e.g. ["V2_0"]. */
  readonly capabilities: readonly string[];
  /** ConsensusType.state: NORMAL, or MAINTENANCE during a consensus-type migration. */
  readonly consensusState: 'NORMAL' | 'MAINTENANCE';
  /** ConsensusType "etcdraft": the Raft consenters and options. */
  readonly consenters: readonly RaftConsenter[];
  readonly raftOptions: RaftOptions;
  readonly policies: GroupPolicies;
  readonly organizations: readonly OrdererOrgSpec[];
}

export interface OrdererOrgSpec {
  /** The group key under /Channel/Orderer (configtx.yaml's Name, e.g. "OrdererOrg"); the MSP ID is msp.mspId. */
  readonly name: string;
  readonly msp: MspConfig;
  /** "host:port" of this organization's orderers. */
  readonly endpoints: readonly string[];
  readonly policies: GroupPolicies;
}

export interface ApplicationGroupSpec {
  /** Application capabilities, e.g. ["V2_5"]. */
  readonly capabilities: readonly string[];
  readonly policies: GroupPolicies;
  readonly organizations: readonly ApplicationOrgSpec[];
}

export interface ApplicationOrgSpec {
  /** The group key under /Channel/Application (configtx.yaml's Name, e.g. "Org1MSP"). */
  readonly name: string;
  readonly msp: MspConfig;
  readonly anchorPeers: readonly AnchorPeer[];
  readonly policies: GroupPolicies;
}

/** A decoded channel config: the plain model, the full tree it came from, and every policy resolved by path. */
export interface ParsedChannelConfig {
  readonly spec: ChannelConfigSpec;
  /** Everything in the envelope, including versions, mod_policies and values the spec does not model. */
  readonly tree: ConfigTree;
  /** e.g. `/Channel/Writers`, `/Channel/Application/Org1MSP/Endorsement`; ready for src/policy's evaluatePolicy. */
  readonly policies: ReadonlyMap<string, Policy>;
}

/** The tree configtxgen would write for the spec. */
export function channelConfigTree(spec: ChannelConfigSpec): ConfigTree {
  const { orderer, application } = spec;
  assertUnique(orderer.organizations.map((o) => o.name), 'orderer organization');
  assertUnique(application.organizations.map((o) => o.name), 'application organization');
  const policies = (p: GroupPolicies): Array<[string, Uint8Array]> => Object.entries(p).map(([name, def]) => [name, buildPolicy(def)]);
  const optional = (present: boolean, key: string, value: () => Uint8Array): Array<[string, Uint8Array]> => (present ? [[key, value()]] : []);
  const capabilities = (names: readonly string[]): Array<[string, Uint8Array]> => optional(names.length > 0, ConfigValueKey.CAPABILITIES, () => buildCapabilities(names));

  const ordererOrg = (org: OrdererOrgSpec): [string, ConfigGroupNode] => [
    org.name,
    configGroup(ADMINS_MOD_POLICY, {
      values: [[ConfigValueKey.MSP, buildMspConfig(org.msp)], ...optional(org.endpoints.length > 0, ConfigValueKey.ENDPOINTS, () => buildOrdererAddresses(org.endpoints))],
      policies: policies(org.policies),
    }),
  ];
  const applicationOrg = (org: ApplicationOrgSpec): [string, ConfigGroupNode] => [
    org.name,
    configGroup(ADMINS_MOD_POLICY, {
      values: [[ConfigValueKey.MSP, buildMspConfig(org.msp)], ...optional(org.anchorPeers.length > 0, ConfigValueKey.ANCHOR_PEERS, () => buildAnchorPeers(org.anchorPeers))],
      policies: policies(org.policies),
    }),
  ];
  const ordererGroup = configGroup(ADMINS_MOD_POLICY, {
    groups: orderer.organizations.map(ordererOrg),
    values: [
      [ConfigValueKey.BATCH_SIZE, buildBatchSize(orderer.batchSize)],
      [ConfigValueKey.BATCH_TIMEOUT, buildBatchTimeout(formatGoDuration(orderer.batchTimeoutMs))],
      [ConfigValueKey.CHANNEL_RESTRICTIONS, buildChannelRestrictions(orderer.maxChannels)],
      ...capabilities(orderer.capabilities),
      [
        ConfigValueKey.CONSENSUS_TYPE,
        buildConsensusType({ type: ETCDRAFT, state: orderer.consensusState, metadata: buildEtcdRaftMetadata({ consenters: orderer.consenters, options: orderer.raftOptions }) }),
      ],
    ],
    policies: policies(orderer.policies),
  });
  const applicationGroup = configGroup(ADMINS_MOD_POLICY, {
    groups: application.organizations.map(applicationOrg),
    values: capabilities(application.capabilities),
    policies: policies(application.policies),
  });
  const channelGroup = configGroup(ADMINS_MOD_POLICY, {
    groups: [
      [ConfigGroupKey.ORDERER, ordererGroup],
      [ConfigGroupKey.APPLICATION, applicationGroup],
    ],
    values: [
      [ConfigValueKey.HASHING_ALGORITHM, buildHashingAlgorithm(spec.hashingAlgorithm)],
      [ConfigValueKey.BLOCK_DATA_HASHING_STRUCTURE, buildBlockDataHashingStructure(spec.blockDataHashingStructureWidth)],
      ...optional(spec.ordererAddresses.length > 0, ConfigValueKey.ORDERER_ADDRESSES, () => buildOrdererAddresses(spec.ordererAddresses)),
      ...capabilities(spec.capabilities),
    ],
    valueModPolicies: { [ConfigValueKey.ORDERER_ADDRESSES]: ORDERER_ADMINS_POLICY_PATH },
    policies: policies(spec.policies),
  });
  return { sequence: spec.sequence, channelGroup, lastUpdate: undefined };
}

/** `common.ConfigEnvelope` bytes for the spec (no last_update, as in a genesis block). */
export function buildChannelConfig(spec: ChannelConfigSpec): Uint8Array {
  return buildConfigEnvelope(channelConfigTree(spec));
}

/** The consensus type fabsim orders with. */
const ETCDRAFT = 'etcdraft';

/**
 * Decodes `common.ConfigEnvelope` bytes. Throws ProtoDecodeError, naming the config path, for
 * malformed bytes and for configs fabsim cannot run: a missing Orderer or Application group, a
 * missing required value (HashingAlgorithm, BlockDataHashingStructure, BatchSize, BatchTimeout,
 * ConsensusType, an organization's MSP), a consensus type other than etcdraft. Values the spec
 * does not model (e.g. ACLs) are kept in `tree` only.
 */
export function parseChannelConfig(bytes: Uint8Array): ParsedChannelConfig {
  const tree = parseConfigEnvelope(bytes);
  const root = tree.channelGroup;
  const ordererGroup = requiredGroup(root, ROOT_GROUP_PATH, ConfigGroupKey.ORDERER);
  const applicationGroup = requiredGroup(root, ROOT_GROUP_PATH, ConfigGroupKey.APPLICATION);
  const ordererPath = `${ROOT_GROUP_PATH}/${ConfigGroupKey.ORDERER}`;
  const applicationPath = `${ROOT_GROUP_PATH}/${ConfigGroupKey.APPLICATION}`;

  const consensusPath = `${ordererPath}/${ConfigValueKey.CONSENSUS_TYPE}`;
  const consensus = requiredValue(ordererGroup, ordererPath, ConfigValueKey.CONSENSUS_TYPE, parseConsensusType);
  if (consensus.type !== ETCDRAFT) {
    throw invalid(`${consensusPath} is "${consensus.type}"; fabsim orders with Raft only, so the channel must use ConsensusType "etcdraft"`);
  }
  const raft = decodeAt(consensusPath, () => parseEtcdRaftMetadata(consensus.metadata));
  const batchTimeout = requiredValue(ordererGroup, ordererPath, ConfigValueKey.BATCH_TIMEOUT, parseBatchTimeout);
  const batchTimeoutMs = parseGoDuration(batchTimeout);
  if (batchTimeoutMs === undefined) throw invalid(`${ordererPath}/${ConfigValueKey.BATCH_TIMEOUT} is "${batchTimeout}", not a Go duration such as "2s"`);

  const spec: ChannelConfigSpec = {
    sequence: tree.sequence,
    hashingAlgorithm: requiredValue(root, ROOT_GROUP_PATH, ConfigValueKey.HASHING_ALGORITHM, parseHashingAlgorithm),
    blockDataHashingStructureWidth: requiredValue(root, ROOT_GROUP_PATH, ConfigValueKey.BLOCK_DATA_HASHING_STRUCTURE, parseBlockDataHashingStructure),
    ordererAddresses: optionalValue(root, ROOT_GROUP_PATH, ConfigValueKey.ORDERER_ADDRESSES, parseOrdererAddresses) ?? [],
    capabilities: optionalValue(root, ROOT_GROUP_PATH, ConfigValueKey.CAPABILITIES, parseCapabilities) ?? [],
    policies: groupPolicies(root, ROOT_GROUP_PATH),
    orderer: {
      batchSize: requiredValue(ordererGroup, ordererPath, ConfigValueKey.BATCH_SIZE, parseBatchSize),
      batchTimeoutMs,
      maxChannels: optionalValue(ordererGroup, ordererPath, ConfigValueKey.CHANNEL_RESTRICTIONS, parseChannelRestrictions) ?? 0,
      capabilities: optionalValue(ordererGroup, ordererPath, ConfigValueKey.CAPABILITIES, parseCapabilities) ?? [],
      consensusState: consensus.state,
      consenters: raft.consenters,
      raftOptions: raft.options,
      policies: groupPolicies(ordererGroup, ordererPath),
      organizations: [...ordererGroup.groups].map(([name, group]) => {
        const path = `${ordererPath}/${name}`;
        return {
          name,
          msp: requiredValue(group, path, ConfigValueKey.MSP, parseMspConfig),
          endpoints: optionalValue(group, path, ConfigValueKey.ENDPOINTS, parseOrdererAddresses) ?? [],
          policies: groupPolicies(group, path),
        };
      }),
    },
    application: {
      capabilities: optionalValue(applicationGroup, applicationPath, ConfigValueKey.CAPABILITIES, parseCapabilities) ?? [],
      policies: groupPolicies(applicationGroup, applicationPath),
      organizations: [...applicationGroup.groups].map(([name, group]) => {
        const path = `${applicationPath}/${name}`;
        return {
          name,
          msp: requiredValue(group, path, ConfigValueKey.MSP, parseMspConfig),
          anchorPeers: optionalValue(group, path, ConfigValueKey.ANCHOR_PEERS, parseAnchorPeers) ?? [],
          policies: groupPolicies(group, path),
        };
      }),
    },
  };
  return { spec, tree, policies: resolveChannelPolicies(root) };
}

/** Every organization's MSP: the orderer organizations', then the application organizations'. */
export function channelMspConfigs(spec: ChannelConfigSpec): MspConfig[] {
  return [...spec.orderer.organizations.map((o) => o.msp), ...spec.application.organizations.map((o) => o.msp)];
}

function requiredGroup(group: ConfigGroupNode, path: string, key: string): ConfigGroupNode {
  const child = group.groups.get(key);
  if (child === undefined) throw invalid(`${path} has no ${key} group; an application channel's config has both Orderer and Application groups`);
  return child;
}

function optionalValue<T>(group: ConfigGroupNode, path: string, key: string, parse: (bytes: Uint8Array) => T): T | undefined {
  const node = group.values.get(key);
  return node === undefined ? undefined : decodeAt(`${path}/${key}`, () => parse(node.value));
}

function requiredValue<T>(group: ConfigGroupNode, path: string, key: string, parse: (bytes: Uint8Array) => T): T {
  const value = optionalValue(group, path, key, parse);
  if (value === undefined) throw invalid(`${path} has no ${key} value, which Fabric requires there`);
  return value;
}

function groupPolicies(group: ConfigGroupNode, path: string): GroupPolicies {
  const out: Record<string, PolicyDefinition> = {};
  for (const [name, node] of group.policies) {
    if (node.policy === undefined) throw invalid(`the policy at ${path}/${name} is empty; Fabric refuses a config policy without a policy`);
    out[name] = decodePolicy(node.policy, `${path}/${name}`);
  }
  return out;
}

/** Runs a decoder of a value, adding the config path to its ProtoDecodeError. */
function decodeAt<T>(path: string, decode: () => T): T {
  try {
    return decode();
  } catch (cause) {
    if (!isFabsimError(cause, 'PROTO_MALFORMED')) throw cause;
    throw invalid(`${path}: ${messageOf(cause)}`, cause);
  }
}

function invalid(detail: string, cause?: unknown): ProtoDecodeError {
  return new ProtoDecodeError('common.ConfigEnvelope', detail, cause);
}

function assertUnique(names: readonly string[], what: string): void {
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  assert(duplicate === undefined, `two ${what}s are both named "${duplicate}"; configtx group keys must be unique`);
}
