import { PolicyParseError } from './policy-parse-error.js';
import { formatPrincipal, MSP_ROLES, nOutOf, type MspRole, type Principal, type SignaturePolicy } from './signature-policy.js';

/**
 * Parses Fabric's signature policy language (Fabric's `policydsl.FromString`, used by configtxgen
 * for `Type: Signature` rules and by `peer lifecycle chaincode ... --signature-policy`):
 *
 *   policy    := gate
 *   gate      := AND '(' arg {',' arg} ')' | OR '(' arg {',' arg} ')' | OutOf '(' n ',' arg {',' arg} ')'
 *   arg       := gate | principal
 *   principal := "'" MSPID '.' role "'"   (double quotes work too)
 *   MSPID     := [A-Za-z0-9.-]+           (may contain dots: the role is after the last dot)
 *   role      := member | admin | client | peer | orderer   (lowercase, as in Fabric)
 *   n         := a whole number, optionally quoted: OutOf(2, ...) or OutOf('2', ...)
 *
 * Gate names are spelled as Fabric accepts them: AND/And/and, OR/Or/or, OutOf/outof/OUTOF.
 * Whitespace is allowed between tokens, not inside a quoted principal.
 *
 * Decisions, each checked against Fabric (each rejection is a PolicyParseError with its position):
 * - A bare principal such as `'Org1MSP.member'` is rejected, as Fabric rejects it (its parser
 *   turns the string into an unquoted name that it then cannot resolve); write `OR('Org1MSP.member')`.
 * - AND() and OR() with no arguments, and OutOf(n) with no rules, are rejected, as in Fabric.
 * - Stricter than Fabric: OutOf's n must be from 1 to the number of rules. Fabric's parser also
 *   accepts n = 0 (always satisfied) and n = rules + 1 (never satisfiable), which are almost
 *   always mistakes; such envelopes are still read from protobuf and evaluated as Fabric does.
 * - Stricter than Fabric: n must be a whole number (Fabric truncates `OutOf(1.5, ...)` to 1),
 *   and a principal's quotes must match (Fabric's tokenizer lets `'A.member"` through).
 */
export function parseSignaturePolicy(text: string): SignaturePolicy {
  return new SignaturePolicyParser(text).parsePolicy();
}

type Gate = 'AND' | 'OR' | 'OutOf';

const GATE_NAMES: ReadonlyMap<string, Gate> = new Map([
  ['AND', 'AND'],
  ['And', 'AND'],
  ['and', 'AND'],
  ['OR', 'OR'],
  ['Or', 'OR'],
  ['or', 'OR'],
  ['OutOf', 'OutOf'],
  ['outof', 'OutOf'],
  ['OUTOF', 'OutOf'],
]);

const SYNTAX_HINT =
  "Fabric's policy language is AND(...), OR(...) or OutOf(n, ...) over quoted principals 'MSPID.role' " +
  "(role: member, admin, client, peer or orderer), e.g. OR('Org1MSP.peer', AND('Org2MSP.admin','Org3MSP.admin')).";
const ARG_EXPECTED = "a principal like 'Org1MSP.peer' or AND/OR/OutOf(...)";
const MSP_ID_CHAR = /[A-Za-z0-9.-]/;
const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /[-+]?[0-9]+(\.[0-9]*)?/y;

class SignaturePolicyParser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parsePolicy(): SignaturePolicy {
    this.skipWhitespace();
    if (this.atEnd()) {
      this.fail(this.pos, "a signature policy such as AND('Org1MSP.peer','Org2MSP.peer')");
    }
    if (this.peekIsQuote()) {
      const start = this.pos;
      const text = formatPrincipal(this.parsePrincipal());
      this.fail(
        start,
        'AND, OR or OutOf',
        `A policy cannot be a bare principal (Fabric rejects it too): write OR('${text}') to require one signature from ${text}.`,
      );
    }
    const policy = this.parseGate();
    this.skipWhitespace();
    if (!this.atEnd()) {
      const unmatched = this.text.charAt(this.pos) === ')';
      this.fail(
        this.pos,
        'the end of the policy',
        unmatched
          ? 'This ")" has no matching "(": remove it, or check the parentheses of the policy.'
          : 'The policy is complete after its last ")": remove what follows, or combine the parts inside AND(...) or OR(...).',
      );
    }
    return policy;
  }

  private parseArgument(): SignaturePolicy {
    if (this.peekIsQuote()) return { kind: 'signedBy', principal: this.parsePrincipal() };
    IDENT.lastIndex = this.pos;
    if (IDENT.test(this.text)) return this.parseGate();
    return this.fail(this.pos, ARG_EXPECTED);
  }

  private parseGate(): SignaturePolicy {
    const start = this.pos;
    IDENT.lastIndex = start;
    const name = IDENT.exec(this.text)?.[0];
    if (name === undefined) return this.fail(start, 'AND, OR or OutOf');
    this.pos += name.length;
    const gate = GATE_NAMES.get(name);
    if (gate === undefined) {
      if (this.text.charAt(this.pos) === '.') {
        return this.fail(start, ARG_EXPECTED, `Principals are written in quotes: '${name}.peer', not ${name}.peer.`);
      }
      return this.fail(
        start,
        'AND, OR or OutOf',
        `"${name}" is not a function of Fabric's policy language; it has AND(...), OR(...) and OutOf(n, ...) (also spelled And/and, Or/or, outof/OUTOF).`,
      );
    }
    this.skipWhitespace();
    if (this.text.charAt(this.pos) !== '(') return this.fail(this.pos, `"(" after ${name}`);
    this.pos++;
    this.skipWhitespace();

    let threshold: { readonly value: number; readonly position: number } | undefined;
    if (gate === 'OutOf') {
      threshold = this.parseThreshold();
      this.skipWhitespace();
      if (this.text.charAt(this.pos) !== ',') {
        return this.fail(this.pos, '"," and the rules to count', `${name} takes n and then at least one principal or policy, e.g. OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer').`);
      }
      this.pos++;
    }

    const rules: SignaturePolicy[] = [];
    for (;;) {
      this.skipWhitespace();
      rules.push(this.parseArgument());
      this.skipWhitespace();
      const next = this.text.charAt(this.pos);
      if (next === ',' || next === ')') this.pos++;
      if (next === ',') continue;
      if (next === ')') break;
      this.fail(
        this.pos,
        '"," or ")"',
        this.atEnd()
          ? `The "${name}(" at position ${start} is never closed: add the missing ")".`
          : 'Separate the arguments of a gate with commas and close it with ")".',
      );
    }

    switch (gate) {
      case 'AND':
        return nOutOf(rules.length, rules);
      case 'OR':
        return nOutOf(1, rules);
      case 'OutOf': {
        const n = threshold as { readonly value: number; readonly position: number };
        if (n.value < 1 || n.value > rules.length) {
          this.fail(
            n.position,
            `a number n from 1 to ${rules.length} (the number of rules in this OutOf)`,
            n.value < 1
              ? `OutOf(${n.value}, ...) would be satisfied with no signatures at all; use n >= 1.`
              : `OutOf(${n.value}, ...) over ${rules.length} rule${rules.length === 1 ? '' : 's'} can never be satisfied; lower n or add rules.`,
          );
        }
        return nOutOf(n.value, rules);
      }
    }
  }

  /** OutOf's n: digits, optionally in matching quotes (Fabric accepts `OutOf('2', ...)`). */
  private parseThreshold(): { readonly value: number; readonly position: number } {
    const quote = this.peekIsQuote() ? this.text.charAt(this.pos) : undefined;
    if (quote !== undefined) this.pos++;
    const position = this.pos;
    NUMBER.lastIndex = position;
    const match = NUMBER.exec(this.text);
    if (match === null) {
      return this.fail(position, 'the number n of rules that must be satisfied', "OutOf's first argument is a whole number, e.g. OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer').");
    }
    if (match[1] !== undefined) {
      return this.fail(position, 'a whole number n', `n counts rules, so it cannot be ${match[0]}; use a whole number such as 2.`);
    }
    this.pos += match[0].length;
    if (quote !== undefined) {
      if (this.text.charAt(this.pos) !== quote) return this.fail(this.pos, `a closing ${quote} after the number`);
      this.pos++;
    }
    return { value: Number.parseInt(match[0], 10), position };
  }

  /** A quoted principal 'MSPID.role'. The MSP ID may contain dots: the role follows the last one. */
  private parsePrincipal(): Principal {
    const quote = this.text.charAt(this.pos);
    const start = this.pos;
    this.pos++;
    const contentStart = this.pos;
    while (!this.atEnd() && MSP_ID_CHAR.test(this.text.charAt(this.pos))) this.pos++;
    if (this.text.charAt(this.pos) !== quote) {
      return this.fail(
        this.pos,
        `a closing ${quote} to end the principal that starts at position ${start}`,
        "A principal is 'MSPID.role' in matching quotes, and contains only letters, digits, '.' and '-'.",
      );
    }
    const content = this.text.slice(contentStart, this.pos);
    const closingQuote = this.pos;
    this.pos++;

    const lastDot = content.lastIndexOf('.');
    if (lastDot < 0) {
      return this.fail(closingQuote, `"." and a role after the MSP ID, like '${content === '' ? 'Org1MSP' : content}.peer'`);
    }
    const mspId = content.slice(0, lastDot);
    const role = content.slice(lastDot + 1);
    if (mspId === '') return this.fail(contentStart, `an MSP ID before ".${role}", like 'Org1MSP.${role}'`);
    if (!isMspRole(role)) {
      return this.fail(
        contentStart + lastDot + 1,
        'a role: member, admin, client, peer or orderer',
        `The role is the part after the last "." of the principal, and is lowercase, e.g. '${mspId}.peer'.`,
      );
    }
    return { mspId, role };
  }

  private skipWhitespace(): void {
    while (!this.atEnd() && /\s/.test(this.text.charAt(this.pos))) this.pos++;
  }

  private atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  private peekIsQuote(): boolean {
    const c = this.text.charAt(this.pos);
    return c === "'" || c === '"';
  }

  private fail(position: number, expected: string, hint: string = SYNTAX_HINT): never {
    throw new PolicyParseError(this.text, position, expected, hint);
  }
}

function isMspRole(word: string): word is MspRole {
  return (MSP_ROLES as readonly string[]).includes(word);
}
