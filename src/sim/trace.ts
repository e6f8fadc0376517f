import type { Clock } from '../core/clock.js';
import type { Message } from '../raft/raft-types.js';
import { fnv1a32 } from './derive-rng.js';

const tagHashes = new Map<string, number>();

function tagHash(tag: string): number {
  let h = tagHashes.get(tag);
  if (h === undefined) {
    h = fnv1a32(tag);
    tagHashes.set(tag, h);
  }
  return h;
}

/**
 * The event trace of a simulated run. Every event is folded into a running hash (time, a tag and a
 * few numbers: cheap enough to do for every step), and rendered as a text line only when someone
 * listens (`--verbose`). Two runs with the same seed and options have the same hash; that is how the
 * determinism test compares whole traces.
 */
export class Trace {
  private h = 0x811c9dc5;
  private count = 0;

  constructor(
    private readonly clock: Clock,
    private readonly sink?: (line: string) => void,
  ) {}

  get listening(): boolean {
    return this.sink !== undefined;
  }

  get events(): number {
    return this.count;
  }

  /** Records one event; `describe` is called only when a sink listens. */
  event(tag: string, signature: readonly number[], describe: () => string): void {
    this.count++;
    let h = this.mix(this.h, this.clock.nowMs());
    h = this.mix(h, tagHash(tag));
    for (const n of signature) h = this.mix(h, n);
    this.h = h;
    if (this.sink !== undefined) this.sink(`${this.clock.nowMs()} ${describe()}`);
  }

  /** A message's identity for the hash. */
  static messageSignature(m: Message): number[] {
    return [tagHash(m.type), m.from, m.to, m.term, m.logTerm, m.index, m.commit, m.entries.length, m.reject ? 1 : 0, m.snapshot?.metadata.index ?? -1];
  }

  hash(): string {
    return this.h.toString(16).padStart(8, '0');
  }

  private mix(h: number, n: number): number {
    // FNV-1a over the four bytes of n (n is a small integer or a 32-bit hash)
    let x = h;
    let v = n | 0;
    for (let i = 0; i < 4; i++) {
      x ^= v & 0xff;
      x = Math.imul(x, 0x01000193) >>> 0;
      v >>>= 8;
    }
    return x;
  }
}
