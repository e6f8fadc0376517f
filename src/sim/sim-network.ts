import { assert } from '../core/assert.js';
import type { Rng } from '../core/rng.js';
import type { Message, NodeId, SnapshotStatus } from '../raft/raft-types.js';
import { Trace } from './trace.js';
import type { VirtualClock } from './virtual-clock.js';

/** The network faults of one run (a subset of FaultParams). */
export interface NetworkFaults {
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly dropProbability: number;
  readonly duplicateProbability: number;
  readonly reorderProbability: number;
  readonly reorderMaxMs: number;
}

/** One random stream per network fault, so enabling one does not shift the others' draws. */
export interface NetworkRngs {
  readonly delay: Rng;
  readonly drop: Rng;
  readonly duplicate: Rng;
  readonly reorder: Rng;
}

export interface NetworkHooks {
  /** A message arrives at a live, reachable node. */
  deliver(m: Message): void;
  /** The transport learned whether a MsgSnap got through (the app reports it with reportSnapshot;
   * a MsgSnap is always sent by the leader named in m.from). */
  snapshotOutcome(m: Message, status: SnapshotStatus, senderIncarnation: number): void;
  /** The transport could not reach `to` when `from` sent (the app reports it with reportUnreachable). */
  unreachable(from: NodeId, to: NodeId, senderIncarnation: number): void;
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  reordered: number;
}

/** Message types that are not duplicated: a forwarded proposal is at-most-once at the client level
 * (Raft does not deduplicate proposals; a duplicated MsgProp is a second proposal, not a Raft fault). */
const NEVER_DUPLICATED: ReadonlySet<Message['type']> = new Set(['MsgProp', 'MsgTransferLeader']);

/**
 * The simulated network between Raft nodes: every message becomes a scheduled delivery on the
 * virtual clock, after a random delay, unless a fault drops it.
 *
 * Faults: drop (silently, at send), duplicate (a second copy with its own delay), reorder (an extra
 * random delay so later messages overtake it), partitions (messages between groups are lost, checked
 * at send and again at delivery) and crashed nodes (messages to a crashed node are lost, and so are
 * messages still in flight to an incarnation that crashed, even if it has restarted since: a restart
 * opens new connections).
 */
export class SimNetwork {
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, reordered: 0 };
  private readonly group = new Map<NodeId, number>();
  private readonly down = new Set<NodeId>();
  private readonly incarnation = new Map<NodeId, number>();

  constructor(
    private readonly clock: VirtualClock,
    private readonly faults: NetworkFaults,
    private readonly rngs: NetworkRngs,
    private readonly hooks: NetworkHooks,
    private readonly trace?: Trace,
  ) {
    assert(faults.minDelayMs >= 0 && faults.maxDelayMs >= faults.minDelayMs, 'network delay range must satisfy 0 <= min <= max');
  }

  /** Splits the nodes into groups that cannot talk to each other (nodes not listed are isolated). */
  partition(groups: readonly (readonly NodeId[])[]): void {
    this.group.clear();
    groups.forEach((members, g) => members.forEach((id) => this.group.set(id, g)));
    this.trace?.event('partition', groups.map((g) => g.reduce((a, id) => a * 31 + id, g.length)), () => `partition ${groups.map((g) => `[${g.join(',')}]`).join(' ')}`);
  }

  heal(): void {
    if (this.group.size === 0) return;
    this.group.clear();
    this.trace?.event('heal', [], () => 'heal');
  }

  get partitioned(): boolean {
    return this.group.size > 0;
  }

  connected(a: NodeId, b: NodeId): boolean {
    return this.group.size === 0 || (this.group.get(a) ?? -1 - a) === (this.group.get(b) ?? -1 - b);
  }

  setDown(id: NodeId, isDown: boolean): void {
    if (isDown) {
      this.down.add(id);
      this.incarnation.set(id, this.incarnationOf(id) + 1);
    } else {
      this.down.delete(id);
    }
  }

  isUp(id: NodeId): boolean {
    return !this.down.has(id);
  }

  incarnationOf(id: NodeId): number {
    return this.incarnation.get(id) ?? 0;
  }

  /**
   * Sends `m` from node `sender`. Usually sender === m.from, but a follower forwarding a proposal
   * keeps the proposer in m.from (as etcd does), so the network routes by the actual sender.
   */
  send(sender: NodeId, m: Message): void {
    assert(this.isUp(sender), `a crashed node (${sender}) cannot send`);
    this.stats.sent++;
    const senderIncarnation = this.incarnationOf(sender);
    if (!this.isUp(m.to) || !this.connected(sender, m.to)) {
      this.lose(m, 'unreachable', senderIncarnation, true);
      this.hooks.unreachable(sender, m.to, senderIncarnation);
      return;
    }
    // Every stream is drawn the same number of times for every message, whatever the outcome, so
    // each stays aligned with the message sequence: one fault's setting never shifts another's draws.
    const delay = this.drawDelay();
    const duplicateDelay = this.drawDelay();
    const dropDraw = this.rngs.drop.nextFloat();
    const dupDraw = this.rngs.duplicate.nextFloat();
    const reorderDraw = this.rngs.reorder.nextFloat();
    const reorderExtra = this.rngs.reorder.nextInt(this.faults.reorderMaxMs + 1);
    if (dropDraw < this.faults.dropProbability) {
      this.lose(m, 'drop', senderIncarnation, true);
      return;
    }
    const reordered = reorderDraw < this.faults.reorderProbability;
    if (reordered) this.stats.reordered++;
    this.scheduleDelivery(sender, m, delay + (reordered ? reorderExtra : 0), senderIncarnation, true);
    if (dupDraw < this.faults.duplicateProbability && !NEVER_DUPLICATED.has(m.type)) {
      this.stats.duplicated++;
      this.scheduleDelivery(sender, m, duplicateDelay, senderIncarnation, false);
    }
  }

  private drawDelay(): number {
    const { minDelayMs, maxDelayMs } = this.faults;
    return minDelayMs + this.rngs.delay.nextInt(maxDelayMs - minDelayMs + 1);
  }

  private scheduleDelivery(sender: NodeId, m: Message, delayMs: number, senderIncarnation: number, reportsOutcome: boolean): void {
    const targetIncarnation = this.incarnationOf(m.to);
    this.clock.schedule(delayMs, () => {
      if (!this.isUp(m.to) || this.incarnationOf(m.to) !== targetIncarnation || !this.connected(sender, m.to)) {
        this.lose(m, 'lost in flight', senderIncarnation, reportsOutcome);
        return;
      }
      this.stats.delivered++;
      this.trace?.event('deliver', Trace.messageSignature(m), () => `deliver ${describeMessage(m)}`);
      this.hooks.deliver(m);
      if (m.type === 'MsgSnap' && reportsOutcome) this.hooks.snapshotOutcome(m, 'finish', senderIncarnation);
    });
  }

  private lose(m: Message, why: string, senderIncarnation: number, reportsOutcome: boolean): void {
    this.stats.dropped++;
    this.trace?.event(why, Trace.messageSignature(m), () => `${why} ${describeMessage(m)}`);
    if (m.type === 'MsgSnap' && reportsOutcome) this.hooks.snapshotOutcome(m, 'failure', senderIncarnation);
  }
}

/** A one-line description of a message for traces. */
export function describeMessage(m: Message): string {
  let s = `${m.type} ${m.from}->${m.to} t${m.term} lt${m.logTerm} i${m.index} c${m.commit}`;
  if (m.entries.length > 0) s += ` e${m.entries[0]?.index}..${m.entries[m.entries.length - 1]?.index}`;
  if (m.snapshot) s += ` snap${m.snapshot.metadata.index}/${m.snapshot.metadata.term}`;
  if (m.reject) s += ` reject(hint ${m.rejectHint})`;
  return s;
}
