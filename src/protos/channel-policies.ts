import { isFabsimError, messageOf } from '../core/errors.js';
import { resolveImplicitMetaPolicy, type Policy, type PolicyDefinition } from '../policy/index.js';
import type { ConfigGroupNode } from './config-tree.js';
import { parsePolicy } from './policy-envelope.js';
import { ProtoDecodeError } from './proto-error.js';

/**
 * Fabric's policy manager over a channel config (common/policies: NewManagerImpl): every
 * `ConfigPolicy` of every group, at its path (`/Channel/Writers`,
 * `/Channel/Application/Org1MSP/Endorsement`), resolved so it can be evaluated directly. An
 * implicit meta policy of a group is resolved against the policy of the same name in each child
 * group, in key order; a child group without it contributes a sub-policy that is never satisfied,
 * as in Fabric. So `/Channel/Readers = ANY Readers` resolves to `/Channel/Application/Readers`
 * and `/Channel/Orderer/Readers`, which resolve in turn to each organization's signature policy.
 */
export const ROOT_GROUP_PATH = '/Channel';

/** Every policy of the tree by path. Undecodable policies throw ProtoDecodeError naming the path. */
export function resolveChannelPolicies(channelGroup: ConfigGroupNode): ReadonlyMap<string, Policy> {
  const all = new Map<string, Policy>();
  resolveGroup(channelGroup, ROOT_GROUP_PATH, all);
  return all;
}

function resolveGroup(group: ConfigGroupNode, path: string, all: Map<string, Policy>): ReadonlyMap<string, Policy> {
  const children = [...group.groups].map(([name, child]) => ({ name, policies: resolveGroup(child, `${path}/${name}`, all) }));
  const own = new Map<string, Policy>();
  for (const [name, node] of group.policies) {
    const at = `${path}/${name}`;
    if (node.policy === undefined) throw new ProtoDecodeError('common.ConfigPolicy', `the policy at ${at} is empty; Fabric refuses a config policy without a policy`);
    const definition = decodePolicy(node.policy, at);
    const policy: Policy =
      definition.kind === 'implicitMeta'
        ? resolveImplicitMetaPolicy(
            definition,
            children.map((child) => ({ name: child.name, policy: child.policies.get(definition.subPolicy) })),
          )
        : definition;
    own.set(name, policy);
    all.set(at, policy);
  }
  return own;
}

/** parsePolicy, with the config path in the error. */
export function decodePolicy(bytes: Uint8Array, path: string): PolicyDefinition {
  try {
    return parsePolicy(bytes);
  } catch (cause) {
    if (!isFabsimError(cause)) throw cause;
    throw new ProtoDecodeError('common.Policy', `the policy at ${path}: ${messageOf(cause)}`, cause);
  }
}
