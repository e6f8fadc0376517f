/**
 * How followers and (pre-)candidates handle messages (etcd's stepFollower, stepCandidate). The term
 * rules and voting were applied before (Raft.step); here a message is of the node's current term.
 * Also the receiving side of AppendEntries and InstallSnapshot.
 */
import { assert } from '../core/assert.js';
import type { Raft } from './raft.js';
import { NO_NODE, type Message, type Snapshot } from './raft-types.js';

export function stepFollower(r: Raft, m: Message): boolean {
  switch (m.type) {
    case 'MsgProp':
      // Followers forward proposals to the leader; without one the proposal is dropped.
      if (r.lead === NO_NODE) return false;
      r.send({ ...m, to: r.lead });
      return true;
    case 'MsgApp':
      r.electionElapsed = 0; // §5.2: hearing from the leader resets the election timer
      r.lead = m.from;
      handleAppendEntries(r, m);
      return true;
    case 'MsgHeartbeat':
      r.electionElapsed = 0;
      r.lead = m.from;
      handleHeartbeat(r, m);
      return true;
    case 'MsgSnap':
      r.electionElapsed = 0;
      r.lead = m.from;
      handleSnapshot(r, m);
      return true;
    case 'MsgTransferLeader':
      if (r.lead === NO_NODE) return true;
      r.send({ ...m, to: r.lead }); // `from` stays the transferee
      return true;
    case 'MsgTimeoutNow':
      // The leader asked us to take over: campaign now, skipping the pre-vote, bypassing leases.
      r.hup('transfer');
      return true;
    default:
      return true;
  }
}

export function stepCandidate(r: Raft, m: Message): boolean {
  const myVoteResp = r.state === 'preCandidate' ? 'MsgPreVoteResp' : 'MsgVoteResp';
  switch (m.type) {
    case 'MsgProp':
      return false; // no leader to take it
    case 'MsgApp':
      // §5.2: a leader of our term exists; return to follower.
      r.becomeFollower(m.term, m.from);
      handleAppendEntries(r, m);
      return true;
    case 'MsgHeartbeat':
      r.becomeFollower(m.term, m.from);
      handleHeartbeat(r, m);
      return true;
    case 'MsgSnap':
      r.becomeFollower(m.term, m.from);
      handleSnapshot(r, m);
      return true;
    case 'MsgPreVoteResp':
    case 'MsgVoteResp': {
      if (m.type !== myVoteResp) return true; // a late response from an earlier phase
      const result = r.poll(m.from, !m.reject);
      if (result === 'won') {
        if (r.state === 'preCandidate') {
          r.campaign('election'); // a majority would vote for us: now bump the term for real
        } else {
          r.becomeLeader();
          r.bcastAppend();
        }
      } else if (result === 'lost') {
        // A rejection with a higher term already made us a follower in Raft.step.
        r.becomeFollower(r.term, NO_NODE);
      }
      return true;
    }
    default:
      return true; // MsgTimeoutNow, MsgTransferLeader: no leader to act for
  }
}

// ---- the follower side of replication (§5.3) and InstallSnapshot (§7) ----

/** AppendEntries receiver (§5.3, Figure 2). */
export function handleAppendEntries(r: Raft, m: Message): void {
  if (m.index < r.raftLog.committed) {
    // Everything up to our commit index matches the leader already (a delayed or duplicated MsgApp).
    r.send({ type: 'MsgAppResp', to: m.from, index: r.raftLog.committed });
    return;
  }
  const lastNew = r.raftLog.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
  if (lastNew !== undefined) {
    r.send({ type: 'MsgAppResp', to: m.from, index: lastNew });
    return;
  }
  // Consistency check failed: hint where our logs may match, skipping whole terms that the leader's
  // log cannot share (etcd's fast back-off; the paper's optimization at the end of §5.3).
  const hint = r.raftLog.findConflictByTerm(Math.min(m.index, r.raftLog.lastIndex()), m.logTerm);
  r.send({ type: 'MsgAppResp', to: m.from, index: m.index, reject: true, rejectHint: hint.index, rejectHintTerm: hint.term });
}

export function handleHeartbeat(r: Raft, m: Message): void {
  r.raftLog.commitTo(m.commit);
  r.send({ type: 'MsgHeartbeatResp', to: m.from });
}

/** InstallSnapshot receiver (§7). Responds with the index up to which our log now matches the leader. */
export function handleSnapshot(r: Raft, m: Message): void {
  assert(m.snapshot !== undefined, 'Raft: MsgSnap without a snapshot');
  const index = restore(r, m.snapshot) ? r.raftLog.lastIndex() : r.raftLog.committed;
  r.send({ type: 'MsgAppResp', to: m.from, index });
}

/**
 * Replaces our log with the snapshot unless we already have what it covers (§7: "if the follower
 * has an entry matching the snapshot's last index and term, it keeps the entries after it").
 */
function restore(r: Raft, s: Snapshot): boolean {
  const { index, term, confState } = s.metadata;
  if (index <= r.raftLog.committed) return false;
  if (r.raftLog.matchTerm(index, term)) {
    r.raftLog.commitTo(index); // fast-forward: our log has it already
    return false;
  }
  r.raftLog.restore(s);
  r.setVoters(confState.voters);
  r.logger.info('raft.restoreSnapshot', { node: r.id, index, term, voters: confState.voters.join(',') });
  return true;
}
