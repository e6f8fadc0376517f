import { Context, Contract, Info, Returns, Transaction } from 'fabric-contract-api';
import { canonicalJson, canonicalJsonBytes } from './canonical-json.js';

/** The chaincode event PutValue sets (a client sees it with the Gateway's getChaincodeEvents). */
export const VALUE_PUT_EVENT = 'ValuePut';

/**
 * A tour of the chaincode API beyond get/put: range queries (plain and paginated), key history,
 * chaincode events, a chaincode-to-chaincode call, the transaction timestamp, and one function that
 * is non-deterministic on purpose.
 *
 * Values are UTF-8 strings stored under plain keys. Functions that return structured data return
 * canonical JSON (sorted keys), so every endorsing peer returns the same bytes.
 */
@Info({ title: 'FeatureTour', description: 'Range queries, pagination, history, events, chaincode-to-chaincode calls and determinism' })
export class FeatureTourContract extends Contract {
  constructor() {
    super('FeatureTourContract');
  }

  /**
   * Stores `value` under `key` and sets the chaincode event "ValuePut" with payload
   * {"key","txId","value"}. A transaction carries at most one event (a second setEvent replaces the
   * first); the peer publishes it only when the transaction commits valid.
   */
  @Transaction()
  public async PutValue(ctx: Context, key: string, value: string): Promise<void> {
    requireKey(key);
    await ctx.stub.putState(key, Buffer.from(value, 'utf8'));
    ctx.stub.setEvent(VALUE_PUT_EVENT, canonicalJsonBytes({ key, value, txId: ctx.stub.getTxID() }));
  }

  /** The value under `key`; fails if there is none. */
  @Transaction(false)
  @Returns('string')
  public async GetValue(ctx: Context, key: string): Promise<string> {
    const bytes = await ctx.stub.getState(key);
    if (bytes.length === 0) throw new Error(`the key ${key} does not exist`);
    return Buffer.from(bytes).toString('utf8');
  }

  /** Deletes `key` (the history keeps the deletion); fails if there is nothing to delete. */
  @Transaction()
  public async DeleteValue(ctx: Context, key: string): Promise<void> {
    const bytes = await ctx.stub.getState(key);
    if (bytes.length === 0) throw new Error(`the key ${key} does not exist`);
    await ctx.stub.deleteState(key);
  }

  /**
   * Every key in [startKey, endKey) in byte order, as [{"key","value"}]. '' leaves an end open. In a
   * submitted transaction the range is recorded in the read set and re-checked at validation (a key
   * inserted into the range meanwhile is a phantom read: PHANTOM_READ_CONFLICT).
   */
  @Transaction(false)
  @Returns('string')
  public async GetRange(ctx: Context, startKey: string, endKey: string): Promise<string> {
    const records: { key: string; value: string }[] = [];
    for await (const kv of ctx.stub.getStateByRange(startKey, endKey)) {
      records.push({ key: kv.key, value: Buffer.from(kv.value).toString('utf8') });
    }
    return canonicalJson(records);
  }

  /**
   * One page of [startKey, endKey): at most `pageSize` records starting at `bookmark` ('' for the
   * first page). Returns {"records","fetchedRecordsCount","bookmark"}; pass `bookmark` back for the
   * next page ('' once the range is exhausted). Evaluate it: Fabric's simulator refuses writes in a
   * transaction that ran a paginated query (a page is not re-checked for phantoms at validation).
   */
  @Transaction(false)
  @Returns('string')
  public async GetRangePage(ctx: Context, startKey: string, endKey: string, pageSize: number, bookmark: string): Promise<string> {
    if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
      throw new Error(`pageSize must be a whole number of at least 1, got ${String(pageSize)}`);
    }
    const { iterator, metadata } = await ctx.stub.getStateByRangeWithPagination(startKey, endKey, pageSize, bookmark);
    const records: { key: string; value: string }[] = [];
    try {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        records.push({ key: next.value.key, value: Buffer.from(next.value.value).toString('utf8') });
      }
    } finally {
      await iterator.close();
    }
    return canonicalJson({ records, fetchedRecordsCount: metadata.fetchedRecordsCount, bookmark: metadata.bookmark });
  }

  /**
   * Every committed change of `key`, newest first (Fabric 2.x order), as
   * [{"txId","timestamp","isDelete","value"}]; timestamp is the transaction's (client-set) timestamp
   * in ISO 8601. Only committed transactions appear: the history database is written at commit.
   */
  @Transaction(false)
  @Returns('string')
  public async GetHistory(ctx: Context, key: string): Promise<string> {
    const changes: { txId: string; timestamp: string; isDelete: boolean; value: string }[] = [];
    for await (const change of ctx.stub.getHistoryForKey(key)) {
      changes.push({
        txId: change.txId,
        timestamp: isoTimestamp(Number(change.timestamp.seconds), change.timestamp.nanos),
        isDelete: change.isDelete,
        value: change.isDelete ? '' : Buffer.from(change.value).toString('utf8'),
      });
    }
    return canonicalJson(changes);
  }

  /**
   * Reads an asset through the asset-transfer chaincode: `invokeChaincode(chaincodeName,
   * ["ReadAsset", assetId], "")`. The empty channel means this channel; the called chaincode runs in the
   * same transaction (its reads join this transaction's read set under its own namespace). Returns
   * the asset JSON, or fails with the called chaincode's message.
   */
  @Transaction(false)
  @Returns('string')
  public async ReadAssetFrom(ctx: Context, chaincodeName: string, assetId: string): Promise<string> {
    requireKey(assetId);
    const response = await ctx.stub.invokeChaincode(chaincodeName, ['ReadAsset', assetId], '');
    if (response.status !== 200) {
      throw new Error(`chaincode ${chaincodeName} answered ReadAsset(${assetId}) with status ${response.status}: ${response.message ?? ''}`);
    }
    return Buffer.from(response.payload ?? new Uint8Array()).toString('utf8');
  }

  /**
   * The deterministic way to record "when": the transaction timestamp the client put in the proposal
   * header, the same on every endorsing peer. Stores and returns it in ISO 8601.
   */
  @Transaction()
  @Returns('string')
  public async PutTxTimestamp(ctx: Context, key: string): Promise<string> {
    requireKey(key);
    const ts = ctx.stub.getTxTimestamp();
    const iso = isoTimestamp(Number(ts.seconds), ts.nanos);
    await ctx.stub.putState(key, Buffer.from(iso, 'utf8'));
    return iso;
  }

  /**
   * Reads `key`, waits `delayMs` milliseconds (at most 60000), then writes `value`: a transaction
   * that stays in flight long enough to kill the chaincode process during it (the crash lab). The
   * peer then fails the transaction ("chaincode ... disconnected") and restarts the process.
   */
  @Transaction()
  public async PutValueSlowly(ctx: Context, key: string, value: string, delayMs: number): Promise<void> {
    requireKey(key);
    await ctx.stub.getState(key);
    await new Promise((resolve) => setTimeout(resolve, Math.min(Math.max(Number(delayMs), 0), 60_000)));
    await ctx.stub.putState(key, Buffer.from(value, 'utf8'));
  }

  /**
   * DELIBERATELY WRONG: writes this peer's wall clock and a random number. Each endorsing peer
   * computes a different value, so their read-write sets (and signed proposal responses) differ and
   * the transaction cannot be assembled: the Gateway reports an endorsement mismatch ("failed to
   * assemble transaction: ProposalResponsePayloads do not match"). With a single endorsing peer it
   * commits, and every run stores another value. Use
   * PutTxTimestamp (or a value passed by the client) instead.
   */
  @Transaction()
  @Returns('string')
  public async PutNonDeterministic(ctx: Context, key: string): Promise<string> {
    requireKey(key);
    const value = canonicalJson({ random: Math.random(), wallClock: new Date().toISOString() });
    await ctx.stub.putState(key, Buffer.from(value, 'utf8'));
    return value;
  }
}

function requireKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new Error('the key must be a non-empty string');
  // Keys starting with U+0000 are composite keys, which plain range queries do not return.
  if (key.startsWith('\u0000')) throw new Error('the key must not start with U+0000 (reserved for composite keys)');
}

/** seconds + nanos since the epoch as ISO 8601 with milliseconds. */
function isoTimestamp(seconds: number, nanos: number): string {
  return new Date(seconds * 1000 + Math.floor(nanos / 1e6)).toISOString();
}
