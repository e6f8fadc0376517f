import { decodeConfChange } from '../raft/conf-change.js';
import type { Message, NodeId } from '../raft/raft-types.js';
import { deriveRng } from './derive-rng.js';
import { FaultScheduler } from './fault-scheduler.js';
import type { FaultTarget } from './fault-scheduler.js';
import { drawFaultParams } from './fault-params.js';
import type { FaultParams } from './fault-params.js';
import type { HistoryEvent } from './raft-history.js';
import { RaftInvariantChecker } from './raft-invariants.js';
import { describeMessage, SimNetwork } from './sim-network.js';
import { SimRaftNode } from './sim-raft-node.js';
import type { RaftStatus, SimNodeHost, SimRaftSettings, SnapshotPolicy } from './sim-raft-node.js';
import { defaultQuietMs, drawRaftSettings } from './sim-run.js';
import type { FaultCounts, RunFailure, SimRunOptions, SimRunResult } from './sim-run.js';
import { Trace } from './trace.js';
import { VirtualClock } from './virtual-clock.js';

const encoder = new TextEncoder();

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * A whole Raft cluster in one process on a virtual clock (the VOPR idea): N SimRaftNodes ticking every
 * tickMs, a SimNetwork between them, clients proposing unique payloads at a steady rate, a
 * FaultScheduler injecting the seed's faults, and a RaftInvariantChecker observing every step. Every
 * random choice comes from a stream derived from the seed, so `runSimulation(options)` is a pure
 * function of its options: a failure replays exactly.
 */
export class SimRaftCluster implements FaultTarget {
  readonly clock = new VirtualClock(0);
  /** The current members: started and not removed (membership changes add and remove). */
  private members: NodeId[];
  private nextNodeId: number;
  readonly params: FaultParams;
  readonly settings: SimRaftSettings;
  readonly checker: RaftInvariantChecker;
  private readonly network: SimNetwork;
  private readonly nodes = new Map<NodeId, SimRaftNode>();
  private failure: RunFailure | undefined;
  private readonly trace: Trace;
  private steps = 0;
  private readonly history: HistoryEvent[] | undefined;
  private readonly electionTimesMs: number[] = [];
  private pendingLeaderCrash: { atMs: number; term: number } | undefined;
  private committedPayloads = 0;
  private highestApplied = 0;
  private accepted = 0;
  private dropped = 0;
  private snapshotsSent = 0;
  private readonly injected: FaultCounts = { crashes: 0, leaderCrashes: 0, partitions: 0, transfers: 0, membershipChanges: 0 };
  private readonly host: SimNodeHost;
  private readonly snapshots: SnapshotPolicy;
  private readonly membershipRng;
  private payloadSeq = 0;
  private readonly clientRng;
  private readonly diskRng;

  constructor(private readonly options: SimRunOptions) {
    const { seed } = options;
    this.members = Array.from({ length: options.nodes }, (_, i) => i + 1);
    this.nextNodeId = options.nodes + 1;
    this.params = { ...drawFaultParams(deriveRng(seed, 'params'), options.faults), ...options.faultOverrides };
    this.checker = new RaftInvariantChecker(this.members, this.params.membershipEveryMs > 0 ? { minVoters: Math.min(3, options.nodes) } : {});
    this.membershipRng = deriveRng(seed, 'membership.cluster');
    this.trace = new Trace(this.clock, options.onTrace);
    this.history = options.recordHistory === true ? [] : undefined;
    this.clientRng = deriveRng(seed, 'client');
    this.diskRng = deriveRng(seed, 'disk');
    this.network = new SimNetwork(
      this.clock,
      this.params,
      { delay: deriveRng(seed, 'net.delay'), drop: deriveRng(seed, 'net.drop'), duplicate: deriveRng(seed, 'net.duplicate'), reorder: deriveRng(seed, 'net.reorder') },
      {
        deliver: (m) => this.guard(() => this.nodes.get(m.to)?.step(m)),
        snapshotOutcome: (m, status, inc) =>
          this.clock.schedule(0, () => this.guard(() => this.network.incarnationOf(m.from) === inc && this.nodes.get(m.from)?.reportSnapshot(m.to, status))),
        unreachable: (from, to, inc) =>
          this.clock.schedule(0, () => this.guard(() => this.network.incarnationOf(from) === inc && this.nodes.get(from)?.reportUnreachable(to))),
      },
      this.trace,
    );
    this.settings = { ...drawRaftSettings(deriveRng(seed, 'raft.settings')), ...options.raft };
    this.snapshots = { everyEntries: this.params.snapshotEveryEntries, keepEntries: this.params.keepEntries };
    this.host = {
      clock: this.clock,
      seed,
      schedule: (delayMs: number, action: () => void) => this.clock.schedule(delayMs, () => this.guard(action)),
      send: (sender: NodeId, m: Message) => this.send(sender, m),
      observe: (e: HistoryEvent) => this.observe(e),
      statusChanged: (id: NodeId, st: RaftStatus) => this.statusChanged(id, st),
      diskDelayMs: () => this.diskRng.nextInt(this.params.maxDiskDelayMs + 1),
      ...(options.sabotage === undefined ? {} : { sabotage: options.sabotage }),
      trace: this.trace,
    };
    for (const id of this.members) this.nodes.set(id, new SimRaftNode(id, this.members, this.settings, this.snapshots, this.host));
  }

  /** Runs the whole simulation (stopping at the first failure) and summarizes it. */
  run(): SimRunResult {
    const { durationMs } = this.options;
    const quietMs = Math.min(this.options.quietMs ?? defaultQuietMs(durationMs), durationMs);
    const tickMs = this.options.tickMs ?? 10;
    const clientIntervalMs = this.options.clientIntervalMs ?? 20;
    const faultsEndMs = durationMs - quietMs;
    const seed = this.options.seed;
    new FaultScheduler(
      this.clock,
      this.params,
      { partition: deriveRng(seed, 'partition'), crash: deriveRng(seed, 'crash'), transfer: deriveRng(seed, 'transfer'), membership: deriveRng(seed, 'membership') },
      this,
      faultsEndMs,
      Math.min(3, this.options.nodes),
      this.options.nodes,
    ).start();
    // each node ticks on its own phase, so nodes are not in lock-step
    const phaseRng = deriveRng(seed, 'tick.phase');
    for (const id of this.members) this.startTicking(id, phaseRng.nextInt(tickMs));
    this.every(clientIntervalMs, clientIntervalMs, durationMs, () => this.proposeOne());
    let committedAtQuiet = 0;
    this.clock.scheduleAt(faultsEndMs, () => (committedAtQuiet = this.checker.highestCommitted));
    this.clock.runUntil(durationMs, () => this.failure !== undefined);
    const [converged, convergenceDetail] = this.convergence(committedAtQuiet);
    return {
      seed,
      nodes: this.options.nodes,
      faults: [...this.options.faults],
      params: this.params,
      settings: this.settings,
      simulatedMs: this.clock.nowMs(),
      failure: this.failure,
      converged,
      convergenceDetail,
      traceHash: this.trace.hash(),
      steps: this.steps,
      electionTimesMs: this.electionTimesMs,
      committedPayloads: this.committedPayloads,
      highestCommitted: this.checker.highestCommitted,
      proposals: { accepted: this.accepted, dropped: this.dropped },
      network: { ...this.network.stats },
      snapshotsSent: this.snapshotsSent,
      injected: { ...this.injected },
      ...(this.history === undefined ? {} : { history: this.history }),
    };
  }

  // ---- FaultTarget ----

  get ids(): readonly NodeId[] {
    return this.members;
  }

  isUp(id: NodeId): boolean {
    return this.nodes.get(id)?.up === true;
  }

  leader(): NodeId | undefined {
    let best: RaftStatus | undefined;
    for (const node of this.nodes.values()) {
      const st = node.status;
      if (st !== undefined && st.role === 'leader' && (best === undefined || st.term > best.term)) best = st;
    }
    return best?.id;
  }

  crash(id: NodeId): void {
    this.guard(() => {
      const node = this.nodes.get(id);
      const st = node?.status;
      if (node === undefined || st === undefined) return;
      this.trace.event('crash', [id], () => `crash ${id}${st.role === 'leader' ? ` (leader of term ${st.term})` : ''}`);
      if (st.role === 'leader' && this.pendingLeaderCrash === undefined && id === this.leader()) {
        this.pendingLeaderCrash = { atMs: this.clock.nowMs(), term: st.term };
      }
      this.injected.crashes++;
      if (st.role === 'leader') this.injected.leaderCrashes++;
      this.network.setDown(id, true);
      node.crash();
    });
  }

  restart(id: NodeId): void {
    if (!this.members.includes(id)) return; // removed while it was down
    this.guard(() => {
      this.trace.event('restart', [id], () => `restart ${id}`);
      this.network.setDown(id, false);
      this.nodes.get(id)?.restart();
    });
  }

  partition(groups: NodeId[][]): void {
    this.injected.partitions++;
    this.network.partition(groups);
  }

  heal(): void {
    this.network.heal();
  }

  transferLeader(from: NodeId, to: NodeId): void {
    this.injected.transfers++;
    this.trace.event('transfer', [from, to], () => `transfer leadership ${from} -> ${to}`);
    this.guard(() => this.nodes.get(from)?.transferLeader(to));
  }

  changeMembership(leader: NodeId, change: { readonly type: 'addNode' } | { readonly type: 'removeNode'; readonly victim: NodeId }): void {
    this.guard(() => {
      const node = this.nodes.get(leader);
      const voters = node?.status?.voters;
      if (node === undefined || voters === undefined) return;
      if (change.type === 'addNode') {
        // a new server starts empty, with the current configuration (without itself), and waits
        const id = this.nextNodeId++;
        this.members.push(id);
        this.nodes.set(id, new SimRaftNode(id, voters, this.settings, this.snapshots, this.host));
        this.startTicking(id, this.membershipRng.nextInt(this.options.tickMs ?? 10));
        const ok = node.proposeConfChange({ type: 'addNode', nodeId: id });
        this.trace.event('membership', [leader, id, 1, ok ? 1 : 0], () => `membership: ${leader} proposes to add ${id}: ${ok ? 'accepted' : 'refused'}`);
        if (ok) this.injected.membershipChanges++;
        else this.shutDown(id);
      } else {
        const ok = node.proposeConfChange({ type: 'removeNode', nodeId: change.victim });
        this.trace.event('membership', [leader, change.victim, 0, ok ? 1 : 0], () => `membership: ${leader} proposes to remove ${change.victim}: ${ok ? 'accepted' : 'refused'}`);
        if (ok) this.injected.membershipChanges++;
      }
    });
  }

  // ---- internals ----

  private startTicking(id: NodeId, phaseMs: number): void {
    const tickMs = this.options.tickMs ?? 10;
    this.every(this.clock.nowMs() + phaseMs, tickMs, this.options.durationMs, () => this.nodes.get(id)?.tick());
  }

  /** A removed member stops for good (its disk is kept for the checker; it is never restarted). */
  private shutDown(id: NodeId): void {
    const node = this.nodes.get(id);
    if (node === undefined) return;
    this.trace.event('shutdown', [id], () => `shut down ${id} (removed from the cluster)`);
    this.members = this.members.filter((m) => m !== id);
    this.nodes.delete(id);
    if (node.up) {
      this.network.setDown(id, true);
      node.crash();
    }
  }

  /** Removing a member takes effect once its conf change is committed (applied somewhere). */
  private onConfChangeApplied(key: string): void {
    const cc = decodeConfChange(hexToBytes(key.slice('cc:'.length)));
    if (cc.type === 'removeNode' && this.members.includes(cc.nodeId)) this.clock.schedule(0, () => this.guard(() => this.shutDown(cc.nodeId)));
  }

  private every(firstMs: number, periodMs: number, endMs: number, action: () => void): void {
    const run = (): void => {
      this.guard(action);
      if (this.clock.nowMs() + periodMs <= endMs) this.clock.schedule(periodMs, run);
    };
    if (firstMs <= endMs) this.clock.scheduleAt(firstMs, run);
  }

  private proposeOne(): void {
    const upIds = this.members.filter((id) => this.isUp(id));
    const target = upIds[this.clientRng.nextInt(upIds.length)];
    if (target === undefined) return;
    const payload = `p${++this.payloadSeq}`;
    const ok = this.nodes.get(target)?.propose(encoder.encode(payload)) === true;
    if (ok) this.accepted++;
    else this.dropped++;
    this.trace.event('propose', [this.payloadSeq, target, ok ? 1 : 0], () => `propose ${payload} at ${target}: ${ok ? 'accepted' : 'dropped'}`);
  }

  private send(sender: NodeId, m: Message): void {
    if (m.type === 'MsgSnap') this.snapshotsSent++;
    this.trace.event('send', [sender, ...Trace.messageSignature(m)], () => `send ${describeMessage(m)}${sender === m.from ? '' : ` (forwarded by ${sender})`}`);
    // what a response promises must already be on the sender's disk (checked against the history)
    if (m.type === 'MsgVoteResp' && !m.reject) this.observe({ kind: 'grantVote', node: sender, term: m.term, candidate: m.to });
    else if (m.type === 'MsgAppResp' && !m.reject) this.observe({ kind: 'ackAppend', node: sender, term: m.term, index: m.index });
    this.network.send(sender, m);
  }

  private observe(event: HistoryEvent): void {
    this.steps++;
    this.history?.push(event);
    if (event.kind === 'apply' && event.entry.index > this.highestApplied) {
      this.highestApplied = event.entry.index;
      if (event.entry.key.startsWith('n:')) this.committedPayloads++;
      if (event.entry.key.startsWith('cc:')) this.onConfChangeApplied(event.entry.key);
    }
    const v = this.checker.observe(event);
    if (v !== undefined && this.failure === undefined) {
      this.failure = { kind: v.invariant, message: v.message, atMs: this.clock.nowMs() };
      this.trace.event('violation', [], () => `VIOLATION ${v.invariant}: ${v.message}`);
    }
  }

  private statusChanged(_id: NodeId, st: RaftStatus): void {
    const pending = this.pendingLeaderCrash;
    if (pending !== undefined && st.role === 'leader' && st.term > pending.term) {
      this.electionTimesMs.push(this.clock.nowMs() - pending.atMs);
      this.pendingLeaderCrash = undefined;
    }
  }

  /** Runs one simulator step; an exception (a Raft assert, a storage misuse) fails the run. */
  private guard(action: () => unknown): void {
    if (this.failure !== undefined) return;
    try {
      action();
    } catch (err) {
      const message = err instanceof Error ? `${err.message}\n${(err.stack ?? '').split('\n').slice(1, 8).join('\n')}` : String(err);
      this.failure = { kind: 'exception', message, atMs: this.clock.nowMs() };
      this.trace.event('exception', [], () => `EXCEPTION ${message}`);
    }
  }

  private convergence(committedAtQuiet: number): [boolean, string] {
    if (this.failure !== undefined) return [false, 'failed'];
    const leader = this.leader();
    if (leader === undefined) return [false, 'no leader at the end of the run'];
    // the voters of the final configuration (a joiner whose addition was lost never became one)
    const voters = new Set(this.nodes.get(leader)?.status?.voters ?? []);
    const lagging = [...this.nodes.values()].filter((n) => voters.has(n.id) && (!n.up || n.application.appliedIndex < committedAtQuiet));
    if (lagging.length > 0) {
      return [false, `nodes ${lagging.map((n) => `${n.id} (applied ${n.application.appliedIndex})`).join(', ')} had not caught up to index ${committedAtQuiet}, committed when faults stopped`];
    }
    if (this.checker.highestCommitted <= committedAtQuiet) return [false, `nothing was committed after faults stopped (highest committed ${committedAtQuiet})`];
    return [true, 'ok'];
  }
}

export function runSimulation(options: SimRunOptions): SimRunResult {
  return new SimRaftCluster(options).run();
}
