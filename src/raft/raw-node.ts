/**
 * RawNode: the application's handle on a Raft node (etcd's classic RawNode), and the Ready/advance
 * bookkeeping.
 *
 * The application drives it synchronously:
 * ```
 * node.tick() every tick; node.step(m) for every delivered message; node.propose(data) for client data
 * while (node.hasReady()) {
 *   const rd = node.ready();
 *   persist rd.snapshot, rd.entries, rd.hardState   (atomically; before anything is sent)
 *   send rd.messages
 *   restore rd.snapshot into the application; apply rd.committedEntries in order
 *     (for a 'confChange' entry call node.applyConfChange(decodeConfChange(e.data)))
 *   node.advance()
 * }
 * ```
 * "Persist before send" is what makes votes and acknowledgements safe (§5.1: term and vote, and the
 * log, are persistent state updated "before responding to RPCs"): a MsgVoteResp or MsgAppResp in
 * `rd.messages` may promise something that only `rd.hardState` / `rd.entries` make durable.
 */
import { assert } from '../core/assert.js';
import { encodeConfChange } from './conf-change.js';
import { isLocalMessage, newMessage } from './message.js';
import type { ProgressState } from './progress.js';
import type { RaftConfig } from './raft-config.js';
import { Raft } from './raft.js';
import type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  Message,
  NodeId,
  RaftRole,
  Ready,
  SnapshotStatus,
  SoftState,
} from './raft-types.js';

export type { RaftConfig } from './raft-config.js';

/** What a leader knows about one follower (etcd's tracker.Progress), for observers. */
export interface ProgressStatus {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
  readonly applied: number;
  readonly lead: NodeId;
  readonly role: RaftRole;
  readonly voters: NodeId[];
  readonly lastIndex: number;
  /** Leader only: the leader transfer target (0 if none). */
  readonly leadTransferee: NodeId;
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function sameSoftState(a: SoftState, b: SoftState): boolean {
  return a.leader === b.leader && a.role === b.role;
}

export class RawNode {
  private readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  /** The Ready handed out and not yet advanced. */
  private pending: Ready | undefined;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevSoftState = this.raft.softState();
    this.prevHardState = config.storage.initialState().hardState;
  }

  tick(): void {
    this.raft.tick();
  }

  /** Start an election now (a pre-vote first, if enabled). */
  campaign(): void {
    this.raft.step(newMessage({ type: 'MsgHup', from: this.raft.id }));
  }

  /** Proposes application data. false = dropped (no leader known, or a leader transfer in progress). */
  propose(data: Uint8Array): boolean {
    return this.proposeEntry({ term: 0, index: 0, type: 'normal', data });
  }

  /**
   * Proposes a single-server membership change (§6). false = dropped, also while the leader has
   * another conf change that is not yet applied. The change takes effect at applyConfChange.
   */
  proposeConfChange(cc: ConfChange): boolean {
    return this.proposeEntry({ term: 0, index: 0, type: 'confChange', data: encodeConfChange(cc) });
  }

  private proposeEntry(entry: Entry): boolean {
    return this.raft.step(newMessage({ type: 'MsgProp', from: this.raft.id, entries: [entry] }));
  }

  /** The application applies a committed 'confChange' entry: the new configuration takes effect now. */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /** A message from the network. */
  step(m: Message): void {
    assert(!isLocalMessage(m.type), `RawNode.step: ${m.type} is a local message and cannot come from the network`);
    assert(m.to === this.raft.id, `RawNode.step: message for ${m.to} delivered to ${this.raft.id}`);
    this.raft.step(m);
  }

  /** Asks the leader to hand leadership to `to` (forwarded to the leader by a follower). */
  transferLeader(to: NodeId): void {
    this.raft.step(newMessage({ type: 'MsgTransferLeader', from: to, to: this.raft.id }));
  }

  /** The transport could not reach `id`: the leader stops streaming to it and probes instead. */
  reportUnreachable(id: NodeId): void {
    this.raft.step(newMessage({ type: 'MsgUnreachable', from: id, to: this.raft.id }));
  }

  /** Whether the MsgSnap sent to `id` was delivered and applied ('finish') or not ('failure'). */
  reportSnapshot(id: NodeId, status: SnapshotStatus): void {
    this.raft.step(newMessage({ type: 'MsgSnapStatus', from: id, to: this.raft.id, reject: status === 'failure' }));
  }

  hasReady(): boolean {
    const r = this.raft;
    return (
      !sameSoftState(r.softState(), this.prevSoftState) ||
      !sameHardState(r.hardState(), this.prevHardState) ||
      r.raftLog.hasPendingSnapshot() ||
      r.raftLog.unstableEntries().length > 0 ||
      r.msgs.length > 0 ||
      r.raftLog.hasNextCommittedEntries()
    );
  }

  /** What to persist, send and apply now; call advance() once all of it is done. */
  ready(): Ready {
    assert(this.pending === undefined, 'RawNode.ready: the previous Ready was not advanced');
    const r = this.raft;
    const softState = r.softState();
    const hardState = r.hardState();
    const snapshot = r.raftLog.unstable.snapshot;
    const committedEntries = r.raftLog.nextCommittedEntries();
    const rd: { -readonly [K in keyof Ready]: Ready[K] } = {
      entries: [...r.raftLog.unstableEntries()],
      messages: r.msgs,
      committedEntries,
    };
    if (!sameSoftState(softState, this.prevSoftState)) rd.softState = softState;
    if (!sameHardState(hardState, this.prevHardState)) rd.hardState = hardState;
    if (snapshot !== undefined) rd.snapshot = snapshot;
    r.msgs = [];
    const lastCommitted = committedEntries[committedEntries.length - 1];
    if (lastCommitted !== undefined) r.raftLog.applying = lastCommitted.index;
    this.prevSoftState = softState;
    this.pending = rd;
    return rd;
  }

  /** The last Ready was persisted, sent and applied. */
  advance(): void {
    const rd = this.pending;
    assert(rd !== undefined, 'RawNode.advance: no Ready to advance');
    this.pending = undefined;
    const log = this.raft.raftLog;
    if (rd.hardState !== undefined) this.prevHardState = rd.hardState;
    const lastEntry = rd.entries[rd.entries.length - 1];
    if (lastEntry !== undefined) log.stableTo(lastEntry.index, lastEntry.term);
    if (rd.snapshot !== undefined) {
      log.stableSnapTo(rd.snapshot.metadata.index);
      log.appliedTo(rd.snapshot.metadata.index);
    }
    const lastCommitted = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastCommitted !== undefined) log.appliedTo(lastCommitted.index);
  }

  status(): RaftStatus {
    const r = this.raft;
    return {
      id: r.id,
      term: r.term,
      vote: r.vote,
      commit: r.raftLog.committed,
      applied: r.raftLog.applied,
      lead: r.lead,
      role: r.state,
      voters: [...r.voters()],
      lastIndex: r.raftLog.lastIndex(),
      leadTransferee: r.leadTransferee,
    };
  }

  /** Leader only: what it knows about each voter's log (etcd's tracker.Progress); undefined on other nodes. */
  progress(): Record<NodeId, ProgressStatus> | undefined {
    const r = this.raft;
    if (r.state !== 'leader') return undefined;
    const progress: Record<NodeId, ProgressStatus> = {};
    for (const [id, pr] of r.prs) progress[id] = { match: pr.match, next: pr.next, state: pr.state };
    return progress;
  }
}
