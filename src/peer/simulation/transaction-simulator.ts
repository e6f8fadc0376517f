import { assert } from '../../core/assert.js';
import type { VersionedValue } from '../../ledger/ledger-types.js';
import { buildTxRwSet, type KvRead, type TxRwSet } from '../../protos/rwset.js';
import { ChaincodeRequestError } from './chaincode-request-error.js';
import { RwSetRecorder } from './rwset-recorder.js';
import { parseStateMetadata } from './state-metadata-decoder.js';
import type { HistoryIterator, HistoryRecord, SimulationState, StateIterator, TransactionContext } from './transaction-context.js';

/**
 * 'transaction': an endorsement (Fabric's TxSimulator): reads and writes are recorded.
 * 'query': an evaluate (Fabric's QueryExecutor): reads are recorded all the same, but every write
 * (putState, delState, putStateMetadata) is refused.
 */
export type SimulationMode = 'transaction' | 'query';

export interface SimulatorOptions {
  readonly channelId: string;
  readonly txId: string;
  /** The invoked chaincode. */
  readonly namespace: string;
  readonly state: SimulationState;
  /** Default 'transaction'. */
  readonly mode?: SimulationMode;
}

/** The chaincode event of a transaction (ChaincodeAction.events, without chaincode and tx id, which the endorser adds). */
export interface SimulatedEvent {
  readonly name: string;
  readonly payload: Uint8Array;
}

/** What a finished simulation produced (Fabric's TxSimulationResults, public part). */
export interface SimulationResult {
  /** Sorted as rwset-recorder.ts says: equal recordings give equal bytes. */
  readonly rwset: TxRwSet;
  /** buildTxRwSet(rwset): ChaincodeAction.results. */
  readonly rwsetBytes: Uint8Array;
  readonly event?: SimulatedEvent;
}

/**
 * The peer's side of one transaction's chaincode execution (Fabric's lockbased txSimulator over
 * its queryExecutor): answers the chaincode's ledger requests from committed state and records
 * the read/write set. Pure logic: no clock, no randomness, no I/O but the injected state.
 *
 * One simulation covers ONE transaction. `forNamespace(ns)` gives the view of another chaincode
 * called by this one (chaincode-to-chaincode invocation): it shares the recording, so the
 * called chaincode's reads and writes land in namespace `ns` of the same rwset, and `done()` on
 * any view finishes the whole transaction.
 *
 * Recording (see rwset-recorder.ts for the merge and sort rules):
 * - getState / getStateMetadata record a read of the key with its committed version (none when
 *   absent). Reads see committed state only, never this transaction's own writes (as Fabric).
 * - putState records a write, delState a delete; a putState with an EMPTY value is recorded as a
 *   delete, as Fabric's rwsetutil does (`IsDelete: len(value) == 0`).
 * - putStateMetadata records one metadata entry of the key.
 * - openRange records, when the iterator is closed or the simulation is done, one
 *   RangeQueryInfo with raw reads of exactly the keys it returned to the chaincode (Fabric's
 *   resultsItr.updateRangeQueryInfo): when it returned every key of the range, itrExhausted is
 *   true and endKey is the query's end; when it stopped early, itrExhausted is false and endKey
 *   is the last key returned (the validator then re-checks [startKey, endKey] inclusive). The
 *   iterator reads one key ahead to tell `done`; that look-ahead key is not recorded (Fabric's
 *   handler records the key it holds back for the next batch too). An iterator closed before it
 *   returned any key records nothing: the chaincode saw nothing of the range (Fabric's handler
 *   always fetches a first batch, so its rwsets never have that case).
 *   Merkle summaries of large ranges (Fabric hashes beyond 50 reads) are never used: raw reads always.
 * - openHistory (GetHistoryForKey) reads state.getHistory and records nothing, as Fabric;
 *   entries come newest first, as Fabric's history query returns them.
 * - setEvent: the last call wins.
 * Requests a chaincode may not make throw ChaincodeRequestError: an empty key, a key that is not
 * valid UTF-8 (a lone UTF-16 surrogate), a write in a query, any call after done().
 *
 * Calls may overlap (the handler serves a chaincode's concurrent requests); each `next` of one
 * iterator runs after the previous one finished.
 */
export class TransactionSimulator implements TransactionContext {
  readonly channelId: string;
  readonly txId: string;

  private constructor(
    private readonly simulation: Simulation,
    readonly namespace: string,
    /** False for a called chaincode's view: Fabric keeps only the invoked chaincode's event. */
    private readonly recordsEvent = true,
  ) {
    this.channelId = simulation.channelId;
    this.txId = simulation.txId;
  }

  static start(options: SimulatorOptions): TransactionSimulator {
    checkNamespace(options.namespace, 'the invoked chaincode');
    return new TransactionSimulator(new Simulation(options), options.namespace);
  }

  get mode(): SimulationMode {
    return this.simulation.mode;
  }

  /** Whether done() was called (on any view). */
  get finished(): boolean {
    return this.simulation.finished;
  }

  /**
   * The view of chaincode `namespace` called by this transaction (see the class comment). Its
   * setEvent is checked but not recorded: the transaction's event is the invoked chaincode's own, as
   * in Fabric (a called chaincode's event never reaches the ChaincodeAction).
   */
  forNamespace(namespace: string): TransactionSimulator {
    this.simulation.checkOpen('invokeChaincode');
    checkNamespace(namespace, 'the called chaincode');
    return new TransactionSimulator(this.simulation, namespace, false);
  }

  async getState(key: string): Promise<Uint8Array | undefined> {
    const committed = await this.read('getState', key);
    return committed?.value;
  }

  async getStateMetadata(key: string): Promise<ReadonlyMap<string, Uint8Array>> {
    const committed = await this.read('getStateMetadata', key);
    return parseStateMetadata(committed?.metadata, `the metadata of ${this.namespace}/${JSON.stringify(key)}`);
  }

  putState(key: string, value: Uint8Array): void {
    this.checkWrite('putState', key);
    checkBytes(value, 'putState', 'value');
    if (value.length === 0) this.simulation.recorder.delete(this.namespace, key);
    else this.simulation.recorder.write(this.namespace, key, value.slice());
  }

  delState(key: string): void {
    this.checkWrite('delState', key);
    this.simulation.recorder.delete(this.namespace, key);
  }

  putStateMetadata(key: string, name: string, value: Uint8Array): void {
    this.checkWrite('putStateMetadata', key);
    if (typeof name !== 'string' || name === '') throw new ChaincodeRequestError(`putStateMetadata(${JSON.stringify(key)}): the metadata name is empty; give the entry a name (key-level endorsement uses "VALIDATION_PARAMETER")`);
    checkUtf8(name, 'putStateMetadata', 'metadata name');
    checkBytes(value, 'putStateMetadata', 'metadata value');
    this.simulation.recorder.metadata(this.namespace, key, name, value.slice());
  }

  openRange(startKey: string, endKey: string): StateIterator {
    this.simulation.checkOpen('getStateByRange');
    for (const [bound, which] of [
      [startKey, 'start key'],
      [endKey, 'end key'],
    ] as const) {
      if (typeof bound !== 'string') throw new ChaincodeRequestError(`getStateByRange: the ${which} must be a string`);
      checkUtf8(bound, 'getStateByRange', which);
    }
    const iterator = new RangeIterator(this.simulation, this.namespace, startKey, endKey);
    this.simulation.iterators.add(iterator);
    return iterator;
  }

  async openHistory(key: string): Promise<HistoryIterator> {
    this.simulation.checkOpen('getHistoryForKey');
    checkKey(key, 'getHistoryForKey');
    const history = await this.simulation.state.getHistory(this.namespace, key);
    this.simulation.checkOpen('getHistoryForKey', true);
    const records = history.map((h): HistoryRecord => ({ txId: h.txId, value: h.value, isDelete: h.isDelete })).reverse();
    return new HistoryList(this.simulation, records);
  }

  setEvent(name: string, payload: Uint8Array): void {
    this.simulation.checkOpen('setEvent');
    if (typeof name !== 'string' || name === '') throw new ChaincodeRequestError('setEvent: the event name is empty; a chaincode event needs a name that clients can listen for');
    checkUtf8(name, 'setEvent', 'event name');
    checkBytes(payload, 'setEvent', 'event payload');
    if (this.recordsEvent) this.simulation.event = { name, payload: payload.slice() };
  }

  /**
   * Finishes the transaction (every view of it): records the open range queries as they stand,
   * closes them, and returns the read/write set and the event. Every later call throws, this
   * one included (Fabric: GetTxSimulationResults once, then the simulator is Done).
   */
  done(): SimulationResult {
    const simulation = this.simulation;
    simulation.checkOpen('done');
    simulation.finished = true;
    for (const iterator of simulation.iterators) iterator.close();
    simulation.iterators.clear();
    const rwset = simulation.recorder.build();
    const event = simulation.event;
    return event === undefined ? { rwset, rwsetBytes: buildTxRwSet(rwset) } : { rwset, rwsetBytes: buildTxRwSet(rwset), event };
  }

  private async read(operation: string, key: string): Promise<VersionedValue | undefined> {
    this.simulation.checkOpen(operation);
    checkKey(key, operation);
    const committed = await this.simulation.state.getState(this.namespace, key);
    this.simulation.checkOpen(operation, true);
    this.simulation.recorder.read(this.namespace, key, committed?.version);
    return committed;
  }

  private checkWrite(operation: string, key: string): void {
    this.simulation.checkOpen(operation);
    if (this.simulation.mode === 'query') {
      throw new ChaincodeRequestError(
        `${operation}(${typeof key === 'string' ? JSON.stringify(key) : ''}): this is a query (evaluate); writes are not allowed. Submit the transaction (invoke) to have it endorsed and ordered if it must change the ledger`,
        { txId: this.txId, namespace: this.namespace },
      );
    }
    checkKey(key, operation);
  }
}

/** The state shared by every namespace view of one simulation. */
class Simulation {
  readonly channelId: string;
  readonly txId: string;
  readonly state: SimulationState;
  readonly mode: SimulationMode;
  readonly recorder = new RwSetRecorder();
  /** Range iterators not closed yet; done() records and closes them. */
  readonly iterators = new Set<RangeIterator>();
  event: SimulatedEvent | undefined;
  finished = false;

  constructor(options: SimulatorOptions) {
    this.channelId = options.channelId;
    this.txId = options.txId;
    this.state = options.state;
    this.mode = options.mode ?? 'transaction';
  }

  /** Throws when done() was called; `inFlight`: the check after an await (done() came while the ledger answered). */
  checkOpen(operation: string, inFlight = false): void {
    if (!this.finished) return;
    const when = inFlight ? 'finished while this request was waiting for the ledger' : 'is finished (done() was called)';
    throw new ChaincodeRequestError(
      `${operation}: the simulation of transaction ${this.txId} ${when}; a chaincode can use the ledger only while its invocation runs (await every ledger call before returning)`,
      { txId: this.txId, channelId: this.channelId },
    );
  }
}

type ScanEntry = { readonly key: string; readonly value: VersionedValue };

/** One open range query (Fabric's resultsItr with its RangeQueryResultsHelper, raw reads only). */
class RangeIterator implements StateIterator {
  private readonly source: AsyncIterator<ScanEntry>;
  /** The key read ahead of what was returned, to tell `done`. */
  private lookahead: ScanEntry | undefined;
  /** The source reported its end. */
  private ended = false;
  private closed = false;
  private readonly returned: KvRead[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly simulation: Simulation,
    private readonly namespace: string,
    private readonly startKey: string,
    private readonly endKey: string,
  ) {
    this.source = simulation.state.scanState(namespace, startKey, endKey)[Symbol.asyncIterator]();
  }

  next(max: number): Promise<{ readonly results: ReadonlyArray<{ readonly key: string; readonly value: Uint8Array }>; readonly done: boolean }> {
    assert(Number.isSafeInteger(max) && max >= 1, `a range query page must ask for at least one result, not ${max}`);
    this.simulation.checkOpen('getStateByRange (next)');
    if (this.closed) throw new ChaincodeRequestError(`getStateByRange (next): the iterator over [${JSON.stringify(this.startKey)}, ${JSON.stringify(this.endKey)}) is closed`);
    const run = this.queue.then(() => this.page(max));
    this.queue = run.catch(() => undefined);
    return run;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.simulation.iterators.delete(this);
    this.record();
    try {
      void Promise.resolve(this.source.return?.()).catch(() => undefined);
    } catch {
      // closing a source that failed is not the chaincode's problem
    }
  }

  private async page(max: number): Promise<{ results: Array<{ key: string; value: Uint8Array }>; done: boolean }> {
    const results: Array<{ key: string; value: Uint8Array }> = [];
    while (results.length < max) {
      const entry = this.lookahead ?? (await this.pull());
      this.lookahead = undefined;
      if (entry === undefined) break;
      results.push({ key: entry.key, value: entry.value.value });
      this.returned.push({ key: entry.key, version: { blockNum: entry.value.version.blockNum, txNum: entry.value.version.txNum } });
    }
    if (this.lookahead === undefined && !this.ended) this.lookahead = await this.pull();
    return { results, done: this.exhausted() };
  }

  /** The next entry of the source; undefined at its end. Throws when the simulation or this iterator ended meanwhile. */
  private async pull(): Promise<ScanEntry | undefined> {
    if (this.ended) return undefined;
    const step = await this.source.next();
    this.simulation.checkOpen('getStateByRange (next)', true);
    if (this.closed) throw new ChaincodeRequestError(`getStateByRange (next): the iterator over [${JSON.stringify(this.startKey)}, ${JSON.stringify(this.endKey)}) was closed while it was reading`);
    if (step.done === true) {
      this.ended = true;
      return undefined;
    }
    return step.value;
  }

  /** Every key of the range was returned. */
  private exhausted(): boolean {
    return this.ended && this.lookahead === undefined;
  }

  private record(): void {
    const rawReads = [...this.returned];
    if (this.exhausted()) {
      this.simulation.recorder.rangeQuery(this.namespace, { startKey: this.startKey, endKey: this.endKey, itrExhausted: true, rawReads });
      return;
    }
    const last = rawReads[rawReads.length - 1];
    if (last === undefined) return; // nothing seen, nothing to validate
    this.simulation.recorder.rangeQuery(this.namespace, { startKey: this.startKey, endKey: last.key, itrExhausted: false, rawReads });
  }
}

/** GetHistoryForKey's iterator over an already-read list. */
class HistoryList implements HistoryIterator {
  private position = 0;
  private closed = false;

  constructor(
    private readonly simulation: Simulation,
    private readonly records: readonly HistoryRecord[],
  ) {}

  async next(max: number): Promise<{ readonly results: ReadonlyArray<HistoryRecord>; readonly done: boolean }> {
    assert(Number.isSafeInteger(max) && max >= 1, `a history page must ask for at least one result, not ${max}`);
    this.simulation.checkOpen('getHistoryForKey (next)');
    if (this.closed) throw new ChaincodeRequestError('getHistoryForKey (next): the history iterator is closed');
    const results = this.records.slice(this.position, this.position + max);
    this.position += results.length;
    return { results, done: this.position >= this.records.length };
  }

  close(): void {
    this.closed = true;
  }
}

const LONE_SURROGATE = /\p{Surrogate}/u;

function checkUtf8(text: string, operation: string, what: string): void {
  if (LONE_SURROGATE.test(text)) {
    throw new ChaincodeRequestError(
      `${operation}: the ${what} ${JSON.stringify(text)} is not valid UTF-8: it contains a lone UTF-16 surrogate (half of a character beyond U+FFFF, e.g. from cutting a string in the middle of an emoji); the ledger stores keys and names as UTF-8`,
    );
  }
}

function checkKey(key: string, operation: string): void {
  if (typeof key !== 'string') throw new ChaincodeRequestError(`${operation}: the key must be a string, not ${typeof key}`);
  if (key === '') throw new ChaincodeRequestError(`${operation}: the key is empty; every state key needs at least one character`);
  checkUtf8(key, operation, 'key');
}

function checkBytes(value: unknown, operation: string, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new ChaincodeRequestError(`${operation}: the ${what} must be bytes (a Uint8Array or Buffer), not ${value === null ? 'null' : typeof value}`);
}

function checkNamespace(namespace: string, what: string): void {
  if (typeof namespace !== 'string' || namespace === '') throw new ChaincodeRequestError(`${what} has no name; a chaincode namespace needs one`);
  if (namespace.includes('\u0000')) throw new ChaincodeRequestError(`${what} ${JSON.stringify(namespace)} contains U+0000, which no chaincode name may contain`);
  checkUtf8(namespace, 'invokeChaincode', 'chaincode name');
}
