/**
 * fabsim's one hierarchy of operational errors (DESIGN.md "Errors").
 *
 * Contract:
 * - `code` is stable: tests, the CLI and the transport layer switch on it, never on the message.
 * - `message` says what went wrong, why, and what to do, in words a learner understands.
 * - `context` carries the identifiers that locate the failure (mspId, subject, txId, channel, node, file...).
 * - Broken invariants are not FabsimErrors: they throw through `assert()` and are never caught.
 * Mapping a code to a gRPC status happens only in `src/transport/grpc`.
 */
export type ErrorContext = Readonly<Record<string, string | number | boolean | undefined>>;

export interface FabsimErrorOptions {
  readonly cause?: unknown;
  readonly context?: ErrorContext;
}

export class FabsimError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly context: ErrorContext;

  constructor(code: Code, message: string, options: FabsimErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.context = options.context ?? {};
  }
}

/** True when `err` is a FabsimError with the given code (or any code when omitted). */
export function isFabsimError(err: unknown, code?: string): err is FabsimError {
  return err instanceof FabsimError && (code === undefined || err.code === code);
}

/** The message of an unknown thrown value, for wrapping third-party errors as causes. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
