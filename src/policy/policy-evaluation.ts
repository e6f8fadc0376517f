import type { ImplicitMetaRule } from './implicit-meta-policy.js';
import type { MspRole, Principal } from './signature-policy.js';

/**
 * A signer as policy evaluation sees it: an identity whose signature has already been verified
 * and that its MSP has already validated (Fabric's `msp.Identity` after
 * `SignatureSetToValidIdentities`). Policy evaluation never looks at certificates or signatures.
 */
export interface PolicyIdentity {
  /** Stable identity key (Fabric uses MSP ID + identity ID). Identities with equal keys count once. */
  readonly key: string;
  readonly mspId: string;
  /** Human name for explanations, e.g. the certificate CN 'peer0.org1.example.com'. */
  readonly name: string;
  /** The roles this identity holds in its MSP; always includes 'member'. */
  readonly roles: ReadonlySet<MspRole>;
}

/** The identity that satisfied a leaf, as plain data (serializable for a dashboard). */
export interface IdentitySummary {
  readonly key: string;
  readonly mspId: string;
  readonly name: string;
}

/**
 * One node per rule of the evaluated policy, mirroring its tree. Every node has the rule's
 * policy text, whether it was satisfied, and a one-line `reason` for this node alone
 * (children carry their own); `explanation` strings are rendered from this tree.
 */
export type PolicyEvaluationDetail = SignedByDetail | NOutOfDetail | ImplicitMetaDetail;

/** A `signedBy` leaf: which identity satisfied it, or why none did. */
export interface SignedByDetail {
  readonly kind: 'signedBy';
  /** The leaf as policy text, e.g. `'Org1MSP.peer'`. */
  readonly policy: string;
  readonly principal: Principal;
  readonly satisfied: boolean;
  /** The identity counted for this leaf (only when satisfied). */
  readonly identity: IdentitySummary | undefined;
  /** e.g. "satisfied by peer0.org1.example.com" or "no signature from Org2MSP". */
  readonly reason: string;
}

/** A `nOutOf` gate (AND, OR, OutOf): how many of its rules were satisfied against how many required. */
export interface NOutOfDetail {
  readonly kind: 'nOutOf';
  readonly policy: string;
  readonly satisfied: boolean;
  readonly required: number;
  readonly satisfiedCount: number;
  readonly rules: readonly PolicyEvaluationDetail[];
  /** e.g. "1 of 3 rules satisfied, 2 required". */
  readonly reason: string;
}

/** An ImplicitMetaPolicy: the outcome of its sub-policy in each child group. */
export interface ImplicitMetaDetail {
  readonly kind: 'implicitMeta';
  /** e.g. `MAJORITY Endorsement`. */
  readonly policy: string;
  readonly rule: ImplicitMetaRule;
  readonly subPolicyName: string;
  readonly satisfied: boolean;
  readonly required: number;
  readonly satisfiedCount: number;
  readonly subPolicies: readonly SubPolicyDetail[];
  /** e.g. "1 of 2 organizations satisfied it, 2 required". */
  readonly reason: string;
}

/** One child group's sub-policy inside an implicit meta evaluation. */
export interface SubPolicyDetail {
  /** The child group, e.g. 'Org1MSP'. */
  readonly name: string;
  /** Group and sub-policy, e.g. 'Org1MSP.Endorsement'. */
  readonly path: string;
  readonly satisfied: boolean;
  /** The sub-policy's own evaluation; undefined when the group has no such policy. */
  readonly detail: PolicyEvaluationDetail | undefined;
  /** The sub-policy's own explanation, or, when `detail` is undefined, why it counts as not satisfied. */
  readonly reason: string;
}

/** The outcome of evaluating a policy: the verdict, a sentence for a learner, and the tree behind it. */
export interface PolicyEvaluation {
  readonly satisfied: boolean;
  readonly explanation: string;
  readonly detail: PolicyEvaluationDetail;
}

/** "satisfied" or "not satisfied". */
export function status(satisfied: boolean): string {
  return satisfied ? 'satisfied' : 'not satisfied';
}
