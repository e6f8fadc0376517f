import type { NodeId } from '../raft/raft-types.js';

/**
 * Orderer-to-orderer communication of a channel's Raft group (Fabric's cluster service, `orderer.Cluster`
 * Step: ConsensusRequest and SubmitRequest). The chain sees only these interfaces; the node implements
 * them over gRPC with mutual TLS, tests and the simulator with InMemoryClusterNetwork.
 * Raft node ids are the channel's consenter positions, 1..n.
 */
export interface ClusterTransport {
  /**
   * Sends one Raft message (`encodeMessage` from src/raft/raft-codec.ts) to `to`. Fire-and-forget:
   * Raft tolerates loss, so a message that cannot be delivered is dropped. A transport that learns
   * that `to` is unreachable tells the sending chain through `ClusterEndpoint.reportUnreachable`.
   */
  sendConsensus(channel: string, to: NodeId, message: Uint8Array): void;
  /**
   * Forwards a client's envelope to the leader `to` (a follower does this for Broadcast). Resolves when
   * the leader accepted it for ordering; rejects if `to` is unreachable or did not accept it
   * (for example, it is no longer the leader), with an error that says so.
   */
  submit(channel: string, to: NodeId, envelope: Uint8Array): Promise<void>;
}

/** The inbound side a chain exposes to its transport. */
export interface ClusterEndpoint {
  /** A Raft message from consenter `from`. Malformed bytes are logged and dropped. */
  handleConsensus(from: NodeId, message: Uint8Array): void;
  /** An envelope forwarded by consenter `from`: resolves once accepted for ordering, rejects otherwise. */
  handleSubmit(from: NodeId, envelope: Uint8Array): Promise<void>;
  /** The transport could not deliver to `to` (the Raft leader then probes it instead of streaming). */
  reportUnreachable(to: NodeId): void;
}
