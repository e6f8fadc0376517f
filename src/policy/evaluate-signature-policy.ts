import { explainEvaluation } from './explain-policy-evaluation.js';
import { MSP_ROLES, formatPrincipal, formatSignaturePolicy, type MspRole, type Principal, type SignaturePolicy } from './signature-policy.js';
import type { NOutOfDetail, PolicyEvaluation, PolicyIdentity, SignedByDetail } from './policy-evaluation.js';

// The evaluation's input and output types, also importable from here (src/msp imports PolicyIdentity from here).
export type { PolicyEvaluation, PolicyEvaluationDetail, PolicyIdentity } from './policy-evaluation.js';

/**
 * Evaluates a signature policy against a set of signers, with exactly Fabric's semantics
 * (`common/cauthdsl`, after `policies.SignatureSetToValidIdentities`):
 *
 * 1. Identities are deduplicated by `key`, keeping the first: the same signer twice counts once.
 * 2. Each identity satisfies at most one `signedBy` leaf ("used" flags).
 * 3. A `signedBy` leaf takes the first unused identity (in input order) that satisfies its
 *    principal: same MSP ID, and holds the role ('member' is any identity of that MSP).
 * 4. A `nOutOf` gate evaluates every rule in order, each on a copy of the used flags; the copy
 *    is kept only if that rule was satisfied. The gate is satisfied when the number of
 *    satisfied rules is >= n.
 *
 * This evaluation is greedy, as Fabric's is: an earlier leaf may take an identity that a later
 * leaf needed, so some signature sets are rejected even though a perfect matching of identities
 * to leaves exists. For example `AND('Org1MSP.member','Org1MSP.admin')` signed by [an admin, a
 * peer] of Org1MSP, in that order, fails: the `member` leaf takes the admin (the first identity
 * that satisfies it), and the `admin` leaf finds only the peer. Signed by [peer, admin] it passes.
 * fabsim reproduces this on purpose, so a policy that fails on Fabric fails here too.
 */
export function evaluateSignaturePolicy(policy: SignaturePolicy, identities: readonly PolicyIdentity[]): PolicyEvaluation {
  const signers = deduplicate(identities);
  const detail = evaluateRule(policy, signers, new Map());
  return { satisfied: detail.satisfied, explanation: explainEvaluation(detail), detail };
}

/** Identity index -> the principal (as text) of the leaf that counted it. Fabric's `used []bool`, with a memory of why. */
type UsedIdentities = Map<number, string>;

function evaluateRule(rule: SignaturePolicy, signers: readonly PolicyIdentity[], used: UsedIdentities): SignedByDetail | NOutOfDetail {
  if (rule.kind === 'signedBy') return evaluateSignedBy(rule.principal, signers, used);

  let satisfiedCount = 0;
  const rules = rule.rules.map((child) => {
    const trial: UsedIdentities = new Map(used);
    const detail = evaluateRule(child, signers, trial);
    if (detail.satisfied) {
      satisfiedCount++;
      for (const [index, principal] of trial) used.set(index, principal);
    }
    return detail;
  });
  return {
    kind: 'nOutOf',
    policy: formatSignaturePolicy(rule),
    satisfied: satisfiedCount >= rule.n,
    required: rule.n,
    satisfiedCount,
    rules,
    reason: `${satisfiedCount} of ${rule.rules.length} rules satisfied, ${rule.n} required`,
  };
}

function evaluateSignedBy(principal: Principal, signers: readonly PolicyIdentity[], used: UsedIdentities): SignedByDetail {
  const policy = formatSignaturePolicy({ kind: 'signedBy', principal });
  const text = formatPrincipal(principal);
  for (const [index, signer] of signers.entries()) {
    if (used.has(index) || !satisfiesPrincipal(signer, principal)) continue;
    used.set(index, text);
    const identity = { key: signer.key, mspId: signer.mspId, name: signer.name };
    return { kind: 'signedBy', policy, principal, satisfied: true, identity, reason: `satisfied by ${signer.name}` };
  }
  return { kind: 'signedBy', policy, principal, satisfied: false, identity: undefined, reason: whyNot(principal, signers, used) };
}

/** Fabric's `SatisfiesPrincipal` for a ROLE principal, given an already validated identity. */
function satisfiesPrincipal(signer: PolicyIdentity, principal: Principal): boolean {
  return signer.mspId === principal.mspId && (principal.role === 'member' || signer.roles.has(principal.role));
}

/**
 * Why no identity satisfied the leaf, naming every signer of the principal's MSP:
 * "no signature from Org2MSP", "User1@org2.example.com is not a peer (roles: member, client)",
 * "peer0.org1.example.com already counted for Org1MSP.peer".
 */
function whyNot(principal: Principal, signers: readonly PolicyIdentity[], used: UsedIdentities): string {
  const reasons: string[] = [];
  for (const [index, signer] of signers.entries()) {
    if (signer.mspId !== principal.mspId) continue;
    const countedFor = used.get(index);
    if (!satisfiesPrincipal(signer, principal)) {
      reasons.push(`${signer.name} is not ${withArticle(principal.role)} (roles: ${listRoles(signer.roles)})`);
    } else if (countedFor !== undefined) {
      reasons.push(`${signer.name} already counted for ${countedFor}`);
    }
  }
  return reasons.length > 0 ? reasons.join(', ') : `no signature from ${principal.mspId}`;
}

function deduplicate(identities: readonly PolicyIdentity[]): readonly PolicyIdentity[] {
  const seen = new Set<string>();
  return identities.filter((identity) => {
    if (seen.has(identity.key)) return false;
    seen.add(identity.key);
    return true;
  });
}

function withArticle(role: MspRole): string {
  return role === 'admin' || role === 'orderer' ? `an ${role}` : `a ${role}`;
}

/** The roles in Fabric's enum order: "member, client". */
function listRoles(roles: ReadonlySet<MspRole>): string {
  return MSP_ROLES.filter((role) => roles.has(role)).join(', ');
}
