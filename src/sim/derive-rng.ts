import { SeededRng } from '../core/rng.js';

/** FNV-1a (32 bit) of a string, continuing from `basis` so it can chain. Not cryptographic. */
export function fnv1a32(text: string, basis = 0x811c9dc5): number {
  let h = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** murmur3's finalizer: spreads every input bit over the output. */
function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * One independent random stream per concern ("net.drop", "crash", "raft.3.1"...), derived from the
 * run's seed and the concern's name rather than forked in sequence: adding a new fault type (a new
 * name) never shifts the draws of the existing ones, so old seeds keep replaying the same schedule.
 */
export function deriveRng(seed: number, concern: string): SeededRng {
  return new SeededRng(fmix32(fnv1a32(concern, fmix32(seed >>> 0) ^ 0x811c9dc5)));
}
