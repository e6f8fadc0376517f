import type { NodeId } from '../raft/raft-types.js';
import { EMPTY_STATE_HASH, nextStateHash } from './raft-history.js';
import type { EntryRecord, HistoryEvent } from './raft-history.js';

export type InvariantName =
  | 'election safety'
  | 'log matching'
  | 'leader completeness'
  | 'state machine safety'
  | 'committed entry lost'
  | 'apply order'
  | 'term monotonicity'
  | 'vote safety'
  | 'persist before send';

export interface Violation {
  readonly invariant: InvariantName;
  readonly message: string;
  /** Position of the offending event in the history (0-based). */
  readonly eventNumber: number;
  readonly event: HistoryEvent;
}

/** The checker's model of one node: its persisted log (as terms) and its application's progress. */
interface NodeModel {
  /** The disk snapshot: everything up to snapIndex is covered by it. */
  snapIndex: number;
  snapTerm: number;
  /** terms[k] is the term of the persisted entry at index offset + k; always offset = snapIndex + 1. */
  offset: number;
  terms: number[];
  up: boolean;
  /** Last index applied in the current incarnation (undefined while crashed). */
  lastApplied: number | undefined;
  stateHash: number;
  /** Last term reported by status() in this incarnation. */
  term: number;
  /** The hard state on disk. */
  diskTerm: number;
  diskVote: NodeId;
}

interface CommittedRecord {
  readonly term: number;
  readonly key: string;
  readonly stateHash: number;
  readonly node: NodeId;
}

/** One (index, term) pair ever persisted anywhere, with what precedes and what it holds. */
interface LogMatchRecord {
  readonly term: number;
  readonly prevTerm: number | undefined;
  readonly key: string;
  readonly node: NodeId;
}

/**
 * Checks Raft's safety properties (Raft paper §5.2 Figure 3) incrementally, after every observation:
 *
 * - election safety (§5.2): at most one leader per term;
 * - log matching (§5.3): two persisted logs with an entry of the same index and term are identical up
 *   to it. Checked inductively in O(entries): every (index, term) ever persisted is recorded with its
 *   key and the term before it; a second occurrence must agree on both, so agreement at (i, t)
 *   implies agreement at (i-1, prevTerm), and so on down to the empty log. Log terms never decrease.
 * - leader completeness (§5.4): an entry committed while the highest term anyone had reached was M
 *   (so it was committed in a term <= M) is in the log of every leader of a term > M. Checking the
 *   highest such entry suffices, given log matching;
 * - state machine safety (§5.4.3): every node applies the same entry at each index, and snapshots
 *   (installed or taken) carry the same state hash as individual application produced;
 * - committed entries are never lost: an entry is committed once anyone applied it; at that moment a
 *   majority's disks hold it, and no disk later overwrites, truncates or snapshot-replaces it;
 * - apply order: within one incarnation a node applies index applied+1, never twice, never out of
 *   order, never backwards (after a restart it re-applies from its snapshot);
 * - vote safety (§5.2): a disk never records two different votes in one term, and a node never grants
 *   votes to two candidates in one term, across restarts; terms on disk never decrease (§5.1);
 * - persist before send (§5.1 "updated on stable storage before responding to RPCs"): a granted
 *   vote and an append acknowledgement are already on the sender's disk when they leave it.
 *
 * Usable on a recorded or hand-written history: `checkHistory(events, voters)`.
 */
export class RaftInvariantChecker {
  private readonly nodes = new Map<NodeId, NodeModel>();
  private readonly quorum: number;
  private readonly leaderOfTerm = new Map<number, NodeId>();
  private readonly committed: (CommittedRecord | undefined)[] = [];
  private maxCommitted = 0;
  /** Each time a new highest committed index was first observed: that index and the highest term seen
   * then. Both columns are non-decreasing, so a binary search finds what a new leader must hold. */
  private readonly commitIndexObs: number[] = [];
  private readonly commitTermObs: number[] = [];
  private readonly logMatch: (LogMatchRecord[] | undefined)[] = [];
  /** `${term}:${voter}` -> the candidate it granted its vote to in that term. */
  private readonly votes = new Map<string, NodeId>();
  private maxTerm = 0;
  private eventCount = 0;
  private firstViolation: Violation | undefined;

  /**
   * `voters`: the initial members. With membership changes, pass `minVoters` (the smallest
   * configuration the run can have): a commit is then only required on a majority of that many
   * disks, since which configuration counted it is not visible in the history. Nodes that join
   * later start with an empty disk the first time an event names them.
   */
  constructor(voters: readonly NodeId[], options: { readonly minVoters?: number } = {}) {
    this.quorum = Math.floor((options.minVoters ?? voters.length) / 2) + 1;
    for (const id of voters) this.nodes.set(id, RaftInvariantChecker.emptyNode());
  }

  private static emptyNode(): NodeModel {
    return { snapIndex: 0, snapTerm: 0, offset: 1, terms: [], up: true, lastApplied: 0, stateHash: EMPTY_STATE_HASH, term: 0, diskTerm: 0, diskVote: 0 };
  }

  get violation(): Violation | undefined {
    return this.firstViolation;
  }

  /** Number of events observed. */
  get observed(): number {
    return this.eventCount;
  }

  /** Highest index anyone applied (the committed prefix the checker knows). */
  get highestCommitted(): number {
    return this.maxCommitted;
  }

  /** Feeds one observation; returns the first violation so far (the checker stops at it). */
  observe(event: HistoryEvent): Violation | undefined {
    if (this.firstViolation !== undefined) return this.firstViolation;
    const n = this.eventCount++;
    const problem = this.check(event);
    if (problem !== undefined) this.firstViolation = { invariant: problem[0], message: problem[1], eventNumber: n, event };
    return this.firstViolation;
  }

  private check(event: HistoryEvent): [InvariantName, string] | undefined {
    let node = this.nodes.get(event.node);
    if (node === undefined) {
      node = RaftInvariantChecker.emptyNode();
      this.nodes.set(event.node, node);
    }
    switch (event.kind) {
      case 'status':
        return this.checkStatus(event.node, node, event.term, event.role);
      case 'persist':
        return this.checkPersist(event.node, node, event.snapshot, event.entries) ?? this.checkHardState(event.node, node, event.hardState);
      case 'grantVote':
        return this.checkGrantVote(event.node, node, event.term, event.candidate);
      case 'ackAppend':
        return this.checkAck(event.node, node, event.term, event.index);
      case 'compact':
        return this.checkCompact(event.node, node, event.index, event.term);
      case 'apply':
        return this.checkApply(event.node, node, event.entry, event.stateHash);
      case 'restoreSnapshot':
        return this.checkRestore(event.node, node, event.index, event.term, event.stateHash);
      case 'crash':
        node.up = false;
        node.lastApplied = undefined;
        return undefined;
      case 'restart':
        return this.checkRestart(event.node, node, event.appliedIndex, event.stateHash);
    }
  }

  private checkStatus(id: NodeId, node: NodeModel, term: number, role: string): [InvariantName, string] | undefined {
    if (!node.up) return ['apply order', `node ${id} reported status while crashed`];
    if (term < node.term) return ['term monotonicity', `node ${id}'s term went back from ${node.term} to ${term} without a restart (§5.1)`];
    node.term = term;
    if (term > this.maxTerm) this.maxTerm = term;
    if (role !== 'leader') return undefined;
    const other = this.leaderOfTerm.get(term);
    if (other !== undefined && other !== id) return ['election safety', `nodes ${other} and ${id} are both leader in term ${term} (§5.2: at most one leader per term)`];
    if (other === id) return undefined;
    this.leaderOfTerm.set(term, id);
    return this.checkLeaderCompleteness(id, node, term);
  }

  private checkLeaderCompleteness(id: NodeId, node: NodeModel, term: number): [InvariantName, string] | undefined {
    // the last observation made while the highest term was < `term`
    let lo = 0;
    let hi = this.commitTermObs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.commitTermObs[mid] as number) < term) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return undefined;
    const index = this.commitIndexObs[lo - 1] as number;
    const committed = this.committed[index];
    if (committed === undefined || this.holds(node, index, committed.term)) return undefined;
    return [
      'leader completeness',
      `node ${id} became leader of term ${term} without entry ${index} (term ${committed.term}, ${committed.key}), committed while no term above ${this.commitTermObs[lo - 1]} existed; its log has term ${this.termAt(node, index) ?? 'none'} there (§5.4)`,
    ];
  }

  private checkPersist(
    id: NodeId,
    node: NodeModel,
    snapshot: { readonly index: number; readonly term: number } | undefined,
    entries: readonly EntryRecord[],
  ): [InvariantName, string] | undefined {
    if (!node.up) return ['apply order', `node ${id} persisted while crashed`];
    const first = entries[0];
    for (let k = 1; k < entries.length; k++) {
      const e = entries[k] as EntryRecord;
      if (e.index !== (first as EntryRecord).index + k) return ['log matching', `node ${id} persisted non-contiguous entries (${first?.index}..., then ${e.index})`];
    }
    // the committed entries this write could remove from the node's log: they must survive it
    const changedFrom = snapshot !== undefined ? snapshot.index + 1 : (first?.index ?? Infinity);
    const heldBefore: number[] = [];
    for (let i = Math.max(changedFrom, node.snapIndex + 1); i <= Math.min(this.lastIndex(node), this.maxCommitted); i++) {
      const c = this.committed[i];
      if (c !== undefined && this.termAt(node, i) === c.term) heldBefore.push(i);
    }
    // installing the snapshot already on disk again changes nothing (MemoryRaftStorage.applySnapshot)
    if (snapshot !== undefined && !(snapshot.index === node.snapIndex && snapshot.index > 0)) {
      if (snapshot.index < node.snapIndex) return ['committed entry lost', `node ${id} installed snapshot ${snapshot.index}, older than the one on its disk (${node.snapIndex})`];
      const c = this.committed[snapshot.index];
      if (c !== undefined && c.term !== snapshot.term) return ['state machine safety', `node ${id} installed snapshot ${snapshot.index}/${snapshot.term} but the entry committed there has term ${c.term}`];
      node.snapIndex = snapshot.index;
      node.snapTerm = snapshot.term;
      node.offset = snapshot.index + 1;
      node.terms = [];
    }
    // entries at or below the snapshot are already covered by it (storage ignores them, as etcd's)
    const list = first !== undefined && first.index <= node.snapIndex ? entries.slice(node.snapIndex + 1 - first.index) : entries;
    if (list.length > 0) {
      const from = (list[0] as EntryRecord).index;
      const last = this.lastIndex(node);
      if (from > last + 1) return ['log matching', `node ${id} persisted entry ${from} after a gap (its log ends at ${last})`];
      node.terms.length = from - node.offset;
      for (const e of list) {
        const prevTerm = this.termAt(node, e.index - 1);
        if (prevTerm !== undefined && e.term < prevTerm) return ['term monotonicity', `node ${id}'s log has term ${prevTerm} at ${e.index - 1} but term ${e.term} at ${e.index}`];
        const problem = this.recordLogMatch(id, e, prevTerm);
        if (problem !== undefined) return ['log matching', problem];
        node.terms.push(e.term);
      }
    }
    for (const i of heldBefore) {
      const c = this.committed[i] as CommittedRecord;
      if (!this.holds(node, i, c.term)) {
        const now = this.termAt(node, i);
        const how = snapshot !== undefined && i > snapshot.index && now === undefined ? `discarded it by installing snapshot ${snapshot.index}` : now === undefined ? 'truncated it' : `replaced it with an entry of term ${now}`;
        return ['committed entry lost', `node ${id} held committed entry ${i} (term ${c.term}, ${c.key}) and ${how}`];
      }
    }
    return undefined;
  }

  private checkHardState(id: NodeId, node: NodeModel, hs: { term: number; vote: NodeId; commit: number } | undefined): [InvariantName, string] | undefined {
    if (hs === undefined) return undefined;
    if (hs.term < node.diskTerm) return ['term monotonicity', `node ${id} persisted term ${hs.term} over term ${node.diskTerm} (§5.1: currentTerm only increases)`];
    if (hs.term === node.diskTerm && node.diskVote !== 0 && hs.vote !== node.diskVote) {
      return ['vote safety', `node ${id} persisted a vote for ${hs.vote} in term ${hs.term} after voting for ${node.diskVote} (§5.2: one vote per term)`];
    }
    if (hs.commit > this.lastIndex(node)) return ['persist before send', `node ${id} persisted commit ${hs.commit} beyond its disk's last index ${this.lastIndex(node)}`];
    node.diskTerm = hs.term;
    node.diskVote = hs.vote;
    return undefined;
  }

  private checkGrantVote(id: NodeId, node: NodeModel, term: number, candidate: NodeId): [InvariantName, string] | undefined {
    if (!node.up) return ['apply order', `node ${id} sent while crashed`];
    // A disk already in a later term is fine too: this node can never vote in `term` again.
    if (node.diskTerm < term || (node.diskTerm === term && node.diskVote !== candidate)) {
      return ['persist before send', `node ${id} granted its vote to ${candidate} in term ${term} before persisting it (disk: term ${node.diskTerm}, vote ${node.diskVote})`];
    }
    const key = `${term}:${id}`;
    const earlier = this.votes.get(key);
    if (earlier !== undefined && earlier !== candidate) return ['vote safety', `node ${id} granted its vote in term ${term} to both ${earlier} and ${candidate} (§5.2)`];
    this.votes.set(key, candidate);
    return undefined;
  }

  private checkAck(id: NodeId, node: NodeModel, term: number, index: number): [InvariantName, string] | undefined {
    if (!node.up) return ['apply order', `node ${id} sent while crashed`];
    if (term > node.diskTerm) return ['persist before send', `node ${id} acknowledged entries in term ${term} before persisting that term (disk: term ${node.diskTerm})`];
    // An ack of an older term than the disk's is stale: the node moved on (and may have truncated
    // those entries for a newer leader, in the same Ready). Only the leader of that older term counts
    // it, and it cannot complete a quorum with it: every voter of the newer leader lacks the entries
    // too, so the two sets are disjoint (§5.4 quorum intersection).
    if (term === node.diskTerm && index > this.lastIndex(node)) {
      return ['persist before send', `node ${id} acknowledged entries up to ${index} (term ${term}) but its disk ends at ${this.lastIndex(node)}`];
    }
    return undefined;
  }

  private recordLogMatch(id: NodeId, e: EntryRecord, prevTerm: number | undefined): string | undefined {
    let records = this.logMatch[e.index];
    if (records === undefined) {
      records = [];
      this.logMatch[e.index] = records;
    }
    const seen = records.find((r) => r.term === e.term);
    if (seen === undefined) {
      records.push({ term: e.term, prevTerm, key: e.key, node: id });
      return undefined;
    }
    if (seen.key !== e.key) return `entry ${e.index}/${e.term} holds ${seen.key} on node ${seen.node} but ${e.key} on node ${id} (§5.3)`;
    if (seen.prevTerm !== undefined && prevTerm !== undefined && seen.prevTerm !== prevTerm) {
      return `entry ${e.index}/${e.term} follows term ${seen.prevTerm} on node ${seen.node} but term ${prevTerm} on node ${id}: the logs differ before an identical entry (§5.3)`;
    }
    return undefined;
  }

  private checkCompact(id: NodeId, node: NodeModel, index: number, term: number): [InvariantName, string] | undefined {
    if (node.lastApplied === undefined || index > node.lastApplied) return ['state machine safety', `node ${id} took a snapshot at ${index} beyond what it applied (${node.lastApplied ?? 'crashed'})`];
    if (index <= node.snapIndex) return undefined;
    const t = this.termAt(node, index);
    if (t !== term) return ['log matching', `node ${id} took a snapshot at ${index} with term ${term}, but its log has term ${t ?? 'none'} there`];
    node.snapIndex = index;
    node.snapTerm = term;
    if (index >= node.offset) {
      node.terms = node.terms.slice(index + 1 - node.offset);
      node.offset = index + 1;
    }
    return undefined;
  }

  private checkApply(id: NodeId, node: NodeModel, entry: EntryRecord, stateHash: number): [InvariantName, string] | undefined {
    if (!node.up || node.lastApplied === undefined) return ['apply order', `node ${id} applied entry ${entry.index} while crashed`];
    if (entry.index !== node.lastApplied + 1) {
      const what = entry.index <= node.lastApplied ? 'twice or out of order' : 'skipping entries';
      return ['apply order', `node ${id} applied entry ${entry.index} ${what}: it had applied up to ${node.lastApplied} in this incarnation`];
    }
    const expectedHash = nextStateHash(node.stateHash, entry);
    if (stateHash !== expectedHash) return ['state machine safety', `node ${id}'s application state after entry ${entry.index} does not follow from its previous state`];
    const c = this.committed[entry.index];
    if (c !== undefined) {
      if (c.term !== entry.term || c.key !== entry.key) {
        return ['state machine safety', `node ${c.node} applied ${c.key} (term ${c.term}) at index ${entry.index} but node ${id} applied ${entry.key} (term ${entry.term}) (§5.4.3)`];
      }
      if (c.stateHash !== stateHash) return ['state machine safety', `node ${id}'s state after index ${entry.index} differs from node ${c.node}'s (different earlier entries)`];
    } else {
      this.committed[entry.index] = { term: entry.term, key: entry.key, stateHash, node: id };
      if (entry.index > this.maxCommitted) {
        this.maxCommitted = entry.index;
        this.commitIndexObs.push(entry.index);
        this.commitTermObs.push(this.maxTerm);
        let holders = 0;
        for (const m of this.nodes.values()) if (this.holds(m, entry.index, entry.term)) holders++;
        if (holders < this.quorum) {
          return ['committed entry lost', `node ${id} applied entry ${entry.index} (term ${entry.term}) but only ${holders} disks hold it; a commit needs ${this.quorum} (§5.3)`];
        }
      }
    }
    node.lastApplied = entry.index;
    node.stateHash = stateHash;
    return undefined;
  }

  private checkRestore(id: NodeId, node: NodeModel, index: number, term: number, stateHash: number): [InvariantName, string] | undefined {
    if (!node.up || node.lastApplied === undefined) return ['apply order', `node ${id} restored a snapshot while crashed`];
    if (index < node.lastApplied) return ['apply order', `node ${id} restored snapshot ${index}, behind what it already applied (${node.lastApplied})`];
    const problem = this.checkSnapshotState(id, index, term, stateHash, 'restored snapshot');
    if (problem !== undefined) return problem;
    node.lastApplied = index;
    node.stateHash = stateHash;
    return undefined;
  }

  private checkRestart(id: NodeId, node: NodeModel, appliedIndex: number, stateHash: number): [InvariantName, string] | undefined {
    node.up = true;
    node.term = 0;
    const problem = this.checkSnapshotState(id, appliedIndex, undefined, stateHash, 'restarted from snapshot');
    if (problem !== undefined) return problem;
    node.lastApplied = appliedIndex;
    node.stateHash = stateHash;
    return undefined;
  }

  private checkSnapshotState(id: NodeId, index: number, term: number | undefined, stateHash: number, what: string): [InvariantName, string] | undefined {
    if (index === 0) return stateHash === EMPTY_STATE_HASH ? undefined : ['state machine safety', `node ${id} ${what} 0 with a non-empty state`];
    const c = this.committed[index];
    if (c === undefined) return ['state machine safety', `node ${id} ${what} ${index}, an index nobody has applied (highest committed: ${this.maxCommitted})`];
    if (term !== undefined && c.term !== term) return ['state machine safety', `node ${id} ${what} ${index}/${term} but the entry committed there has term ${c.term}`];
    if (c.stateHash !== stateHash) return ['state machine safety', `node ${id} ${what} ${index} whose state differs from what applying entries 1..${index} produced`];
    return undefined;
  }

  private lastIndex(node: NodeModel): number {
    return Math.max(node.snapIndex, node.offset + node.terms.length - 1);
  }

  private termAt(node: NodeModel, index: number): number | undefined {
    if (index === node.snapIndex) return node.snapTerm;
    if (index >= node.offset && index < node.offset + node.terms.length) return node.terms[index - node.offset];
    return index === 0 ? 0 : undefined;
  }

  /** Whether the node's disk holds the entry (index, term): in its log, or under its snapshot (whose
   * consistency with the committed prefix is checked when it is installed or taken). */
  private holds(node: NodeModel, index: number, term: number): boolean {
    return index <= node.snapIndex || this.termAt(node, index) === term;
  }
}

/** Runs a whole recorded history through a fresh checker; the first violation, if any. */
export function checkHistory(events: readonly HistoryEvent[], voters: readonly NodeId[], options: { readonly minVoters?: number } = {}): Violation | undefined {
  const checker = new RaftInvariantChecker(voters, options);
  for (const e of events) {
    const v = checker.observe(e);
    if (v !== undefined) return v;
  }
  return undefined;
}
