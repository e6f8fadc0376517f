/**
 * Time as an injected dependency. Pure logic (raft, policy, validation) never reads the wall
 * clock; composition roots pass a SystemClock, tests and the simulator pass a fixed or virtual one.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number;
}

/** A clock frozen at one instant, advanced only by the caller. For tests and replays. */
export class ManualClock implements Clock {
  constructor(private currentMs: number) {}

  nowMs(): number {
    return this.currentMs;
  }

  set(ms: number): void {
    this.currentMs = ms;
  }

  advance(ms: number): void {
    this.currentMs += ms;
  }
}

/** The wall clock. Only composition roots (node/, cli/, net/) should construct this. */
export const systemClock: Clock = { nowMs: () => Date.now() };
