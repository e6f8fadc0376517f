import type { Scheduler, TimerId } from '../orderer/scheduler.js';

/** The orderer's Scheduler over the real timers of Node (composition roots only). */
export class TimerScheduler implements Scheduler {
  private readonly timers = new Map<TimerId, NodeJS.Timeout>();
  private nextId = 1;

  setTimeout(fn: () => void, ms: number): TimerId {
    const id = this.nextId++;
    this.timers.set(
      id,
      setTimeout(() => {
        this.timers.delete(id);
        fn();
      }, ms),
    );
    return id;
  }

  clearTimeout(id: TimerId): void {
    const timer = this.timers.get(id);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(id);
  }

  /** Cancels every pending timer (shutdown). */
  clearAll(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
