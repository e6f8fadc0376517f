import { assert } from '../../core/assert.js';
import type { ChannelResources } from '../../common/channel-resources.js';
import { evaluatePolicy, formatPolicy, parseSignaturePolicy, type PolicyEvaluationDetail, type PolicyIdentity, type SignaturePolicy } from '../../policy/index.js';

/**
 * A chaincode as committed on a channel (Fabric's lifecycle ChaincodeDefinition, the part the
 * committing peer's validation needs: Fabric's `ValidationInfo`, plus name/version/sequence for
 * messages). fabsim simplifies the lifecycle: definitions come from the network config rather than
 * from `_lifecycle` transactions, which a client cannot tell apart when it invokes a chaincode.
 */

/** Fabric's default endorsement policy for a chaincode: the channel's `/Channel/Application/Endorsement` (MAJORITY Endorsement). */
export const DEFAULT_ENDORSEMENT_POLICY_PATH = '/Channel/Application/Endorsement';

/**
 * A chaincode's endorsement policy, as `peer lifecycle chaincode approveformyorg` takes it:
 * - `reference`: a channel config policy by path (`--channel-config-policy`), Fabric's default;
 * - `signature`: a signature policy (`--signature-policy "AND('Org1MSP.peer','Org2MSP.peer')"`).
 */
export type EndorsementPolicy =
  | { readonly kind: 'reference'; readonly path: string }
  | { readonly kind: 'signature'; readonly expression: string; readonly policy: SignaturePolicy };

export interface ChaincodeDefinition {
  readonly name: string;
  /** The version label; transactions must carry it in their ChaincodeAction (see validate-block.ts). */
  readonly version: string;
  readonly sequence: number;
  readonly endorsementPolicy: EndorsementPolicy;
  readonly initRequired: boolean;
}

/** The chaincodes defined on one channel, by name (what Fabric reads from the `_lifecycle` namespace). */
export interface ChaincodeDefinitions {
  get(name: string): ChaincodeDefinition | undefined;
  /** The defined names, for messages. */
  names(): readonly string[];
}

/** Definitions held in a map. */
export class MapChaincodeDefinitions implements ChaincodeDefinitions {
  private readonly byName: ReadonlyMap<string, ChaincodeDefinition>;

  constructor(definitions: readonly ChaincodeDefinition[]) {
    this.byName = new Map(definitions.map((d) => [d.name, d]));
  }

  get(name: string): ChaincodeDefinition | undefined {
    return this.byName.get(name);
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }
}

/**
 * Reads an endorsement policy as the network config writes it: a channel policy path (starting
 * with `/`) or a signature policy expression. Undefined means Fabric's default. A bad expression
 * throws PolicyParseError.
 */
export function endorsementPolicyFrom(text: string | undefined): EndorsementPolicy {
  if (text === undefined) return { kind: 'reference', path: DEFAULT_ENDORSEMENT_POLICY_PATH };
  const trimmed = text.trim();
  if (trimmed.startsWith('/')) return { kind: 'reference', path: trimmed };
  return { kind: 'signature', expression: trimmed, policy: parseSignaturePolicy(trimmed) };
}

/** A definition with Fabric's defaults: sequence 1, the channel's Endorsement policy, no init required. */
export function chaincodeDefinition(spec: {
  readonly name: string;
  readonly version: string;
  readonly sequence?: number;
  readonly endorsementPolicy?: string;
  readonly initRequired?: boolean;
}): ChaincodeDefinition {
  return {
    name: spec.name,
    version: spec.version,
    sequence: spec.sequence ?? 1,
    endorsementPolicy: endorsementPolicyFrom(spec.endorsementPolicy),
    initRequired: spec.initRequired ?? false,
  };
}

/**
 * The policy as a learner reads it: `/Channel/Application/Endorsement (MAJORITY Endorsement)` or
 * `AND('Org1MSP.peer','Org2MSP.peer')`.
 */
export function describeEndorsementPolicy(policy: EndorsementPolicy, resources: ChannelResources): string {
  if (policy.kind === 'signature') return policy.expression;
  const resolved = resources.policies.get(policy.path);
  return resolved === undefined ? `${policy.path} (not defined on channel ${resources.channelId})` : `${policy.path} (${formatPolicy(resolved)})`;
}

/** The outcome of evaluating a chaincode's endorsement policy against validated endorsers. */
export interface EndorsementPolicyCheck {
  readonly satisfied: boolean;
  /** src/policy's explanation of the evaluation, e.g. `MAJORITY Endorsement not satisfied: 1 of 2 organizations ...`. */
  readonly explanation: string;
  /** What the policy's top rule asks for, e.g. `2 of Org1MSP, Org2MSP` or `2 of 'Org1MSP.peer', 'Org2MSP.peer'`. */
  readonly needs: string;
}

/**
 * Evaluates a chaincode's endorsement policy (Fabric's builtin VSCC `policyEvaluator.Evaluate`)
 * against endorsers that are already validated and whose signatures verified. The policy layer
 * deduplicates identities by key, so the same endorser twice counts once.
 */
export function evaluateEndorsementPolicy(policy: EndorsementPolicy, resources: ChannelResources, endorsers: readonly PolicyIdentity[]): EndorsementPolicyCheck {
  const resolved = policy.kind === 'signature' ? policy.policy : resources.policies.get(policy.path);
  if (resolved === undefined && policy.kind === 'reference') {
    return {
      satisfied: false,
      explanation: `channel ${resources.channelId} has no policy ${policy.path}; the chaincode definition must name a policy of the channel config`,
      needs: `a policy ${policy.path} that the channel does not define`,
    };
  }
  assert(resolved !== undefined, 'a signature endorsement policy always has its policy');
  const { satisfied, explanation, detail } = evaluatePolicy(resolved, endorsers);
  return { satisfied, explanation, needs: needsOf(detail) };
}

function needsOf(detail: PolicyEvaluationDetail): string {
  switch (detail.kind) {
    case 'implicitMeta':
      return `${detail.required} of ${detail.subPolicies.map((s) => s.name).join(', ')}`;
    case 'nOutOf':
      return `${detail.required} of ${detail.rules.map((r) => r.policy).join(', ')}`;
    case 'signedBy':
      return detail.policy;
  }
}
