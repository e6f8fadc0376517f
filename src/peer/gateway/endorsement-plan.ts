import { assert } from '../../core/assert.js';
import type { ChannelResources } from '../../common/channel-resources.js';
import { evaluatePolicy, formatPolicy, type MspRole, type Policy, type PolicyIdentity } from '../../policy/index.js';
import type { EndorsementPolicy } from '../validation/chaincode-definition.js';

/**
 * The Gateway's endorsement plan: which peers to ask for endorsements, in which order, so that a
 * chaincode's endorsement policy is satisfied with as few endorsers as possible.
 *
 * Fabric splits this in two. The discovery service (discovery/endorsement) turns the policy into
 * "layouts": each layout maps a group of peers (here: the peers of one organization) to how many
 * endorsements it must give, e.g. `{Org1MSP: 1, Org2MSP: 1}`; any one layout satisfies the policy.
 * The Gateway (internal/pkg/gateway/endorsement.go, `plan`) then walks the layouts: it asks the
 * peers of the first layout, replaces a failed peer by the next peer of the same group, abandons
 * a layout whose group has run out of peers, and counts every endorsement for every layout that
 * contains its group.
 *
 * fabsim finds the layouts by evaluating the policy itself (src/policy, the same evaluator the
 * committing peers' validation uses) against synthetic identities: an endorsing peer's identity
 * is a member and a peer of its MSP (`key` = its endpoint). All peers of one organization are
 * therefore interchangeable, and a layout is only a count per organization. The search:
 *
 * - Only organizations that have peers and that the policy can use count. "Can use" is bounded:
 *   a signature policy can count an organization's peers at most once per `'Org.member'` or
 *   `'Org.peer'` principal naming it; an implicit meta policy evaluates each sub-policy against
 *   the same identities, so it can use at most the largest number any one sub-policy can.
 * - Exhaustive when those candidate peers number at most MAX_EXHAUSTIVE_CANDIDATES (12): every
 *   count vector, by increasing size, is evaluated; a satisfying vector is kept unless a smaller
 *   kept vector is contained in it. Typically a handful of evaluations; the worst case, 12
 *   organizations of one peer each under OutOf(6, ...), evaluates 2,510 vectors (~100 ms), so a
 *   gateway with many organizations should reuse a plan for the same policy and peers.
 * - Greedy beyond that: add candidate peers round-robin over the organizations (the gateway's
 *   own organization first, then by MSP ID) until the policy is satisfied, then drop every peer
 *   the policy does not need. That gives one minimal layout; one more layout is built without
 *   each of its organizations in turn, so an organization whose peers are all down has an
 *   alternative. Greedy layouts are minimal (no endorser can be left out) but not always the
 *   smallest possible.
 *
 * Layouts are ordered by size, then those that include the gateway's own organization first,
 * then by their organizations' MSP IDs. Within a layout the gateway's organization comes first,
 * and within an organization the local peer comes first, then the others in the caller's order
 * (Fabric sorts them by ledger height; a caller that knows heights passes them sorted).
 *
 * Because Fabric's policy evaluation is greedy (see evaluate-signature-policy.ts), a policy can
 * in rare nested cases be satisfied by a set of endorsers and not by a larger one; using the
 * real evaluator means every layout here is one that validation accepts, and
 * EndorsementCollector.satisfyingEndorsers() gives exactly the endorsements of that layout.
 */

/** A peer the gateway can ask for an endorsement. */
export interface EndorsingPeerInfo {
  /** host:port, e.g. `peer0.org2.example.com:9051`; identifies the peer. */
  readonly endpoint: string;
  readonly mspId: string;
  /** This gateway's own peer. */
  readonly local: boolean;
}

/** "`needed` endorsements from peers of `mspId`", with the peers that may give them, in the order to ask them. */
export interface EndorsementGroup {
  readonly mspId: string;
  /** Every known peer of the organization: the local peer first, then the others in the caller's order. */
  readonly peers: readonly EndorsingPeerInfo[];
  readonly needed: number;
}

/** One way to satisfy the policy (a discovery layout): every group must give its endorsements. */
export interface EndorsementLayout {
  /** The gateway's organization first, then by MSP ID. */
  readonly groups: readonly EndorsementGroup[];
  /** The number of endorsements the layout needs (the sum of `needed`). */
  readonly size: number;
}

export interface EndorsementPlan {
  /** The policy as a learner reads it: `AND('Org1MSP.peer','Org2MSP.peer')` or `/Channel/Application/Endorsement (MAJORITY Endorsement)`. */
  readonly policy: string;
  /** The layouts in the order to try them; never empty. */
  readonly layouts: readonly EndorsementLayout[];
  /**
   * How the layouts were found: every combination of candidate peers (`exhaustive`), the bounded
   * greedy search (`greedy`, more than MAX_EXHAUSTIVE_CANDIDATES candidates), or the client's
   * endorsing organizations (`required-orgs`, Fabric's `endorsingOrganizations`).
   */
  readonly search: 'exhaustive' | 'greedy' | 'required-orgs';
  /** Set when the client's endorsing organizations do not satisfy the policy on their own (the plan is still followed, as Fabric does). */
  readonly warning: string | undefined;
}

export type EndorsementPlanResult =
  | { readonly ok: true; readonly plan: EndorsementPlan }
  /** No combination of the known peers can satisfy the policy; `reason` names the policy, the organizations with peers, and what is missing. */
  | { readonly ok: false; readonly reason: string };

export interface PlanEndorsementOptions {
  readonly policy: EndorsementPolicy;
  /** Resolves a `reference` policy by path (only `policies` is read). */
  readonly resources: Pick<ChannelResources, 'policies'>;
  /** The channel's peers known to this gateway (Fabric: from discovery); duplicate endpoints count once. */
  readonly peers: readonly EndorsingPeerInfo[];
  /** This gateway's organization, preferred when layouts are otherwise equal. */
  readonly localMspId: string;
  /** The client's endorsingOrganizations: when given, the plan is one peer of each of these organizations, whatever the policy says. */
  readonly requiredOrgs?: readonly string[];
}

/** Above this many candidate peers the search is greedy instead of exhaustive (see the module comment). */
export const MAX_EXHAUSTIVE_CANDIDATES = 12;

/** The roles a peer's identity holds in its MSP (a NodeOU "peer" certificate). */
const PEER_ROLES: ReadonlySet<MspRole> = new Set<MspRole>(['member', 'peer']);

/** A candidate organization of the search: how many of its peers the search may use. */
interface Candidate {
  readonly mspId: string;
  readonly max: number;
}

/** A count of endorsers per candidate, aligned with the candidates array. */
type Counts = readonly number[];

/** Plans the endorsement of one proposal. Pure: the same inputs give the same plan. */
export function planEndorsement(o: PlanEndorsementOptions): EndorsementPlanResult {
  const peersByOrg = groupPeersByOrg(o.peers);
  const resolved = o.policy.kind === 'signature' ? o.policy.policy : o.resources.policies.get(o.policy.path);
  const policyText = describePolicy(o.policy, resolved);
  if (o.requiredOrgs !== undefined) return planForRequiredOrgs(o.requiredOrgs, peersByOrg, o.localMspId, resolved, policyText);
  if (resolved === undefined) {
    return { ok: false, reason: `the endorsement policy ${policyText} is not defined on the channel; the chaincode definition must name a policy of the channel config` };
  }

  // Organizations the policy can use, in preference order: the gateway's own first, then by MSP ID.
  const useful = usefulEndorsersByOrg(resolved);
  const orgs = [...useful.keys()].sort(preferLocal(o.localMspId));
  const candidates = orgs
    .map((mspId) => ({ mspId, max: Math.min(useful.get(mspId) ?? 0, peersByOrg.get(mspId)?.length ?? 0) }))
    .filter((c) => c.max > 0);
  const identityOf = (mspId: string, index: number): PolicyIdentity => {
    const peer = peersByOrg.get(mspId)?.[index];
    assert(peer !== undefined, `the search uses at most the ${mspId} peers it has`);
    return { key: peer.endpoint, mspId, name: peer.endpoint, roles: PEER_ROLES };
  };

  const found = findLayouts(resolved, candidates, identityOf);
  if (found.layouts.length === 0) return { ok: false, reason: explainUnsatisfiable(resolved, policyText, useful, peersByOrg, o.localMspId) };

  let counted = found.layouts.map((counts) => toOrgCounts(candidates, counts));
  if (counted.length === 1 && counted[0]?.length === 0) {
    // The policy is satisfied without any endorsement (e.g. an implicit meta policy over no
    // groups). A transaction still needs one endorsement, whose payload it carries: any one peer.
    counted = [...peersByOrg.keys()].map((mspId) => [{ mspId, count: 1 }]);
    if (counted.length === 0) return { ok: false, reason: `${policyText} needs no endorsement, but a transaction needs one and this gateway knows no peer of the channel` };
  }
  const layouts = counted
    .sort(compareLayouts(o.localMspId))
    .map((orgCounts) => toLayout(orgCounts, peersByOrg, o.localMspId));
  return { ok: true, plan: { policy: policyText, layouts, search: found.search, warning: undefined } };
}

/** "one endorsement from a peer of Org1MSP and one from a peer of Org2MSP", "2 endorsements from peers of Org1MSP". */
export function describeLayout(layout: EndorsementLayout): string {
  return layout.groups
    .map((g, i) => {
      const what = i === 0 ? (g.needed === 1 ? 'one endorsement' : `${g.needed} endorsements`) : g.needed === 1 ? 'one' : `${g.needed}`;
      return `${what} from ${g.needed === 1 ? 'a peer' : 'peers'} of ${g.mspId}`;
    })
    .join(' and ');
}

// ---------------------------------------------------------------------------------------------
// The search

/**
 * The minimal count vectors that satisfy `policy`, best first in candidate order. Exhaustive for
 * up to MAX_EXHAUSTIVE_CANDIDATES candidate peers, greedy beyond.
 */
function findLayouts(
  policy: Policy,
  candidates: readonly Candidate[],
  identityOf: (mspId: string, index: number) => PolicyIdentity,
): { readonly layouts: readonly Counts[]; readonly search: 'exhaustive' | 'greedy' } {
  const satisfies = (counts: Counts): boolean => {
    const identities = candidates.flatMap((c, i) => Array.from({ length: counts[i] ?? 0 }, (_, k) => identityOf(c.mspId, k)));
    return evaluatePolicy(policy, identities).satisfied;
  };
  const total = candidates.reduce((sum, c) => sum + c.max, 0);
  if (total <= MAX_EXHAUSTIVE_CANDIDATES) return { layouts: exhaustiveSearch(candidates, satisfies), search: 'exhaustive' };
  return { layouts: greedySearch(candidates, satisfies), search: 'greedy' };
}

/** Every count vector by increasing size; keeps the satisfying ones that contain no smaller kept one. */
function exhaustiveSearch(candidates: readonly Candidate[], satisfies: (counts: Counts) => boolean): Counts[] {
  const bySize: Counts[][] = [];
  for (const counts of allCounts(candidates)) (bySize[sum(counts)] ??= []).push(counts);
  const kept: Counts[] = [];
  for (const sameSize of bySize) {
    for (const counts of sameSize ?? []) {
      if (kept.some((smaller) => contains(counts, smaller))) continue;
      if (satisfies(counts)) kept.push(counts);
    }
  }
  return kept;
}

/** 0..max of every candidate, the first candidate varying slowest. */
function allCounts(candidates: readonly Candidate[]): Counts[] {
  let vectors: number[][] = [[]];
  for (const c of candidates) {
    vectors = vectors.flatMap((prefix) => Array.from({ length: c.max + 1 }, (_, n) => [...prefix, n]));
  }
  return vectors;
}

/** One greedy minimal layout, plus one without each of its organizations (see the module comment). */
function greedySearch(candidates: readonly Candidate[], satisfies: (counts: Counts) => boolean): Counts[] {
  const first = greedyLayout(candidates, satisfies);
  if (first === undefined) return [];
  const layouts = [first];
  for (const [index, count] of first.entries()) {
    if (count === 0) continue;
    const without = candidates.map((c, i) => (i === index ? { mspId: c.mspId, max: 0 } : c));
    const alternative = greedyLayout(without, satisfies);
    if (alternative !== undefined && !layouts.some((l) => sameCounts(l, alternative))) layouts.push(alternative);
  }
  return layouts;
}

function greedyLayout(candidates: readonly Candidate[], satisfies: (counts: Counts) => boolean): Counts | undefined {
  // The order to add peers: one of each organization, then a second of each, and so on.
  const order: number[] = [];
  const rounds = Math.max(0, ...candidates.map((c) => c.max));
  for (let round = 0; round < rounds; round++) {
    for (const [index, c] of candidates.entries()) if (c.max > round) order.push(index);
  }
  const counts = candidates.map(() => 0);
  let satisfied = satisfies(counts);
  const added: number[] = [];
  for (const index of order) {
    if (satisfied) break;
    counts[index] = (counts[index] ?? 0) + 1;
    added.push(index);
    satisfied = satisfies(counts);
  }
  if (!satisfied) return undefined;
  // Drop what the policy does not need, latest (least preferred) first.
  for (const index of added.reverse()) {
    counts[index] = (counts[index] ?? 0) - 1;
    if (!satisfies(counts)) counts[index] = (counts[index] ?? 0) + 1;
  }
  return counts;
}

/**
 * How many endorsers of each organization the policy can use at most: one per member/peer
 * principal naming it in a signature policy (each signature counts for one principal only); the
 * largest of its sub-policies' numbers in an implicit meta policy (each sub-policy is evaluated
 * on its own against all endorsers). Organizations whose principals no peer can satisfy (admin,
 * client, orderer) are left out.
 */
function usefulEndorsersByOrg(policy: Policy): Map<string, number> {
  const result = new Map<string, number>();
  if (policy.kind === 'implicitMeta') {
    for (const sub of policy.subPolicies) {
      if (sub.policy === undefined) continue;
      for (const [mspId, n] of usefulEndorsersByOrg(sub.policy)) result.set(mspId, Math.max(n, result.get(mspId) ?? 0));
    }
  } else if (policy.kind === 'signedBy') {
    if (PEER_ROLES.has(policy.principal.role)) result.set(policy.principal.mspId, 1);
  } else {
    for (const rule of policy.rules) {
      for (const [mspId, n] of usefulEndorsersByOrg(rule)) result.set(mspId, n + (result.get(mspId) ?? 0));
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// The client's endorsing organizations

/** Fabric's gateway with `endorsingOrganizations`: one peer of each named organization, the policy is not consulted. */
function planForRequiredOrgs(
  requiredOrgs: readonly string[],
  peersByOrg: ReadonlyMap<string, readonly EndorsingPeerInfo[]>,
  localMspId: string,
  resolved: Policy | undefined,
  policyText: string,
): EndorsementPlanResult {
  const orgs = [...new Set(requiredOrgs)].sort(preferLocal(localMspId));
  if (orgs.length === 0) return { ok: false, reason: 'the client named no endorsing organizations; name at least one, or leave them out to follow the endorsement policy' };
  const missing = orgs.filter((mspId) => !peersByOrg.has(mspId));
  if (missing.length > 0) {
    return {
      ok: false,
      reason: `the client asked for endorsements from ${listWords(orgs)}, and the channel has no peer of ${listWords(missing, 'or')} known to this gateway (${knownOrgs(peersByOrg)})`,
    };
  }
  const layout = toLayout(
    orgs.map((mspId) => ({ mspId, count: 1 })),
    peersByOrg,
    localMspId,
  );
  let warning: string | undefined;
  if (resolved === undefined) {
    warning = `the endorsement policy ${policyText} is not defined on the channel, so validation will reject the transaction`;
  } else {
    const identities = layout.groups.map((g): PolicyIdentity => {
      const peer = g.peers[0];
      assert(peer !== undefined, 'a required organization has a peer');
      return { key: peer.endpoint, mspId: g.mspId, name: peer.endpoint, roles: PEER_ROLES };
    });
    if (!evaluatePolicy(resolved, identities).satisfied) {
      warning = `one endorsement from each of ${listWords(orgs)} does not satisfy ${policyText}; the committing peers will mark the transaction ENDORSEMENT_POLICY_FAILURE`;
    }
  }
  return { ok: true, plan: { policy: policyText, layouts: [layout], search: 'required-orgs', warning } };
}

// ---------------------------------------------------------------------------------------------
// Why a policy cannot be satisfied

/**
 * Searches again as if every organization the policy names had all the peers it could use, then
 * compares the best such layouts (those missing the fewest peers) with the peers this gateway
 * knows: "needs a peer of Org3MSP, and the channel has no peer of Org3MSP known to this gateway";
 * "needs a peer of Org2MSP or a peer of Org3MSP, and the channel has no peer of Org2MSP and no peer
 * of Org3MSP known to this gateway". When not even that satisfies the policy, no peer identity
 * can (it asks for admins or clients, or names organizations without the sub-policy): the
 * evaluator's own explanation says which part fails.
 */
function explainUnsatisfiable(
  policy: Policy,
  policyText: string,
  useful: ReadonlyMap<string, number>,
  peersByOrg: ReadonlyMap<string, readonly EndorsingPeerInfo[]>,
  localMspId: string,
): string {
  const known = knownOrgs(peersByOrg);
  const hypothetical = [...useful.keys()].sort(preferLocal(localMspId)).map((mspId) => ({ mspId, max: useful.get(mspId) ?? 0 }));
  const identityOf = (mspId: string, index: number): PolicyIdentity => ({
    key: `${mspId}#${index}`,
    mspId,
    name: `a peer of ${mspId}`,
    roles: PEER_ROLES,
  });
  const found = findLayouts(policy, hypothetical, identityOf);
  if (found.layouts.length === 0) {
    const everyone = hypothetical.flatMap((c) => Array.from({ length: c.max }, (_, k) => identityOf(c.mspId, k)));
    const { explanation } = evaluatePolicy(policy, everyone);
    return `${policyText} cannot be satisfied by peers' endorsements (a peer's identity holds the roles member and peer only): even with a peer of every organization it names, ${explanation} (${known})`;
  }
  // The layouts that miss the fewest peers, in plan order (at most three are named).
  const shortOf = (orgCounts: readonly OrgCount[]): { readonly mspId: string; readonly count: number; readonly have: number }[] =>
    orgCounts
      .map(({ mspId, count }) => ({ mspId, count, have: peersByOrg.get(mspId)?.length ?? 0 }))
      .filter((s) => s.have < s.count);
  const missing = found.layouts
    .map((counts) => toOrgCounts(hypothetical, counts))
    .sort(compareLayouts(localMspId))
    .map(shortOf);
  const fewest = Math.min(...missing.map((short) => sum(short.map((s) => s.count - s.have))));
  const best = missing.filter((short) => sum(short.map((s) => s.count - s.have)) === fewest).slice(0, 3);
  if (fewest === 0) {
    // Only when the greedy search missed a combination (see the module comment on greedy evaluation).
    return `${policyText} is satisfied by no combination of this gateway's peers that the bounded search tried (${known})`;
  }
  const needs = [...new Set(best.map((short) => listWords(short.map((s) => peersOf(s.count, s.mspId)))))];
  const lacking = new Map(best.flat().map((s) => [s.mspId, s.have]));
  const lacks = [...lacking].map(([mspId, have]) => (have === 0 ? `no peer of ${mspId}` : `only ${have} ${have === 1 ? 'peer' : 'peers'} of ${mspId}`));
  return `${policyText} needs ${listWords(needs, 'or')}, and the channel has ${listWords(lacks)} known to this gateway (${known})`;
}

// ---------------------------------------------------------------------------------------------
// Collecting endorsements along the plan

export type CollectionState = 'pending' | 'satisfied' | 'exhausted';

/**
 * Follows a plan while endorsements come in (Fabric's gateway `plan`: endorsers,
 * processEndorsement, nextPeerInGroup). The gateway's loop:
 *
 *     const collector = new EndorsementCollector(plan);
 *     while (collector.done === 'pending') {
 *       const round = collector.next();           // ask these now, in parallel
 *       await Promise.all(round.map(async (peer) => (await ask(peer)) ? collector.succeeded(peer.endpoint) : collector.failed(peer.endpoint)));
 *     }
 *     // collector.done is 'satisfied' or 'exhausted'
 *
 * Rules: the current layout is the first one that can still be completed (every group has, in
 * successes plus peers not yet asked, at least `needed`). `next()` returns, for each group of it,
 * as many not-yet-reported peers as it still needs, so a failed peer is replaced by the next peer
 * of its organization, and a layout that runs out of peers gives way to the next one. A success
 * counts for every layout with that organization, so nothing is asked twice when the plan moves
 * on. `next()` only reads the state: peers it returned that were not reported are returned again.
 */
export class EndorsementCollector {
  readonly plan: EndorsementPlan;
  private readonly orgOf = new Map<string, string>();
  private readonly outcomes = new Map<string, 'succeeded' | 'failed'>();
  /** Successful endpoints, in report order. */
  private readonly successes: string[] = [];

  constructor(plan: EndorsementPlan) {
    this.plan = plan;
    for (const layout of plan.layouts) for (const group of layout.groups) for (const peer of group.peers) this.orgOf.set(peer.endpoint, peer.mspId);
  }

  /** `satisfied` when a layout has all its endorsements, `exhausted` when no layout can be completed any more, else `pending`. */
  get done(): CollectionState {
    if (this.satisfiedLayout !== undefined) return 'satisfied';
    return this.currentLayout !== undefined ? 'pending' : 'exhausted';
  }

  /** The first layout whose endorsements are all in, if any. */
  get satisfiedLayout(): EndorsementLayout | undefined {
    return this.plan.layouts.find((layout) => layout.groups.every((g) => this.successCount(g.mspId) >= g.needed));
  }

  /** The layout being worked on: the first that can still be completed (undefined when exhausted). */
  get currentLayout(): EndorsementLayout | undefined {
    return this.plan.layouts.find((layout) => layout.groups.every((g) => this.successCount(g.mspId) + this.untried(g).length >= g.needed));
  }

  /** The peers to ask now (in parallel): empty once the plan is satisfied or exhausted. */
  next(): EndorsingPeerInfo[] {
    if (this.satisfiedLayout !== undefined) return [];
    const layout = this.currentLayout;
    if (layout === undefined) return [];
    return layout.groups.flatMap((g) => this.untried(g).slice(0, Math.max(0, g.needed - this.successCount(g.mspId))));
  }

  /** The peer endorsed (and its endorsement is usable). */
  succeeded(endpoint: string): void {
    this.report(endpoint, 'succeeded');
    this.successes.push(endpoint);
  }

  /** The peer could not endorse (unreachable, refused, or an endorsement that does not match). */
  failed(endpoint: string): void {
    this.report(endpoint, 'failed');
  }

  /** Every successful peer so far, in report order. */
  get endorsed(): readonly string[] {
    return this.successes;
  }

  /**
   * Once satisfied: the successful peers the satisfied layout counts, the first `needed` of each of
   * its organizations in report order (Fabric uses only the completed layout's endorsements).
   * Endorsements from organizations of abandoned layouts are left out. Empty while not satisfied.
   */
  satisfyingEndorsers(): readonly string[] {
    const layout = this.satisfiedLayout;
    if (layout === undefined) return [];
    const wanted = new Map(layout.groups.map((g) => [g.mspId, g.needed]));
    return this.successes.filter((endpoint) => {
      const mspId = this.orgOf.get(endpoint) ?? '';
      const left = wanted.get(mspId) ?? 0;
      if (left === 0) return false;
      wanted.set(mspId, left - 1);
      return true;
    });
  }

  private report(endpoint: string, outcome: 'succeeded' | 'failed'): void {
    assert(this.orgOf.has(endpoint), `${endpoint} is a peer of the endorsement plan`);
    assert(!this.outcomes.has(endpoint), `${endpoint} is reported once (it was already reported ${this.outcomes.get(endpoint)})`);
    this.outcomes.set(endpoint, outcome);
  }

  private successCount(mspId: string): number {
    return this.successes.filter((endpoint) => this.orgOf.get(endpoint) === mspId).length;
  }

  private untried(group: EndorsementGroup): EndorsingPeerInfo[] {
    return group.peers.filter((p) => !this.outcomes.has(p.endpoint));
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

interface OrgCount {
  readonly mspId: string;
  readonly count: number;
}

function toOrgCounts(candidates: readonly Candidate[], counts: Counts): OrgCount[] {
  return candidates.map((c, i) => ({ mspId: c.mspId, count: counts[i] ?? 0 })).filter((oc) => oc.count > 0);
}

function toLayout(orgCounts: readonly OrgCount[], peersByOrg: ReadonlyMap<string, readonly EndorsingPeerInfo[]>, localMspId: string): EndorsementLayout {
  const groups = [...orgCounts]
    .sort((a, b) => preferLocal(localMspId)(a.mspId, b.mspId))
    .map(({ mspId, count }) => ({ mspId, peers: peersByOrg.get(mspId) ?? [], needed: count }));
  return { groups, size: sum(groups.map((g) => g.needed)) };
}

/** Smaller first, then with the local organization, then by the layouts' MSP IDs (and counts). */
function compareLayouts(localMspId: string): (a: readonly OrgCount[], b: readonly OrgCount[]) => number {
  const key = (layout: readonly OrgCount[]): string =>
    [...layout]
      .sort((x, y) => compareText(x.mspId, y.mspId))
      .map((oc) => `${oc.mspId}\u0000${oc.count}`)
      .join('\u0001');
  const hasLocal = (layout: readonly OrgCount[]): number => (layout.some((oc) => oc.mspId === localMspId) ? 0 : 1);
  return (a, b) => sum(a.map((oc) => oc.count)) - sum(b.map((oc) => oc.count)) || hasLocal(a) - hasLocal(b) || compareText(key(a), key(b));
}

/** The local organization first, then by MSP ID. */
function preferLocal(localMspId: string): (a: string, b: string) => number {
  return (a, b) => (a === localMspId ? 0 : 1) - (b === localMspId ? 0 : 1) || compareText(a, b);
}

/** Peers by organization, each list with the local peer first and the others in the given order; one entry per endpoint. */
function groupPeersByOrg(peers: readonly EndorsingPeerInfo[]): Map<string, EndorsingPeerInfo[]> {
  const seen = new Set<string>();
  const byOrg = new Map<string, EndorsingPeerInfo[]>();
  for (const peer of [...peers.filter((p) => p.local), ...peers.filter((p) => !p.local)]) {
    if (seen.has(peer.endpoint)) continue;
    seen.add(peer.endpoint);
    const list = byOrg.get(peer.mspId) ?? [];
    list.push(peer);
    byOrg.set(peer.mspId, list);
  }
  return byOrg;
}

function describePolicy(policy: EndorsementPolicy, resolved: Policy | undefined): string {
  if (policy.kind === 'signature') return policy.expression;
  return resolved === undefined ? policy.path : `${policy.path} (${formatPolicy(resolved)})`;
}

/** "it knows peers of Org1MSP (2) and Org2MSP (1)". */
function knownOrgs(peersByOrg: ReadonlyMap<string, readonly EndorsingPeerInfo[]>): string {
  if (peersByOrg.size === 0) return 'it knows no peer of the channel';
  const orgs = [...peersByOrg.keys()].sort(compareText).map((mspId) => `${mspId} (${peersByOrg.get(mspId)?.length ?? 0})`);
  return `it knows peers of ${listWords(orgs)}`;
}

/** "a peer of Org3MSP", "2 peers of Org1MSP". */
function peersOf(count: number, mspId: string): string {
  return count === 1 ? `a peer of ${mspId}` : `${count} peers of ${mspId}`;
}

/** "a", "a and b", "a, b and c". */
function listWords(words: readonly string[], conjunction = 'and'): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} ${conjunction} ${words[words.length - 1]}`;
}

function contains(larger: Counts, smaller: Counts): boolean {
  return smaller.every((n, i) => n <= (larger[i] ?? 0));
}

function sameCounts(a: Counts, b: Counts): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

function sum(numbers: readonly number[]): number {
  return numbers.reduce((total, n) => total + n, 0);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
