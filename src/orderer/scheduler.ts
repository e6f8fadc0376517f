import { assert } from '../core/assert.js';

/**
 * Timers as an injected dependency (the Raft tick, the BatchTimeout). The orderer logic never touches
 * the global setTimeout: a real node passes one over it (src/node), tests and the simulator pass a
 * ManualScheduler and decide when time moves.
 */
export type TimerId = number;

export interface Scheduler {
  /** Calls `fn` once, `ms` (>= 0) milliseconds from now. */
  setTimeout(fn: () => void, ms: number): TimerId;
  /** Cancels a timer; unknown or already fired ids are ignored. */
  clearTimeout(id: TimerId): void;
}

interface ManualTimer {
  readonly id: TimerId;
  readonly dueMs: number;
  readonly fn: () => void;
}

/**
 * Virtual time for tests: nothing fires until `advance(ms)`, which fires the due timers in order of
 * due time (ties in the order they were set), including timers that fired callbacks set meanwhile
 * if they fall due within the advanced span.
 */
export class ManualScheduler implements Scheduler {
  private timers: ManualTimer[] = [];
  private nextId = 1;
  private currentMs = 0;

  /** Milliseconds advanced since creation. */
  get nowMs(): number {
    return this.currentMs;
  }

  /** Number of armed timers. */
  get pendingCount(): number {
    return this.timers.length;
  }

  setTimeout(fn: () => void, ms: number): TimerId {
    assert(Number.isFinite(ms) && ms >= 0, `ManualScheduler.setTimeout: delay must be a finite number >= 0, got ${ms}`);
    const id = this.nextId++;
    this.timers.push({ id, dueMs: this.currentMs + ms, fn });
    return id;
  }

  clearTimeout(id: TimerId): void {
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    assert(Number.isFinite(ms) && ms >= 0, `ManualScheduler.advance: ms must be a finite number >= 0, got ${ms}`);
    const target = this.currentMs + ms;
    for (;;) {
      let next: ManualTimer | undefined;
      for (const t of this.timers) if (t.dueMs <= target && (next === undefined || t.dueMs < next.dueMs || (t.dueMs === next.dueMs && t.id < next.id))) next = t;
      if (next === undefined) break;
      const due = next;
      this.timers = this.timers.filter((t) => t.id !== due.id);
      this.currentMs = due.dueMs;
      due.fn();
    }
    this.currentMs = target;
  }
}
