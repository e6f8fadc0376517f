import { describe, expect, it } from 'vitest';
import { evaluateSignaturePolicy, nOutOf, parseSignaturePolicy, signedBy, type PolicyIdentity } from '../../../src/policy/index.js';
import { admin1, identity, peer1, peer2, user1, user2 } from './identities.js';

function evaluate(text: string, identities: readonly PolicyIdentity[]) {
  return evaluateSignaturePolicy(parseSignaturePolicy(text), identities);
}

describe('evaluateSignaturePolicy: outcomes (Fabric cauthdsl semantics)', () => {
  it('AND needs every rule, OR needs one', () => {
    expect(evaluate("AND('Org1MSP.peer','Org2MSP.peer')", [peer1, peer2]).satisfied).toBe(true);
    expect(evaluate("AND('Org1MSP.peer','Org2MSP.peer')", [peer1]).satisfied).toBe(false);
    expect(evaluate("AND('Org1MSP.peer','Org2MSP.peer')", []).satisfied).toBe(false);
    expect(evaluate("OR('Org1MSP.peer','Org2MSP.peer')", [peer2]).satisfied).toBe(true);
    expect(evaluate("OR('Org1MSP.peer','Org2MSP.peer')", [user1, user2]).satisfied).toBe(false);
  });

  it('matches the MSP ID and the role; member is any identity of the MSP', () => {
    expect(evaluate("OR('Org1MSP.member')", [peer1]).satisfied).toBe(true);
    expect(evaluate("OR('Org1MSP.member')", [peer2]).satisfied).toBe(false);
    expect(evaluate("OR('Org1MSP.admin')", [peer1, user1]).satisfied).toBe(false);
    expect(evaluate("OR('Org1MSP.admin')", [admin1]).satisfied).toBe(true);
    expect(evaluate("OR('Org1MSP.client')", [user1]).satisfied).toBe(true);
    expect(evaluate("OR('Org2MSP.client')", [user1]).satisfied).toBe(false);
  });

  it('counts the same identity once, even when it signed twice (Fabric deduplicates by identity)', () => {
    expect(evaluate("AND('Org1MSP.member','Org1MSP.member')", [user1, user1]).satisfied).toBe(false);
    const sameKey: PolicyIdentity = { ...user1, name: 'same signer, another copy' };
    expect(evaluate("AND('Org1MSP.member','Org1MSP.member')", [user1, sameKey]).satisfied).toBe(false);
    expect(evaluate("AND('Org1MSP.member','Org1MSP.member')", [user1, admin1]).satisfied).toBe(true);
    expect(evaluate("OutOf(2,'Org1MSP.peer','Org2MSP.peer','Org1MSP.member')", [peer1, peer1, peer1]).satisfied).toBe(false);
  });

  it('keeps the first of two identities with the same key', () => {
    const lookalike = identity('Org1MSP', 'peer0.org1.example.com', 'admin'); // same key as peer1, other roles
    const result = evaluate("OR('Org1MSP.admin')", [peer1, lookalike]);
    expect(result.satisfied).toBe(false);
    expect(result.explanation).toBe("OR('Org1MSP.admin') not satisfied: Org1MSP.admin: peer0.org1.example.com is not an admin (roles: member, peer)");
  });

  it('lets each identity satisfy only one leaf', () => {
    expect(evaluate("AND('Org1MSP.peer','Org1MSP.member')", [peer1]).satisfied).toBe(false);
    expect(evaluate("AND('Org1MSP.peer','Org1MSP.member')", [peer1, user1]).satisfied).toBe(true);
  });

  it('counts OutOf(n, ...) rules', () => {
    const policy = "OutOf(2,'Org1MSP.peer','Org2MSP.peer','Org3MSP.peer')";
    const peer3 = identity('Org3MSP', 'peer0.org3.example.com', 'peer');
    expect(evaluate(policy, [peer2]).satisfied).toBe(false);
    expect(evaluate(policy, [peer2, peer3]).satisfied).toBe(true);
    expect(evaluate(policy, [peer1, peer2, peer3]).satisfied).toBe(true);
    expect(evaluate(policy, [peer1, user2]).satisfied).toBe(false);
  });

  it('evaluates nested policies', () => {
    const policy = "OR(AND('Org1MSP.peer','Org2MSP.peer'), AND('Org1MSP.admin', OR('Org2MSP.admin','Org2MSP.client')))";
    expect(evaluate(policy, [peer1, peer2]).satisfied).toBe(true);
    expect(evaluate(policy, [admin1, user2]).satisfied).toBe(true);
    expect(evaluate(policy, [admin1, peer1]).satisfied).toBe(false);
    expect(evaluate(policy, [peer1, user2]).satisfied).toBe(false);
  });

  it('discards what a failed rule took: its identities stay free for the next rules', () => {
    // The inner AND takes User1 for Org1MSP.client, then fails on Org3MSP; Fabric evaluates it on a
    // copy of the used flags and throws the copy away, so the second rule can still use User1.
    const result = evaluate("OR(AND('Org1MSP.client','Org3MSP.peer'), 'Org1MSP.client')", [user1]);
    expect(result.satisfied).toBe(true);
    expect(result.explanation).toBe(
      "OR(AND('Org1MSP.client','Org3MSP.peer'),'Org1MSP.client') satisfied: " +
        "AND('Org1MSP.client','Org3MSP.peer') not satisfied (Org1MSP.client satisfied by User1@org1.example.com; Org3MSP.peer: no signature from Org3MSP); " +
        'Org1MSP.client satisfied by User1@org1.example.com',
    );
  });

  it('keeps what a satisfied rule took', () => {
    const result = evaluate("AND(OR('Org1MSP.client','Org2MSP.client'), 'Org1MSP.client')", [user1]);
    expect(result.satisfied).toBe(false);
    expect(result.explanation).toBe(
      "AND(OR('Org1MSP.client','Org2MSP.client'),'Org1MSP.client') not satisfied: " +
        "OR('Org1MSP.client','Org2MSP.client') satisfied (Org1MSP.client satisfied by User1@org1.example.com; Org2MSP.client: no signature from Org2MSP); " +
        'Org1MSP.client: User1@org1.example.com already counted for Org1MSP.client',
    );
  });

  it("is greedy like Fabric's: it can reject a set that a perfect matching would accept", () => {
    // Admin@org1 can play 'admin' and 'member', peer0.org1 only 'member'. Matching member->peer,
    // admin->Admin satisfies the AND, but Fabric's first-fit gives the admin to 'member' first.
    const policy = "AND('Org1MSP.member','Org1MSP.admin')";
    const rejected = evaluate(policy, [admin1, peer1]);
    expect(rejected.satisfied).toBe(false);
    expect(rejected.explanation).toBe(
      "AND('Org1MSP.member','Org1MSP.admin') not satisfied: Org1MSP.member satisfied by Admin@org1.example.com; " +
        'Org1MSP.admin: Admin@org1.example.com already counted for Org1MSP.member, peer0.org1.example.com is not an admin (roles: member, peer)',
    );
    // The same signers in the other order pass, and so does the policy with its rules swapped.
    expect(evaluate(policy, [peer1, admin1]).satisfied).toBe(true);
    expect(evaluate("AND('Org1MSP.admin','Org1MSP.member')", [admin1, peer1]).satisfied).toBe(true);
  });

  it('handles trees only protobuf can hold: n <= 0 always, n > rules never, a bare signedBy', () => {
    expect(evaluateSignaturePolicy(nOutOf(0, []), []).satisfied).toBe(true);
    expect(evaluateSignaturePolicy(nOutOf(0, []), []).explanation).toBe('OutOf(0) satisfied: 0 of 0 rules satisfied, 0 required');
    expect(evaluateSignaturePolicy(nOutOf(-1, [signedBy('A', 'member')]), []).satisfied).toBe(true);
    expect(evaluateSignaturePolicy(nOutOf(3, [signedBy('Org1MSP', 'peer'), signedBy('Org2MSP', 'peer')]), [peer1, peer2]).satisfied).toBe(false);
    const bare = evaluateSignaturePolicy(signedBy('Org1MSP', 'peer'), [user1, peer1]);
    expect(bare.satisfied).toBe(true);
    expect(bare.explanation).toBe("'Org1MSP.peer' satisfied: Org1MSP.peer satisfied by peer0.org1.example.com");
  });
});

describe('evaluateSignaturePolicy: explanations', () => {
  it('names the missing organization', () => {
    expect(evaluate("AND('Org1MSP.peer','Org2MSP.peer')", [peer1]).explanation).toBe(
      "AND('Org1MSP.peer','Org2MSP.peer') not satisfied: Org1MSP.peer satisfied by peer0.org1.example.com; Org2MSP.peer: no signature from Org2MSP",
    );
  });

  it('names an identity that lacks the role, with the roles it has', () => {
    expect(evaluate("AND('Org1MSP.peer','Org2MSP.peer')", [peer1, user2]).explanation).toBe(
      "AND('Org1MSP.peer','Org2MSP.peer') not satisfied: Org1MSP.peer satisfied by peer0.org1.example.com; " +
        'Org2MSP.peer: User1@org2.example.com is not a peer (roles: member, client)',
    );
  });

  it('names an identity already counted for another leaf', () => {
    expect(evaluate("AND('Org1MSP.peer','Org1MSP.member')", [peer1]).explanation).toBe(
      "AND('Org1MSP.peer','Org1MSP.member') not satisfied: Org1MSP.peer satisfied by peer0.org1.example.com; " +
        'Org1MSP.member: peer0.org1.example.com already counted for Org1MSP.peer',
    );
  });

  it('lists every rule of a satisfied policy', () => {
    expect(evaluate("OR('Org1MSP.peer','Org2MSP.peer')", [peer1, peer2]).explanation).toBe(
      "OR('Org1MSP.peer','Org2MSP.peer') satisfied: Org1MSP.peer satisfied by peer0.org1.example.com; Org2MSP.peer satisfied by peer0.org2.example.com",
    );
    expect(evaluate("OR('Org1MSP.peer','Org2MSP.peer')", [peer1]).explanation).toBe(
      "OR('Org1MSP.peer','Org2MSP.peer') satisfied: Org1MSP.peer satisfied by peer0.org1.example.com; Org2MSP.peer: no signature from Org2MSP",
    );
  });

  it('counts OutOf rules, at the top and nested', () => {
    expect(evaluate("OutOf(2,'Org1MSP.peer','Org2MSP.peer','Org3MSP.peer')", [peer2]).explanation).toBe(
      "OutOf(2,'Org1MSP.peer','Org2MSP.peer','Org3MSP.peer') not satisfied: 1 of 3 rules satisfied, 2 required: " +
        'Org1MSP.peer: no signature from Org1MSP; Org2MSP.peer satisfied by peer0.org2.example.com; Org3MSP.peer: no signature from Org3MSP',
    );
    expect(evaluate("OR('Org1MSP.admin', OutOf(2,'Org1MSP.peer','Org2MSP.peer','Org3MSP.peer'))", [peer1]).explanation).toBe(
      "OR('Org1MSP.admin',OutOf(2,'Org1MSP.peer','Org2MSP.peer','Org3MSP.peer')) not satisfied: " +
        'Org1MSP.admin: peer0.org1.example.com is not an admin (roles: member, peer); ' +
        "OutOf(2,'Org1MSP.peer','Org2MSP.peer','Org3MSP.peer') not satisfied (1 of 3 rules satisfied, 2 required: " +
        'Org1MSP.peer satisfied by peer0.org1.example.com; Org2MSP.peer: no signature from Org2MSP; Org3MSP.peer: no signature from Org3MSP)',
    );
  });

  it('uses "an" before admin and orderer', () => {
    const orderer = identity('OrdererMSP', 'orderer.example.com', 'orderer');
    expect(evaluate("OR('OrdererMSP.admin')", [orderer]).explanation).toBe(
      "OR('OrdererMSP.admin') not satisfied: OrdererMSP.admin: orderer.example.com is not an admin (roles: member, orderer)",
    );
    expect(evaluate("OR('OrdererMSP.orderer')", [identity('OrdererMSP', 'Admin@example.com', 'admin')]).explanation).toBe(
      "OR('OrdererMSP.orderer') not satisfied: OrdererMSP.orderer: Admin@example.com is not an orderer (roles: member, admin)",
    );
  });
});

describe('evaluateSignaturePolicy: detail tree', () => {
  it('has one node per rule, with the identity that satisfied each leaf', () => {
    const { detail } = evaluate("OR('Org1MSP.admin', AND('Org1MSP.peer','Org2MSP.peer'))", [peer1, user2]);
    expect(detail).toEqual({
      kind: 'nOutOf',
      policy: "OR('Org1MSP.admin',AND('Org1MSP.peer','Org2MSP.peer'))",
      satisfied: false,
      required: 1,
      satisfiedCount: 0,
      reason: '0 of 2 rules satisfied, 1 required',
      rules: [
        {
          kind: 'signedBy',
          policy: "'Org1MSP.admin'",
          principal: { mspId: 'Org1MSP', role: 'admin' },
          satisfied: false,
          identity: undefined,
          reason: 'peer0.org1.example.com is not an admin (roles: member, peer)',
        },
        {
          kind: 'nOutOf',
          policy: "AND('Org1MSP.peer','Org2MSP.peer')",
          satisfied: false,
          required: 2,
          satisfiedCount: 1,
          reason: '1 of 2 rules satisfied, 2 required',
          rules: [
            {
              kind: 'signedBy',
              policy: "'Org1MSP.peer'",
              principal: { mspId: 'Org1MSP', role: 'peer' },
              satisfied: true,
              identity: { key: peer1.key, mspId: 'Org1MSP', name: 'peer0.org1.example.com' },
              reason: 'satisfied by peer0.org1.example.com',
            },
            {
              kind: 'signedBy',
              policy: "'Org2MSP.peer'",
              principal: { mspId: 'Org2MSP', role: 'peer' },
              satisfied: false,
              identity: undefined,
              reason: 'User1@org2.example.com is not a peer (roles: member, client)',
            },
          ],
        },
      ],
    });
  });

  it('is plain data a dashboard can serialize', () => {
    const { detail } = evaluate("AND('Org1MSP.peer','Org2MSP.peer')", [peer1, peer2]);
    // No Sets, Maps or class instances: a JSON round trip loses nothing.
    expect(JSON.parse(JSON.stringify(detail))).toEqual(detail);
    expect(JSON.stringify(detail)).toContain('"name":"peer0.org2.example.com"');
  });
});
