import type { ChannelResources } from '../../common/channel-resources.js';
import { signatureError } from '../../msp/ecdsa.js';
import type { PolicyIdentity } from '../../policy/index.js';
import { describeEndorsementPolicy, evaluateEndorsementPolicy } from './chaincode-definition.js';
import type { EndorsedAction } from './inspect-envelope.js';
import type { SignatureBatch } from './signature-batch.js';
import { listSome } from './tx-outcome.js';

/**
 * Fabric's builtin validation plugin (core/handlers/validation/builtin/v20) for one endorser
 * transaction, once the block's signatures are verified: the endorsements become a set of
 * validated identities (common/policies SignatureSetToValidIdentities: an endorser that is not a
 * valid channel member or whose signature over ProposalResponsePayload ‖ endorser does not verify
 * is left out; a repeated endorser counts once), and the endorsement policy of every namespace
 * the transaction must satisfy (the invoked chaincode and each other namespace it writes) is
 * evaluated against them. Key-level (state-based) endorsement policies are not supported yet.
 */
export type EndorsementVerdict =
  | { readonly ok: true; readonly summary: string }
  | { readonly ok: false; readonly detail: string };

export function checkEndorsements(action: EndorsedAction, batch: Pick<SignatureBatch, 'verdict'>, resources: ChannelResources): EndorsementVerdict {
  const identities: PolicyIdentity[] = [];
  const endorsers: string[] = [];
  const firstIndex = new Map<string, number>();
  const notes: string[] = [];
  for (const e of action.endorsements) {
    const label = `endorsement #${e.index + 1} by ${e.who}`;
    if (!e.ok) {
      notes.push(`${label} left out: ${e.reason}`);
      continue;
    }
    const verdict = batch.verdict(e.handle);
    if (verdict !== 'valid') {
      notes.push(`${label} left out: ${signatureError(verdict, e.who).message}`);
      continue;
    }
    const earlier = firstIndex.get(e.identity.key);
    if (earlier !== undefined) {
      notes.push(`${label} counted once (same endorser as #${earlier + 1})`);
      continue;
    }
    firstIndex.set(e.identity.key, e.index);
    identities.push(e.identity);
    endorsers.push(e.who);
  }

  const satisfied: string[] = [];
  for (const { namespace, definition } of action.policyNamespaces) {
    const policyText = describeEndorsementPolicy(definition.endorsementPolicy, resources);
    const check = evaluateEndorsementPolicy(definition.endorsementPolicy, resources, identities);
    if (!check.satisfied) {
      const whose = namespace === action.chaincode.name ? `chaincode ${namespace}'s endorsement policy` : `the transaction writes namespace ${namespace}, so chaincode ${namespace}'s endorsement policy applies too: it`;
      const by = endorsers.length === 0 ? 'no valid endorsement' : `endorsed by ${listSome(endorsers)}${endorsers.length === 1 ? ' only' : ''}`;
      const noted = notes.length > 0 ? ` (${notes.join('; ')})` : '';
      return {
        ok: false,
        detail: `${whose} ${policyText} needs ${check.needs}; ${by}${noted}. Evaluation: ${check.explanation}. Collect endorsements from peers that satisfy the policy`,
      };
    }
    satisfied.push(policyText);
  }
  const noted = notes.length > 0 ? ` (${notes.join('; ')})` : '';
  return { ok: true, summary: `endorsed by ${listSome(endorsers)}${noted}, satisfying ${satisfied.join(' and ')}` };
}
