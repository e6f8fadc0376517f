/**
 * The data of fabsim's Raft, modelled on etcd-io/raft (raftpb). Everything here is plain data: the
 * pure core (raw-node.ts) consumes and produces it; durable storage and transports serialize it.
 *
 * Vocabulary (Raft paper, Ongaro & Ousterhout 2014):
 * - term (§5.1): a logical clock; each term has at most one leader.
 * - index: position in the replicated log, starting at 1; index 0 / term 0 is the empty log.
 * - commit (§5.3): the highest index known to be stored on a majority (and of the leader's term, §5.4.2).
 */

/** A node (an orderer of a channel's Raft group). 0 means "none". */
export type NodeId = number;
export const NO_NODE: NodeId = 0;

export type EntryType = 'normal' | 'confChange';

export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  /** For 'normal': the application's bytes (empty for the no-op a new leader appends).
   *  For 'confChange': an encoded ConfChange (see encodeConfChange). */
  readonly data: Uint8Array;
}

/** What must survive a crash before any message of the same Ready is sent (§5.1, Figure 2 "Persistent state"). */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

/** The membership (§6): single-server changes, one at a time. */
export interface ConfState {
  readonly voters: readonly NodeId[];
}

/** Single-server membership change (Raft thesis §4.1), carried as a 'confChange' entry. */
export interface ConfChange {
  readonly type: 'addNode' | 'removeNode';
  readonly nodeId: NodeId;
}

export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

/** A compacted prefix of the log (§7): the application state up to `metadata.index`. */
export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Uint8Array;
}

export type MessageType =
  // local messages (never sent on the network)
  | 'MsgHup' // start an election (tickElection, campaign)
  | 'MsgBeat' // leader: send heartbeats (tickHeartbeat)
  | 'MsgUnreachable' // reportUnreachable
  | 'MsgSnapStatus' // reportSnapshot
  | 'MsgCheckQuorum' // leader: step down if no quorum was active in the last election timeout
  // local, and also sent: a follower forwards them to the leader (as etcd does)
  | 'MsgProp' // a proposal
  | 'MsgTransferLeader' // transferLeader
  // network messages
  | 'MsgApp'
  | 'MsgAppResp'
  | 'MsgVote'
  | 'MsgVoteResp'
  | 'MsgPreVote'
  | 'MsgPreVoteResp'
  | 'MsgSnap'
  | 'MsgHeartbeat'
  | 'MsgHeartbeatResp'
  | 'MsgTimeoutNow';

export interface Message {
  readonly type: MessageType;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  /** MsgApp: term of the entry at `index` (prevLogTerm). MsgVote/MsgPreVote: the candidate's last log term. */
  readonly logTerm: number;
  /** MsgApp: prevLogIndex. MsgAppResp: the index acknowledged (or rejected). MsgVote: candidate's last index. */
  readonly index: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
  readonly snapshot?: Snapshot;
  readonly reject: boolean;
  /** MsgAppResp rejection: the follower's hint for fast back-off (its last index, or the conflicting term's start). */
  readonly rejectHint: number;
  /** Term of the entry at rejectHint, for the etcd-style fast back-off. */
  readonly rejectHintTerm?: number;
  /** MsgVote/MsgPreVote during leader transfer: bypasses the leader lease (checkQuorum). */
  readonly context?: 'transfer';
}

export type RaftRole = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** Volatile state observers care about: who leads and what this node is. */
export interface SoftState {
  readonly leader: NodeId;
  readonly role: RaftRole;
}

/**
 * What the caller must do after `RawNode.ready()`, strictly in this order (etcd's Ready contract):
 * 1. persist `hardState` (if set), `entries` and `snapshot` (if set), atomically;
 * 2. then send `messages`;
 * 3. then apply `snapshot` (if set) and `committedEntries`, in order;
 * 4. then call `advance()`.
 * `softState` is informational (leader, role) and needs no persistence.
 */
export interface Ready {
  readonly softState?: SoftState;
  readonly hardState?: HardState;
  readonly entries: readonly Entry[];
  readonly snapshot?: Snapshot;
  readonly messages: readonly Message[];
  readonly committedEntries: readonly Entry[];
}

/** Whether a snapshot sent to a follower got there (reportSnapshot). */
export type SnapshotStatus = 'finish' | 'failure';

/** Read-only view of the log that has been persisted (etcd's Storage interface). */
export interface RaftStorage {
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries in [lo, hi). Throws only on misuse (lo < firstIndex or hi > lastIndex + 1). */
  entries(lo: number, hi: number): Entry[];
  /** Term of the entry at `index`; the snapshot's term at its index; undefined if compacted or past the end. */
  term(index: number): number | undefined;
  /** Index of the first entry still in the log (snapshot index + 1). */
  firstIndex(): number;
  lastIndex(): number;
  snapshot(): Snapshot;
}
