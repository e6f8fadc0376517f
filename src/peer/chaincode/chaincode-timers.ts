/**
 * Timers as an injected dependency of the chaincode runtime (execute and registration timeouts), so
 * tests and the simulator decide when time passes. src/orderer/scheduler.ts's ManualScheduler and
 * src/node/timer-scheduler.ts's TimerScheduler both satisfy it structurally.
 */
export interface ChaincodeTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

/** Node's own timers, unref'd so a pending timeout never keeps a process alive. */
export const realChaincodeTimers: ChaincodeTimers = {
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return timer;
  },
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};
