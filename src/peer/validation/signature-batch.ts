import { assert } from '../../core/assert.js';
import type { AsyncSignatureVerifier, SignatureVerdict } from '../../msp/ecdsa.js';

/**
 * The signature checks of one block, collected first and verified together, so that with
 * `verifyEcdsaInThreadPool` they run in parallel on libuv's thread pool instead of one after
 * another (Fabric validates a block's transactions in parallel goroutines for the same reason).
 *
 * Contract: `add` only records a check and returns a handle; `verifyAll` starts every check at
 * once and resolves when all are done; `verdict(handle)` is defined only after that.
 */
/** The verifier's key type (a node:crypto KeyObject), named without importing node:crypto into pure logic. */
type PublicKey = Parameters<AsyncSignatureVerifier>[0];

export class SignatureBatch {
  private readonly checks: Array<{ readonly publicKey: PublicKey; readonly message: Uint8Array; readonly signature: Uint8Array }> = [];
  private verdicts: readonly SignatureVerdict[] | undefined;

  constructor(private readonly verify: AsyncSignatureVerifier) {}

  add(publicKey: PublicKey, message: Uint8Array, signature: Uint8Array): number {
    assert(this.verdicts === undefined, 'SignatureBatch: add after verifyAll');
    this.checks.push({ publicKey, message, signature });
    return this.checks.length - 1;
  }

  get size(): number {
    return this.checks.length;
  }

  async verifyAll(): Promise<void> {
    this.verdicts = await Promise.all(this.checks.map((c) => this.verify(c.publicKey, c.message, c.signature)));
  }

  verdict(handle: number): SignatureVerdict {
    const verdict = this.verdicts?.[handle];
    assert(verdict !== undefined, `SignatureBatch: no verdict for check ${handle} (verifyAll not awaited?)`);
    return verdict;
  }
}
