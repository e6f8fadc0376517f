import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelResources } from '../../../../src/common/channel-resources.js';
import { AssertionError } from '../../../../src/core/assert.js';
import {
  EndorsementCollector,
  MAX_EXHAUSTIVE_CANDIDATES,
  describeLayout,
  planEndorsement,
  type EndorsementPlan,
  type EndorsementPlanResult,
  type EndorsingPeerInfo,
  type PlanEndorsementOptions,
} from '../../../../src/peer/gateway/endorsement-plan.js';
import { endorsementPolicyFrom } from '../../../../src/peer/validation/chaincode-definition.js';
import { implicitMeta, parseSignaturePolicy, resolveImplicitMetaPolicy, type Policy } from '../../../../src/policy/index.js';
import { makeChannelFixture, type ChannelFixture } from '../../../helpers/channel-fixture.js';

/**
 * The Gateway's endorsement plan (Fabric internal/pkg/gateway/endorsement.go and discovery's
 * endorsement layouts): the fewest peers whose organizations satisfy the policy, the gateway's
 * organization first, and a collector that replaces failed peers and moves on to the next layout.
 */

const peer = (endpoint: string, mspId: string, local = false): EndorsingPeerInfo => ({ endpoint, mspId, local });
const P1 = peer('peer0.org1.example.com:7051', 'Org1MSP', true);
const P1b = peer('peer1.org1.example.com:7061', 'Org1MSP');
const P2 = peer('peer0.org2.example.com:9051', 'Org2MSP');
const P2b = peer('peer1.org2.example.com:9061', 'Org2MSP');
const P3 = peer('peer0.org3.example.com:11051', 'Org3MSP');

/** A channel whose /Channel/Application/Endorsement is MAJORITY over each org's OR('OrgN.peer'), as configtxgen writes it. */
function channelOf(orgs: readonly string[]): Pick<ChannelResources, 'policies'> {
  const endorsement = resolveImplicitMetaPolicy(
    implicitMeta('MAJORITY', 'Endorsement'),
    orgs.map((name) => ({ name, policy: parseSignaturePolicy(`OR('${name}.peer')`) })),
  );
  return { policies: new Map<string, Policy>([['/Channel/Application/Endorsement', endorsement]]) };
}
const NO_POLICIES: Pick<ChannelResources, 'policies'> = { policies: new Map() };

/** planEndorsement with a policy as the network config writes it, on a gateway of Org1MSP that knows P1 and P2 unless told otherwise. */
function plan(o: Partial<Omit<PlanEndorsementOptions, 'policy'>> & { readonly policy: string | undefined }): EndorsementPlanResult {
  return planEndorsement({
    resources: NO_POLICIES,
    peers: [P1, P2],
    localMspId: 'Org1MSP',
    ...o,
    policy: endorsementPolicyFrom(o.policy),
  });
}

function planned(result: EndorsementPlanResult): EndorsementPlan {
  if (!result.ok) throw new Error(`expected a plan, got: ${result.reason}`);
  return result.plan;
}

/** Each layout as "Org1MSP×1 + Org2MSP×1", groups in plan order. */
function shapes(p: EndorsementPlan): string[] {
  return p.layouts.map((l) => l.groups.map((g) => `${g.mspId}×${g.needed}`).join(' + '));
}

const endpoints = (peers: readonly EndorsingPeerInfo[]): string[] => peers.map((p) => p.endpoint);

describe('planEndorsement', () => {
  it("AND('Org1MSP.peer','Org2MSP.peer'): one peer of each, the local organization first", () => {
    const p = planned(plan({ policy: "AND('Org1MSP.peer','Org2MSP.peer')", peers: [P2, P1b, P1] }));
    expect(shapes(p)).toEqual(['Org1MSP×1 + Org2MSP×1']);
    expect(p.search).toBe('exhaustive');
    expect(p.policy).toBe("AND('Org1MSP.peer','Org2MSP.peer')");
    expect(p.layouts[0]?.size).toBe(2);
    // The local peer first, then the others in the caller's order.
    expect(endpoints(p.layouts[0]!.groups[0]!.peers)).toEqual([P1.endpoint, P1b.endpoint]);
    expect(describeLayout(p.layouts[0]!)).toBe('one endorsement from a peer of Org1MSP and one from a peer of Org2MSP');
  });

  it("OR('Org1MSP.peer','Org2MSP.peer') on a gateway of Org2MSP asks Org2MSP alone, Org1MSP only as the fallback", () => {
    const local2 = peer(P2.endpoint, 'Org2MSP', true);
    const p = planned(plan({ policy: "OR('Org1MSP.peer','Org2MSP.peer')", peers: [{ ...P1, local: false }, local2], localMspId: 'Org2MSP' }));
    expect(shapes(p)).toEqual(['Org2MSP×1', 'Org1MSP×1']);
    expect(new EndorsementCollector(p).next()).toEqual([local2]);
  });

  it('MAJORITY Endorsement of a 3-organization channel: every pair, those with the local organization first', () => {
    const p = planned(
      planEndorsement({
        policy: endorsementPolicyFrom(undefined),
        resources: channelOf(['Org1MSP', 'Org2MSP', 'Org3MSP']),
        peers: [P1, P2, P3],
        localMspId: 'Org2MSP',
      }),
    );
    expect(p.policy).toBe('/Channel/Application/Endorsement (MAJORITY Endorsement)');
    expect(shapes(p)).toEqual(['Org2MSP×1 + Org1MSP×1', 'Org2MSP×1 + Org3MSP×1', 'Org1MSP×1 + Org3MSP×1']);
  });

  it("OutOf(2, ...) over three organizations, and over a principal named twice (two peers of one organization)", () => {
    const three = planned(plan({ policy: "OutOf(2,'Org1MSP.peer','Org2MSP.peer','Org3MSP.peer')", peers: [P1, P2, P3] }));
    expect(shapes(three)).toEqual(['Org1MSP×1 + Org2MSP×1', 'Org1MSP×1 + Org3MSP×1', 'Org2MSP×1 + Org3MSP×1']);

    const twice = "OutOf(2,'Org1MSP.peer','Org1MSP.peer','Org2MSP.peer')";
    expect(shapes(planned(plan({ policy: twice, peers: [P1, P1b, P2] })))).toEqual(['Org1MSP×1 + Org2MSP×1', 'Org1MSP×2']);
    // With one peer of Org1MSP, two of its endorsements are impossible: one layout is left.
    expect(shapes(planned(plan({ policy: twice, peers: [P1, P2] })))).toEqual(['Org1MSP×1 + Org2MSP×1']);
  });

  it('uses only organizations the policy names, and never more of their peers than it can count', () => {
    const p = planned(plan({ policy: "OR('Org2MSP.member')", peers: [P1, P1b, P2, P2b] }));
    expect(shapes(p)).toEqual(['Org2MSP×1']);
    expect(endpoints(p.layouts[0]!.groups[0]!.peers)).toEqual([P2.endpoint, P2b.endpoint]);
  });

  it("the MAJORITY Endorsement of the fixture's two-organization channel needs both", async () => {
    const resources = fx.registry.get('mychannel')!;
    const p = planned(planEndorsement({ policy: endorsementPolicyFrom(undefined), resources, peers: [P2, P1], localMspId: 'Org1MSP' }));
    expect(shapes(p)).toEqual(['Org1MSP×1 + Org2MSP×1']);
  });

  it('requiredOrgs: exactly one peer of each named organization, with a warning when they do not satisfy the policy', () => {
    const p = planned(plan({ policy: "AND('Org1MSP.peer','Org2MSP.peer')", peers: [P1, P1b, P2], requiredOrgs: ['Org2MSP', 'Org1MSP', 'Org2MSP'] }));
    expect(p.search).toBe('required-orgs');
    expect(shapes(p)).toEqual(['Org1MSP×1 + Org2MSP×1']);
    expect(p.warning).toBeUndefined();

    const only2 = planned(plan({ policy: "AND('Org1MSP.peer','Org2MSP.peer')", requiredOrgs: ['Org2MSP'] }));
    expect(shapes(only2)).toEqual(['Org2MSP×1']);
    expect(only2.warning).toBe(
      "one endorsement from each of Org2MSP does not satisfy AND('Org1MSP.peer','Org2MSP.peer'); the committing peers will mark the transaction ENDORSEMENT_POLICY_FAILURE",
    );

    const missing = plan({ policy: undefined, requiredOrgs: ['Org1MSP', 'Org3MSP'] });
    expect(missing).toEqual({
      ok: false,
      reason: 'the client asked for endorsements from Org1MSP and Org3MSP, and the channel has no peer of Org3MSP known to this gateway (it knows peers of Org1MSP (1) and Org2MSP (1))',
    });
  });

  it('falls back to a bounded greedy search beyond MAX_EXHAUSTIVE_CANDIDATES candidate peers', () => {
    const orgs = Array.from({ length: MAX_EXHAUSTIVE_CANDIDATES + 1 }, (_, i) => `Org${String(i + 1).padStart(2, '0')}MSP`);
    const peers = orgs.map((mspId, i) => peer(`peer0.org${i + 1}:7051`, mspId, mspId === 'Org05MSP'));
    const p = planned(plan({ policy: `OutOf(7,${orgs.map((o) => `'${o}.peer'`).join(',')})`, peers, localMspId: 'Org05MSP' }));
    expect(p.search).toBe('greedy');
    expect(p.layouts.every((l) => l.size === 7)).toBe(true);
    expect(shapes(p)[0]).toBe('Org05MSP×1 + Org01MSP×1 + Org02MSP×1 + Org03MSP×1 + Org04MSP×1 + Org06MSP×1 + Org07MSP×1');
    // One alternative without each organization of the first layout, so any one of them may be down.
    for (const mspId of ['Org05MSP', 'Org01MSP', 'Org07MSP']) {
      expect(p.layouts.some((l) => l.groups.every((g) => g.mspId !== mspId))).toBe(true);
    }
  });

  it('a policy satisfied by no endorsement still gets one peer (a transaction carries at least one)', () => {
    const empty = resolveImplicitMetaPolicy(implicitMeta('MAJORITY', 'Endorsement'), []);
    const p = planned(
      planEndorsement({ policy: endorsementPolicyFrom(undefined), resources: { policies: new Map([['/Channel/Application/Endorsement', empty]]) }, peers: [P2, P1], localMspId: 'Org1MSP' }),
    );
    expect(shapes(p)).toEqual(['Org1MSP×1', 'Org2MSP×1']);
  });
});

describe('planEndorsement when the policy cannot be satisfied', () => {
  it('names the policy, the organizations with peers, and what is missing', () => {
    expect(plan({ policy: "AND('Org1MSP.peer','Org3MSP.peer')" })).toEqual({
      ok: false,
      reason: "AND('Org1MSP.peer','Org3MSP.peer') needs a peer of Org3MSP, and the channel has no peer of Org3MSP known to this gateway (it knows peers of Org1MSP (1) and Org2MSP (1))",
    });
    expect(plan({ policy: "AND('Org1MSP.peer','Org1MSP.peer')" })).toEqual({
      ok: false,
      reason: "AND('Org1MSP.peer','Org1MSP.peer') needs 2 peers of Org1MSP, and the channel has only 1 peer of Org1MSP known to this gateway (it knows peers of Org1MSP (1) and Org2MSP (1))",
    });
    const majority = planEndorsement({ policy: endorsementPolicyFrom(undefined), resources: channelOf(['Org1MSP', 'Org2MSP', 'Org3MSP']), peers: [P1], localMspId: 'Org1MSP' });
    expect(majority).toEqual({
      ok: false,
      reason: '/Channel/Application/Endorsement (MAJORITY Endorsement) needs a peer of Org2MSP or a peer of Org3MSP, and the channel has no peer of Org2MSP and no peer of Org3MSP known to this gateway (it knows peers of Org1MSP (1))',
    });
  });

  it('says when no peer identity can satisfy the policy at all', () => {
    const result = plan({ policy: "AND('Org1MSP.peer','Org2MSP.admin')" });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(
      /^AND\('Org1MSP\.peer','Org2MSP\.admin'\) cannot be satisfied by peers' endorsements \(a peer's identity holds the roles member and peer only\): .*Org2MSP\.admin: no signature from Org2MSP/,
    );
  });

  it('says when a referenced policy is not defined on the channel', () => {
    expect(plan({ policy: '/Channel/Application/Nope' })).toEqual({
      ok: false,
      reason: 'the endorsement policy /Channel/Application/Nope is not defined on the channel; the chaincode definition must name a policy of the channel config',
    });
  });
});

describe('EndorsementCollector', () => {
  const andPlan = (): EndorsementPlan => planned(plan({ policy: "AND('Org1MSP.peer','Org2MSP.peer')", peers: [P1, P1b, P2, P2b] }));

  it('asks one peer of each group, and is satisfied when all have endorsed', () => {
    const c = new EndorsementCollector(andPlan());
    expect(c.done).toBe('pending');
    expect(c.next()).toEqual([P1, P2]);
    // next() only reads: the same peers until they are reported.
    expect(c.next()).toEqual([P1, P2]);
    c.succeeded(P1.endpoint);
    expect(c.next()).toEqual([P2]);
    c.succeeded(P2.endpoint);
    expect(c.done).toBe('satisfied');
    expect(c.next()).toEqual([]);
    expect(c.satisfyingEndorsers()).toEqual([P1.endpoint, P2.endpoint]);
  });

  it('replaces a failed peer by the next peer of the same organization', () => {
    const c = new EndorsementCollector(andPlan());
    c.succeeded(P1.endpoint);
    c.failed(P2.endpoint);
    expect(c.done).toBe('pending');
    expect(c.next()).toEqual([P2b]);
    c.succeeded(P2b.endpoint);
    expect(c.done).toBe('satisfied');
  });

  it('moves to the next layout when one runs out of peers, keeping the endorsements already collected', () => {
    const p = planned(plan({ policy: "OR(AND('Org1MSP.peer','Org2MSP.peer'),AND('Org1MSP.peer','Org3MSP.peer'))", peers: [P1, P2, P3] }));
    expect(shapes(p)).toEqual(['Org1MSP×1 + Org2MSP×1', 'Org1MSP×1 + Org3MSP×1']);
    const c = new EndorsementCollector(p);
    expect(c.next()).toEqual([P1, P2]);
    c.succeeded(P1.endpoint);
    c.failed(P2.endpoint);
    expect(c.currentLayout).toBe(p.layouts[1]);
    // Org1MSP's endorsement counts for the second layout too: only Org3MSP is left to ask.
    expect(c.next()).toEqual([P3]);
    c.succeeded(P3.endpoint);
    expect(c.done).toBe('satisfied');
    expect(c.satisfiedLayout).toBe(p.layouts[1]);
  });

  it('is exhausted when no layout can be completed', () => {
    const c = new EndorsementCollector(andPlan());
    c.failed(P1.endpoint);
    expect(c.next()).toEqual([P1b, P2]);
    c.failed(P1b.endpoint);
    expect(c.done).toBe('exhausted');
    expect(c.next()).toEqual([]);
    expect(c.satisfyingEndorsers()).toEqual([]);
  });

  it("satisfyingEndorsers leaves out endorsements of an abandoned layout's other organizations", () => {
    const p = planned(plan({ policy: "OR(AND('Org1MSP.peer','Org2MSP.peer'),'Org3MSP.peer')", peers: [P1, P2, P3] }));
    expect(shapes(p)).toEqual(['Org3MSP×1', 'Org1MSP×1 + Org2MSP×1']);
    const c = new EndorsementCollector(p);
    c.failed(P3.endpoint);
    c.succeeded(P1.endpoint);
    c.succeeded(P2.endpoint);
    expect(c.satisfyingEndorsers()).toEqual([P1.endpoint, P2.endpoint]);
    expect(c.endorsed).toEqual([P1.endpoint, P2.endpoint]);
  });

  it('refuses reports about peers outside the plan, or reported twice (a gateway bug)', () => {
    const c = new EndorsementCollector(andPlan());
    expect(() => c.succeeded('peer9.example.com:1')).toThrow(AssertionError);
    c.failed(P1.endpoint);
    expect(() => c.succeeded(P1.endpoint)).toThrow(AssertionError);
  });
});

let fx: ChannelFixture;
beforeAll(async () => {
  fx = await makeChannelFixture('endorsement-plan');
}, 60_000);
afterAll(() => fx?.cleanup());
