import { describe, expect, it } from 'vitest';
import {
  evaluateImplicitMetaPolicy,
  evaluatePolicy,
  formatImplicitMetaPolicy,
  formatPolicy,
  implicitMeta,
  implicitMetaThreshold,
  parseImplicitMetaPolicy,
  parseSignaturePolicy,
  PolicyParseError,
  resolveImplicitMetaPolicy,
  type ImplicitMetaRule,
  type Policy,
  type SubPolicy,
} from '../../../src/policy/index.js';
import { admin1, admin2, identity, peer1, peer2, user1 } from './identities.js';

describe('parseImplicitMetaPolicy / formatImplicitMetaPolicy', () => {
  it.each([
    ['ANY Readers', 'ANY', 'Readers'],
    ['ALL Writers', 'ALL', 'Writers'],
    ['MAJORITY Endorsement', 'MAJORITY', 'Endorsement'],
    ['MAJORITY LifecycleEndorsement', 'MAJORITY', 'LifecycleEndorsement'],
    ['ANY Block-Validation.v2', 'ANY', 'Block-Validation.v2'],
  ] as const)('%s', (text, rule, subPolicy) => {
    const policy = parseImplicitMetaPolicy(text);
    expect(policy).toEqual({ kind: 'implicitMeta', rule, subPolicy });
    expect(formatImplicitMetaPolicy(policy)).toBe(text);
    expect(formatPolicy(policy)).toBe(text);
  });

  // Fabric's ImplicitMetaFromString: exactly two tokens split on one space, the rule in capitals.
  it.each([
    ['', 0, 'ANY, ALL or MAJORITY'],
    ['any Readers', 0, 'ANY, ALL or MAJORITY'],
    ['SOME Readers', 0, 'ANY, ALL or MAJORITY'],
    [' ANY Readers', 0, 'ANY, ALL or MAJORITY'],
    ['ANY', 3, 'one space and then the sub-policy name'],
    ['ANY\tReaders', 3, 'one space and then the sub-policy name'],
    ['ANY ', 4, 'the sub-policy name'],
    ['ANY  Readers', 4, 'the sub-policy name'],
    ['ANY Readers Writers', 11, 'the end of the policy'],
    ['ANY Readers ', 11, 'the end of the policy'],
  ] as const)('rejects %j at %i', (text, position, expected) => {
    let error: unknown;
    try {
      parseImplicitMetaPolicy(text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PolicyParseError);
    const err = error as PolicyParseError;
    expect(err.code).toBe('POLICY_SYNTAX');
    expect(err.position).toBe(position);
    expect(err.expected).toContain(expected);
    expect(err.message).toContain(`is malformed at position ${position}`);
  });

  it('suggests the capitalized rule', () => {
    expect(() => parseImplicitMetaPolicy('majority Endorsement')).toThrow(
      'policy "majority Endorsement" is malformed at position 0: expected ANY, ALL or MAJORITY, found "majority". Rules are written in capitals: MAJORITY.',
    );
  });
});

describe('implicitMetaThreshold (Fabric implicitmeta.go)', () => {
  it.each([
    // count, ANY, ALL, MAJORITY
    [0, 0, 0, 0],
    [1, 1, 1, 1],
    [2, 1, 2, 2],
    [3, 1, 3, 2],
    [4, 1, 4, 3],
    [5, 1, 5, 3],
    [6, 1, 6, 4],
  ] as const)('%i sub-policies: ANY %i, ALL %i, MAJORITY %i', (count, any, all, majority) => {
    expect(implicitMetaThreshold('ANY', count)).toBe(any);
    expect(implicitMetaThreshold('ALL', count)).toBe(all);
    expect(implicitMetaThreshold('MAJORITY', count)).toBe(majority);
  });
});

const endorsement = (mspId: string): SubPolicy => ({ name: mspId, policy: parseSignaturePolicy(`OR('${mspId}.peer')`) });
const org3peer = identity('Org3MSP', 'peer0.org3.example.com', 'peer');

describe('evaluateImplicitMetaPolicy', () => {
  const orgs = [endorsement('Org1MSP'), endorsement('Org2MSP'), endorsement('Org3MSP')];
  const satisfiedWith = (rule: ImplicitMetaRule, subs: readonly SubPolicy[], ids: Parameters<typeof evaluatePolicy>[1]) =>
    evaluateImplicitMetaPolicy(implicitMeta(rule, 'Endorsement'), subs, ids).satisfied;

  it('ANY needs one organization', () => {
    expect(satisfiedWith('ANY', orgs, [])).toBe(false);
    expect(satisfiedWith('ANY', orgs, [peer2])).toBe(true);
  });

  it('ALL needs every organization', () => {
    expect(satisfiedWith('ALL', orgs, [peer1, peer2])).toBe(false);
    expect(satisfiedWith('ALL', orgs, [peer1, peer2, org3peer])).toBe(true);
  });

  it('MAJORITY needs floor(n/2)+1 organizations', () => {
    expect(satisfiedWith('MAJORITY', orgs, [peer1])).toBe(false);
    expect(satisfiedWith('MAJORITY', orgs, [peer1, org3peer])).toBe(true);
    expect(satisfiedWith('MAJORITY', orgs.slice(0, 2), [peer1])).toBe(false);
    expect(satisfiedWith('MAJORITY', orgs.slice(0, 2), [peer1, peer2])).toBe(true);
    expect(satisfiedWith('MAJORITY', orgs.slice(0, 1), [peer1])).toBe(true);
  });

  it('evaluates each sub-policy against the full identity set: one signer can count for several', () => {
    const subs: SubPolicy[] = [
      { name: 'Org1MSP', policy: parseSignaturePolicy("OR('Org1MSP.member')") },
      { name: 'Org1MSP-again', policy: parseSignaturePolicy("OR('Org1MSP.peer')") },
    ];
    expect(evaluateImplicitMetaPolicy(implicitMeta('ALL', 'Readers'), subs, [peer1]).satisfied).toBe(true);
  });

  it('is satisfied with no sub-policies at all, as Fabric decides', () => {
    for (const rule of ['ANY', 'ALL', 'MAJORITY'] as const) {
      const result = evaluateImplicitMetaPolicy(implicitMeta(rule, 'Endorsement'), [], []);
      expect(result.satisfied).toBe(true);
      expect(result.explanation).toBe(
        `${rule} Endorsement satisfied: 0 of 0 organizations satisfied it, 0 required (Fabric considers an implicit meta policy with no sub-policies satisfied)`,
      );
    }
  });

  it('counts a group without the sub-policy, which never satisfies it', () => {
    const subs: SubPolicy[] = [endorsement('Org1MSP'), { name: 'Org3MSP', policy: undefined }];
    const result = evaluateImplicitMetaPolicy(implicitMeta('MAJORITY', 'Endorsement'), subs, [peer1, org3peer]);
    expect(result.satisfied).toBe(false);
    expect(result.explanation).toBe(
      'MAJORITY Endorsement not satisfied: 1 of 2 organizations satisfied it, 2 required: ' +
        "Org1MSP.Endorsement satisfied (OR('Org1MSP.peer') satisfied: Org1MSP.peer satisfied by peer0.org1.example.com); " +
        'Org3MSP.Endorsement not satisfied (Org3MSP has no Endorsement policy, so it counts as not satisfied)',
    );
    expect(evaluateImplicitMetaPolicy(implicitMeta('ANY', 'Endorsement'), subs, [peer1]).satisfied).toBe(true);
  });

  it('explains which organizations satisfied it', () => {
    const result = evaluateImplicitMetaPolicy(implicitMeta('MAJORITY', 'Endorsement'), orgs.slice(0, 2), [peer1]);
    expect(result.explanation).toBe(
      'MAJORITY Endorsement not satisfied: 1 of 2 organizations satisfied it, 2 required: ' +
        "Org1MSP.Endorsement satisfied (OR('Org1MSP.peer') satisfied: Org1MSP.peer satisfied by peer0.org1.example.com); " +
        "Org2MSP.Endorsement not satisfied (OR('Org2MSP.peer') not satisfied: Org2MSP.peer: no signature from Org2MSP)",
    );
    expect(result.detail).toMatchObject({
      kind: 'implicitMeta',
      policy: 'MAJORITY Endorsement',
      rule: 'MAJORITY',
      subPolicyName: 'Endorsement',
      satisfied: false,
      required: 2,
      satisfiedCount: 1,
      subPolicies: [
        { name: 'Org1MSP', path: 'Org1MSP.Endorsement', satisfied: true, detail: { kind: 'nOutOf', policy: "OR('Org1MSP.peer')", satisfied: true } },
        { name: 'Org2MSP', path: 'Org2MSP.Endorsement', satisfied: false, detail: { kind: 'nOutOf', satisfied: false } },
      ],
    });
  });
});

describe('evaluatePolicy: nested implicit meta policies, as in a channel config', () => {
  // /Channel/Readers = ANY Readers over the Application and Orderer groups, whose Readers are
  // themselves ANY Readers over their organizations' signature policies (Fabric's test-network).
  const readers = (mspId: string) => parseSignaturePolicy(`OR('${mspId}.admin','${mspId}.peer','${mspId}.client')`);
  const application: Policy = resolveImplicitMetaPolicy(parseImplicitMetaPolicy('ANY Readers'), [
    { name: 'Org1MSP', policy: readers('Org1MSP') },
    { name: 'Org2MSP', policy: readers('Org2MSP') },
  ]);
  const orderer: Policy = resolveImplicitMetaPolicy(parseImplicitMetaPolicy('ANY Readers'), [
    { name: 'OrdererOrg', policy: parseSignaturePolicy("OR('OrdererMSP.member')") },
  ]);
  const channelReaders: Policy = resolveImplicitMetaPolicy(parseImplicitMetaPolicy('ANY Readers'), [
    { name: 'Application', policy: application },
    { name: 'Orderer', policy: orderer },
  ]);

  it('dispatches on the policy kind', () => {
    expect(evaluatePolicy(readers('Org1MSP'), [user1]).satisfied).toBe(true);
    expect(evaluatePolicy(application, [user1]).satisfied).toBe(true);
    expect(evaluatePolicy(channelReaders, [user1]).satisfied).toBe(true);
    expect(evaluatePolicy(channelReaders, [identity('OrdererMSP', 'orderer.example.com', 'orderer')]).satisfied).toBe(true);
    expect(evaluatePolicy(channelReaders, [identity('Org3MSP', 'User1@org3.example.com', 'client')]).satisfied).toBe(false);
  });

  it('MAJORITY Admins of the channel needs a majority of groups, each a majority of organizations', () => {
    const admins = (mspId: string) => parseSignaturePolicy(`OR('${mspId}.admin')`);
    const appAdmins: Policy = resolveImplicitMetaPolicy(implicitMeta('MAJORITY', 'Admins'), [
      { name: 'Org1MSP', policy: admins('Org1MSP') },
      { name: 'Org2MSP', policy: admins('Org2MSP') },
    ]);
    const ordererAdmins: Policy = resolveImplicitMetaPolicy(implicitMeta('MAJORITY', 'Admins'), [{ name: 'OrdererOrg', policy: admins('OrdererMSP') }]);
    const channelAdmins: Policy = resolveImplicitMetaPolicy(implicitMeta('MAJORITY', 'Admins'), [
      { name: 'Application', policy: appAdmins },
      { name: 'Orderer', policy: ordererAdmins },
    ]);
    const ordererAdmin = identity('OrdererMSP', 'Admin@example.com', 'admin');
    expect(evaluatePolicy(channelAdmins, [admin1, admin2]).satisfied).toBe(false);
    expect(evaluatePolicy(channelAdmins, [admin1, ordererAdmin]).satisfied).toBe(false);
    expect(evaluatePolicy(channelAdmins, [admin1, admin2, ordererAdmin]).satisfied).toBe(true);
  });

  it('explains every level, calling groups of groups "groups"', () => {
    const result = evaluatePolicy(channelReaders, [peer2]);
    expect(result.explanation).toBe(
      'ANY Readers satisfied: 1 of 2 groups satisfied it, 1 required: ' +
        'Application.Readers satisfied (ANY Readers satisfied: 1 of 2 organizations satisfied it, 1 required: ' +
        "Org1MSP.Readers not satisfied (OR('Org1MSP.admin','Org1MSP.peer','Org1MSP.client') not satisfied: " +
        'Org1MSP.admin: no signature from Org1MSP; Org1MSP.peer: no signature from Org1MSP; Org1MSP.client: no signature from Org1MSP); ' +
        "Org2MSP.Readers satisfied (OR('Org2MSP.admin','Org2MSP.peer','Org2MSP.client') satisfied: " +
        'Org2MSP.admin: peer0.org2.example.com is not an admin (roles: member, peer); Org2MSP.peer satisfied by peer0.org2.example.com; ' +
        'Org2MSP.client: peer0.org2.example.com is not a client (roles: member, peer))); ' +
        "Orderer.Readers not satisfied (ANY Readers not satisfied: 0 of 1 organizations satisfied it, 1 required: OrdererOrg.Readers not satisfied (OR('OrdererMSP.member') not satisfied: OrdererMSP.member: no signature from OrdererMSP))",
    );
    expect(result.detail).toMatchObject({
      kind: 'implicitMeta',
      subPolicies: [
        { path: 'Application.Readers', satisfied: true, detail: { kind: 'implicitMeta', satisfiedCount: 1, subPolicies: [{ path: 'Org1MSP.Readers' }, { path: 'Org2MSP.Readers' }] } },
        { path: 'Orderer.Readers', satisfied: false, detail: { kind: 'implicitMeta', satisfiedCount: 0 } },
      ],
    });
  });

  it('formats resolved policies', () => {
    expect(formatPolicy(channelReaders)).toBe('ANY Readers');
    expect(formatPolicy(readers('Org1MSP'))).toBe("OR('Org1MSP.admin','Org1MSP.peer','Org1MSP.client')");
  });
});
