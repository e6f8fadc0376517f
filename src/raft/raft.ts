/**
 * Raft: the state machine of one node (etcd's `raft` struct), synchronous and pure.
 *
 * Input: tick() and step(message). Output: `msgs` (to send) and the log/hard-state changes that
 * RawNode turns into a Ready. Nothing here does I/O, reads a clock or draws randomness except from
 * the injected Rng.
 *
 * This file holds the state, the role transitions (becomeFollower/PreCandidate/Candidate/Leader),
 * the timers (tickElection, tickHeartbeat), the term rules every message goes through (step), voting,
 * and the leader's sending helpers. The per-role message handling lives in step-leader.ts and
 * step-follower.ts (followers and candidates).
 */
import { assert } from '../core/assert.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { Rng } from '../core/rng.js';
import { applyToConfState, decodeConfChange } from './conf-change.js';
import { newMessage, voteResponseType, type MessageFields } from './message.js';
import { Progress } from './progress.js';
import { committedIndex, voteResult, type VoteResult } from './quorum.js';
import type { RaftConfig } from './raft-config.js';
import { RaftLog } from './raft-log.js';
import {
  NO_NODE,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type RaftRole,
  type Snapshot,
  type SoftState,
} from './raft-types.js';
import { stepCandidate, stepFollower } from './step-follower.js';
import { expireStaleSnapshots, stepLeader } from './step-leader.js';

/** Why a node campaigns: after a pre-vote (§9.6), directly, or because the leader asked (MsgTimeoutNow). */
export type CampaignType = 'preElection' | 'election' | 'transfer';

export class Raft {
  readonly id: NodeId;
  // Persistent state (§5.1, Figure 2): term and vote, plus the log.
  term = 0;
  vote: NodeId = NO_NODE;
  readonly raftLog: RaftLog;

  state: RaftRole = 'follower';
  /** The leader of the current term as far as this node knows. */
  lead: NodeId = NO_NODE;
  /** The configuration: one Progress per voter (the leader uses them; everyone uses the keys). */
  prs = new Map<NodeId, Progress>();
  /** prs' keys, sorted; recomputed when the configuration changes (see voters()). */
  private sortedVoters: readonly NodeId[] | undefined;
  /** Votes received in the current (pre-)election. */
  votes = new Map<NodeId, boolean>();
  /** Outgoing messages; RawNode hands them out in the next Ready. */
  msgs: Message[] = [];
  /** Leader transfer in progress: the target (§3.10 of the thesis). */
  leadTransferee: NodeId = NO_NODE;
  /** Leader: index of the latest conf change entry; no new one is accepted until it is applied (§6). */
  pendingConfIndex = 0;

  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  readonly electionTimeout: number;
  readonly heartbeatTimeout: number;
  readonly maxInflightMsgs: number;
  readonly maxEntriesPerMsg: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  private readonly rng: Rng;
  readonly logger: Logger;

  constructor(config: RaftConfig) {
    assert(config.id > 0, 'Raft: id must be > 0');
    assert(config.heartbeatTicks > 0, 'Raft: heartbeatTicks must be > 0');
    assert(config.electionTicks > config.heartbeatTicks, 'Raft: electionTicks must be > heartbeatTicks');
    assert(config.maxEntriesPerMsg > 0 && config.maxInflightMsgs > 0, 'Raft: maxEntriesPerMsg and maxInflightMsgs must be > 0');
    this.id = config.id;
    this.electionTimeout = config.electionTicks;
    this.heartbeatTimeout = config.heartbeatTicks;
    this.maxInflightMsgs = config.maxInflightMsgs;
    this.maxEntriesPerMsg = config.maxEntriesPerMsg;
    this.preVote = config.preVote;
    this.checkQuorum = config.checkQuorum;
    this.rng = config.rng;
    this.logger = config.logger ?? silentLogger;

    const storage = config.storage;
    const { hardState, confState } = storage.initialState();
    this.raftLog = new RaftLog(storage);
    assert(
      hardState.commit <= this.raftLog.lastIndex(),
      `Raft: hard state commit ${hardState.commit} is past the last index ${this.raftLog.lastIndex()} (log lost?)`,
    );
    this.term = hardState.term;
    this.vote = hardState.vote;
    this.raftLog.commitTo(hardState.commit);

    const snapshotIndex = storage.snapshot().metadata.index;
    const applied = config.applied ?? snapshotIndex;
    assert(
      applied >= this.raftLog.applied && applied <= this.raftLog.committed,
      `Raft: applied ${applied} must be in [${this.raftLog.applied}, commit ${this.raftLog.committed}]`,
    );
    this.raftLog.applied = applied;
    this.raftLog.applying = applied;

    // The membership: the snapshot's, plus the conf changes the application already applied after it.
    let cs: ConfState = confState;
    if (applied > snapshotIndex) {
      for (const e of this.raftLog.slice(snapshotIndex + 1, applied + 1)) {
        if (e.type === 'confChange') cs = applyToConfState(cs, decodeConfChange(e.data));
      }
    }
    this.setVoters(cs.voters);

    this.becomeFollower(this.term, NO_NODE);
    this.logger.info('raft.start', {
      node: this.id,
      term: this.term,
      commit: this.raftLog.committed,
      applied,
      lastIndex: this.raftLog.lastIndex(),
      voters: this.voters().join(','),
    });
  }

  // ---- observers ----

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  softState(): SoftState {
    return { leader: this.lead, role: this.state };
  }

  /** The voters of the current configuration, in increasing order. */
  voters(): readonly NodeId[] {
    this.sortedVoters ??= [...this.prs.keys()].sort((a, b) => a - b);
    return this.sortedVoters;
  }

  /** Replaces the configuration (a snapshot's, on restore). */
  setVoters(voters: readonly NodeId[]): void {
    this.prs = new Map();
    for (const id of voters) this.prs.set(id, new Progress(this.raftLog.lastIndex() + 1, this.maxInflightMsgs));
    this.configChanged();
  }

  private configChanged(): void {
    this.sortedVoters = undefined;
  }

  /** Only a voter of the current configuration may campaign. */
  promotable(): boolean {
    return this.prs.has(this.id);
  }

  // ---- sending ----

  /**
   * Queues a message. (Pre-)vote requests and responses carry an explicit term; proposals travel
   * without one; everything else carries the node's current term.
   */
  send(fields: MessageFields): void {
    const t = fields.type;
    const explicitTerm = t === 'MsgVote' || t === 'MsgPreVote' || t === 'MsgVoteResp' || t === 'MsgPreVoteResp';
    if (explicitTerm) assert((fields.term ?? 0) > 0, `Raft.send: ${t} needs a term`);
    const term = explicitTerm ? fields.term! : t === 'MsgProp' ? 0 : this.term;
    this.msgs.push(newMessage(fields, fields.from ?? this.id, term));
  }

  /** Leader: sends the follower what it is missing (or an empty MsgApp as a probe / commit update). */
  sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  /**
   * Leader: sends one MsgApp (or a MsgSnap if the entries are compacted, §7) unless flow control
   * pauses this follower. With sendIfEmpty=false, nothing is sent when there are no new entries.
   * Returns whether a message was sent.
   */
  maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.prs.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.raftLog.term(prevIndex);
    const ents = this.raftLog.entriesFrom(pr.next, this.maxEntriesPerMsg);
    if (prevTerm === undefined || ents === undefined) return this.maybeSendSnapshot(to, pr);
    if (ents.length === 0 && !sendIfEmpty) return false;
    this.send({ type: 'MsgApp', to, index: prevIndex, logTerm: prevTerm, entries: ents, commit: this.raftLog.committed });
    pr.sentEntries(ents.length, ents.length > 0 ? ents[ents.length - 1]!.index : prevIndex);
    return true;
  }

  /** InstallSnapshot (§7): the follower needs entries this leader has compacted away. */
  private maybeSendSnapshot(to: NodeId, pr: Progress): boolean {
    // Only to a follower we have heard from: a dead one would just make us ship snapshots in a loop.
    if (!pr.recentActive) return false;
    const snapshot: Snapshot = this.raftLog.snapshot();
    assert(snapshot.metadata.index > 0, `Raft: follower ${to} needs a snapshot but none exists`);
    pr.becomeSnapshot(snapshot.metadata.index);
    this.send({ type: 'MsgSnap', to, snapshot });
    this.logger.debug('raft.sendSnapshot', { node: this.id, to, index: snapshot.metadata.index });
    return true;
  }

  /** Heartbeats (§5.2) assert leadership; their commit never exceeds what the follower is known to have. */
  sendHeartbeat(to: NodeId): void {
    const pr = this.prs.get(to);
    const commit = Math.min(pr?.match ?? 0, this.raftLog.committed);
    this.send({ type: 'MsgHeartbeat', to, commit });
  }

  private forEachPeer(f: (id: NodeId) => void): void {
    for (const id of this.voters()) if (id !== this.id) f(id);
  }

  bcastAppend(): void {
    this.forEachPeer((id) => this.sendAppend(id));
  }

  bcastHeartbeat(): void {
    this.forEachPeer((id) => this.sendHeartbeat(id));
  }

  sendTimeoutNow(to: NodeId): void {
    this.send({ type: 'MsgTimeoutNow', to });
  }

  // ---- leader bookkeeping ----

  /**
   * Commit the highest index stored on a majority of the current voters, if it is from this term
   * (§5.3, §5.4.2). Returns whether the commit index advanced.
   */
  maybeCommit(): boolean {
    const mci = committedIndex(this.voters(), (id) => this.prs.get(id)!.match);
    return this.raftLog.maybeCommit(mci, this.term);
  }

  /** Leader: appends proposals to its own log (§5.3), stamping term and index. */
  appendEntry(entries: readonly Entry[]): void {
    let index = this.raftLog.lastIndex();
    const stamped = entries.map((e) => ({ ...e, term: this.term, index: ++index }));
    const last = this.raftLog.append(stamped);
    // The leader's own log counts towards the majority (persisted before any follower ack arrives,
    // because the Ready that carries these entries is persisted before its messages are sent).
    this.prs.get(this.id)?.maybeUpdate(last);
    this.maybeCommit();
  }

  abortLeaderTransfer(): void {
    this.leadTransferee = NO_NODE;
  }

  // ---- role transitions ----

  /** Common to every transition: a new term forgets the vote (§5.1); timers and progress start over. */
  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NO_NODE;
    }
    this.lead = NO_NODE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.votes = new Map();
    const lastIndex = this.raftLog.lastIndex();
    for (const id of this.prs.keys()) {
      const pr = new Progress(lastIndex + 1, this.maxInflightMsgs);
      if (id === this.id) pr.match = lastIndex;
      this.prs.set(id, pr);
    }
    this.pendingConfIndex = 0;
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.state = 'follower';
    this.logger.debug('raft.becomeFollower', { node: this.id, term, lead });
  }

  /** §5.2: increment the term and vote for ourselves. */
  becomeCandidate(): void {
    assert(this.state !== 'leader', 'Raft: invalid transition leader -> candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.state = 'candidate';
    this.logger.debug('raft.becomeCandidate', { node: this.id, term: this.term });
  }

  /** Thesis §9.6: ask first whether we could win, without touching term or vote. */
  becomePreCandidate(): void {
    assert(this.state !== 'leader', 'Raft: invalid transition leader -> preCandidate');
    this.votes = new Map();
    this.lead = NO_NODE;
    this.state = 'preCandidate';
    this.logger.debug('raft.becomePreCandidate', { node: this.id, term: this.term });
  }

  /**
   * §5.2 won the election. §5.4.2/§8: append an empty entry of the new term, whose commitment commits
   * (indirectly) everything before it. A conf change might be hidden in the uncommitted tail, so no new
   * one is accepted until that tail is applied (pendingConfIndex).
   */
  becomeLeader(): void {
    assert(this.state !== 'follower', 'Raft: invalid transition follower -> leader');
    this.reset(this.term);
    this.lead = this.id;
    this.state = 'leader';
    const self = this.prs.get(this.id)!;
    self.becomeReplicate();
    self.recentActive = true;
    this.pendingConfIndex = this.raftLog.lastIndex();
    this.appendEntry([{ term: 0, index: 0, type: 'normal', data: new Uint8Array(0) }]);
    this.logger.info('raft.becomeLeader', { node: this.id, term: this.term });
  }

  // ---- timers ----

  tick(): void {
    if (this.state === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  /** Followers and candidates: campaign when no leader was heard from within the randomized timeout (§5.2). */
  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.step(newMessage({ type: 'MsgHup', from: this.id }));
    }
  }

  /** Leaders: heartbeats every heartbeatTimeout; CheckQuorum and transfer timeout every electionTimeout. */
  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) this.step(newMessage({ type: 'MsgCheckQuorum', from: this.id }));
      if (this.state === 'leader') {
        expireStaleSnapshots(this);
        // A transfer that did not finish within an election timeout is abandoned.
        if (this.leadTransferee !== NO_NODE) this.abortLeaderTransfer();
      }
    }
    if (this.state !== 'leader') return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.step(newMessage({ type: 'MsgBeat', from: this.id }));
    }
  }

  private resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.electionTimeout + this.rng.nextInt(this.electionTimeout);
  }

  // ---- elections (§5.2) ----

  /** MsgHup: start an election, unless we lead already, are not a voter, or have conf changes to apply. */
  hup(type: CampaignType): void {
    if (this.state === 'leader') return;
    if (!this.promotable()) {
      this.logger.warn('raft.hup.notPromotable', { node: this.id });
      return;
    }
    if (this.hasUnappliedConfChanges()) {
      // etcd: the configuration we would campaign under is about to change.
      this.logger.warn('raft.hup.pendingConfChange', { node: this.id, term: this.term });
      return;
    }
    this.campaign(type);
  }

  private hasUnappliedConfChanges(): boolean {
    const lo = Math.max(this.raftLog.applied + 1, this.raftLog.firstIndex());
    if (lo > this.raftLog.committed) return false;
    return this.raftLog.slice(lo, this.raftLog.committed + 1).some((e) => e.type === 'confChange');
  }

  campaign(type: CampaignType): void {
    let voteType: 'MsgVote' | 'MsgPreVote';
    let term: number;
    if (type === 'preElection') {
      this.becomePreCandidate();
      voteType = 'MsgPreVote';
      term = this.term + 1; // the term we would campaign in; ours does not change yet
    } else {
      this.becomeCandidate();
      voteType = 'MsgVote';
      term = this.term;
    }
    if (this.poll(this.id, true) === 'won') {
      // A single-voter cluster wins at once.
      if (type === 'preElection') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    const index = this.raftLog.lastIndex();
    const logTerm = this.raftLog.lastTerm();
    this.forEachPeer((to) => {
      this.send({ type: voteType, to, term, index, logTerm, ...(type === 'transfer' ? { context: 'transfer' as const } : {}) });
    });
  }

  /** Records one (pre-)vote (the first one from each voter counts) and returns the tally. */
  poll(from: NodeId, granted: boolean): VoteResult {
    if (!this.votes.has(from)) this.votes.set(from, granted);
    return voteResult(this.voters(), this.votes);
  }

  // ---- the term rules (§5.1) and voting (§5.2, §5.4.1) ----

  /** Handles one message. Returns false only when a proposal was dropped. */
  step(m: Message): boolean {
    if (m.term > this.term) {
      if (m.type === 'MsgVote' || m.type === 'MsgPreVote') {
        // Leader lease (thesis §4.2.3 / §9.6): while we hear from a leader, ignore disruptive candidates,
        // unless the leader itself asked for the election (transfer).
        const inLease = this.checkQuorum && this.lead !== NO_NODE && this.electionElapsed < this.electionTimeout;
        if (inLease && m.context !== 'transfer') return true;
      }
      if (m.type === 'MsgPreVote' || (m.type === 'MsgPreVoteResp' && !m.reject)) {
        // A pre-vote does not change terms: the candidate bumps its term only once it could win.
      } else if (m.type === 'MsgApp' || m.type === 'MsgHeartbeat' || m.type === 'MsgSnap') {
        this.becomeFollower(m.term, m.from); // only a leader sends these
      } else {
        this.becomeFollower(m.term, NO_NODE);
      }
    } else if (m.term !== 0 && m.term < this.term) {
      // A stale message (§5.1) is ignored, but:
      if ((this.checkQuorum || this.preVote) && (m.type === 'MsgHeartbeat' || m.type === 'MsgApp')) {
        // a stale leader (e.g. back from a partition) would otherwise never learn the newer term: with
        // PreVote/CheckQuorum our term does not reach it through elections. The response makes it step down.
        this.send({ type: 'MsgAppResp', to: m.from });
      } else if (m.type === 'MsgPreVote') {
        // Reject, with our term, so the pre-candidate learns it.
        this.send({ type: 'MsgPreVoteResp', to: m.from, term: this.term, reject: true });
      }
      return true;
    }

    switch (m.type) {
      case 'MsgHup':
        this.hup(this.preVote ? 'preElection' : 'election');
        return true;
      case 'MsgVote':
      case 'MsgPreVote':
        this.handleVoteRequest(m, m.type);
        return true;
      default:
        return this.stepByRole(m);
    }
  }

  /**
   * Grant a vote (§5.2) at most once per term and only to an up-to-date candidate (§5.4.1). A pre-vote
   * for a future term may be granted without having "voted": it records nothing.
   */
  private handleVoteRequest(m: Message, type: 'MsgVote' | 'MsgPreVote'): void {
    const canVote =
      this.vote === m.from ||
      (this.vote === NO_NODE && this.lead === NO_NODE) ||
      (type === 'MsgPreVote' && m.term > this.term);
    const respType = voteResponseType(type);
    if (canVote && this.raftLog.isUpToDate(m.index, m.logTerm)) {
      // Respond with the term of the request, so that a pre-candidate counts it (its own term is lower).
      this.send({ type: respType, to: m.from, term: m.term });
      if (type === 'MsgVote') {
        this.electionElapsed = 0;
        this.vote = m.from; // persisted (hard state) before the response is sent
      }
    } else {
      this.send({ type: respType, to: m.from, term: this.term, reject: true });
    }
  }

  private stepByRole(m: Message): boolean {
    switch (this.state) {
      case 'leader':
        return stepLeader(this, m);
      case 'candidate':
      case 'preCandidate':
        return stepCandidate(this, m);
      case 'follower':
        return stepFollower(this, m);
    }
  }

  // ---- membership (§6, thesis §4.1) ----

  /** The application applied a committed conf change entry: switch to the new configuration. */
  applyConfChange(cc: ConfChange): ConfState {
    const cs = applyToConfState({ voters: this.voters() }, cc);
    if (cc.type === 'addNode' && !this.prs.has(cc.nodeId)) {
      // next = lastIndex: the first probe carries the last entry, so it goes out at once (etcd).
      const pr = new Progress(Math.max(this.raftLog.lastIndex(), 1), this.maxInflightMsgs);
      // So that CheckQuorum does not count a node that has had no chance to answer as inactive.
      pr.recentActive = true;
      this.prs.set(cc.nodeId, pr);
    } else if (cc.type === 'removeNode') {
      this.prs.delete(cc.nodeId);
    }
    this.configChanged();
    this.logger.info('raft.applyConfChange', { node: this.id, type: cc.type, target: cc.nodeId, voters: cs.voters.join(',') });
    if (this.state !== 'leader') return cs;

    if (!this.prs.has(this.id)) {
      // A removed leader (thesis §4.2.2) tells the others the commit index, then steps down; the
      // remaining voters elect a new leader after an election timeout.
      this.bcastAppend();
      this.becomeFollower(this.term, NO_NODE);
      return cs;
    }
    // The quorum changed: maybe more is committed now; and probe a newly added node.
    if (this.maybeCommit()) this.bcastAppend();
    else this.forEachPeer((id) => this.maybeSendAppend(id, false));
    if (this.leadTransferee !== NO_NODE && !this.prs.has(this.leadTransferee)) this.abortLeaderTransfer();
    return cs;
  }
}
