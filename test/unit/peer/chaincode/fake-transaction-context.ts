import type { HistoryIterator, HistoryRecord, StateIterator, TransactionContext } from '../../../../src/peer/simulation/transaction-context.js';

/**
 * An in-memory TransactionContext for chaincode handler tests (the real one is the
 * TransactionSimulator): committed state, history and metadata set up by the test; reads see
 * committed state only; writes, deletes, metadata writes and the event are recorded for assertions.
 * `readOnly` makes it refuse writes as a query context does; `failOn` makes one method throw.
 */
export interface FakeState {
  readonly state?: ReadonlyMap<string, string>;
  readonly history?: ReadonlyMap<string, readonly HistoryRecord[]>;
  readonly metadata?: ReadonlyMap<string, ReadonlyMap<string, Uint8Array>>;
}

export class FakeTransactionContext implements TransactionContext {
  readonly writes = new Map<string, string | null>();
  readonly metadataWrites: Array<{ key: string; name: string; value: string }> = [];
  event: { name: string; payload: string } | undefined;
  readOnly = false;
  failOn: keyof TransactionContext | undefined;
  /** Every range iterator opened, with how many results it handed out and whether it was closed. */
  readonly ranges: Array<{ startKey: string; endKey: string; served: number; closed: boolean }> = [];
  readonly histories: Array<{ key: string; closed: boolean }> = [];
  private readonly committed: Map<string, Uint8Array>;

  constructor(
    readonly channelId: string,
    readonly txId: string,
    readonly namespace: string,
    private readonly fake: FakeState = {},
  ) {
    this.committed = new Map([...(fake.state ?? new Map<string, string>())].map(([k, v]) => [k, utf8(v)]));
  }

  private check(method: keyof TransactionContext): void {
    if (this.failOn === method) throw new Error(`${method} refused by the test context`);
  }

  private refuseWrite(what: string): void {
    if (this.readOnly) throw new Error(`${what} is not allowed in a query (evaluate) transaction`);
  }

  async getState(key: string): Promise<Uint8Array | undefined> {
    this.check('getState');
    return this.committed.get(key);
  }

  putState(key: string, value: Uint8Array): void {
    this.check('putState');
    this.refuseWrite('putState');
    this.writes.set(key, new TextDecoder().decode(value));
  }

  delState(key: string): void {
    this.check('delState');
    this.refuseWrite('delState');
    this.writes.set(key, null);
  }

  async getStateMetadata(key: string): Promise<ReadonlyMap<string, Uint8Array>> {
    this.check('getStateMetadata');
    return this.fake.metadata?.get(key) ?? new Map();
  }

  putStateMetadata(key: string, name: string, value: Uint8Array): void {
    this.check('putStateMetadata');
    this.refuseWrite('putStateMetadata');
    this.metadataWrites.push({ key, name, value: new TextDecoder().decode(value) });
  }

  openRange(startKey: string, endKey: string): StateIterator {
    this.check('openRange');
    const keys = [...this.committed.keys()]
      .filter((k) => Buffer.compare(Buffer.from(k), Buffer.from(startKey)) >= 0 && (endKey === '' || Buffer.compare(Buffer.from(k), Buffer.from(endKey)) < 0))
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const record = { startKey, endKey, served: 0, closed: false };
    this.ranges.push(record);
    const committed = this.committed;
    return {
      async next(max) {
        const slice = keys.slice(record.served, record.served + max);
        record.served += slice.length;
        return { results: slice.map((key) => ({ key, value: committed.get(key) as Uint8Array })), done: record.served >= keys.length };
      },
      close() {
        record.closed = true;
      },
    };
  }

  async openHistory(key: string): Promise<HistoryIterator> {
    this.check('openHistory');
    const entries = this.fake.history?.get(key) ?? [];
    const record = { key, closed: false };
    this.histories.push(record);
    let at = 0;
    return {
      async next(max) {
        const slice = entries.slice(at, at + max);
        at += slice.length;
        return { results: slice, done: at >= entries.length };
      },
      close() {
        record.closed = true;
      },
    };
  }

  setEvent(name: string, payload: Uint8Array): void {
    this.check('setEvent');
    this.event = { name, payload: new TextDecoder().decode(payload) };
  }
}

export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Committed keys `prefix000` ... with values `v000` ... */
export function numberedState(prefix: string, count: number): Map<string, string> {
  const state = new Map<string, string>();
  for (let i = 0; i < count; i++) state.set(`${prefix}${String(i).padStart(3, '0')}`, `v${String(i).padStart(3, '0')}`);
  return state;
}
