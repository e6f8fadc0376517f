/**
 * stepLeader: how a leader handles messages (etcd's stepLeader). Replication (§5.3) with etcd's
 * flow control (Progress states, Inflights), commitment (§5.4.2), CheckQuorum, InstallSnapshot
 * bookkeeping (§7), leader transfer (thesis §3.10) and proposals, including single-server
 * membership changes (§6).
 */
import { decodeConfChange } from './conf-change.js';
import { majority } from './quorum.js';
import type { Raft } from './raft.js';
import { NO_NODE, type Message } from './raft-types.js';

export function stepLeader(r: Raft, m: Message): boolean {
  // Messages that concern the whole group.
  switch (m.type) {
    case 'MsgBeat':
      r.bcastHeartbeat();
      return true;
    case 'MsgCheckQuorum':
      checkQuorum(r);
      return true;
    case 'MsgProp':
      return propose(r, m);
    default:
      break;
  }

  // Messages about one follower.
  const pr = r.prs.get(m.from);
  if (pr === undefined) return true; // not (or no longer) a member
  switch (m.type) {
    case 'MsgAppResp': {
      pr.recentActive = true;
      if (m.reject) {
        // Fast back-off: the follower hinted (index, term) where our logs may match; jump to the last
        // entry of ours at or before that index whose term is <= the hinted term.
        let nextProbeIndex = m.rejectHint;
        const hintTerm = m.rejectHintTerm ?? 0;
        if (hintTerm > 0) nextProbeIndex = r.raftLog.findConflictByTerm(m.rejectHint, hintTerm).index;
        if (pr.maybeDecrTo(m.index, nextProbeIndex)) {
          if (pr.state === 'replicate') pr.becomeProbe();
          r.sendAppend(m.from);
        }
        return true;
      }
      const wasPaused = pr.isPaused();
      // A probe answered at the index we already knew also proves the logs match.
      if (pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === 'probe')) {
        if (pr.state === 'probe') {
          pr.becomeReplicate();
        } else if (pr.state === 'snapshot' && pr.match + 1 >= r.raftLog.firstIndex()) {
          // The follower installed the snapshot (or caught up otherwise): stream from here.
          pr.becomeProbe();
          pr.becomeReplicate();
        } else if (pr.state === 'replicate') {
          pr.inflights.freeLE(m.index);
        }
        if (r.maybeCommit()) r.bcastAppend(); // tell everyone the new commit index
        else if (wasPaused) r.sendAppend(m.from);
        // Flow control may now allow several more messages.
        while (r.maybeSendAppend(m.from, false)) {
          // keep sending
        }
        if (m.from === r.leadTransferee && pr.match === r.raftLog.lastIndex()) r.sendTimeoutNow(m.from);
      }
      return true;
    }
    case 'MsgHeartbeatResp':
      pr.recentActive = true;
      pr.probeSent = false;
      // A live follower whose window is full: free one slot, so lost MsgApps cannot stall it forever.
      if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
      if (pr.match < r.raftLog.lastIndex()) r.sendAppend(m.from);
      return true;
    case 'MsgSnapStatus':
      if (pr.state !== 'snapshot') return true;
      // finish: the follower has the snapshot, probe from after it. failure: probe from match.
      if (m.reject) pr.pendingSnapshot = 0;
      pr.becomeProbe();
      // Either way wait for the follower's next response (or a heartbeat response) before probing.
      pr.probeSent = true;
      return true;
    case 'MsgUnreachable':
      // Optimistic streaming to an unreachable follower is pointless: probe until it answers.
      if (pr.state === 'replicate') pr.becomeProbe();
      return true;
    case 'MsgTransferLeader':
      transferLeader(r, m.from);
      return true;
    default:
      return true; // e.g. a stale MsgVoteResp
  }
}

/** Appends a proposal to the leader's log and replicates it (§5.3). Returns false if dropped. */
function propose(r: Raft, m: Message): boolean {
  if (m.entries.length === 0) return false;
  if (!r.prs.has(r.id)) return false; // we were removed from the configuration
  if (r.leadTransferee !== NO_NODE) return false; // leadership is moving: the client retries with the new leader
  for (const e of m.entries) {
    if (e.type !== 'confChange') continue;
    // Single-server changes one at a time (§6, thesis §4.1): refuse while the previous one is not applied.
    if (r.pendingConfIndex > r.raftLog.applied) return false;
    const cc = decodeConfChange(e.data);
    // Removing the last voter would leave a group that can never elect anyone.
    if (cc.type === 'removeNode' && r.prs.size === 1 && r.prs.has(cc.nodeId)) return false;
  }
  r.appendEntry(m.entries);
  const last = r.raftLog.lastIndex();
  if (m.entries.some((e) => e.type === 'confChange')) r.pendingConfIndex = last;
  r.bcastAppend();
  return true;
}

/** CheckQuorum (thesis §6.2): a leader that has not heard from a majority in an election timeout steps down. */
function checkQuorum(r: Raft): void {
  if (!quorumActive(r)) {
    r.logger.warn('raft.checkQuorum.stepDown', { node: r.id, term: r.term });
    r.becomeFollower(r.term, NO_NODE);
    return;
  }
  for (const [id, pr] of r.prs) pr.recentActive = id === r.id;
}

/**
 * Leader transfer (thesis §3.10): stop accepting proposals, bring the target's log up to date, then
 * tell it to campaign at once (MsgTimeoutNow). Abandoned after an election timeout (tickHeartbeat).
 */
function transferLeader(r: Raft, transferee: number): void {
  if (r.leadTransferee !== NO_NODE) {
    if (r.leadTransferee === transferee) return; // already under way
    r.abortLeaderTransfer();
  }
  if (transferee === r.id) return; // we lead already
  const pr = r.prs.get(transferee)!;
  r.electionElapsed = 0; // the transfer must finish within one election timeout
  r.leadTransferee = transferee;
  r.logger.info('raft.transferLeader', { node: r.id, term: r.term, to: transferee });
  if (pr.match === r.raftLog.lastIndex()) r.sendTimeoutNow(transferee);
  else r.sendAppend(transferee);
}

/** CheckQuorum: whether a majority of voters (counting ourselves) was heard from since the last check. */
function quorumActive(r: Raft): boolean {
  let active = 0;
  for (const [id, pr] of r.prs) if (id === r.id || pr.recentActive) active++;
  return active >= majority(r.prs.size);
}

/**
 * Called by tickHeartbeat every election timeout. Not in etcd (which relies on the application
 * calling reportSnapshot): a snapshot still pending after a whole election timeout is treated as
 * failed, so a MsgSnap lost by the network does not leave the follower stuck in the snapshot state.
 */
export function expireStaleSnapshots(r: Raft): void {
  for (const pr of r.prs.values()) {
    if (pr.state !== 'snapshot') continue;
    if (pr.snapshotStale) {
      pr.becomeProbe();
      pr.probeSent = true; // resume on the next heartbeat response
    } else {
      pr.snapshotStale = true;
    }
  }
}
