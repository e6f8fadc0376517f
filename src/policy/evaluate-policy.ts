import { evaluateSignaturePolicy } from './evaluate-signature-policy.js';
import { explainEvaluation } from './explain-policy-evaluation.js';
import { formatImplicitMetaPolicy, implicitMetaThreshold, type ImplicitMetaPolicy } from './implicit-meta-policy.js';
import type { ImplicitMetaDetail, PolicyEvaluation, PolicyIdentity, SubPolicyDetail } from './policy-evaluation.js';
import type { Policy, SubPolicy } from './policy.js';

/** Evaluates any resolved policy: a signature policy, or an implicit meta policy over its sub-policies. */
export function evaluatePolicy(policy: Policy, identities: readonly PolicyIdentity[]): PolicyEvaluation {
  return policy.kind === 'implicitMeta'
    ? evaluateImplicitMetaPolicy(policy, policy.subPolicies, identities)
    : evaluateSignaturePolicy(policy, identities);
}

/**
 * Evaluates an ImplicitMetaPolicy as Fabric's implicitmeta.go does: each sub-policy is evaluated
 * on its own against the full identity set (an identity may count for several organizations'
 * sub-policies), and the policy is satisfied when at least `implicitMetaThreshold(rule, count)`
 * of them are. A missing sub-policy counts, and is never satisfied. Fabric stops at the
 * threshold; fabsim evaluates every sub-policy so the explanation is complete, which cannot
 * change the outcome because evaluation has no side effects.
 */
export function evaluateImplicitMetaPolicy(
  policy: Pick<ImplicitMetaPolicy, 'rule' | 'subPolicy'>,
  subPolicies: readonly SubPolicy[],
  identities: readonly PolicyIdentity[],
): PolicyEvaluation {
  const details = subPolicies.map((sub): SubPolicyDetail => {
    const path = `${sub.name}.${policy.subPolicy}`;
    if (sub.policy === undefined) {
      const reason = `${sub.name} has no ${policy.subPolicy} policy, so it counts as not satisfied`;
      return { name: sub.name, path, satisfied: false, detail: undefined, reason };
    }
    const { satisfied, detail, explanation } = evaluatePolicy(sub.policy, identities);
    return { name: sub.name, path, satisfied, detail, reason: explanation };
  });
  const required = implicitMetaThreshold(policy.rule, subPolicies.length);
  const satisfiedCount = details.filter((d) => d.satisfied).length;
  // Organizations hold signature policies; groups such as Application or Orderer hold implicit ones.
  const noun = subPolicies.some((sub) => sub.policy?.kind === 'implicitMeta') ? 'groups' : 'organizations';
  const reason =
    subPolicies.length === 0
      ? `0 of 0 ${noun} satisfied it, 0 required (Fabric considers an implicit meta policy with no sub-policies satisfied)`
      : `${satisfiedCount} of ${subPolicies.length} ${noun} satisfied it, ${required} required`;
  const detail: ImplicitMetaDetail = {
    kind: 'implicitMeta',
    policy: formatImplicitMetaPolicy(policy),
    rule: policy.rule,
    subPolicyName: policy.subPolicy,
    satisfied: satisfiedCount >= required,
    required,
    satisfiedCount,
    subPolicies: details,
    reason,
  };
  return { satisfied: detail.satisfied, explanation: explainEvaluation(detail), detail };
}
