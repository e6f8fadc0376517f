import { common, msp } from '@hyperledger/fabric-protos';
import { FabsimError, messageOf } from '../core/errors.js';
import { IMPLICIT_META_RULES, type ImplicitMetaPolicy } from '../policy/implicit-meta-policy.js';
import type { PolicyDefinition } from '../policy/policy.js';
import { MSP_ROLES, type Principal, type SignaturePolicy } from '../policy/signature-policy.js';

/**
 * The protobuf forms of Fabric's policies (common/policies.proto, msp/msp_principal.proto):
 * `common.SignaturePolicyEnvelope`, `common.ImplicitMetaPolicy` and the `common.Policy` wrapper
 * that a channel config's `ConfigPolicy` holds. The ASTs are those of src/policy.
 *
 * Every decoding failure is a FabsimError with code POLICY_ENVELOPE_INVALID.
 */
export type PolicyEnvelopeErrorCode = 'POLICY_ENVELOPE_INVALID';

/** `common.Policy.PolicyType`: SIGNATURE = 1, MSP = 2, IMPLICIT_META = 3. */
const POLICY_TYPE = { SIGNATURE: 1, MSP: 2, IMPLICIT_META: 3 } as const;

const CLASSIFICATION_NAMES = ['ROLE', 'ORGANIZATION_UNIT', 'IDENTITY', 'ANONYMITY', 'COMBINED'];

/**
 * Builds `common.SignaturePolicyEnvelope` bytes exactly as Fabric's `policydsl.FromString` does
 * for the same policy text, so fabsim's config and chaincode definitions match Fabric's byte
 * for byte:
 * - version 0;
 * - one `msp.MSPPrincipal` (classification ROLE, principal = `msp.MSPRole{msp_identifier, role}`)
 *   per leaf, NOT deduplicated (Fabric's parser has a TODO to deduplicate them, never done);
 * - identities numbered in Fabric's evaluation order: the parser evaluates nested gates, like
 *   function arguments, before their parent numbers its own principals. So in
 *   `OR('A.member', AND('B.member','C.member'))` B is 0, C is 1 and A is 2.
 */
export function buildSignaturePolicyEnvelope(policy: SignaturePolicy): Uint8Array {
  const identities: msp.MSPPrincipal[] = [];
  const envelope = new common.SignaturePolicyEnvelope();
  envelope.setVersion(0);
  envelope.setRule(buildRule(policy, identities));
  envelope.setIdentitiesList(identities);
  return envelope.serializeBinary();
}

function buildRule(policy: SignaturePolicy, identities: msp.MSPPrincipal[]): common.SignaturePolicy {
  if (policy.kind === 'signedBy') return signedByRule(policy.principal, identities);
  const nested = policy.rules.map((rule) => (rule.kind === 'nOutOf' ? buildRule(rule, identities) : undefined));
  const rules = policy.rules.map((rule, i) => nested[i] ?? signedByRule((rule as { readonly principal: Principal }).principal, identities));
  const gate = new common.SignaturePolicy.NOutOf();
  gate.setN(policy.n);
  gate.setRulesList(rules);
  const message = new common.SignaturePolicy();
  message.setNOutOf(gate);
  return message;
}

function signedByRule(principal: Principal, identities: msp.MSPPrincipal[]): common.SignaturePolicy {
  const role = new msp.MSPRole();
  role.setMspIdentifier(principal.mspId);
  role.setRole(MSP_ROLES.indexOf(principal.role) as msp.MSPRole.MSPRoleTypeMap[keyof msp.MSPRole.MSPRoleTypeMap]);
  const identity = new msp.MSPPrincipal();
  identity.setPrincipalClassification(msp.MSPPrincipal.Classification.ROLE);
  identity.setPrincipal(role.serializeBinary());
  identities.push(identity);
  const message = new common.SignaturePolicy();
  message.setSignedBy(identities.length - 1);
  return message;
}

/**
 * Reads `common.SignaturePolicyEnvelope` bytes into a policy tree, checking what Fabric's
 * cauthdsl checks when it compiles one (version 0, a rule at every node, `signed_by` indices in
 * range) plus what fabsim supports: only ROLE principals, the only kind Fabric's policy language
 * and configtxgen write. OU, IDENTITY and COMBINED principals are refused.
 * Any `n` is accepted, as Fabric accepts it.
 */
export function parseSignaturePolicyEnvelope(bytes: Uint8Array): SignaturePolicy {
  const envelope = decode('common.SignaturePolicyEnvelope', () => common.SignaturePolicyEnvelope.deserializeBinary(bytes));
  if (envelope.getVersion() !== 0) {
    throw invalid(`the common.SignaturePolicyEnvelope has version ${envelope.getVersion()}; Fabric (and fabsim) only evaluate version 0 envelopes`);
  }
  const rule = envelope.getRule();
  if (rule === undefined) {
    throw invalid('the common.SignaturePolicyEnvelope has no rule; Fabric rejects it as an empty policy element');
  }
  const identities = envelope.getIdentitiesList();
  const principals = new Map<number, Principal>();
  const principalAt = (index: number, where: string): Principal => {
    const known = principals.get(index);
    if (known !== undefined) return known;
    const identity = identities[index];
    if (identity === undefined) {
      const range = identities.length === 0 ? 'it lists no identities' : `it lists ${identities.length} (indices 0 to ${identities.length - 1})`;
      throw invalid(`${where} is signed_by identity ${index} of the common.SignaturePolicyEnvelope, but ${range}; Fabric rejects an index out of range`);
    }
    const principal = readRolePrincipal(identity, index);
    principals.set(index, principal);
    return principal;
  };
  return readRule(rule, 'rule', principalAt);
}

function readRule(rule: common.SignaturePolicy, where: string, principalAt: (index: number, where: string) => Principal): SignaturePolicy {
  switch (rule.getTypeCase()) {
    case common.SignaturePolicy.TypeCase.SIGNED_BY:
      return { kind: 'signedBy', principal: principalAt(rule.getSignedBy(), where) };
    case common.SignaturePolicy.TypeCase.N_OUT_OF: {
      const gate = rule.getNOutOf() as common.SignaturePolicy.NOutOf;
      const rules = gate.getRulesList().map((child, i) => readRule(child, `${where}.n_out_of.rules[${i}]`, principalAt));
      return { kind: 'nOutOf', n: gate.getN(), rules };
    }
    default:
      throw invalid(`${where} of the common.SignaturePolicyEnvelope sets neither signed_by nor n_out_of; every rule must be one of them`);
  }
}

function readRolePrincipal(identity: msp.MSPPrincipal, index: number): Principal {
  const classification = identity.getPrincipalClassification();
  if (classification !== msp.MSPPrincipal.Classification.ROLE) {
    const name = CLASSIFICATION_NAMES[classification] ?? `classification ${classification}`;
    const article = /^[AEIOU]/.test(name) ? 'an' : 'a';
    throw invalid(
      `identity ${index} of the common.SignaturePolicyEnvelope is ${article} ${name} principal; fabsim supports only ROLE principals ('MSPID.role', e.g. 'Org1MSP.peer'), ` +
        "which is what Fabric's policy language and configtxgen produce: rewrite the policy with roles",
      { index, classification: name },
    );
  }
  const role = decode(`msp.MSPRole of identity ${index}`, () => msp.MSPRole.deserializeBinary(identity.getPrincipal_asU8()));
  const roleName = MSP_ROLES[role.getRole()];
  if (roleName === undefined) {
    throw invalid(`identity ${index} of the common.SignaturePolicyEnvelope has MSP role ${role.getRole()}, which is none of MEMBER, ADMIN, CLIENT, PEER, ORDERER`, { index });
  }
  return { mspId: role.getMspIdentifier(), role: roleName };
}

/** `common.ImplicitMetaPolicy` bytes: the rule enum (ANY=0, ALL=1, MAJORITY=2) and the sub-policy name. */
export function buildImplicitMetaPolicy(policy: ImplicitMetaPolicy): Uint8Array {
  const message = new common.ImplicitMetaPolicy();
  message.setRule(IMPLICIT_META_RULES.indexOf(policy.rule) as common.ImplicitMetaPolicy.RuleMap[keyof common.ImplicitMetaPolicy.RuleMap]);
  message.setSubPolicy(policy.subPolicy);
  return message.serializeBinary();
}

/**
 * Reads `common.ImplicitMetaPolicy` bytes. An unknown rule number is refused (Fabric would give
 * it a threshold of 0, i.e. accept every request, which no real config relies on).
 */
export function parseImplicitMetaPolicyBytes(bytes: Uint8Array): ImplicitMetaPolicy {
  const message = decode('common.ImplicitMetaPolicy', () => common.ImplicitMetaPolicy.deserializeBinary(bytes));
  const rule = IMPLICIT_META_RULES[message.getRule()];
  if (rule === undefined) {
    throw invalid(`the common.ImplicitMetaPolicy has rule ${message.getRule()}, which is none of ANY (0), ALL (1), MAJORITY (2)`);
  }
  return { kind: 'implicitMeta', rule, subPolicy: message.getSubPolicy() };
}

/** `common.Policy` bytes: type SIGNATURE (1) or IMPLICIT_META (3), and the policy's own bytes as value. */
export function buildPolicy(policy: PolicyDefinition): Uint8Array {
  const message = new common.Policy();
  if (policy.kind === 'implicitMeta') {
    message.setType(POLICY_TYPE.IMPLICIT_META);
    message.setValue(buildImplicitMetaPolicy(policy));
  } else {
    message.setType(POLICY_TYPE.SIGNATURE);
    message.setValue(buildSignaturePolicyEnvelope(policy));
  }
  return message.serializeBinary();
}

/** Reads `common.Policy` bytes (e.g. a `ConfigPolicy.policy` of a channel config). */
export function parsePolicy(bytes: Uint8Array): PolicyDefinition {
  const message = decode('common.Policy', () => common.Policy.deserializeBinary(bytes));
  switch (message.getType()) {
    case POLICY_TYPE.SIGNATURE:
      return parseSignaturePolicyEnvelope(message.getValue_asU8());
    case POLICY_TYPE.IMPLICIT_META:
      return parseImplicitMetaPolicyBytes(message.getValue_asU8());
    case POLICY_TYPE.MSP:
      throw invalid('the common.Policy has type MSP (2), which Fabric itself never implemented; use SIGNATURE (1) or IMPLICIT_META (3)');
    default:
      throw invalid(`the common.Policy has type ${message.getType()}; fabsim understands SIGNATURE (1) and IMPLICIT_META (3), as Fabric does`);
  }
}

function decode<T>(what: string, run: () => T): T {
  try {
    return run();
  } catch (cause) {
    throw invalid(`the bytes are not a valid ${what} protobuf message (${messageOf(cause)}); check that they hold a Fabric policy of that type`, { what }, cause);
  }
}

function invalid(message: string, context: Record<string, string | number> = {}, cause?: unknown): FabsimError<PolicyEnvelopeErrorCode> {
  return new FabsimError('POLICY_ENVELOPE_INVALID', message, { context, ...(cause === undefined ? {} : { cause }) });
}
