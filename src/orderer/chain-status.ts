import type { NodeId, RaftRole } from '../raft/raft-types.js';
import type { RaftStatus } from '../raft/raw-node.js';

/** What `fabsim status` and the logs show of one channel's chain on one orderer. */
export interface ChainStatus {
  readonly role: RaftRole;
  readonly term: number;
  /** The Raft leader this orderer knows (0 = none). */
  readonly leader: NodeId;
  /** Number of blocks written (the next block's number). */
  readonly height: number;
  /** Last index in this orderer's Raft log. */
  readonly lastRaftIndex: number;
  readonly appliedRaftIndex: number;
  /** Set when the chain stopped on an error it cannot recover from. */
  readonly halted?: string;
}

export function chainStatus(raft: RaftStatus, height: number, halted: string | undefined): ChainStatus {
  return {
    role: raft.role,
    term: raft.term,
    leader: raft.lead,
    height,
    lastRaftIndex: raft.lastIndex,
    appliedRaftIndex: raft.applied,
    ...(halted === undefined ? {} : { halted }),
  };
}
