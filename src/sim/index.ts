/**
 * fabsim's deterministic simulator (TigerBeetle VOPR style): a virtual clock, seeded fault streams, a
 * simulated network and disks, and Raft invariant checking after every step. See sim-raft-cluster.ts
 * for one run and raft-sweep.ts for the seed sweep behind `npm run sim:raft`.
 */
export { VirtualClock, type TimerHandle } from './virtual-clock.js';
export { deriveRng } from './derive-rng.js';
export { ALL_FAULTS, OPTIONAL_FAULTS, FAULT_NAMES, drawFaultParams, type FaultName, type FaultParams } from './fault-params.js';
export { SimNetwork, type NetworkFaults, type NetworkStats } from './sim-network.js';
export { RaftInvariantChecker, checkHistory, type Violation, type InvariantName } from './raft-invariants.js';
export { type HistoryEvent, type EntryRecord, entryKey, nextStateHash, EMPTY_STATE_HASH } from './raft-history.js';
export { SimRaftCluster, runSimulation } from './sim-raft-cluster.js';
export { defaultQuietMs, drawRaftSettings, type SimRunOptions, type SimRunResult, type RunFailure, type FaultCounts } from './sim-run.js';
export { runSweep, aggregate, formatReport, replayCommand, type SweepOptions, type SweepReport, type RunSummary } from './raft-sweep.js';
