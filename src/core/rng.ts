/**
 * Randomness as an injected dependency. Pure logic (raft's election jitter, the simulator's fault
 * schedule) draws only from an Rng it is given, so a run replays exactly from its seed.
 */
export interface Rng {
  /** A uniformly distributed integer in [0, maxExclusive). `maxExclusive` is a positive integer. */
  nextInt(maxExclusive: number): number;
  /** A uniformly distributed float in [0, 1). */
  nextFloat(): number;
}

/**
 * A small, fast, seedable PRNG (mulberry32). Not for cryptography: for reproducible schedules.
 * The same seed always yields the same sequence, on every platform.
 */
export class SeededRng implements Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  nextFloat(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  nextInt(maxExclusive: number): number {
    return Math.floor(this.nextFloat() * maxExclusive);
  }

  /** An independent generator derived from this one (e.g. one per simulated node). */
  fork(): SeededRng {
    return new SeededRng(this.nextInt(0x100000000));
  }
}
