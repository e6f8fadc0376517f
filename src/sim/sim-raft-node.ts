import { decodeConfChange } from '../raft/conf-change.js';
import { MemoryRaftStorage } from '../raft/memory-raft-storage.js';
import type { ConfChange, Message, NodeId, SnapshotStatus } from '../raft/raft-types.js';
import { RawNode } from '../raft/raw-node.js';
import type { RaftStatus } from '../raft/raw-node.js';
import { deriveRng } from './derive-rng.js';
import { entryRecord } from './raft-history.js';
import type { HistoryEvent } from './raft-history.js';
import { SimStateMachine } from './sim-state-machine.js';
import type { Trace } from './trace.js';
import type { TimerHandle, VirtualClock } from './virtual-clock.js';

export type { RaftStatus } from '../raft/raw-node.js';

/** The Raft settings every simulated node uses (RaftConfig minus storage, rng and id). */
export interface SimRaftSettings {
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly maxInflightMsgs: number;
  readonly maxEntriesPerMsg: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
}

/** Application snapshots (§7): every `everyEntries` applied entries (0 = never), keeping `keepEntries` in the log. */
export interface SnapshotPolicy {
  readonly everyEntries: number;
  readonly keepEntries: number;
}

/** What a node needs from the cluster around it. */
export interface SimNodeHost {
  readonly clock: VirtualClock;
  readonly seed: number;
  /** Schedules a step of this node (the cluster stops the run if it throws). */
  schedule(delayMs: number, action: () => void): TimerHandle;
  send(sender: NodeId, m: Message): void;
  observe(event: HistoryEvent): void;
  statusChanged(id: NodeId, status: RaftStatus): void;
  /** Deliberate bugs (tests only). */
  readonly sabotage?: { readonly forgetVoteOnRestart?: boolean };
  /** How long the next Ready waits before it is persisted (the crash window). */
  diskDelayMs(): number;
  readonly trace: Trace;
}

/**
 * One simulated orderer: a RawNode, its disk (a MemoryRaftStorage that receives only what a Ready
 * persisted) and its application (SimStateMachine). It drives RawNode exactly as the contract says:
 * after a tick, message or proposal, a Ready is handled a little later (disk latency) in the order
 * persist → send → apply → advance. A crash discards the RawNode, the pending Ready and the
 * application; the disk survives, and a restart rebuilds the application from the disk's snapshot.
 */
export class SimRaftNode {
  readonly disk: MemoryRaftStorage;
  private raw: RawNode | undefined;
  private app: SimStateMachine = SimStateMachine.empty();
  private readyTimer: TimerHandle | undefined;
  private incarnation = 0;
  private lastStatus: RaftStatus | undefined;

  constructor(
    readonly id: NodeId,
    voters: readonly NodeId[],
    private readonly settings: SimRaftSettings,
    private readonly snapshots: SnapshotPolicy,
    private readonly host: SimNodeHost,
  ) {
    this.disk = MemoryRaftStorage.bootstrap(voters);
    this.raw = this.newRawNode();
    this.observeStatus();
  }

  get up(): boolean {
    return this.raw !== undefined;
  }

  /** The last status observed (after the last step), or undefined while crashed. */
  get status(): RaftStatus | undefined {
    return this.raw === undefined ? undefined : this.lastStatus;
  }

  get application(): SimStateMachine {
    return this.app;
  }

  tick(): void {
    if (this.raw === undefined) return;
    this.raw.tick();
    this.afterStep();
  }

  step(m: Message): void {
    if (this.raw === undefined) return;
    this.raw.step(m);
    this.afterStep();
  }

  propose(data: Uint8Array): boolean {
    if (this.raw === undefined) return false;
    const accepted = this.raw.propose(data);
    this.afterStep();
    return accepted;
  }

  proposeConfChange(cc: ConfChange): boolean {
    if (this.raw === undefined) return false;
    const accepted = this.raw.proposeConfChange(cc);
    this.afterStep();
    return accepted;
  }

  transferLeader(to: NodeId): void {
    if (this.raw === undefined) return;
    this.raw.transferLeader(to);
    this.afterStep();
  }

  reportUnreachable(to: NodeId): void {
    if (this.raw === undefined) return;
    this.raw.reportUnreachable(to);
    this.afterStep();
  }

  reportSnapshot(to: NodeId, status: SnapshotStatus): void {
    if (this.raw === undefined) return;
    this.raw.reportSnapshot(to, status);
    this.afterStep();
  }

  crash(): void {
    if (this.raw === undefined) return;
    this.raw = undefined;
    if (this.readyTimer !== undefined) this.host.clock.cancel(this.readyTimer);
    this.readyTimer = undefined;
    this.app = SimStateMachine.empty();
    this.host.observe({ kind: 'crash', node: this.id });
  }

  restart(): void {
    if (this.raw !== undefined) return;
    this.incarnation++;
    if (this.host.sabotage?.forgetVoteOnRestart === true) {
      const hs = this.disk.initialState().hardState;
      this.disk.setHardState({ ...hs, vote: 0 });
    }
    this.app = SimStateMachine.fromSnapshot(this.disk.snapshot());
    this.raw = this.newRawNode();
    this.host.observe({ kind: 'restart', node: this.id, appliedIndex: this.app.appliedIndex, stateHash: this.app.stateHash });
    this.afterStep();
  }

  private newRawNode(): RawNode {
    return new RawNode({
      id: this.id,
      ...this.settings,
      storage: this.disk,
      applied: this.app.appliedIndex,
      rng: deriveRng(this.host.seed, `raft.${this.id}.${this.incarnation}`),
    });
  }

  private afterStep(): void {
    this.observeStatus();
    const raw = this.raw;
    if (raw !== undefined && this.readyTimer === undefined && raw.hasReady()) {
      this.readyTimer = this.host.schedule(this.host.diskDelayMs(), () => {
        this.readyTimer = undefined;
        this.handleReady();
      });
    }
  }

  private observeStatus(): void {
    const raw = this.raw;
    if (raw === undefined) return;
    const st = raw.status();
    const prev = this.lastStatus;
    this.lastStatus = st;
    this.host.observe({ kind: 'status', node: this.id, term: st.term, role: st.role });
    if (prev === undefined || prev.term !== st.term || prev.role !== st.role || prev.lead !== st.lead) {
      this.host.trace.event('status', [this.id, st.term, st.lead, st.role.length], () => `node ${this.id} ${st.role} term ${st.term} lead ${st.lead}`);
      this.host.statusChanged(this.id, st);
    }
  }

  /** The Ready loop of the RawNode contract: persist, then send, then apply, then advance. */
  private handleReady(): void {
    const raw = this.raw;
    if (raw === undefined) return;
    while (raw.hasReady()) {
      const rd = raw.ready();
      // 1. persist (atomically: nothing else runs in between)
      if (rd.snapshot !== undefined) this.disk.applySnapshot(rd.snapshot);
      this.disk.append(rd.entries);
      if (rd.hardState !== undefined) this.disk.setHardState(rd.hardState);
      if (rd.snapshot !== undefined || rd.entries.length > 0 || rd.hardState !== undefined) {
        this.host.observe({
          kind: 'persist',
          node: this.id,
          ...(rd.snapshot === undefined ? {} : { snapshot: { index: rd.snapshot.metadata.index, term: rd.snapshot.metadata.term } }),
          entries: rd.entries.map(entryRecord),
          ...(rd.hardState === undefined ? {} : { hardState: rd.hardState }),
        });
        const hs = rd.hardState;
        const firstNew = rd.entries[0]?.index ?? 0;
        const lastNew = rd.entries[rd.entries.length - 1]?.index ?? 0;
        this.host.trace.event(
          'persist',
          [this.id, hs?.term ?? -1, hs?.vote ?? -1, hs?.commit ?? -1, firstNew, lastNew, rd.snapshot?.metadata.index ?? -1],
          () => `node ${this.id} persist${hs ? ` hs(t${hs.term} v${hs.vote} c${hs.commit})` : ''}${lastNew > 0 ? ` e${firstNew}..${lastNew}` : ''}${rd.snapshot ? ` snap${rd.snapshot.metadata.index}` : ''}`,
        );
      }
      // 2. send
      for (const m of rd.messages) this.host.send(this.id, m);
      // 3. apply
      if (rd.snapshot !== undefined) {
        this.app = SimStateMachine.fromSnapshot(rd.snapshot);
        this.host.observe({ kind: 'restoreSnapshot', node: this.id, index: rd.snapshot.metadata.index, term: rd.snapshot.metadata.term, stateHash: this.app.stateHash });
      }
      for (const e of rd.committedEntries) {
        const record = this.app.apply(e);
        if (e.type === 'confChange') raw.applyConfChange(decodeConfChange(e.data));
        this.host.observe({ kind: 'apply', node: this.id, entry: record, stateHash: this.app.stateHash });
      }
      if (rd.committedEntries.length > 0) this.host.trace.event('apply', [this.id, this.app.appliedIndex, this.app.stateHash], () => `node ${this.id} apply ..${this.app.appliedIndex}`);
      // 4. advance
      raw.advance();
      this.maybeSnapshot(raw);
    }
    this.observeStatus();
  }

  /** Periodic application snapshot + log compaction (§7), so lagging followers need InstallSnapshot. */
  private maybeSnapshot(raw: RawNode): void {
    const { everyEntries, keepEntries } = this.snapshots;
    const applied = this.app.appliedIndex;
    if (everyEntries <= 0 || applied - this.disk.snapshot().metadata.index < everyEntries) return;
    const snap = this.disk.createSnapshot(applied, { voters: raw.status().voters }, this.app.snapshotData());
    this.disk.compact(Math.max(0, applied - keepEntries));
    this.host.observe({ kind: 'compact', node: this.id, index: applied, term: snap.metadata.term });
    this.host.trace.event('snapshot', [this.id, applied, keepEntries], () => `node ${this.id} snapshot ${applied} compact ..${applied - keepEntries}`);
  }
}
