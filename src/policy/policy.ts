import { formatImplicitMetaPolicy, type ImplicitMetaPolicy } from './implicit-meta-policy.js';
import { formatSignaturePolicy, type SignaturePolicy } from './signature-policy.js';

/**
 * A policy as stored at one path of a channel config (`common.Policy`): a signature policy
 * (type SIGNATURE) or an implicit meta policy (type IMPLICIT_META) that still names its
 * sub-policy only by name.
 */
export type PolicyDefinition = SignaturePolicy | ImplicitMetaPolicy;

/**
 * A policy ready to evaluate: a signature policy, or an implicit meta policy whose sub-policy
 * has been looked up in every child group. This is the tree Fabric's policy manager builds:
 * `/Channel/Readers = ANY Readers` resolves to the Application and Orderer groups' `Readers`,
 * which are themselves implicit meta policies over each organization's signature policy.
 */
export type Policy = SignaturePolicy | ResolvedImplicitMetaPolicy;

export interface ResolvedImplicitMetaPolicy extends ImplicitMetaPolicy {
  /** One entry per child group, in the caller's order (Fabric's order is a Go map's, which never changes the outcome). */
  readonly subPolicies: readonly SubPolicy[];
}

/** The sub-policy found in one child group. */
export interface SubPolicy {
  /** The child group's name, e.g. 'Org1MSP' or 'Application'. */
  readonly name: string;
  /**
   * The group's policy named by the implicit meta policy; undefined when the group has none.
   * Fabric then uses a policy that rejects everything, which still counts towards ALL and MAJORITY.
   */
  readonly policy: Policy | undefined;
}

export function resolveImplicitMetaPolicy(policy: ImplicitMetaPolicy, subPolicies: readonly SubPolicy[]): ResolvedImplicitMetaPolicy {
  return { kind: 'implicitMeta', rule: policy.rule, subPolicy: policy.subPolicy, subPolicies };
}

/** The policy as text: `AND('Org1MSP.peer','Org2MSP.peer')` or `MAJORITY Endorsement`. */
export function formatPolicy(policy: PolicyDefinition | Policy): string {
  return policy.kind === 'implicitMeta' ? formatImplicitMetaPolicy(policy) : formatSignaturePolicy(policy);
}
