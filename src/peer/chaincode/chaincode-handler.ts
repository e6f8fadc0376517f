import { messageOf } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import {
  buildChaincodeInput,
  buildChaincodeMessage,
  buildKeyModification,
  buildQueryResponse,
  buildQueryResultKv,
  buildStateMetadataResult,
  ChaincodeMessageType as T,
  chaincodeMessageTypeName,
  parseChaincodeId,
  parseChaincodeMessage,
  parseChaincodeResponse,
  parseDelState,
  parseGetHistoryForKey,
  parseGetState,
  parseGetStateByRange,
  parseGetStateMetadata,
  parseInvokeChaincodeSpec,
  parsePutState,
  parsePutStateMetadata,
  parseQueryStateClose,
  parseQueryStateNext,
  type ChaincodeEvent,
  type ChaincodeMessage,
  type QueryResponse,
} from '../../protos/chaincode-message.js';
import type { SignedProposal } from '../../protos/proposal.js';
import { buildChaincodeResponse } from '../../protos/transaction.js';
import type { TransactionContext } from '../simulation/transaction-context.js';
import { ChaincodeError } from './chaincode-error.js';
import type { ChaincodeRegistry } from './chaincode-registry.js';
import { realChaincodeTimers, type ChaincodeTimers } from './chaincode-timers.js';

/**
 * The peer side of one chaincode connection (Fabric core/chaincode/handler.go `Handler`), independent
 * of the transport: the transport hands it every message the chaincode sends (`receive`) and tells it
 * when the stream ends (`disconnected`); it answers through a ChaincodeStream.
 *
 * The conversation, as Fabric speaks it and fabric-shim 2.5 expects it:
 *
 *   chaincode → REGISTER(ChaincodeID)     peer → REGISTERED, then READY      (state created → ready)
 *   peer → TRANSACTION|INIT(ChaincodeInput, txid, channel_id, signed proposal)
 *     chaincode → GET_STATE / PUT_STATE / ... (same txid)   peer → RESPONSE | ERROR, one at a time
 *   chaincode → COMPLETED(peer.Response, chaincode_event)    or ERROR(message)
 *
 * Contracts:
 * - `execute` resolves with the chaincode's answer: COMPLETED gives its peer.Response (status 200 OK,
 *   500 for a chaincode error such as a contract function that threw) and its event, which is also
 *   recorded with `context.setEvent`; ERROR gives status 500 and "transaction returned with failure: ..."
 *   as Fabric's processChaincodeExecutionResult words it. It rejects (ChaincodeError) only when no
 *   answer comes: CHAINCODE_TIMEOUT after the execute timeout (Fabric's chaincode.executetimeout, 30 s),
 *   CHAINCODE_DISCONNECTED when the stream ends, CHAINCODE_NOT_READY before READY or after the end,
 *   CHAINCODE_DUPLICATE_TX for a (channel, txid) already running here.
 * - Transactions run concurrently, keyed by (channel, txid). A chaincode request is answered against the
 *   TransactionContext of its transaction; a request for no running transaction, a request the context
 *   refuses (it throws), a malformed payload, and a request fabsim does not implement (private data,
 *   rich queries, chaincode-to-chaincode calls to another channel) are answered as Fabric answers a failed request: an ERROR
 *   message with the request's txid and "<TYPE> failed: transaction ID: <txid>: <reason>" as payload.
 *   fabric-shim rejects that one stub call with the reason and the chaincode keeps running.
 * - Range and history queries are served in batches as Fabric's QueryResponseGenerator does: at most
 *   `maxResultLimit` (100) results per QueryResponse, has_more only when a further result is already read
 *   (fabric-shim 2.5 cannot take an empty batch after has_more), at most `totalQueryLimit` results per
 *   query (core.yaml ledger.state.totalQueryLimit, 100000; further results are silently dropped, as in
 *   Fabric). A range query with QueryMetadata (getStateByRangeWithPagination) returns one page of
 *   min(pageSize, totalQueryLimit) results in one response, starting at the bookmark, with the next key
 *   as bookmark ('' at the end). Every query still open when the transaction ends is closed.
 * - Protocol violations end the stream, as in Fabric: a message that does not decode, anything but
 *   REGISTER before registration, a second REGISTER, or a type the protocol does not define. KEEPALIVE
 *   is ignored. The peer never sends KEEPALIVE: fabric-shim 2.5 exits on it.
 */
export interface ChaincodeStream {
  /** Sends one serialized ChaincodeMessage to the chaincode; may throw when the stream is gone. */
  send(message: Uint8Array): void;
  /** Ends the stream from the peer's side. */
  close(): void;
}

export interface ChaincodeHandlerOptions {
  readonly registry: ChaincodeRegistry<ChaincodeHandler>;
  readonly timers?: ChaincodeTimers;
  readonly logger?: Logger;
  /** Fabric's chaincode.executetimeout: 30 s. */
  readonly executeTimeoutMs?: number;
  /** Fabric's ledger.state.totalQueryLimit: 100000 in core.yaml. */
  readonly totalQueryLimit?: number;
  /** Results per QueryResponse batch: Fabric's QueryResponseGenerator.MaxResultLimit, 100. */
  readonly maxResultLimit?: number;
}

export const DEFAULT_EXECUTE_TIMEOUT_MS = 30_000;
export const DEFAULT_TOTAL_QUERY_LIMIT = 100_000;
export const DEFAULT_MAX_RESULT_LIMIT = 100;

export interface ExecuteRequest {
  /** INIT for an `--isInit` invocation (the definition requires initialization), TRANSACTION otherwise. */
  readonly kind: 'INIT' | 'TRANSACTION';
  readonly txId: string;
  readonly channelId: string;
  /** ChaincodeInput.args: the function name first, then its arguments. */
  readonly args: readonly Uint8Array[];
  /** What the chaincode's stub calls read and write. */
  readonly context: TransactionContext;
  /** The client's signed proposal; fabric-contract-api needs it (ctx.clientIdentity reads the creator). */
  readonly signedProposal?: SignedProposal;
  /** Defaults to the handler's executeTimeoutMs. */
  readonly timeoutMs?: number;
  /** Runs another chaincode of the channel inside this transaction (INVOKE_CHAINCODE); without it such calls are refused. */
  readonly invokeChaincode?: ChaincodeInvoker;
}

/**
 * Fabric's HandleInvokeChaincode after the request is decoded: runs chaincode `name` of the same
 * channel with `args`, in the same transaction (its reads and writes go into this transaction's
 * read-write set, under its own namespace), and returns its answer. Rejects with an Error whose
 * message says why it could not run (not defined, not running, timed out...).
 */
export type ChaincodeInvoker = (name: string, args: readonly Uint8Array[]) => Promise<ChaincodeExecutionResult>;

export interface ChaincodeExecutionResult {
  /** COMPLETED: the chaincode's own response; ERROR: the shim reported a failure instead. */
  readonly outcome: 'COMPLETED' | 'ERROR';
  /** 200 OK; 400-499 are still endorsable in Fabric (< 500 is not an error), 500 is an error. */
  readonly status: number;
  readonly message: string;
  readonly payload: Uint8Array;
  /** The chaincode's event, with chaincode_id = the context's namespace and tx_id = the transaction's. */
  readonly event: ChaincodeEvent | undefined;
}

export type ChaincodeHandlerState = 'created' | 'ready' | 'closed';

/** One open range or history query of a running transaction. */
interface OpenQuery {
  readonly pull: (max: number) => Promise<{ readonly items: ReadonlyArray<{ readonly key: string; readonly bytes: Uint8Array }>; readonly done: boolean }>;
  readonly close: () => void;
  /** Results read from the iterator but not yet sent. */
  readonly pending: Array<{ readonly key: string; readonly bytes: Uint8Array }>;
  /** Results read from the iterator so far (sent or pending). */
  fetched: number;
  exhausted: boolean;
}

interface RunningTransaction {
  readonly request: ExecuteRequest;
  readonly resolve: (result: ChaincodeExecutionResult) => void;
  readonly reject: (err: ChaincodeError) => void;
  readonly queries: Map<string, OpenQuery>;
  timer: unknown;
  /** A chaincode request of this transaction is being answered (the shim sends one at a time). */
  busy: boolean;
}

/** A request the peer answers with ERROR: its message becomes the reason in "<TYPE> failed: ...". */
class RequestRefused extends Error {}

const txKey = (channelId: string, txId: string): string => `${channelId}\u0000${txId}`;
const utf8 = new TextDecoder();
const empty = new Uint8Array();

const notSupported: Partial<Record<number, string>> = {
  [T.GET_QUERY_RESULT]: 'rich queries (getQueryResult) need CouchDB, and fabsim keeps world state as LevelDB does; use range queries or composite keys',
  [T.GET_PRIVATE_DATA_HASH]: 'private data collections are not implemented',
  [T.PURGE_PRIVATE_DATA]: 'private data collections are not implemented',
  [T.WRITE_BATCH_STATE]: 'write batches are not offered by this peer (its READY does not enable them)',
  [T.GET_STATE_MULTIPLE]: 'multiple-key reads are not offered by this peer (its READY does not enable them)',
};

export class ChaincodeHandler {
  private currentState: ChaincodeHandlerState = 'created';
  private registeredName = '';
  private readonly running = new Map<string, RunningTransaction>();
  private nextQueryId = 1;
  private readonly timers: ChaincodeTimers;
  private readonly logger: Logger;
  private readonly executeTimeoutMs: number;
  private readonly totalQueryLimit: number;
  private readonly maxResultLimit: number;
  private resolveClosed!: (reason: string) => void;
  /** Resolves with the reason once the stream has ended (either side). */
  readonly closed: Promise<string>;

  constructor(
    private readonly stream: ChaincodeStream,
    private readonly options: ChaincodeHandlerOptions,
  ) {
    this.timers = options.timers ?? realChaincodeTimers;
    this.logger = options.logger ?? silentLogger;
    this.executeTimeoutMs = options.executeTimeoutMs ?? DEFAULT_EXECUTE_TIMEOUT_MS;
    this.totalQueryLimit = options.totalQueryLimit ?? DEFAULT_TOTAL_QUERY_LIMIT;
    this.maxResultLimit = options.maxResultLimit ?? DEFAULT_MAX_RESULT_LIMIT;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  get state(): ChaincodeHandlerState {
    return this.currentState;
  }

  /** The name the chaincode registered with ('' before REGISTER). */
  get chaincodeId(): string {
    return this.registeredName;
  }

  /** Transactions waiting for the chaincode's COMPLETED. */
  get inFlight(): number {
    return this.running.size;
  }

  /** Runs one transaction on the chaincode; see the contract above. */
  execute(request: ExecuteRequest): Promise<ChaincodeExecutionResult> {
    const where = { chaincode: this.registeredName, txId: request.txId, channel: request.channelId };
    if (this.currentState !== 'ready') {
      return Promise.reject(
        new ChaincodeError(
          'CHAINCODE_NOT_READY',
          `chaincode ${this.registeredName || '(unregistered)'} cannot execute transaction ${request.txId}: its connection is ${this.currentState === 'created' ? 'not registered yet' : 'closed'}; start the chaincode and wait for it to register`,
          { context: where },
        ),
      );
    }
    const key = txKey(request.channelId, request.txId);
    if (this.running.has(key)) {
      return Promise.reject(
        new ChaincodeError('CHAINCODE_DUPLICATE_TX', `transaction ${request.txId} on channel ${request.channelId} is already running on chaincode ${this.registeredName}; a transaction id is used once`, {
          context: where,
        }),
      );
    }
    const timeoutMs = request.timeoutMs ?? this.executeTimeoutMs;
    return new Promise<ChaincodeExecutionResult>((resolve, reject) => {
      const tx: RunningTransaction = { request, resolve, reject, queries: new Map(), timer: undefined, busy: false };
      this.running.set(key, tx);
      tx.timer = this.timers.setTimeout(() => {
        if (this.running.get(key) !== tx) return;
        this.finish(key, tx);
        this.logger.warn('chaincode execute timeout', { ...where, timeoutMs });
        reject(
          new ChaincodeError(
            'CHAINCODE_TIMEOUT',
            `chaincode ${this.registeredName} did not complete transaction ${request.txId} on channel ${request.channelId} within ${timeoutMs} ms ` +
              '(Fabric: "timeout expired while executing transaction"); the chaincode may be stuck or slow: check its log, or raise the execute timeout',
            { context: { ...where, timeoutMs } },
          ),
        );
      }, timeoutMs);
      this.send({
        type: request.kind === 'INIT' ? T.INIT : T.TRANSACTION,
        payload: buildChaincodeInput({ args: request.args, isInit: request.kind === 'INIT' }),
        txid: request.txId,
        channelId: request.channelId,
        ...(request.signedProposal === undefined ? {} : { proposal: request.signedProposal }),
      });
    });
  }

  /** Every message the chaincode sends, serialized, in order. */
  receive(bytes: Uint8Array): void {
    if (this.currentState === 'closed') return;
    let message: ChaincodeMessage;
    try {
      message = parseChaincodeMessage(bytes);
    } catch (err) {
      this.protocolViolation(`a message from the chaincode does not decode: ${messageOf(err)}`);
      return;
    }
    if (message.type === T.KEEPALIVE) return;
    const typeName = chaincodeMessageTypeName(message.type);
    if (this.currentState === 'created') {
      if (message.type === T.REGISTER) this.handleRegister(message);
      else this.protocolViolation(`[${message.txid}] Fabric side handler cannot handle message (${typeName}) while in created state`);
      return;
    }
    switch (message.type) {
      case T.COMPLETED:
      case T.ERROR:
        this.notify(message);
        return;
      case T.GET_STATE:
      case T.PUT_STATE:
      case T.DEL_STATE:
      case T.GET_STATE_BY_RANGE:
      case T.QUERY_STATE_NEXT:
      case T.QUERY_STATE_CLOSE:
      case T.GET_HISTORY_FOR_KEY:
      case T.GET_STATE_METADATA:
      case T.PUT_STATE_METADATA:
      case T.GET_QUERY_RESULT:
      case T.INVOKE_CHAINCODE:
      case T.GET_PRIVATE_DATA_HASH:
      case T.PURGE_PRIVATE_DATA:
      case T.WRITE_BATCH_STATE:
      case T.GET_STATE_MULTIPLE:
        void this.serve(message);
        return;
      default:
        this.protocolViolation(`[${message.txid}] Fabric side handler cannot handle message (${typeName}) while in ready state`);
    }
  }

  /** The stream ended (the chaincode exited, closed it, or the connection broke). Idempotent. */
  disconnected(reason: string): void {
    if (this.currentState === 'closed') return;
    this.currentState = 'closed';
    if (this.registeredName !== '') this.options.registry.deregister(this.registeredName, this);
    const name = this.registeredName || '(unregistered)';
    this.logger.info('chaincode disconnected', { chaincode: name, reason, inFlight: this.running.size });
    for (const [key, tx] of [...this.running]) {
      this.finish(key, tx);
      tx.reject(
        new ChaincodeError(
          'CHAINCODE_DISCONNECTED',
          `chaincode ${name} exited/disconnected (${reason}) while executing transaction ${tx.request.txId} on channel ${tx.request.channelId} ` +
            '(Fabric: "chaincode stream terminated"); check the chaincode\'s log, then restart it',
          { context: { chaincode: name, txId: tx.request.txId, channel: tx.request.channelId } },
        ),
      );
    }
    this.resolveClosed(reason);
  }

  /** Ends the connection from the peer's side (failing what is in flight). */
  close(reason = 'the peer closed the chaincode stream'): void {
    if (this.currentState === 'closed') return;
    try {
      this.stream.close();
    } catch {
      // already gone
    }
    this.disconnected(reason);
  }

  // ---- registration -----------------------------------------------------------------------------

  private handleRegister(message: ChaincodeMessage): void {
    let name: string;
    try {
      name = parseChaincodeId(message.payload).name;
    } catch (err) {
      this.refuseRegistration(`its REGISTER payload is not a ChaincodeID: ${messageOf(err)}`);
      return;
    }
    const refusal = this.options.registry.register(name, this);
    if (refusal !== undefined) {
      this.refuseRegistration(refusal);
      return;
    }
    this.registeredName = name;
    // Fabric sends REGISTERED, moves to established, then sends READY (notifyRegistry) and is ready.
    this.send({ type: T.REGISTERED, payload: empty, txid: '', channelId: '' });
    if (this.isClosed()) return;
    this.send({ type: T.READY, payload: empty, txid: '', channelId: '' });
    if (this.isClosed()) return;
    this.currentState = 'ready';
    this.logger.info('chaincode registered', { chaincode: name });
    this.options.registry.ready(name, this);
  }

  /** Re-reads the state (a send can close the connection). */
  private isClosed(): boolean {
    return this.currentState === 'closed';
  }

  private refuseRegistration(reason: string): void {
    this.logger.warn('chaincode registration refused', { reason });
    this.send({ type: T.ERROR, payload: new TextEncoder().encode(reason), txid: '', channelId: '' });
    this.close(`registration refused: ${reason}`);
  }

  private protocolViolation(reason: string): void {
    this.logger.warn('chaincode protocol violation', { chaincode: this.registeredName, reason });
    this.close(`${reason}, ending stream`);
  }

  // ---- transaction completion -------------------------------------------------------------------

  private notify(message: ChaincodeMessage): void {
    const key = txKey(message.channelId, message.txid);
    const tx = this.running.get(key);
    if (tx === undefined) {
      this.logger.debug('chaincode answer for no running transaction', { chaincode: this.registeredName, txId: message.txid, channel: message.channelId });
      return;
    }
    this.finish(key, tx);
    if (message.type === T.ERROR) {
      tx.resolve({ outcome: 'ERROR', status: 500, message: `transaction returned with failure: ${utf8.decode(message.payload)}`, payload: empty, event: undefined });
      return;
    }
    let response;
    try {
      response = parseChaincodeResponse(message.payload);
    } catch (err) {
      tx.resolve({ outcome: 'ERROR', status: 500, message: `failed to unmarshal response for transaction ${message.txid}: ${messageOf(err)}`, payload: empty, event: undefined });
      return;
    }
    let event: ChaincodeEvent | undefined;
    if (message.chaincodeEvent !== undefined) {
      event = { ...message.chaincodeEvent, chaincodeId: tx.request.context.namespace, txId: message.txid };
      try {
        tx.request.context.setEvent(event.eventName, event.payload);
      } catch (err) {
        tx.resolve({ outcome: 'COMPLETED', status: 500, message: `the chaincode's event was refused: ${messageOf(err)}`, payload: empty, event: undefined });
        return;
      }
    }
    tx.resolve({ outcome: 'COMPLETED', status: response.status, message: response.message, payload: response.payload, event });
  }

  /** Forgets a transaction: stops its timer and closes its open queries (Fabric's CloseQueryIterators). */
  private finish(key: string, tx: RunningTransaction): void {
    if (this.running.get(key) === tx) this.running.delete(key);
    this.timers.clearTimeout(tx.timer);
    for (const query of tx.queries.values()) closeQuietly(query);
    tx.queries.clear();
  }

  // ---- chaincode requests -----------------------------------------------------------------------

  private async serve(message: ChaincodeMessage): Promise<void> {
    const typeName = chaincodeMessageTypeName(message.type);
    const tx = this.running.get(txKey(message.channelId, message.txid));
    let reply: ChaincodeMessage;
    let claimed = false;
    try {
      if (tx === undefined) throw new RequestRefused('no ledger context');
      if (tx.busy) throw new RequestRefused('another request of this transaction is still being answered (send one request at a time)');
      tx.busy = claimed = true;
      const payload = await this.answer(message, tx);
      reply = { type: T.RESPONSE, payload, txid: message.txid, channelId: message.channelId };
    } catch (err) {
      const reason = `${typeName} failed: transaction ID: ${message.txid}: ${messageOf(err)}`;
      this.logger.debug('chaincode request failed', { chaincode: this.registeredName, txId: message.txid, reason });
      reply = { type: T.ERROR, payload: new TextEncoder().encode(reason), txid: message.txid, channelId: message.channelId };
    } finally {
      if (tx !== undefined && claimed) tx.busy = false;
    }
    if (this.currentState !== 'closed') this.send(reply);
  }

  /** The RESPONSE payload for one request; throws (RequestRefused or the context's error) for an ERROR. */
  private async answer(message: ChaincodeMessage, tx: RunningTransaction): Promise<Uint8Array> {
    const context = tx.request.context;
    const unsupported = notSupported[message.type];
    if (unsupported !== undefined) throw new RequestRefused(`${chaincodeMessageTypeName(message.type)} is not supported by fabsim yet: ${unsupported}`);
    switch (message.type) {
      case T.GET_STATE: {
        const request = parseGetState(message.payload);
        refusePrivateData(request.collection);
        return (await context.getState(request.key)) ?? empty;
      }
      case T.PUT_STATE: {
        const request = parsePutState(message.payload);
        refusePrivateData(request.collection);
        context.putState(request.key, request.value);
        return empty;
      }
      case T.DEL_STATE: {
        const request = parseDelState(message.payload);
        refusePrivateData(request.collection);
        context.delState(request.key);
        return empty;
      }
      case T.GET_STATE_METADATA: {
        const request = parseGetStateMetadata(message.payload);
        refusePrivateData(request.collection);
        const metadata = await context.getStateMetadata(request.key);
        const entries = [...metadata].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([metakey, value]) => ({ metakey, value }));
        return buildStateMetadataResult(entries);
      }
      case T.PUT_STATE_METADATA: {
        const request = parsePutStateMetadata(message.payload);
        refusePrivateData(request.collection);
        context.putStateMetadata(request.key, request.metadata.metakey, request.metadata.value);
        return empty;
      }
      case T.GET_STATE_BY_RANGE:
        return buildQueryResponse(await this.openRange(message, tx));
      case T.INVOKE_CHAINCODE:
        return this.invokeChaincode(message, tx);
      case T.GET_HISTORY_FOR_KEY: {
        const { key } = parseGetHistoryForKey(message.payload);
        const iterator = await context.openHistory(key);
        const id = this.openQuery(tx, {
          pull: async (max) => {
            const { results, done } = await iterator.next(max);
            return { items: results.map((r) => ({ key, bytes: buildKeyModification({ txId: r.txId, value: r.value, isDelete: r.isDelete, timestampMs: r.timestampMs ?? 0 }) })), done };
          },
          close: () => iterator.close(),
        });
        return buildQueryResponse(await this.nextBatch(tx, id));
      }
      case T.QUERY_STATE_NEXT: {
        const { id } = parseQueryStateNext(message.payload);
        if (!tx.queries.has(id)) throw new RequestRefused('query iterator not found');
        return buildQueryResponse(await this.nextBatch(tx, id));
      }
      case T.QUERY_STATE_CLOSE: {
        const { id } = parseQueryStateClose(message.payload);
        const query = tx.queries.get(id);
        if (query !== undefined) {
          tx.queries.delete(id);
          closeQuietly(query);
        }
        return buildQueryResponse({ results: [], hasMore: false, id, metadata: undefined });
      }
      default:
        throw new RequestRefused(`${chaincodeMessageTypeName(message.type)} is not a chaincode request`);
    }
  }

  /**
   * INVOKE_CHAINCODE (Fabric's HandleInvokeChaincode): the called chaincode's name may be Fabric's
   * composite `name:version/channel`; the version is ignored (the channel's definition decides), and a
   * channel other than the transaction's is refused (Fabric would run it read-only on that channel's
   * ledger; fabsim does not). The answer is a RESPONSE whose payload is a ChaincodeMessage COMPLETED
   * (or ERROR) carrying the called chaincode's peer.Response, which the shim returns to the caller.
   */
  private async invokeChaincode(message: ChaincodeMessage, tx: RunningTransaction): Promise<Uint8Array> {
    const spec = parseInvokeChaincodeSpec(message.payload);
    const slash = spec.name.indexOf('/');
    const channel = slash < 0 ? '' : spec.name.slice(slash + 1);
    const name = (slash < 0 ? spec.name : spec.name.slice(0, slash)).split(':')[0] ?? '';
    if (name === '') throw new RequestRefused('the ChaincodeSpec names no chaincode to call');
    if (channel !== '' && channel !== tx.request.channelId) {
      throw new RequestRefused(
        `calling chaincode ${name} on channel ${channel} from a transaction on channel ${tx.request.channelId} is not supported by fabsim yet: call chaincode on the same channel`,
      );
    }
    const invoke = tx.request.invokeChaincode;
    if (invoke === undefined) throw new RequestRefused(`chaincode-to-chaincode calls are not available to this transaction (it was not started by the endorser), so ${name} cannot be called`);
    const result = await invoke(name, spec.args);
    return buildChaincodeMessage({
      type: result.outcome === 'COMPLETED' ? T.COMPLETED : T.ERROR,
      payload: buildChaincodeResponse({ status: result.status, message: result.message, payload: result.payload }),
      txid: message.txid,
      channelId: message.channelId,
    });
  }

  private async openRange(message: ChaincodeMessage, tx: RunningTransaction): Promise<QueryResponse> {
    const request = parseGetStateByRange(message.payload);
    refusePrivateData(request.collection);
    const namespace = tx.request.context.namespace;
    const paginated = request.metadata !== undefined && (request.metadata.pageSize !== 0 || request.metadata.bookmark !== '');
    const startKey = paginated && request.metadata?.bookmark ? request.metadata.bookmark : request.startKey;
    const iterator = tx.request.context.openRange(startKey, request.endKey);
    const id = this.openQuery(tx, {
      pull: async (max) => {
        const { results, done } = await iterator.next(max);
        return { items: results.map((r) => ({ key: r.key, bytes: buildQueryResultKv({ namespace, key: r.key, value: r.value }) })), done };
      },
      close: () => iterator.close(),
    });
    if (!paginated) return this.nextBatch(tx, id);
    return this.page(tx, id, request.metadata?.pageSize ?? 0);
  }

  private openQuery(tx: RunningTransaction, source: Pick<OpenQuery, 'pull' | 'close'>): string {
    const id = String(this.nextQueryId++);
    tx.queries.set(id, { ...source, pending: [], fetched: 0, exhausted: false });
    return id;
  }

  /** Reads until `want` results are pending, the query is exhausted, or totalQueryLimit is reached. */
  private async fill(query: OpenQuery, want: number): Promise<void> {
    while (!query.exhausted && query.pending.length < want && query.fetched < this.totalQueryLimit) {
      const max = Math.min(want - query.pending.length, this.totalQueryLimit - query.fetched);
      const { items, done } = await query.pull(max);
      const taken = items.slice(0, max);
      query.pending.push(...taken);
      query.fetched += taken.length;
      // An empty read that claims more would loop forever: treat it as the end.
      if (done || taken.length === 0) query.exhausted = true;
    }
  }

  /** The next batch of an unpaginated query (QueryResponseGenerator.BuildQueryResponse). */
  private async nextBatch(tx: RunningTransaction, id: string): Promise<QueryResponse> {
    const query = tx.queries.get(id);
    if (query === undefined) throw new RequestRefused('query iterator not found');
    try {
      // One result beyond the batch tells whether there is more.
      await this.fill(query, this.maxResultLimit + 1);
    } catch (err) {
      tx.queries.delete(id);
      closeQuietly(query);
      throw err;
    }
    if (query.pending.length > this.maxResultLimit) {
      return { results: query.pending.splice(0, this.maxResultLimit).map((r) => r.bytes), hasMore: true, id, metadata: undefined };
    }
    tx.queries.delete(id);
    closeQuietly(query);
    return { results: query.pending.splice(0).map((r) => r.bytes), hasMore: false, id, metadata: undefined };
  }

  /** One explicit page: min(pageSize, totalQueryLimit) results, the next key as bookmark. */
  private async page(tx: RunningTransaction, id: string, pageSize: number): Promise<QueryResponse> {
    const query = tx.queries.get(id);
    if (query === undefined) throw new RequestRefused('query iterator not found');
    tx.queries.delete(id);
    try {
      const limit = pageSize > 0 ? Math.min(pageSize, this.totalQueryLimit) : this.totalQueryLimit;
      await this.fill(query, limit);
      const results = query.pending.splice(0);
      let bookmark = '';
      if (!query.exhausted) {
        // Fabric's GetBookmarkAndClose peeks the next key of the underlying iterator.
        const { items } = await query.pull(1);
        bookmark = items[0]?.key ?? '';
      }
      return { results: results.map((r) => r.bytes), hasMore: false, id, metadata: { fetchedRecordsCount: results.length, bookmark } };
    } finally {
      closeQuietly(query);
    }
  }

  private send(message: ChaincodeMessage): void {
    try {
      this.stream.send(buildChaincodeMessage(message));
    } catch (err) {
      this.disconnected(`sending ${chaincodeMessageTypeName(message.type)} to the chaincode failed: ${messageOf(err)}`);
    }
  }
}

function refusePrivateData(collection: string): void {
  if (collection !== '') throw new RequestRefused(`private data (collection "${collection}") is not supported by fabsim yet: private data collections are not implemented`);
}

function closeQuietly(query: OpenQuery): void {
  try {
    query.close();
  } catch {
    // closing is best effort; the transaction is over either way
  }
}
