/**
 * Fabric's policies, as pure logic: the signature policy language (parse, format), signature
 * policy evaluation with Fabric's cauthdsl semantics, implicit meta policies (ANY/ALL/MAJORITY),
 * and learner-readable explanations of every evaluation. Protobuf forms live in src/protos.
 */
export {
  MSP_ROLES,
  formatPrincipal,
  formatSignaturePolicy,
  gateForm,
  nOutOf,
  signedBy,
  type MspRole,
  type Principal,
  type SignaturePolicy,
} from './signature-policy.js';
export { parseSignaturePolicy } from './parse-signature-policy.js';
export { PolicyParseError } from './policy-parse-error.js';
export {
  IMPLICIT_META_RULES,
  formatImplicitMetaPolicy,
  implicitMeta,
  implicitMetaThreshold,
  parseImplicitMetaPolicy,
  type ImplicitMetaPolicy,
  type ImplicitMetaRule,
} from './implicit-meta-policy.js';
export {
  formatPolicy,
  resolveImplicitMetaPolicy,
  type Policy,
  type PolicyDefinition,
  type ResolvedImplicitMetaPolicy,
  type SubPolicy,
} from './policy.js';
export type {
  IdentitySummary,
  ImplicitMetaDetail,
  NOutOfDetail,
  PolicyEvaluation,
  PolicyEvaluationDetail,
  PolicyIdentity,
  SignedByDetail,
  SubPolicyDetail,
} from './policy-evaluation.js';
export { evaluateSignaturePolicy } from './evaluate-signature-policy.js';
export { evaluateImplicitMetaPolicy, evaluatePolicy } from './evaluate-policy.js';
export { explainEvaluation } from './explain-policy-evaluation.js';
