import { expect } from 'vitest';
import { ProtoDecodeError } from '../../src/protos/proto-error.js';

/** Runs `run`, asserts it throws a ProtoDecodeError, and returns the message for further checks. */
export function decodeError(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtoDecodeError);
    return (err as Error).message;
  }
  throw new Error('expected a ProtoDecodeError');
}
