import type { Logger } from '../core/logger.js';
import type { Rng } from '../core/rng.js';
import type { NodeId } from '../raft/raft-types.js';
import type { KvStore } from '../storage/kv-store.js';
import type { BatchSize } from './block-cutter.js';
import type { BlockPuller } from './block-puller.js';
import type { BlockSigner } from './block-signer.js';
import type { ClusterTransport } from './cluster-transport.js';
import type { Scheduler } from './scheduler.js';

/** etcdraft.Options as the chain uses them (Fabric docs "Configuring and operating a Raft ordering service"). */
export interface ChainRaftOptions {
  /** Time between two Raft ticks. */
  readonly tickIntervalMs: number;
  /** Ticks without a leader before a follower campaigns (randomized in [electionTicks, 2*electionTicks)). */
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  /** Blocks proposed and not yet applied, at most (also Raft's MsgApp flow-control window). */
  readonly maxInflightBlocks: number;
  /** Entries per MsgApp (default 64). */
  readonly maxEntriesPerMsg?: number;
  /** Default true, as Fabric. */
  readonly preVote?: boolean;
  /** Default true, as Fabric: a leader without a quorum steps down. */
  readonly checkQuorum?: boolean;
}

/**
 * When to snapshot (Raft §7): Fabric takes one every SnapshotIntervalSize bytes of blocks; fabsim
 * also allows every N blocks. The snapshot holds the last written block; the Raft log up to it is
 * compacted. Both 0 = never.
 */
export interface ChainSnapshotOptions {
  /** Bytes of applied block entries since the last snapshot (0 = off). */
  readonly intervalBytes: number;
  /** Blocks applied since the last snapshot (0 or absent = off). */
  readonly everyBlocks?: number;
}

export interface RaftChainOptions {
  readonly channelId: string;
  /** This orderer's Raft node id (1..n). */
  readonly self: NodeId;
  /** The Raft node ids of the consenters, 1..n in consenter order (chainConfigFromBlock). */
  readonly consenterIds: readonly NodeId[];
  readonly raft: ChainRaftOptions;
  readonly batchSize: BatchSize;
  readonly batchTimeoutMs: number;
  readonly snapshot: ChainSnapshotOptions;
  /** Envelopes the leader lets wait for ordering capacity before answering SERVICE_UNAVAILABLE (default 10,000). */
  readonly maxWaitingEnvelopes?: number;
  /**
   * This channel's part of the orderer's store (already prefixed for the channel): the Raft log under
   * `raft/<channel>/`, the blocks under `blocks/`.
   */
  readonly store: KvStore;
  /** Written as block 0 when the store holds no block yet (joining the channel). */
  readonly genesisBlock?: Uint8Array;
  readonly transport: ClusterTransport;
  readonly puller: BlockPuller;
  readonly scheduler: Scheduler;
  readonly rng: Rng;
  readonly signer: BlockSigner;
  readonly logger: Logger;
}

export const DEFAULT_MAX_WAITING_ENVELOPES = 10_000;
export const DEFAULT_MAX_ENTRIES_PER_MSG = 64;
