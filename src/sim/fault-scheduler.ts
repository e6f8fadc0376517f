import type { Rng } from '../core/rng.js';
import type { NodeId } from '../raft/raft-types.js';
import type { FaultParams } from './fault-params.js';
import type { VirtualClock } from './virtual-clock.js';

/** What the fault scheduler can do to a cluster. */
export interface FaultTarget {
  /** The current members (voters the simulator started and has not removed). */
  readonly ids: readonly NodeId[];
  isUp(id: NodeId): boolean;
  /** The node that is leader of the highest term among live nodes, if any. */
  leader(): NodeId | undefined;
  crash(id: NodeId): void;
  restart(id: NodeId): void;
  partition(groups: NodeId[][]): void;
  heal(): void;
  transferLeader(from: NodeId, to: NodeId): void;
  /** Asks `leader` to add a brand-new voter (the simulator starts it), or to remove `victim` (§6). */
  changeMembership(leader: NodeId, change: { readonly type: 'addNode' } | { readonly type: 'removeNode'; readonly victim: NodeId }): void;
}

/** One stream per fault type (see deriveRng). */
export interface FaultRngs {
  readonly partition: Rng;
  readonly crash: Rng;
  readonly transfer: Rng;
  readonly membership: Rng;
}

/**
 * Schedules the run's partitions, crash/restarts and leader transfers on the virtual clock, from the
 * seed's parameters, until `faultsEndMs`; then heals the network and restarts every crashed node so
 * the rest of the run shows whether the cluster recovers. At most a minority is crashed at once (a
 * crashed majority is safe but makes no progress, which teaches nothing); partitions are unrestricted.
 */
export class FaultScheduler {
  private readonly down = new Set<NodeId>();

  constructor(
    private readonly clock: VirtualClock,
    private readonly params: FaultParams,
    private readonly rngs: FaultRngs,
    private readonly target: FaultTarget,
    private readonly faultsEndMs: number,
    /** Membership changes keep the cluster between these sizes. */
    private readonly minMembers = 3,
    private readonly maxMembers = 5,
  ) {}

  /** A minority of the current members. */
  private get maxDown(): number {
    return Math.floor((this.target.ids.length - 1) / 2);
  }

  start(): void {
    const p = this.params;
    if (p.partitionEveryMs > 0) this.at(this.interval(this.rngs.partition, p.partitionEveryMs), () => this.partitionOnce());
    if (p.crashEveryMs > 0) this.at(this.interval(this.rngs.crash, p.crashEveryMs), () => this.crashOnce());
    if (p.transferEveryMs > 0) this.at(this.interval(this.rngs.transfer, p.transferEveryMs), () => this.transferOnce());
    if (p.membershipEveryMs > 0) this.at(this.interval(this.rngs.membership, p.membershipEveryMs), () => this.membershipOnce());
    this.clock.scheduleAt(Math.max(this.clock.nowMs(), this.faultsEndMs), () => this.endFaults());
  }

  /** Schedules `action` after `delayMs` if that is still within the fault window. */
  private at(delayMs: number, action: () => void): void {
    if (this.clock.nowMs() + delayMs < this.faultsEndMs) this.clock.schedule(delayMs, action);
  }

  /** A random interval with the given mean (uniform in [mean/2, 3*mean/2]). */
  private interval(rng: Rng, meanMs: number): number {
    return Math.round(meanMs / 2 + rng.nextFloat() * meanMs);
  }

  private partitionOnce(): void {
    const rng = this.rngs.partition;
    const p = this.params;
    const ids = shuffle(this.target.ids, rng);
    const leader = this.target.leader();
    let groups: NodeId[][];
    if (leader !== undefined && rng.nextFloat() < 0.4) {
      groups = [[leader], ids.filter((id) => id !== leader)]; // the classic: a stale leader alone
    } else {
      const cut = 1 + rng.nextInt(ids.length - 1);
      groups = [ids.slice(0, cut), ids.slice(cut)];
    }
    this.target.partition(groups);
    const lastsMs = p.partitionMinMs + rng.nextInt(p.partitionMaxMs - p.partitionMinMs + 1);
    this.clock.schedule(lastsMs, () => {
      this.target.heal();
      this.at(this.interval(rng, p.partitionEveryMs), () => this.partitionOnce());
    });
  }

  private crashOnce(): void {
    const rng = this.rngs.crash;
    const p = this.params;
    const leader = this.target.leader();
    const upIds = this.target.ids.filter((id) => this.target.isUp(id));
    const pickLeader = rng.nextFloat() < p.crashLeaderProbability;
    const victim = pickLeader && leader !== undefined ? leader : upIds[rng.nextInt(upIds.length)];
    const downForMs = p.downMinMs + rng.nextInt(p.downMaxMs - p.downMinMs + 1);
    if (victim !== undefined && this.down.size < this.maxDown) {
      this.down.add(victim);
      this.target.crash(victim);
      this.clock.schedule(downForMs, () => this.restart(victim));
    }
    this.at(this.interval(rng, p.crashEveryMs), () => this.crashOnce());
  }

  private restart(id: NodeId): void {
    if (!this.down.delete(id)) return;
    this.target.restart(id);
  }

  private transferOnce(): void {
    const rng = this.rngs.transfer;
    const leader = this.target.leader();
    const others = this.target.ids.filter((id) => id !== leader);
    const to = others[rng.nextInt(others.length)];
    if (leader !== undefined && to !== undefined) this.target.transferLeader(leader, to);
    this.at(this.interval(rng, this.params.transferEveryMs), () => this.transferOnce());
  }

  /** A single-server change (§6): grow with a new node, or shrink by a follower that is not crashed. */
  private membershipOnce(): void {
    const rng = this.rngs.membership;
    const leader = this.target.leader();
    const ids = this.target.ids;
    const grow = ids.length <= this.minMembers ? true : ids.length >= this.maxMembers ? false : rng.nextFloat() < 0.5;
    const candidates = ids.filter((id) => id !== leader && !this.down.has(id));
    const victim = candidates[rng.nextInt(candidates.length)];
    if (leader !== undefined) {
      if (grow) this.target.changeMembership(leader, { type: 'addNode' });
      else if (victim !== undefined) this.target.changeMembership(leader, { type: 'removeNode', victim });
    }
    this.at(this.interval(rng, this.params.membershipEveryMs), () => this.membershipOnce());
  }

  private endFaults(): void {
    this.target.heal();
    for (const id of [...this.down]) this.restart(id);
  }
}

/** Fisher–Yates with the given stream. */
function shuffle<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
