import { ChaincodeError } from './chaincode-error.js';
import { realChaincodeTimers, type ChaincodeTimers } from './chaincode-timers.js';

/**
 * The chaincodes connected to this peer, by the name each one registered with (Fabric's
 * core/chaincode HandlerRegistry).
 *
 * The name is the ChaincodeID.name of the chaincode's REGISTER message, which fabric-shim takes
 * verbatim from CORE_CHAINCODE_ID_NAME (or --chaincode-id-name): a Fabric 2.x package id
 * (`label:sha256-hex`), or `name:version` for legacy-lifecycle chaincode. The registry does not
 * interpret it; whoever launches the chaincode chooses it and looks the handler up by it.
 *
 * Contract:
 * - `register` is called by a handler on REGISTER and refuses an empty name or a name another live
 *   handler holds (Fabric: "duplicate chaincodeID"); `ready` follows once REGISTERED and READY are
 *   sent; `deregister` when the stream ends (only the handler that holds the name can release it).
 * - `waitForRegistration` resolves with the handler once it is READY (at once if it already is) and
 *   rejects with CHAINCODE_REGISTRATION_TIMEOUT after `timeoutMs`, or with the signal's reason.
 */
export interface RegisteredChaincode {
  /** The name the chaincode registered with. */
  readonly chaincodeId: string;
}

interface Waiter<H> {
  resolve(handler: H): void;
  reject(err: unknown): void;
}

export class ChaincodeRegistry<H extends RegisteredChaincode = RegisteredChaincode> {
  private readonly registered = new Map<string, H>();
  private readonly readyHandlers = new Map<string, H>();
  private readonly waiters = new Map<string, Set<Waiter<H>>>();

  constructor(private readonly timers: ChaincodeTimers = realChaincodeTimers) {}

  /** Claims `name` for `handler`; returns why it is refused, or undefined when it is taken. */
  register(name: string, handler: H): string | undefined {
    if (name === '') return 'error in handling register chaincode, chaincodeID name is empty';
    const holder = this.registered.get(name);
    if (holder !== undefined && holder !== handler) return `duplicate chaincodeID: ${name} is already registered with this peer`;
    this.registered.set(name, handler);
    return undefined;
  }

  /** The handler has sent REGISTERED and READY: it can execute transactions. */
  ready(name: string, handler: H): void {
    if (this.registered.get(name) !== handler) return;
    this.readyHandlers.set(name, handler);
    const waiting = this.waiters.get(name);
    this.waiters.delete(name);
    for (const w of waiting ?? []) w.resolve(handler);
  }

  /** The handler's stream ended. */
  deregister(name: string, handler: H): void {
    if (this.registered.get(name) !== handler) return;
    this.registered.delete(name);
    this.readyHandlers.delete(name);
  }

  /** The READY handler registered under `name`, if any. */
  get(name: string): H | undefined {
    return this.readyHandlers.get(name);
  }

  /** Names of the READY chaincodes. */
  names(): string[] {
    return [...this.readyHandlers.keys()];
  }

  waitForRegistration(name: string, timeoutMs: number, signal?: AbortSignal): Promise<H> {
    const ready = this.readyHandlers.get(name);
    if (ready !== undefined) return Promise.resolve(ready);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<H>((resolve, reject) => {
      let set = this.waiters.get(name);
      if (set === undefined) this.waiters.set(name, (set = new Set()));
      const waiters = set;
      const settle = (): void => {
        this.timers.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        waiters.delete(waiter);
        if (waiters.size === 0 && this.waiters.get(name) === waiters) this.waiters.delete(name);
      };
      const waiter: Waiter<H> = {
        resolve: (h) => {
          settle();
          resolve(h);
        },
        reject: (err) => {
          settle();
          reject(err);
        },
      };
      const onAbort = (): void => waiter.reject(signal?.reason);
      const timer = this.timers.setTimeout(
        () =>
          waiter.reject(
            new ChaincodeError(
              'CHAINCODE_REGISTRATION_TIMEOUT',
              `chaincode ${name} did not register with the peer within ${timeoutMs} ms; check the chaincode's log: ` +
                'did it start, is CORE_PEER_ADDRESS this peer, do its TLS settings match, and is CORE_CHAINCODE_ID_NAME exactly this name?',
              { context: { chaincode: name } },
            ),
          ),
        timeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      waiters.add(waiter);
    });
  }
}
