import { FabsimError } from '../core/errors.js';

/**
 * A policy string that is not valid in Fabric's policy language (a signature policy such as
 * `AND('Org1MSP.peer','Org2MSP.peer')`, or an implicit meta policy such as `MAJORITY Endorsement`).
 *
 * Contract: `position` is the 0-based character offset in `policy` where parsing stopped
 * (`policy.length` when the text ended too early); `expected` names what would have been
 * valid there. The message shows both, what was found instead, and how to write it.
 */
export class PolicyParseError extends FabsimError<'POLICY_SYNTAX'> {
  readonly policy: string;
  readonly position: number;
  readonly expected: string;

  constructor(policy: string, position: number, expected: string, hint: string) {
    super(
      'POLICY_SYNTAX',
      `policy ${JSON.stringify(policy)} is malformed at position ${position}: expected ${expected}, found ${describeFound(policy, position)}. ${hint}`,
      { context: { policy, position } },
    );
    this.policy = policy;
    this.position = position;
    this.expected = expected;
  }
}

/** What stands at `position`: a short quoted excerpt, or "the end of the policy". */
function describeFound(policy: string, position: number): string {
  if (position >= policy.length) return policy.trim() === '' ? 'nothing' : 'the end of the policy';
  const rest = policy.slice(position);
  const word = /^[A-Za-z0-9_.-]+/.exec(rest)?.[0] ?? /^'[^']*'|^"[^"]*"/.exec(rest)?.[0];
  const excerpt = word !== undefined ? word : rest.charAt(0);
  return JSON.stringify(excerpt.length > 20 ? `${excerpt.slice(0, 20)}...` : excerpt);
}
