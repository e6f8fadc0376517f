import { createRequire } from 'node:module';

/**
 * An in-memory stand-in for the peer side of a chaincode transaction: a fake of fabric-shim's
 * ChaincodeStub (the calls the example contracts make) over a fake committed ledger, for unit tests
 * that call contract classes directly.
 *
 * Semantics follow Fabric's simulation: getState and range queries read the COMMITTED state (a
 * transaction does not see its own writes); putState/deleteState go to the transaction's write set
 * (last write per key wins); `FakeLedger.submit` commits the write set, the history and the event only
 * when the contract returned without throwing (a failed endorsement writes nothing). Keys compare in
 * UTF-8 byte order like Fabric's LevelDB; an open range start ('') skips composite keys (U+0000...),
 * as the shim's EMPTY_KEY_SUBSTITUTE does. History is newest first (Fabric 2.x).
 */

const require = createRequire(import.meta.url);
/** The same `long` the shim uses for Timestamp.seconds. */
const Long = require('long') as { fromNumber(value: number, unsigned?: boolean): { toNumber(): number } };

export interface FakeKv {
  readonly namespace: string;
  readonly key: string;
  readonly value: Uint8Array;
}

export interface FakeKeyModification {
  readonly txId: string;
  readonly value: Uint8Array;
  readonly isDelete: boolean;
  /** As the shim hands history timestamps over: a plain {seconds, nanos} (protobuf toObject). */
  readonly timestamp: { readonly seconds: number; readonly nanos: number };
}

export interface FakeResponse {
  readonly status: number;
  readonly message?: string;
  readonly payload?: Uint8Array;
}

/** A deployed chaincode another one can call: receives the string args (function name first). */
export type FakeChaincodeHandler = (args: readonly string[], caller: FakeChaincodeStub) => Promise<FakeResponse>;

export interface FakeIterator<T> {
  next(): Promise<{ value: T; done: boolean }>;
  close(): Promise<void>;
}

export interface FakeEvent {
  readonly name: string;
  readonly payload: Uint8Array;
}

export interface TxOptions {
  readonly txId?: string;
  /** The proposal's timestamp (getTxTimestamp); defaults to the ledger clock, one second per tx. */
  readonly timestampMs?: number;
}

export interface FakeContext {
  readonly stub: FakeChaincodeStub;
}

/** The world state, history and deployed chaincodes of one channel, for one chaincode namespace. */
export class FakeLedger {
  private readonly state = new Map<string, Uint8Array>();
  private readonly history = new Map<string, FakeKeyModification[]>();
  private readonly chaincodes = new Map<string, FakeChaincodeHandler>();
  private readonly committedEvents: FakeEvent[] = [];
  private txCount = 0;
  /** The transaction creator (getCreator): the shim's ClientIdentity parses its X.509 certificate. */
  creator: { mspid: string; idBytes: Uint8Array } = { mspid: 'Org1MSP', idBytes: new Uint8Array() };

  constructor(
    readonly namespace = 'cc',
    readonly channelId = 'mychannel',
    private clockMs = Date.UTC(2026, 5, 1, 9, 30, 0),
  ) {}

  /** Makes `name` callable through invokeChaincode. */
  deployChaincode(name: string, handler: FakeChaincodeHandler): void {
    this.chaincodes.set(name, handler);
  }

  chaincode(name: string): FakeChaincodeHandler | undefined {
    return this.chaincodes.get(name);
  }

  /** A new transaction's stub (nothing is committed until `commit`). */
  newStub(args: readonly string[] = [], options: TxOptions = {}): FakeChaincodeStub {
    this.txCount += 1;
    const timestampMs = options.timestampMs ?? (this.clockMs += 1000);
    return new FakeChaincodeStub(this, options.txId ?? `tx${this.txCount}`, timestampMs, args);
  }

  /** Simulates `fn` as one transaction and commits its writes and event if it returns. */
  async submit<T>(fn: (ctx: FakeContext) => Promise<T>, options: TxOptions = {}): Promise<T> {
    const stub = this.newStub([], options);
    const result = await fn({ stub });
    this.commit(stub);
    return result;
  }

  /** Runs `fn` without committing anything (an evaluate). */
  async evaluate<T>(fn: (ctx: FakeContext) => Promise<T>, options: TxOptions = {}): Promise<T> {
    return fn({ stub: this.newStub([], options) });
  }

  /** Applies a stub's write set and event, as a valid transaction's commit does. */
  commit(stub: FakeChaincodeStub): void {
    const seconds = Math.floor(stub.timestampMs / 1000);
    const nanos = (stub.timestampMs % 1000) * 1e6;
    for (const [key, value] of stub.writes) {
      if (value === undefined) this.state.delete(key);
      else this.state.set(key, value);
      const entries = this.history.get(key) ?? [];
      entries.unshift({ txId: stub.getTxID(), value: value ?? new Uint8Array(), isDelete: value === undefined, timestamp: { seconds, nanos } });
      this.history.set(key, entries);
    }
    if (stub.event) this.committedEvents.push(stub.event);
  }

  /** Puts a committed value directly (test setup). */
  seed(key: string, value: string): void {
    this.state.set(key, Buffer.from(value, 'utf8'));
  }

  value(key: string): string | undefined {
    const v = this.state.get(key);
    return v === undefined ? undefined : Buffer.from(v).toString('utf8');
  }

  keys(): string[] {
    return [...this.state.keys()].sort(compareKeys);
  }

  events(): readonly FakeEvent[] {
    return this.committedEvents;
  }

  readCommitted(key: string): Uint8Array | undefined {
    return this.state.get(key);
  }

  /** Committed keys in [start, end) in byte order ('' = open end). */
  rangeCommitted(startKey: string, endKey: string): FakeKv[] {
    const start = startKey === '' ? '\u0001' : startKey;
    return this.keys()
      .filter((k) => compareKeys(k, start) >= 0 && (endKey === '' || compareKeys(k, endKey) < 0))
      .map((key) => ({ namespace: this.namespace, key, value: this.state.get(key) ?? new Uint8Array() }));
  }

  historyOf(key: string): FakeKeyModification[] {
    return [...(this.history.get(key) ?? [])];
  }
}

/** The ChaincodeStub calls the example contracts use, with the shim's shapes. */
export class FakeChaincodeStub {
  /** The write set: key → value, or undefined for a delete. */
  readonly writes = new Map<string, Uint8Array | undefined>();
  event: FakeEvent | undefined;
  /** Every chaincode-to-chaincode call made: [name, args, channel]. */
  readonly invocations: [string, readonly string[], string][] = [];

  constructor(
    private readonly ledger: FakeLedger,
    private readonly txId: string,
    readonly timestampMs: number,
    private readonly args: readonly string[],
  ) {}

  getTxID(): string {
    return this.txId;
  }

  getChannelID(): string {
    return this.ledger.channelId;
  }

  getCreator(): { mspid: string; idBytes: Uint8Array } {
    return this.ledger.creator;
  }

  getArgs(): string[] {
    return [...this.args];
  }

  getBufferArgs(): Buffer[] {
    return this.args.map((a) => Buffer.from(a, 'utf8'));
  }

  getTxTimestamp(): { seconds: { toNumber(): number }; nanos: number } {
    return { seconds: Long.fromNumber(Math.floor(this.timestampMs / 1000), true), nanos: (this.timestampMs % 1000) * 1e6 };
  }

  getDateTimestamp(): Date {
    return new Date(this.timestampMs);
  }

  async getState(key: string): Promise<Uint8Array> {
    requireKey(key);
    return this.ledger.readCommitted(key) ?? new Uint8Array();
  }

  async putState(key: string, value: Uint8Array): Promise<void> {
    requireKey(key);
    this.writes.set(key, Uint8Array.from(value));
  }

  async deleteState(key: string): Promise<void> {
    requireKey(key);
    this.writes.set(key, undefined);
  }

  getStateByRange(startKey: string, endKey: string): Promise<FakeIterator<FakeKv>> & AsyncIterable<FakeKv> {
    return iterable(this.ledger.rangeCommitted(startKey, endKey));
  }

  /** The page starts at `bookmark` (inclusive) if given; the returned bookmark is the next key, or ''. */
  getStateByRangeWithPagination(
    startKey: string,
    endKey: string,
    pageSize: number,
    bookmark = '',
  ): Promise<{ iterator: FakeIterator<FakeKv>; metadata: { fetchedRecordsCount: number; bookmark: string } }> {
    const all = this.ledger.rangeCommitted(bookmark === '' ? startKey : bookmark, endKey);
    const page = all.slice(0, pageSize);
    const next = all[pageSize];
    return Promise.resolve({ iterator: iteratorOf(page), metadata: { fetchedRecordsCount: page.length, bookmark: next?.key ?? '' } });
  }

  getHistoryForKey(key: string): Promise<FakeIterator<FakeKeyModification>> & AsyncIterable<FakeKeyModification> {
    return iterable(this.ledger.historyOf(key));
  }

  setEvent(name: string, payload: Uint8Array): void {
    if (typeof name !== 'string' || name === '') throw new Error('Event name must be a non-empty string');
    this.event = { name, payload: Uint8Array.from(payload) };
  }

  /** Calls a chaincode deployed on the fake ledger; an unknown one fails as the peer's ERROR reply would. */
  async invokeChaincode(chaincodeName: string, args: string[], channel: string): Promise<FakeResponse> {
    this.invocations.push([chaincodeName, [...args], channel]);
    const handler = this.ledger.chaincode(chaincodeName);
    if (!handler) throw new Error(`chaincode ${chaincodeName} is not deployed on channel ${this.ledger.channelId}`);
    return handler(args, this);
  }
}

function requireKey(key: string): void {
  if (typeof key !== 'string' || key === '') throw new Error('key must not be an empty string');
}

function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function iteratorOf<T>(items: readonly T[]): FakeIterator<T> {
  let i = 0;
  let closed = false;
  return {
    async next() {
      if (closed || i >= items.length) return { value: undefined as unknown as T, done: true };
      const value = items[i++] as T;
      return { value, done: false };
    },
    async close() {
      closed = true;
    },
  };
}

/** The shim's dual shape: a promise of the iterator that is also async-iterable. */
function iterable<T>(items: readonly T[]): Promise<FakeIterator<T>> & AsyncIterable<T> {
  const promise = Promise.resolve(iteratorOf(items)) as Promise<FakeIterator<T>> & AsyncIterable<T>;
  promise[Symbol.asyncIterator] = async function* () {
    yield* items;
  };
  return promise;
}
