/**
 * Invariant checks. A failed assert means fabsim itself is wrong (not the user's input):
 * it throws an AssertionError that no code catches, so the bug surfaces at its origin.
 * Expected outcomes (an invalid transaction, a missing key) are values, not asserts.
 */
export class AssertionError extends Error {
  constructor(message: string) {
    super(`invariant violated: ${message}`);
    this.name = 'AssertionError';
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** For exhaustive switches: the compiler proves this is unreachable. */
export function assertNever(value: never, what: string): never {
  throw new AssertionError(`unexpected ${what}: ${JSON.stringify(value)}`);
}
