import { assert } from '../../core/assert.js';
import type { AsyncSignatureVerifier, SignatureVerdict } from '../../msp/ecdsa.js';

/**
 * The signature checks of one block, verified together, so that with `verifyEcdsaInThreadPool`
 * they run in parallel on libuv's thread pool instead of one after another (Fabric validates a
 * block's transactions in parallel goroutines for the same reason).
 *
 * Contract: `add` records a check, hands it to the verifier at once (so the pool verifies while the
 * caller goes on decoding the rest of the block) and returns a handle; `verifyAll` resolves when
 * every check added is done; `verdict(handle)` is defined only after that. Nothing may be added
 * after `verifyAll`. A verifier that rejects makes `verifyAll` reject.
 */
/** The verifier's key type (a node:crypto KeyObject), named without importing node:crypto into pure logic. */
type PublicKey = Parameters<AsyncSignatureVerifier>[0];

export class SignatureBatch {
  private readonly pending: Array<Promise<SignatureVerdict>> = [];
  private verdicts: readonly SignatureVerdict[] | undefined;
  private closed = false;

  constructor(private readonly verify: AsyncSignatureVerifier) {}

  add(publicKey: PublicKey, message: Uint8Array, signature: Uint8Array): number {
    assert(!this.closed, 'SignatureBatch: add after verifyAll');
    let check: Promise<SignatureVerdict>;
    try {
      check = this.verify(publicKey, message, signature);
    } catch (err) {
      check = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    // verifyAll reports a rejection; until it is called, the rejection must not count as unhandled.
    check.catch(() => undefined);
    this.pending.push(check);
    return this.pending.length - 1;
  }

  get size(): number {
    return this.pending.length;
  }

  async verifyAll(): Promise<void> {
    this.closed = true;
    this.verdicts = await Promise.all(this.pending);
  }

  /** Whether every check verified (defined only after verifyAll). */
  allValid(): boolean {
    assert(this.verdicts !== undefined, 'SignatureBatch: allValid before verifyAll');
    return this.verdicts.every((v) => v === 'valid');
  }

  verdict(handle: number): SignatureVerdict {
    const verdict = this.verdicts?.[handle];
    assert(verdict !== undefined, `SignatureBatch: no verdict for check ${handle} (verifyAll not awaited?)`);
    return verdict;
  }
}
