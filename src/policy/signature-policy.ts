/**
 * Fabric's signature policy (the "cauthdsl" policy): a tree of `NOutOf` gates over principals.
 * It is what an endorsement policy such as `AND('Org1MSP.peer','Org2MSP.peer')` compiles to, and
 * what the `common.SignaturePolicyEnvelope` in a channel config or chaincode definition carries.
 * Fabric docs: "Policies" and "Endorsement policies".
 *
 * The tree is index-free: each leaf holds its principal directly. The protobuf form (identities
 * list plus `signed_by` indices) is built and read in src/protos/policy-envelope.ts.
 */

/** The `msp.MSPRole` roles a principal can name. With NodeOUs, admin/client/peer/orderer come from the certificate's OU. */
export type MspRole = 'member' | 'admin' | 'client' | 'peer' | 'orderer';

/** Every role, in the order of Fabric's `MSPRole.MSPRoleType` enum (MEMBER=0 ... ORDERER=4). */
export const MSP_ROLES: readonly MspRole[] = ['member', 'admin', 'client', 'peer', 'orderer'];

/** A ROLE principal: "any identity of MSP `mspId` that holds `role`" (`msp.MSPPrincipal` of classification ROLE). */
export interface Principal {
  readonly mspId: string;
  readonly role: MspRole;
}

/**
 * `signedBy`: satisfied by one signature from an identity that satisfies the principal.
 * `nOutOf`: satisfied when at least `n` of `rules` are. AND(a,b) is nOutOf(2,[a,b]); OR(a,b) is nOutOf(1,[a,b]).
 * Trees parsed from text always have 1 <= n <= rules.length; trees read from protobuf may hold any
 * int32 `n` (Fabric accepts them: n <= 0 is always satisfied, n > rules.length never).
 */
export type SignaturePolicy =
  | { readonly kind: 'signedBy'; readonly principal: Principal }
  | { readonly kind: 'nOutOf'; readonly n: number; readonly rules: readonly SignaturePolicy[] };

export function signedBy(mspId: string, role: MspRole): SignaturePolicy {
  return { kind: 'signedBy', principal: { mspId, role } };
}

export function nOutOf(n: number, rules: readonly SignaturePolicy[]): SignaturePolicy {
  return { kind: 'nOutOf', n, rules };
}

/** `Org1MSP.peer`: the principal as Fabric's policy language names it, without quotes. */
export function formatPrincipal(principal: Principal): string {
  return `${principal.mspId}.${principal.role}`;
}

/**
 * The policy in Fabric's policy language, canonical form: no spaces, single quotes, e.g.
 * `AND('Org1MSP.peer','Org2MSP.peer')`. A gate with n === 1 prints as OR, one with
 * n === rules.length and more than one rule as AND, anything else as `OutOf(n,...)`.
 * A bare `signedBy` (possible in protobuf, not in the language) prints as the quoted principal.
 * For trees from parseSignaturePolicy, parsing the result gives back an equal tree.
 */
export function formatSignaturePolicy(policy: SignaturePolicy): string {
  if (policy.kind === 'signedBy') return `'${formatPrincipal(policy.principal)}'`;
  const args = policy.rules.map(formatSignaturePolicy).join(',');
  switch (gateForm(policy)) {
    case 'OR':
      return `OR(${args})`;
    case 'AND':
      return `AND(${args})`;
    case 'OutOf':
      return args === '' ? `OutOf(${policy.n})` : `OutOf(${policy.n},${args})`;
  }
}

/** Which of the language's three gates a nOutOf prints as (see formatSignaturePolicy). */
export function gateForm(gate: { readonly n: number; readonly rules: readonly unknown[] }): 'AND' | 'OR' | 'OutOf' {
  if (gate.n === 1 && gate.rules.length >= 1) return 'OR';
  if (gate.n === gate.rules.length && gate.rules.length > 1) return 'AND';
  return 'OutOf';
}
