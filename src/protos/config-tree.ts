import { common } from '@hyperledger/fabric-protos';
import { decodeProto, ProtoDecodeError } from './proto-error.js';

/**
 * The generic tree of a Fabric channel config (common/configtx.proto; Fabric docs "Channel
 * configuration (configtx)"): `ConfigEnvelope { config: Config { sequence, channel_group } }`,
 * where every `ConfigGroup` has child groups, values and policies, each keyed by name and each
 * carrying a `version` (bumped by every config update that changes it) and a `mod_policy` (the
 * policy, relative to its group or absolute like `/Channel/Orderer/Admins`, that must be
 * satisfied to change it). Values are opaque bytes here; src/protos/config-values.ts types them.
 *
 * Map order: protobuf maps have no order on the wire. Go's proto.Marshal (used by configtxgen)
 * writes map entries in Go's randomized map iteration order, so two runs of configtxgen on the
 * same input give different bytes. google-protobuf, and therefore fabsim, always writes entries
 * sorted by key, which is also what Go writes with `Deterministic: true`. The tree keeps entries
 * sorted by key; encode(decode(x)) is x with its map entries sorted.
 */

export interface ConfigValueNode {
  readonly version: number;
  readonly modPolicy: string;
  /** The serialized typed message, e.g. an `orderer.BatchSize`. */
  readonly value: Uint8Array;
}

export interface ConfigPolicyNode {
  readonly version: number;
  readonly modPolicy: string;
  /** The serialized `common.Policy`; undefined when the ConfigPolicy has none (only in config templates). */
  readonly policy: Uint8Array | undefined;
}

export interface ConfigGroupNode {
  readonly version: number;
  readonly modPolicy: string;
  readonly groups: ReadonlyMap<string, ConfigGroupNode>;
  readonly values: ReadonlyMap<string, ConfigValueNode>;
  readonly policies: ReadonlyMap<string, ConfigPolicyNode>;
}

/** `common.Config` plus the envelope's `last_update`. */
export interface ConfigTree {
  /** 0 in a genesis block; every config update increments it. */
  readonly sequence: number;
  readonly channelGroup: ConfigGroupNode;
  /** The serialized `common.Envelope` of the CONFIG_UPDATE that produced this config; undefined in a genesis block. */
  readonly lastUpdate: Uint8Array | undefined;
}

export function buildConfigEnvelope(tree: ConfigTree): Uint8Array {
  const config = new common.Config();
  config.setSequence(tree.sequence);
  config.setChannelGroup(toGroupMessage(tree.channelGroup));
  const envelope = new common.ConfigEnvelope();
  envelope.setConfig(config);
  if (tree.lastUpdate !== undefined) envelope.setLastUpdate(common.Envelope.deserializeBinary(tree.lastUpdate));
  return envelope.serializeBinary();
}

/** Decodes a ConfigEnvelope; one without a config or channel group is refused, as Fabric refuses it. */
export function parseConfigEnvelope(bytes: Uint8Array): ConfigTree {
  const envelope = decodeProto('common.ConfigEnvelope', () => common.ConfigEnvelope.deserializeBinary(bytes));
  const config = envelope.getConfig();
  if (config === undefined) throw new ProtoDecodeError('common.ConfigEnvelope', 'it has no config');
  const channelGroup = config.getChannelGroup();
  if (channelGroup === undefined) throw new ProtoDecodeError('common.ConfigEnvelope', 'its config has no channel_group');
  const lastUpdate = envelope.getLastUpdate();
  return { sequence: config.getSequence(), channelGroup: fromGroupMessage(channelGroup), lastUpdate: lastUpdate?.serializeBinary() };
}

function toGroupMessage(group: ConfigGroupNode): common.ConfigGroup {
  const message = new common.ConfigGroup();
  message.setVersion(group.version);
  message.setModPolicy(group.modPolicy);
  for (const [name, child] of group.groups) message.getGroupsMap().set(name, toGroupMessage(child));
  for (const [name, value] of group.values) {
    const v = new common.ConfigValue();
    v.setVersion(value.version);
    v.setValue(value.value);
    v.setModPolicy(value.modPolicy);
    message.getValuesMap().set(name, v);
  }
  for (const [name, policy] of group.policies) {
    const p = new common.ConfigPolicy();
    p.setVersion(policy.version);
    if (policy.policy !== undefined) p.setPolicy(common.Policy.deserializeBinary(policy.policy));
    p.setModPolicy(policy.modPolicy);
    message.getPoliciesMap().set(name, p);
  }
  return message;
}

function fromGroupMessage(message: common.ConfigGroup): ConfigGroupNode {
  const groups = new Map<string, ConfigGroupNode>();
  const values = new Map<string, ConfigValueNode>();
  const policies = new Map<string, ConfigPolicyNode>();
  // jspb.Map#forEach visits keys in sorted order.
  message.getGroupsMap().forEach((child: common.ConfigGroup, name: string) => groups.set(name, fromGroupMessage(child)));
  message.getValuesMap().forEach((value: common.ConfigValue, name: string) =>
    values.set(name, { version: value.getVersion(), modPolicy: value.getModPolicy(), value: value.getValue_asU8() }),
  );
  message.getPoliciesMap().forEach((policy: common.ConfigPolicy, name: string) =>
    policies.set(name, { version: policy.getVersion(), modPolicy: policy.getModPolicy(), policy: policy.getPolicy()?.serializeBinary() }),
  );
  return { version: message.getVersion(), modPolicy: message.getModPolicy(), groups, values, policies };
}

/** A group of version 0 (a genesis config), as configtxgen makes every element. */
export function configGroup(
  modPolicy: string,
  parts: { groups?: Iterable<[string, ConfigGroupNode]>; values?: Iterable<[string, Uint8Array]>; policies?: Iterable<[string, Uint8Array]>; valueModPolicies?: Readonly<Record<string, string>> },
): ConfigGroupNode {
  const sorted = <T>(entries: Iterable<[string, T]> | undefined): Map<string, T> => new Map([...(entries ?? [])].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const valueEntries = [...(parts.values ?? [])].map(([name, value]): [string, ConfigValueNode] => [name, { version: 0, modPolicy: parts.valueModPolicies?.[name] ?? modPolicy, value }]);
  const policyEntries = [...(parts.policies ?? [])].map(([name, policy]): [string, ConfigPolicyNode] => [name, { version: 0, modPolicy, policy }]);
  return { version: 0, modPolicy, groups: sorted(parts.groups), values: sorted(valueEntries), policies: sorted(policyEntries) };
}
