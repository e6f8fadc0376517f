import { assert } from '../core/assert.js';
import type { Clock } from '../core/clock.js';
import { EventQueue } from './event-queue.js';

/** A handle to cancel a scheduled action. */
export interface TimerHandle {
  cancelled: boolean;
}

interface ScheduledAction {
  readonly action: () => void;
  readonly handle: TimerHandle;
}

/**
 * Simulated time (TigerBeetle VOPR style): nothing happens between events, so a whole cluster runs
 * for simulated minutes in milliseconds of real time, and a run is a pure function of its seed.
 *
 * Contract:
 * - `nowMs()` only changes inside `runNext()`, to the time of the event being run.
 * - Events run in (time, scheduling order); an event scheduled "now" from inside an event runs after
 *   everything already scheduled for the same millisecond.
 * - Scheduling in the past is a bug (assert).
 */
export class VirtualClock implements Clock {
  private currentMs: number;
  private readonly queue = new EventQueue<ScheduledAction>();

  constructor(startMs = 0) {
    this.currentMs = startMs;
  }

  nowMs(): number {
    return this.currentMs;
  }

  /** Runs `action` after `delayMs` (>= 0) virtual milliseconds. */
  schedule(delayMs: number, action: () => void): TimerHandle {
    assert(delayMs >= 0 && Number.isFinite(delayMs), `delay must be a finite non-negative number, got ${delayMs}`);
    return this.scheduleAt(this.currentMs + delayMs, action);
  }

  scheduleAt(atMs: number, action: () => void): TimerHandle {
    assert(atMs >= this.currentMs, `cannot schedule at ${atMs}: the clock is already at ${this.currentMs}`);
    const handle: TimerHandle = { cancelled: false };
    this.queue.push(atMs, { action, handle });
    return handle;
  }

  cancel(handle: TimerHandle): void {
    handle.cancelled = true;
  }

  /** Time of the next live event, or undefined when nothing is scheduled. */
  nextEventMs(): number | undefined {
    this.dropCancelled();
    return this.queue.peek()?.atMs;
  }

  /** Number of scheduled events (including cancelled ones not yet discarded). */
  get pendingCount(): number {
    return this.queue.size;
  }

  /** Runs the earliest live event; false when there is none. */
  runNext(): boolean {
    this.dropCancelled();
    const next = this.queue.pop();
    if (next === undefined) return false;
    this.currentMs = next.atMs;
    next.value.action();
    return true;
  }

  /**
   * Runs every event scheduled at or before `endMs`, then sets the clock to `endMs`. `shouldStop` is
   * checked after each event (the simulator stops at the first invariant violation).
   */
  runUntil(endMs: number, shouldStop: () => boolean = () => false): void {
    for (;;) {
      const at = this.nextEventMs();
      if (at === undefined || at > endMs) break;
      this.runNext();
      if (shouldStop()) return;
    }
    if (endMs > this.currentMs) this.currentMs = endMs;
  }

  private dropCancelled(): void {
    for (let top = this.queue.peek(); top !== undefined && top.value.handle.cancelled; top = this.queue.peek()) {
      this.queue.pop();
    }
  }
}
