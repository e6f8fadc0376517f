import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ConfigGroupNode } from '../../src/protos/config-tree.js';
import { SHARED_DIR } from './repo.js';

/** ../shared/fabric-vectors beside the repository (resolved from the repo root, never a fixed path). */
export const VECTORS_DIR = path.resolve(SHARED_DIR, 'fabric-vectors');

export function vectorBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(VECTORS_DIR, name)));
}

/** configtxlator's JSON of a ConfigGroup, as block0-config.json has it. */
export interface GroupJson {
  readonly version: string;
  readonly mod_policy: string;
  readonly groups: Readonly<Record<string, GroupJson>>;
  readonly values: Readonly<Record<string, { readonly version: string; readonly mod_policy: string }>>;
  readonly policies: Readonly<Record<string, { readonly version: string; readonly mod_policy: string }>>;
}

/** The channel_group of block0-config.json. */
export function vectorChannelGroupJson(): GroupJson {
  const block = JSON.parse(readFileSync(path.join(VECTORS_DIR, 'block0-config.json'), 'utf8')) as {
    data: { data: Array<{ payload: { data: { config: { channel_group: GroupJson } } } }> };
  };
  const first = block.data.data[0];
  if (first === undefined) throw new Error('block0-config.json has no envelope');
  return first.payload.data.config.channel_group;
}

/** A group's shape: names, versions and mod_policies of every group, value and policy, keys sorted. */
export interface GroupShape {
  readonly version: number;
  readonly modPolicy: string;
  readonly values: Record<string, string>;
  readonly policies: Record<string, string>;
  readonly groups: Record<string, GroupShape>;
}

const sortedRecord = <T>(entries: Array<[string, T]>): Record<string, T> => Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : 1)));

/** Each value and policy is shown as `v<version> <mod_policy>`. */
export function shapeOfTree(group: ConfigGroupNode): GroupShape {
  return {
    version: group.version,
    modPolicy: group.modPolicy,
    values: sortedRecord([...group.values].map(([k, v]) => [k, `v${v.version} ${v.modPolicy}`])),
    policies: sortedRecord([...group.policies].map(([k, p]) => [k, `v${p.version} ${p.modPolicy}`])),
    groups: sortedRecord([...group.groups].map(([k, g]) => [k, shapeOfTree(g)])),
  };
}

export function shapeOfJson(group: GroupJson): GroupShape {
  return {
    version: Number(group.version),
    modPolicy: group.mod_policy,
    values: sortedRecord(Object.entries(group.values).map(([k, v]) => [k, `v${Number(v.version)} ${v.mod_policy}`])),
    policies: sortedRecord(Object.entries(group.policies).map(([k, p]) => [k, `v${Number(p.version)} ${p.mod_policy}`])),
    groups: sortedRecord(Object.entries(group.groups).map(([k, g]) => [k, shapeOfJson(g)])),
  };
}

/** The node at a path such as ['Orderer', 'OrdererOrg'] below the channel group. */
export function groupAt(root: ConfigGroupNode, ...names: string[]): ConfigGroupNode {
  let group = root;
  for (const name of names) {
    const child = group.groups.get(name);
    if (child === undefined) throw new Error(`no group ${names.join('/')}`);
    group = child;
  }
  return group;
}
