import type { Rng } from '../core/rng.js';
import type { FaultName, FaultParams } from './fault-params.js';
import type { HistoryEvent } from './raft-history.js';
import type { InvariantName } from './raft-invariants.js';
import type { NetworkStats } from './sim-network.js';
import type { SimRaftSettings } from './sim-raft-node.js';

/** What one simulated Raft run takes and gives back (see SimRaftCluster). */
export interface SimRunOptions {
  readonly seed: number;
  /** Cluster size (3 or 5 in the sweep; any >= 1 works). */
  readonly nodes: number;
  readonly faults: ReadonlySet<FaultName>;
  /** Simulated run length. Faults stop `quietMs` before the end (heal, restart everyone); see defaultQuietMs. */
  readonly durationMs: number;
  readonly quietMs?: number;
  readonly tickMs?: number;
  readonly clientIntervalMs?: number;
  readonly raft?: Partial<SimRaftSettings>;
  /** Replace some of the seed's fault parameters (scripted scenarios, harsher hunts). */
  readonly faultOverrides?: Partial<Omit<FaultParams, 'enabled'>>;
  /** Receives every trace line (the `--verbose` replay). */
  readonly onTrace?: (line: string) => void;
  /** Keep every checker observation in the result (for tests that replay or corrupt a history). */
  readonly recordHistory?: boolean;
  /** Deliberate bugs in the simulated environment, for tests proving the checker catches them. */
  readonly sabotage?: Sabotage;
}

export interface Sabotage {
  /** A restarted node's disk forgets whom it voted for (a durability bug: §5.2 lets it vote twice). */
  readonly forgetVoteOnRestart?: boolean;
}

/** The fault-free tail of a run when none is given: 30% of the run, at most 3 simulated seconds. */
export function defaultQuietMs(durationMs: number): number {
  return Math.min(3000, Math.round(durationMs * 0.3));
}

/**
 * The Raft configuration of a run, drawn from the seed so the sweep covers every combination:
 * 10 ms ticks with electionTicks 10 and heartbeatTicks 1 (timeouts of 100–200 ms), PreVote and
 * CheckQuorum each on in 3 runs out of 4, and small flow-control windows so that pausing, probing
 * and batching happen often.
 */
export function drawRaftSettings(rng: Rng): SimRaftSettings {
  return {
    electionTicks: 10,
    heartbeatTicks: 1,
    preVote: rng.nextFloat() < 0.75,
    checkQuorum: rng.nextFloat() < 0.75,
    maxInflightMsgs: 1 + rng.nextInt(8),
    maxEntriesPerMsg: 1 + rng.nextInt(16),
  };
}

export interface FaultCounts {
  crashes: number;
  leaderCrashes: number;
  partitions: number;
  transfers: number;
  /** Conf changes proposed and accepted by a leader (membership fault). */
  membershipChanges: number;
}

/** Why a run failed: an invariant, or an exception thrown inside Raft or the simulator. */
export interface RunFailure {
  readonly kind: InvariantName | 'exception';
  readonly message: string;
  readonly atMs: number;
}

export interface SimRunResult {
  readonly seed: number;
  readonly nodes: number;
  readonly faults: readonly FaultName[];
  readonly params: FaultParams;
  readonly settings: SimRaftSettings;
  readonly simulatedMs: number;
  readonly failure: RunFailure | undefined;
  /** After faults stopped: did every node catch up and the cluster keep committing? */
  readonly converged: boolean;
  readonly convergenceDetail: string;
  /** Hash of the whole event trace: equal for equal (seed, options), by construction. */
  readonly traceHash: string;
  readonly steps: number;
  /** Simulated time from each leader crash to the first leader of a higher term. */
  readonly electionTimesMs: readonly number[];
  /** Client payloads committed (applied somewhere), and the highest committed index. */
  readonly committedPayloads: number;
  readonly highestCommitted: number;
  readonly proposals: { readonly accepted: number; readonly dropped: number };
  readonly network: NetworkStats;
  readonly snapshotsSent: number;
  /** Faults actually injected. */
  readonly injected: FaultCounts;
  readonly history?: readonly HistoryEvent[];
}
