import type { Rng } from '../core/rng.js';

/** The fault types a simulated run injects by default (`--faults` of `npm run sim:raft`, "all"). */
export const ALL_FAULTS = ['delay', 'drop', 'duplicate', 'reorder', 'partition', 'crash', 'snapshot', 'transfer'] as const;
/** Fault types that are only injected when asked for: single-server membership changes (§6). */
export const OPTIONAL_FAULTS = ['membership'] as const;
/** Every fault name, in canonical order. */
export const FAULT_NAMES = [...ALL_FAULTS, ...OPTIONAL_FAULTS] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

export function isFaultName(name: string): name is FaultName {
  return (FAULT_NAMES as readonly string[]).includes(name);
}

/**
 * One run's fault schedule parameters, drawn from the seed. Every parameter is always drawn (in a
 * fixed order, from its own stream) and then zeroed when its fault is disabled, so turning a fault
 * off does not change the other faults' parameters for the same seed.
 */
export interface FaultParams {
  readonly enabled: ReadonlySet<FaultName>;
  /** Network latency, uniform in [minDelayMs, maxDelayMs] (a fixed 1 ms when 'delay' is off). */
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly dropProbability: number;
  readonly duplicateProbability: number;
  /** With this probability a message gets an extra delay in [0, reorderMaxMs] (overtaken by later ones). */
  readonly reorderProbability: number;
  readonly reorderMaxMs: number;
  /** Mean time between partitions, and how long a partition lasts (uniform in [min, max]). */
  readonly partitionEveryMs: number;
  readonly partitionMinMs: number;
  readonly partitionMaxMs: number;
  /** Mean time between crashes, down time uniform in [min, max], and the chance the victim is the leader. */
  readonly crashEveryMs: number;
  readonly downMinMs: number;
  readonly downMaxMs: number;
  readonly crashLeaderProbability: number;
  /** Take a snapshot every `snapshotEveryEntries` applied entries, keeping `keepEntries` after it (0 = no snapshots). */
  readonly snapshotEveryEntries: number;
  readonly keepEntries: number;
  /** Mean time between leader transfers (0 = none). */
  readonly transferEveryMs: number;
  /** Time a Ready waits before it is persisted: the window in which a crash loses unpersisted state. */
  readonly maxDiskDelayMs: number;
  /** Mean time between membership changes: add a new voter or remove one (0 = none). */
  readonly membershipEveryMs: number;
}

function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + rng.nextFloat() * (hi - lo);
}

function intIn(rng: Rng, lo: number, hiInclusive: number): number {
  return lo + rng.nextInt(hiInclusive - lo + 1);
}

export function drawFaultParams(rng: Rng, enabled: ReadonlySet<FaultName>): FaultParams {
  const on = (f: FaultName): boolean => enabled.has(f);
  // draw everything first, in a fixed order
  const minDelayMs = intIn(rng, 0, 5);
  const maxDelayMs = minDelayMs + intIn(rng, 1, 30);
  const dropProbability = uniform(rng, 0, 0.15);
  const duplicateProbability = uniform(rng, 0, 0.1);
  const reorderProbability = uniform(rng, 0, 0.2);
  const reorderMaxMs = intIn(rng, 10, 100);
  const partitionEveryMs = intIn(rng, 500, 3000);
  const partitionMinMs = intIn(rng, 100, 500);
  const partitionMaxMs = partitionMinMs + intIn(rng, 0, 2000);
  const crashEveryMs = intIn(rng, 500, 3000);
  const downMinMs = intIn(rng, 50, 500);
  const downMaxMs = downMinMs + intIn(rng, 0, 2000);
  const crashLeaderProbability = uniform(rng, 0.3, 0.8);
  const snapshotEveryEntries = intIn(rng, 5, 60);
  const keepEntries = intIn(rng, 0, 10);
  const transferEveryMs = intIn(rng, 500, 4000);
  const maxDiskDelayMs = intIn(rng, 0, 5);
  // (new parameters are drawn last, so adding one keeps every earlier draw of a seed unchanged)
  const membershipEveryMs = intIn(rng, 300, 2000);
  return {
    enabled,
    minDelayMs: on('delay') ? minDelayMs : 1,
    maxDelayMs: on('delay') ? maxDelayMs : 1,
    dropProbability: on('drop') ? dropProbability : 0,
    duplicateProbability: on('duplicate') ? duplicateProbability : 0,
    reorderProbability: on('reorder') ? reorderProbability : 0,
    reorderMaxMs,
    partitionEveryMs: on('partition') ? partitionEveryMs : 0,
    partitionMinMs,
    partitionMaxMs,
    crashEveryMs: on('crash') ? crashEveryMs : 0,
    downMinMs,
    downMaxMs,
    crashLeaderProbability,
    snapshotEveryEntries: on('snapshot') ? snapshotEveryEntries : 0,
    keepEntries,
    transferEveryMs: on('transfer') ? transferEveryMs : 0,
    maxDiskDelayMs: on('crash') ? maxDiskDelayMs : 0,
    membershipEveryMs: on('membership') ? membershipEveryMs : 0,
  };
}
