import { messageOf } from '../core/errors.js';
import type { LogFields } from '../core/logger.js';
import { decodeConfChange } from '../raft/conf-change.js';
import type { MemoryRaftStorage } from '../raft/memory-raft-storage.js';
import { decodeMessage, encodeMessage } from '../raft/raft-codec.js';
import { NO_NODE, type Entry, type Message, type NodeId, type RaftRole, type Ready, type SoftState } from '../raft/raft-types.js';
import type { RawNode } from '../raft/raw-node.js';
import type { DurableRaftLog } from '../storage/durable-raft-log.js';
import type { Block } from '../protos/block.js';
import { ChainError, ChainLedger } from './chain-ledger.js';
import { openChainRaftState } from './chain-raft-state.js';
import { ChainSnapshots } from './chain-snapshots.js';
import { chainStatus, type ChainStatus } from './chain-status.js';
import type { ClusterEndpoint } from './cluster-transport.js';
import { LeaderBatcher } from './leader-batcher.js';
import { ORDER_SUCCESS, serviceUnavailable, type OrderResult } from './order-result.js';
import { DEFAULT_MAX_WAITING_ENVELOPES, type RaftChainOptions } from './raft-chain-options.js';
import type { TimerId } from './scheduler.js';

export type { ChainStatus } from './chain-status.js';

/**
 * One channel's Raft group member on one orderer (Fabric's etcdraft chain), as pure logic over
 * interfaces. It ticks its RawNode on the Scheduler and handles each Ready strictly as the contract
 * says: persist (DurableRaftLog.save, one atomic batch) → send → apply (snapshot catch-up, then
 * committed blocks through ChainLedger) → advance. The leader's ordering lives in LeaderBatcher.
 *
 * Why writing the block and saving the Raft state in separate batches is safe: a Ready's Raft state
 * (entries, commit index) is durable before any of its entries is applied, and a block records the
 * index of its entry. A crash after the Raft save and before the block write leaves the entry
 * committed on disk with applied (= the last block's raft_index) below it, so the restarted chain
 * applies and writes it; a crash after the block write makes the restarted chain start after that
 * raft_index, and even an entry delivered again is skipped because its block number is below the
 * height. Either way each block is written exactly once.
 */
export class RaftChain implements ClusterEndpoint {
  private readonly batcher: LeaderBatcher;
  private readonly snapshots: ChainSnapshots;
  private tickTimer: TimerId | undefined;
  private closed = false;
  private halted: string | undefined;
  private looping: Promise<void> | undefined;
  /** The leader starts cutting blocks once it applied its log up to here (Fabric: "just elected"). */
  private catchUpIndex = 0;
  private role: RaftRole = 'follower';
  private leader: NodeId = NO_NODE;
  private readonly recentlyUnreachable = new Set<NodeId>();

  private constructor(
    private readonly o: RaftChainOptions,
    private readonly raw: RawNode,
    private readonly storage: MemoryRaftStorage,
    private readonly log: DurableRaftLog,
    private readonly ledger: ChainLedger,
    /** A persisted snapshot whose block the ledger does not have yet (a crash during catch-up). */
    private startupTarget: Block | undefined,
  ) {
    this.batcher = new LeaderBatcher({
      batchSize: o.batchSize,
      batchTimeoutMs: o.batchTimeoutMs,
      maxInflightBlocks: o.raft.maxInflightBlocks,
      maxWaitingEnvelopes: o.maxWaitingEnvelopes ?? DEFAULT_MAX_WAITING_ENVELOPES,
      scheduler: o.scheduler,
      propose: (bytes) => this.proposeBlock(bytes),
      onProposalDropped: () => this.holdBatcher(),
      logger: o.logger,
    });
    this.snapshots = new ChainSnapshots({
      ...o,
      retryMs: o.raft.tickIntervalMs * o.raft.electionTicks,
      storage,
      log,
      ledger,
      fields: () => this.logFields(),
      leader: () => this.raw.status().lead,
      voters: () => this.raw.status().voters,
      isClosed: () => this.closed,
    });
  }

  /** Opens (or, with `genesisBlock`, creates) the chain from its store and starts ticking. */
  static async create(o: RaftChainOptions): Promise<RaftChain> {
    if (!o.consenterIds.includes(o.self)) {
      throw new ChainError('ORDERER_BAD_OPTIONS', `orderer ${o.self} is not a consenter of channel ${o.channelId} (consenters ${o.consenterIds.join(', ')}); check the channel's etcdraft consenters`, {
        context: { channel: o.channelId, node: o.self },
      });
    }
    let fields: () => LogFields = () => ({ node: o.self, channel: o.channelId });
    const ledger = await ChainLedger.open({ ...o, consenterIds: o.consenterIds, fields: () => fields() });
    const { log, storage, raw, applied, snapshotIndex, catchUpTarget } = await openChainRaftState(o, ledger);
    const chain = new RaftChain(o, raw, storage, log, ledger, catchUpTarget);
    fields = () => chain.logFields();
    o.logger.info('chain started', { ...chain.logFields(), appliedRaftIndex: applied, snapshotIndex });
    chain.scheduleTick();
    chain.kick();
    return chain;
  }

  /** The chain's block store (Deliver reads it). */
  get blocks(): ChainLedger['blocks'] {
    return this.ledger.blocks;
  }

  /** Broadcast's entry point: SUCCESS = accepted for ordering (on the leader, or forwarded to it). */
  async order(envelope: Uint8Array): Promise<OrderResult> {
    const unavailable = this.unavailable();
    if (unavailable !== undefined) return serviceUnavailable(unavailable);
    const { lead } = this.raw.status();
    if (lead === this.o.self) return this.orderAsLeader(envelope);
    try {
      await this.o.transport.submit(this.o.channelId, lead, envelope);
      return ORDER_SUCCESS;
    } catch (err) {
      return serviceUnavailable(`orderer ${this.o.self} could not forward the envelope to the Raft leader of channel ${this.o.channelId}, orderer ${lead}: ${messageOf(err)}; retry`);
    }
  }

  handleConsensus(from: NodeId, bytes: Uint8Array): void {
    if (this.closed || this.halted !== undefined) return;
    let m: Message;
    try {
      m = decodeMessage(bytes);
    } catch (err) {
      this.o.logger.warn('malformed raft message dropped', { ...this.logFields(), from, error: messageOf(err) });
      return;
    }
    // Proposals travel as Submit (order()), never as MsgProp: a block a stale leader built must not reach the log.
    if (m.to !== this.o.self || m.from !== from || m.type === 'MsgProp' || !this.o.consenterIds.includes(from)) {
      this.o.logger.warn('unexpected raft message dropped', { ...this.logFields(), from, type: m.type, to: m.to });
      return;
    }
    this.raw.step(m);
    this.kick();
  }

  async handleSubmit(from: NodeId, envelope: Uint8Array): Promise<void> {
    const lead = this.raw.status().lead;
    const unavailable = !this.o.consenterIds.includes(from)
      ? `orderer ${from} is not a consenter of channel ${this.o.channelId}`
      : (this.unavailable() ?? (lead === this.o.self ? undefined : `orderer ${this.o.self} is not the Raft leader of channel ${this.o.channelId} (it knows leader ${lead || 'none'})`));
    const result = unavailable === undefined ? await this.orderAsLeader(envelope) : serviceUnavailable(unavailable);
    if (result.status !== 'SUCCESS') {
      throw new ChainError('ORDERER_NOT_LEADER', `the envelope forwarded by orderer ${from} was not accepted: ${result.info}`, { context: { channel: this.o.channelId, node: this.o.self, from } });
    }
  }

  reportUnreachable(to: NodeId): void {
    if (this.closed || this.halted !== undefined) return;
    this.recentlyUnreachable.add(to);
    this.raw.reportUnreachable(to);
    this.kick();
  }

  status(): ChainStatus {
    return chainStatus(this.raw.status(), this.ledger.height, this.halted);
  }

  /** Stops timers and ordering, and waits for the Ready being handled. The store stays as it is. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopTimers();
    this.batcher.stop(`orderer ${this.o.self} is shutting down its chain of channel ${this.o.channelId}; retry with another orderer`);
    await this.looping;
  }

  // ---- ordering ----

  private unavailable(): string | undefined {
    if (this.closed) return `the chain of channel ${this.o.channelId} on orderer ${this.o.self} is closed; send to another orderer`;
    if (this.halted !== undefined) return `the chain of channel ${this.o.channelId} on orderer ${this.o.self} halted (${this.halted}); send to another orderer and restart this one`;
    if (this.raw.status().lead === NO_NODE) {
      return `no Raft leader of channel ${this.o.channelId} is known to orderer ${this.o.self} right now: an election is in progress or a majority of the ${this.o.consenterIds.length} consenters is unreachable; retry in a few seconds`;
    }
    return undefined;
  }

  private orderAsLeader(envelope: Uint8Array): Promise<OrderResult> {
    if (this.batcher.mode === 'off') return Promise.resolve(serviceUnavailable(`orderer ${this.o.self} is becoming the Raft leader of channel ${this.o.channelId}; retry in a moment`));
    return this.batcher.submit(envelope);
  }

  private proposeBlock(bytes: Uint8Array): boolean {
    // Only a current leader proposes: a follower's RawNode would forward it to the new leader.
    if (this.raw.status().role !== 'leader' || !this.raw.propose(bytes)) return false;
    this.kick();
    return true;
  }

  private holdBatcher(): void {
    this.batcher.hold();
    this.catchUpIndex = this.raw.status().lastIndex;
  }

  private maybeStartBatcher(): void {
    const s = this.raw.status();
    if (this.batcher.mode === 'waiting' && s.role === 'leader' && s.applied >= this.catchUpIndex && this.startupTarget === undefined) {
      this.o.logger.info('accepting envelopes as leader', { ...this.logFields(), appliedRaftIndex: s.applied });
      this.batcher.start(this.ledger.lastHeader);
    }
  }

  // ---- driving Raft ----

  private scheduleTick(): void {
    this.tickTimer = this.o.scheduler.setTimeout(() => {
      if (this.closed || this.halted !== undefined) return;
      this.scheduleTick();
      this.raw.tick();
      this.kick();
      this.maybeStartBatcher();
    }, this.o.raft.tickIntervalMs);
  }

  /** Starts handling Readies unless already doing so (the loop re-checks hasReady after each one). */
  private kick(): void {
    if (this.looping !== undefined || this.closed || this.halted !== undefined) return;
    this.looping = Promise.resolve()
      .then(() => this.loop())
      .catch((err: unknown) => this.halt(err))
      .finally(() => {
        this.looping = undefined;
        if (this.raw.hasReady()) this.kick(); // e.g. a proposal made as the loop ended
      });
  }

  private async loop(): Promise<void> {
    if (this.startupTarget !== undefined) {
      await this.snapshots.catchUp(this.startupTarget);
      this.startupTarget = undefined;
    }
    while (!this.closed && this.halted === undefined && this.raw.hasReady()) await this.handleReady(this.raw.ready());
    this.maybeStartBatcher();
  }

  private async handleReady(rd: Ready): Promise<void> {
    // 1. persist, atomically, before anything of this Ready is visible outside
    await this.log.save({ entries: rd.entries, ...(rd.hardState ? { hardState: rd.hardState } : {}), ...(rd.snapshot ? { snapshot: rd.snapshot } : {}) });
    if (rd.snapshot) this.storage.applySnapshot(rd.snapshot);
    this.storage.append(rd.entries);
    if (rd.hardState) this.storage.setHardState(rd.hardState);
    if (this.closed) return; // killed meanwhile: send nothing more
    // 2. send
    const snapshotsSent: NodeId[] = [];
    for (const m of rd.messages) {
      if (m.type === 'MsgProp') continue;
      if (m.type === 'MsgSnap') snapshotsSent.push(m.to);
      this.o.transport.sendConsensus(this.o.channelId, m.to, encodeMessage(m));
    }
    if (rd.softState) this.onSoftState(rd.softState);
    // 3. apply
    if (rd.snapshot) await this.snapshots.install(rd.snapshot);
    for (const e of rd.committedEntries) await this.applyEntry(e);
    const last = rd.committedEntries[rd.committedEntries.length - 1];
    if (last !== undefined && this.ledger.snapshotDue()) await this.snapshots.take(last.index);
    // 4. advance
    this.raw.advance();
    for (const to of snapshotsSent) this.raw.reportSnapshot(to, this.recentlyUnreachable.has(to) ? 'failure' : 'finish');
    this.recentlyUnreachable.clear();
  }

  private onSoftState(ss: SoftState): void {
    const wasLeader = this.role === 'leader';
    const changed = ss.role !== this.role || ss.leader !== this.leader;
    this.role = ss.role;
    this.leader = ss.leader;
    if (ss.role === 'leader' && !wasLeader) {
      this.holdBatcher();
      this.o.logger.info('became leader', { ...this.logFields(), catchUpIndex: this.catchUpIndex });
      return;
    }
    if (wasLeader && ss.role !== 'leader') {
      const dropped = this.batcher.stop(`orderer ${this.o.self} lost the Raft leadership of channel ${this.o.channelId} before ordering the envelope; retry, the new leader will order it`);
      this.o.logger.info('lost leadership', { ...this.logFields(), ...dropped });
    }
    if (changed) this.o.logger.info(ss.role === 'follower' ? 'became follower' : `became ${ss.role}`, this.logFields());
  }

  private async applyEntry(e: Entry): Promise<void> {
    if (e.type === 'confChange') {
      this.raw.applyConfChange(decodeConfChange(e.data));
      return;
    }
    if (e.data.length === 0) return; // a new leader's empty entry
    if ((await this.ledger.applyBlockEntry(e)) === 'written') this.batcher.blockApplied();
  }

  private halt(err: unknown): void {
    this.halted = messageOf(err);
    this.stopTimers();
    this.batcher.stop(`the chain of channel ${this.o.channelId} on orderer ${this.o.self} halted: ${this.halted}`);
    this.o.logger.error('chain halted', { ...this.logFields(), error: this.halted });
  }

  private stopTimers(): void {
    if (this.tickTimer !== undefined) this.o.scheduler.clearTimeout(this.tickTimer);
    this.tickTimer = undefined;
    this.snapshots.wake();
  }

  private logFields(): LogFields {
    const s = this.raw.status();
    return { node: this.o.self, channel: this.o.channelId, term: s.term, height: this.ledger.height, role: s.role, leader: s.lead };
  }
}
