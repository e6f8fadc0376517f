import { formatPrincipal, gateForm } from './signature-policy.js';
import { status, type PolicyEvaluationDetail, type SignedByDetail, type SubPolicyDetail } from './policy-evaluation.js';

/**
 * Renders an evaluation tree as one sentence for a learner. The shapes, by example:
 *
 *   AND('Org1MSP.peer','Org2MSP.peer') not satisfied: Org1MSP.peer satisfied by peer0.org1.example.com; Org2MSP.peer: no signature from Org2MSP
 *
 * - A gate prints its policy text and verdict, then its rules separated by "; ".
 * - OutOf gates (neither AND nor OR) also print the count: "1 of 3 rules satisfied, 2 required".
 * - A nested gate prints the same inside parentheses:
 *   `AND('Org2MSP.peer','Org3MSP.peer') not satisfied (Org2MSP.peer satisfied by ...; Org3MSP.peer: no signature from Org3MSP)`.
 * - A leaf prints "<principal> satisfied by <name>" or "<principal>: <why not>".
 * - An implicit meta policy prints its count, then each group's sub-policy with that
 *   sub-policy's own explanation in parentheses.
 */
export function explainEvaluation(detail: PolicyEvaluationDetail): string {
  switch (detail.kind) {
    case 'signedBy':
      return `${detail.policy} ${status(detail.satisfied)}: ${leafLine(detail)}`;
    case 'nOutOf': {
      const head = `${detail.policy} ${status(detail.satisfied)}`;
      const count = showsCount(detail) ? `: ${detail.reason}` : '';
      const rules = detail.rules.length > 0 ? `: ${detail.rules.map(nestedLine).join('; ')}` : '';
      return head + count + rules;
    }
    case 'implicitMeta': {
      const head = `${detail.policy} ${status(detail.satisfied)}: ${detail.reason}`;
      return detail.subPolicies.length > 0 ? `${head}: ${detail.subPolicies.map(subPolicyLine).join('; ')}` : head;
    }
  }
}

/** A rule inside a gate. */
function nestedLine(detail: PolicyEvaluationDetail): string {
  switch (detail.kind) {
    case 'signedBy':
      return leafLine(detail);
    case 'nOutOf': {
      const rules = detail.rules.map(nestedLine).join('; ');
      const inner = showsCount(detail) ? (rules === '' ? detail.reason : `${detail.reason}: ${rules}`) : rules;
      return `${detail.policy} ${status(detail.satisfied)} (${inner})`;
    }
    case 'implicitMeta':
      // Signature policies never contain implicit meta policies; render it whole if one appears.
      return `(${explainEvaluation(detail)})`;
  }
}

function leafLine(detail: SignedByDetail): string {
  const principal = formatPrincipal(detail.principal);
  return detail.satisfied ? `${principal} ${detail.reason}` : `${principal}: ${detail.reason}`;
}

function subPolicyLine(sub: SubPolicyDetail): string {
  return `${sub.path} ${status(sub.satisfied)} (${sub.reason})`;
}

/** AND and OR say what they need; OutOf(n, ...) prints its count. */
function showsCount(detail: { readonly required: number; readonly rules: readonly unknown[] }): boolean {
  return gateForm({ n: detail.required, rules: detail.rules }) === 'OutOf';
}
