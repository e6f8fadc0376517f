import { describe, expect, it } from 'vitest';
import { isFabsimError } from '../../../src/core/errors.js';
import {
  formatSignaturePolicy,
  nOutOf,
  parseSignaturePolicy,
  PolicyParseError,
  signedBy,
  type SignaturePolicy,
} from '../../../src/policy/index.js';

describe('parseSignaturePolicy: valid policies (Fabric policydsl syntax)', () => {
  const cases: readonly (readonly [string, SignaturePolicy])[] = [
    ["AND('Org1MSP.peer','Org2MSP.peer')", nOutOf(2, [signedBy('Org1MSP', 'peer'), signedBy('Org2MSP', 'peer')])],
    ["OR('Org1MSP.admin', 'Org1MSP.peer', 'Org1MSP.client')", nOutOf(1, [signedBy('Org1MSP', 'admin'), signedBy('Org1MSP', 'peer'), signedBy('Org1MSP', 'client')])],
    ["OutOf(2, 'A.member', 'B.member', 'C.member')", nOutOf(2, [signedBy('A', 'member'), signedBy('B', 'member'), signedBy('C', 'member')])],
    // Fabric's policyparser_test TestComplex1/2 shapes: arbitrary nesting.
    ["OR('A.member', AND('B.member', 'C.member'))", nOutOf(1, [signedBy('A', 'member'), nOutOf(2, [signedBy('B', 'member'), signedBy('C', 'member')])])],
    [
      "OR(AND('A.member', 'B.member'), OR('C.admin', OutOf(1, 'D.member', AND('E.peer', 'F.orderer'))))",
      nOutOf(1, [
        nOutOf(2, [signedBy('A', 'member'), signedBy('B', 'member')]),
        nOutOf(1, [signedBy('C', 'admin'), nOutOf(1, [signedBy('D', 'member'), nOutOf(2, [signedBy('E', 'peer'), signedBy('F', 'orderer')])])]),
      ]),
    ],
    // Double quotes, and mixing them.
    ['AND("Org1MSP.peer", \'Org2MSP.peer\')', nOutOf(2, [signedBy('Org1MSP', 'peer'), signedBy('Org2MSP', 'peer')])],
    // Whitespace of every kind between tokens.
    ["  OutOf ( 2 ,\n\t'A.member' ,'B.member'\r\n, 'C.member' )  ", nOutOf(2, [signedBy('A', 'member'), signedBy('B', 'member'), signedBy('C', 'member')])],
    // MSP IDs with dots and dashes (Fabric's TestMSPIDWIthSpecialChars); the role follows the LAST dot.
    [
      "OR('MSP.member', 'MSP.WITH.DOTS.member', 'MSP-WITH-DASHES.member', 'org1.example.com.peer', 'Org1.member.peer')",
      nOutOf(1, [
        signedBy('MSP', 'member'),
        signedBy('MSP.WITH.DOTS', 'member'),
        signedBy('MSP-WITH-DASHES', 'member'),
        signedBy('org1.example.com', 'peer'),
        signedBy('Org1.member', 'peer'),
      ]),
    ],
    // Every role (Fabric's TestNodeOUs).
    ["OR('A.peer', 'B.admin', 'C.orderer', 'D.client', 'E.member')", nOutOf(1, [signedBy('A', 'peer'), signedBy('B', 'admin'), signedBy('C', 'orderer'), signedBy('D', 'client'), signedBy('E', 'member')])],
    // The spellings Fabric registers: And/and/AND, Or/or/OR, OutOf/outof/OUTOF.
    ["and('A.member', or('B.member', 'C.member'))", nOutOf(2, [signedBy('A', 'member'), nOutOf(1, [signedBy('B', 'member'), signedBy('C', 'member')])])],
    ["And('A.member', Or('B.member', 'C.member'))", nOutOf(2, [signedBy('A', 'member'), nOutOf(1, [signedBy('B', 'member'), signedBy('C', 'member')])])],
    ["outof(1, 'A.member', OUTOF(2, 'B.member', 'C.member'))", nOutOf(1, [signedBy('A', 'member'), nOutOf(2, [signedBy('B', 'member'), signedBy('C', 'member')])])],
    // n as a quoted number (Fabric's TestOutOfNumIsString), either quote.
    ["OutOf('1', 'A.member', 'B.member')", nOutOf(1, [signedBy('A', 'member'), signedBy('B', 'member')])],
    ['OutOf("2", \'A.member\', \'B.member\')', nOutOf(2, [signedBy('A', 'member'), signedBy('B', 'member')])],
    // AND of one rule is n = 1 of 1.
    ["AND('A.member')", nOutOf(1, [signedBy('A', 'member')])],
    ["OutOf(2, 'A.member', 'B.member')", nOutOf(2, [signedBy('A', 'member'), signedBy('B', 'member')])],
  ];

  it.each(cases)('%s', (text, expected) => {
    expect(parseSignaturePolicy(text)).toEqual(expected);
  });

  it.each(cases)('format round trip: %s', (text, expected) => {
    const formatted = formatSignaturePolicy(parseSignaturePolicy(text));
    expect(parseSignaturePolicy(formatted)).toEqual(expected);
    expect(formatSignaturePolicy(parseSignaturePolicy(formatted))).toBe(formatted);
  });
});

describe('formatSignaturePolicy', () => {
  it.each([
    ["AND( 'Org1MSP.peer' , 'Org2MSP.peer' )", "AND('Org1MSP.peer','Org2MSP.peer')"],
    ["or('Org1MSP.peer')", "OR('Org1MSP.peer')"],
    ["AND('Org1MSP.peer')", "OR('Org1MSP.peer')"],
    ["OutOf(1, 'A.member', 'B.member')", "OR('A.member','B.member')"],
    ["OutOf(2, 'A.member', 'B.member')", "AND('A.member','B.member')"],
    ["OutOf('2', 'A.member', \"B.member\", 'C.member')", "OutOf(2,'A.member','B.member','C.member')"],
    ["OR('A.member', AND('B.member', 'C.member'))", "OR('A.member',AND('B.member','C.member'))"],
  ])('%s prints as %s', (text, canonical) => {
    expect(formatSignaturePolicy(parseSignaturePolicy(text))).toBe(canonical);
  });

  it('prints trees that only protobuf can hold', () => {
    expect(formatSignaturePolicy(signedBy('Org1MSP', 'peer'))).toBe("'Org1MSP.peer'");
    expect(formatSignaturePolicy(nOutOf(0, []))).toBe('OutOf(0)');
    expect(formatSignaturePolicy(nOutOf(0, [signedBy('A', 'member')]))).toBe("OutOf(0,'A.member')");
    expect(formatSignaturePolicy(nOutOf(3, [signedBy('A', 'member'), signedBy('B', 'member')]))).toBe("OutOf(3,'A.member','B.member')");
  });
});

describe('parseSignaturePolicy: malformed policies', () => {
  function syntaxError(text: string): PolicyParseError {
    try {
      parseSignaturePolicy(text);
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyParseError);
      return err as PolicyParseError;
    }
    throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
  }

  it.each([
    // [policy, position, expected (substring)]
    ['', 0, 'a signature policy such as'],
    ['   ', 3, 'a signature policy such as'],
    ["XOR('A.member')", 0, 'AND, OR or OutOf'],
    ["oR('A.member')", 0, 'AND, OR or OutOf'],
    ["AND('Org1MSP.boss')", 13, 'a role: member, admin, client, peer or orderer'],
    ["AND('Org1MSP.Peer')", 13, 'a role'],
    ["AND('Org1MSP')", 12, '"." and a role after the MSP ID'],
    ["AND('.peer')", 5, 'an MSP ID before ".peer"'],
    ["AND('Org1MSP.peer)", 17, "a closing ' to end the principal that starts at position 4"],
    ['AND("Org1MSP.peer\', \'Org2MSP.peer\')', 17, 'a closing " to end the principal that starts at position 4'],
    ["AND('Org 1.member')", 8, "a closing '"],
    ["AND(Org1MSP.peer)", 4, "a principal like 'Org1MSP.peer'"],
    ["AND('Org1MSP.peer'", 18, '"," or ")"'],
    ["OR(AND('A.member', 'B.member')", 30, '"," or ")"'],
    ["AND('A.member'))", 15, 'the end of the policy'],
    ["AND('A.member') x", 16, 'the end of the policy'],
    ["AND('A.member') OR('B.member')", 16, 'the end of the policy'],
    ["AND('A.member' 'B.member')", 15, '"," or ")"'],
    ["AND 'A.member'", 4, '"(" after AND'],
    ["AND('Org1MSP.peer',)", 19, "a principal like 'Org1MSP.peer' or AND/OR/OutOf(...)"],
    ['AND()', 4, "a principal like 'Org1MSP.peer'"],
    ['OR()', 3, "a principal like 'Org1MSP.peer'"],
    ["OutOf(1, 2)", 9, "a principal like 'Org1MSP.peer'"],
    ['OutOf(1)', 7, '"," and the rules to count'],
    ["OutOf(3, 'A.member', 'B.member')", 6, 'a number n from 1 to 2'],
    ["OutOf(0, 'A.member', 'B.member')", 6, 'a number n from 1 to 2'],
    ["OutOf(-1, 'A.member')", 6, 'a number n from 1 to 1'],
    ["OR('A.member', OutOf(2, 'B.member'))", 21, 'a number n from 1 to 1'],
    ["OutOf(1.5, 'A.member', 'B.member')", 6, 'a whole number n'],
    ["OutOf(two, 'A.member')", 6, 'the number n of rules that must be satisfied'],
    ["OutOf('2, 'A.member', 'B.member')", 8, "a closing ' after the number"],
    ["'Org1MSP.member'", 0, 'AND, OR or OutOf'],
  ] as const)('%j at %i: expected %s', (text, position, expected) => {
    const err = syntaxError(text);
    expect(err.code).toBe('POLICY_SYNTAX');
    expect(isFabsimError(err, 'POLICY_SYNTAX')).toBe(true);
    expect(err.position).toBe(position);
    expect(err.expected).toContain(expected);
    expect(err.message).toContain(`is malformed at position ${position}: expected ${err.expected}`);
    expect(err.context).toMatchObject({ policy: text, position });
  });

  it('explains a trailing comma in full', () => {
    expect(syntaxError("AND('Org1MSP.peer',)").message).toBe(
      `policy "AND('Org1MSP.peer',)" is malformed at position 19: expected a principal like 'Org1MSP.peer' or AND/OR/OutOf(...), found ")". ` +
        "Fabric's policy language is AND(...), OR(...) or OutOf(n, ...) over quoted principals 'MSPID.role' " +
        "(role: member, admin, client, peer or orderer), e.g. OR('Org1MSP.peer', AND('Org2MSP.admin','Org3MSP.admin')).",
    );
  });

  it('tells what to write instead of a bare principal, which Fabric rejects too', () => {
    expect(syntaxError("'Org1MSP.member'").message).toBe(
      `policy "'Org1MSP.member'" is malformed at position 0: expected AND, OR or OutOf, found "'Org1MSP.member'". ` +
        "A policy cannot be a bare principal (Fabric rejects it too): write OR('Org1MSP.member') to require one signature from Org1MSP.member.",
    );
  });

  it('says what was found, and how to fix it', () => {
    expect(syntaxError("AND('Org1MSP.boss')").message).toContain('found "boss". The role is the part after the last "." of the principal, and is lowercase');
    expect(syntaxError("AND('Org1MSP.peer'").message).toContain('found the end of the policy. The "AND(" at position 0 is never closed');
    expect(syntaxError("AND('A.member'))").message).toContain('This ")" has no matching "("');
    expect(syntaxError("OutOf(3, 'A.member', 'B.member')").message).toContain('OutOf(3, ...) over 2 rules can never be satisfied');
    expect(syntaxError("OutOf(0, 'A.member')").message).toContain('would be satisfied with no signatures at all');
    expect(syntaxError("XOR('A.member')").message).toContain('"XOR" is not a function of Fabric\'s policy language');
    expect(syntaxError("AND(Org1MSP.peer)").message).toContain("Principals are written in quotes: 'Org1MSP.peer'");
    expect(syntaxError('').message).toContain('found nothing');
  });
});
