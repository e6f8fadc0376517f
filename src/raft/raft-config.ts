/** How a Raft node is configured (the RawNode contract). All time is counted in ticks. */
import type { Logger } from '../core/logger.js';
import type { Rng } from '../core/rng.js';
import type { NodeId, RaftStorage } from './raft-types.js';

export interface RaftConfig {
  /** This node's id (> 0). */
  id: NodeId;
  /**
   * A follower or candidate campaigns after a randomized timeout in [electionTicks, 2*electionTicks)
   * ticks without hearing from a leader (§5.2); the jitter is drawn from `rng`. A leader with
   * checkQuorum steps down after electionTicks without hearing from a quorum.
   */
  electionTicks: number;
  /** A leader sends heartbeats every heartbeatTicks (must be < electionTicks). */
  heartbeatTicks: number;
  /** The persisted log, hard state and snapshot: normally a MemoryRaftStorage restored from disk. */
  storage: RaftStorage;
  /** The last index the application state reflects at restart (default: the snapshot's index). */
  applied?: number;
  /** Flow control: at most this many unacknowledged MsgApp per follower in the replicate state. */
  maxInflightMsgs: number;
  /** At most this many entries in one MsgApp. */
  maxEntriesPerMsg: number;
  /** Run a pre-election (thesis §9.6) before incrementing the term. */
  preVote: boolean;
  /** Leader steps down without a quorum; followers honour a leader lease (thesis §6.2, §9.6). */
  checkQuorum: boolean;
  rng: Rng;
  logger?: Logger;
}
