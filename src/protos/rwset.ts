import { ledger } from '@hyperledger/fabric-protos';
import { assert } from '../core/assert.js';
import { decodeProto, ProtoDecodeError } from './proto-error.js';

/**
 * Fabric's transaction read-write set (ledger/rwset/rwset.proto and kvrwset/kv_rwset.proto): what a
 * chaincode simulation read and wrote, carried in ChaincodeAction.results and checked by the
 * committing peer's MVCC validation.
 *
 *   TxReadWriteSet { data_model: KV, ns_rwset: [NsReadWriteSet] }
 *   NsReadWriteSet { namespace, rwset: bytes(KVRWSet), collection_hashed_rwset: [...] }
 *   KVRWSet        { reads, range_queries_info, writes, metadata_writes }
 *
 * The per-namespace KVRWSet is nested as bytes; parseTxRwSet decodes both levels. Private data
 * (collection hashed rwsets) is not modelled: fabsim never builds it and only counts it on parse.
 * uint64 block/tx numbers become JS numbers; one above Number.MAX_SAFE_INTEGER is refused as
 * malformed (no fabsim ledger gets that tall, and a rounded version would be a wrong MVCC check).
 */

/** `kvrwset.Version`: the height (block, tx) of the committed write a read saw. */
export interface KvVersion { readonly blockNum: number; readonly txNum: number }
/** `kvrwset.KVRead`; version undefined = the key did not exist when simulated. */
export interface KvRead { readonly key: string; readonly version: KvVersion | undefined }
/** `kvrwset.KVWrite`. When isDelete, value is ignored (Fabric writes it empty). */
export interface KvWrite { readonly key: string; readonly isDelete: boolean; readonly value: Uint8Array }
/** `kvrwset.KVMetadataEntry`, e.g. name "VALIDATION_PARAMETER" for key-level endorsement. */
export interface KvMetadataEntry { readonly name: string; readonly value: Uint8Array }
/** `kvrwset.KVMetadataWrite`: the key's whole new metadata (no entries = metadata deleted). */
export interface KvMetadataWrite { readonly key: string; readonly entries: readonly KvMetadataEntry[] }
/**
 * `kvrwset.RangeQueryInfo`: a range scan [startKey, endKey) and what it saw, for phantom checks.
 * The proto's `reads_info` oneof is either rawReads or readsMerkleHashes; a parsed one with
 * neither set has both undefined.
 */
export interface RangeQueryInfo {
  readonly startKey: string;
  readonly endKey: string;
  readonly itrExhausted: boolean;
  readonly rawReads?: readonly KvRead[];
  readonly readsMerkleHashes?: { readonly maxDegree: number; readonly maxLevel: number; readonly maxLevelHashes: readonly Uint8Array[] };
}
/** `kvrwset.KVRWSet`. */
export interface KvRwSet {
  readonly reads: readonly KvRead[];
  readonly rangeQueriesInfo: readonly RangeQueryInfo[];
  readonly writes: readonly KvWrite[];
  readonly metadataWrites: readonly KvMetadataWrite[];
}
/**
 * `rwset.NsReadWriteSet` with its rwset decoded as a KVRWSet. The namespace is the chaincode name.
 * collectionHashedRwsetCount counts the private-data hashed rwsets (must be 0 when building).
 */
export interface NsRwSet { readonly namespace: string; readonly rwset: KvRwSet; readonly collectionHashedRwsetCount: number }
/** `rwset.TxReadWriteSet` (data_model KV). */
export interface TxRwSet { readonly nsRwsets: readonly NsRwSet[] }

const KV = ledger.rwset.TxReadWriteSet.DataModel.KV;
const kv = ledger.rwset.kvrwset;

function buildKvRead(read: KvRead): ledger.rwset.kvrwset.KVRead {
  const message = new kv.KVRead();
  message.setKey(read.key);
  if (read.version !== undefined) {
    const version = new kv.Version();
    version.setBlockNum(read.version.blockNum);
    version.setTxNum(read.version.txNum);
    message.setVersion(version);
  }
  return message;
}

function buildRangeQueryInfo(info: RangeQueryInfo): ledger.rwset.kvrwset.RangeQueryInfo {
  assert(info.rawReads === undefined || info.readsMerkleHashes === undefined, `range query [${info.startKey}, ${info.endKey}) sets both rawReads and readsMerkleHashes, which are a protobuf oneof`);
  const message = new kv.RangeQueryInfo();
  message.setStartKey(info.startKey);
  message.setEndKey(info.endKey);
  message.setItrExhausted(info.itrExhausted);
  if (info.rawReads !== undefined) {
    const reads = new kv.QueryReads();
    reads.setKvReadsList(info.rawReads.map(buildKvRead));
    message.setRawReads(reads);
  }
  if (info.readsMerkleHashes !== undefined) {
    const summary = new kv.QueryReadsMerkleSummary();
    summary.setMaxDegree(info.readsMerkleHashes.maxDegree);
    summary.setMaxLevel(info.readsMerkleHashes.maxLevel);
    summary.setMaxLevelHashesList([...info.readsMerkleHashes.maxLevelHashes]);
    message.setReadsMerkleHashes(summary);
  }
  return message;
}

/** `kvrwset.KVRWSet` bytes, as they go into NsReadWriteSet.rwset. */
export function buildKvRwSet(set: KvRwSet): Uint8Array {
  const message = new kv.KVRWSet();
  message.setReadsList(set.reads.map(buildKvRead));
  message.setRangeQueriesInfoList(set.rangeQueriesInfo.map(buildRangeQueryInfo));
  message.setWritesList(
    set.writes.map((write) => {
      const w = new kv.KVWrite();
      w.setKey(write.key);
      w.setIsDelete(write.isDelete);
      w.setValue(write.value);
      return w;
    }),
  );
  message.setMetadataWritesList(
    set.metadataWrites.map((write) => {
      const w = new kv.KVMetadataWrite();
      w.setKey(write.key);
      w.setEntriesList(
        write.entries.map((entry) => {
          const e = new kv.KVMetadataEntry();
          e.setName(entry.name);
          e.setValue(entry.value);
          return e;
        }),
      );
      return w;
    }),
  );
  return message.serializeBinary();
}

/** `rwset.TxReadWriteSet` bytes (data_model KV), as ChaincodeAction.results carries them. */
export function buildTxRwSet(set: TxRwSet): Uint8Array {
  const message = new ledger.rwset.TxReadWriteSet();
  message.setDataModel(KV);
  message.setNsRwsetList(
    set.nsRwsets.map((ns) => {
      assert(ns.collectionHashedRwsetCount === 0, `namespace ${ns.namespace} has collectionHashedRwsetCount ${ns.collectionHashedRwsetCount}; fabsim builds no private-data rwsets, so it must be 0`);
      const m = new ledger.rwset.NsReadWriteSet();
      m.setNamespace(ns.namespace);
      m.setRwset(buildKvRwSet(ns.rwset));
      return m;
    }),
  );
  return message.serializeBinary();
}

const KV_RWSET = 'kvrwset.KVRWSet';

function safeUint64(value: number, what: string, where: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ProtoDecodeError(KV_RWSET, `${where}: its ${what} ${value} is not an integer in [0, ${Number.MAX_SAFE_INTEGER}]`);
  }
  return value;
}

function parseKvRead(message: ledger.rwset.kvrwset.KVRead, where: string): KvRead {
  const version = message.getVersion();
  const key = message.getKey();
  if (version === undefined) return { key, version: undefined };
  const at = `${where}, read of key ${JSON.stringify(key)}`;
  return { key, version: { blockNum: safeUint64(version.getBlockNum(), 'block_num', at), txNum: safeUint64(version.getTxNum(), 'tx_num', at) } };
}

function parseRangeQueryInfo(message: ledger.rwset.kvrwset.RangeQueryInfo, where: string): RangeQueryInfo {
  const base = { startKey: message.getStartKey(), endKey: message.getEndKey(), itrExhausted: message.getItrExhausted() };
  const at = `${where}, range query [${JSON.stringify(base.startKey)}, ${JSON.stringify(base.endKey)})`;
  const raw = message.getRawReads();
  if (raw !== undefined) return { ...base, rawReads: raw.getKvReadsList().map((read) => parseKvRead(read, at)) };
  const summary = message.getReadsMerkleHashes();
  if (summary !== undefined) {
    return {
      ...base,
      readsMerkleHashes: { maxDegree: summary.getMaxDegree(), maxLevel: summary.getMaxLevel(), maxLevelHashes: summary.getMaxLevelHashesList_asU8() },
    };
  }
  return base;
}

/** Reads `kvrwset.KVRWSet` bytes; `where` names the set in error messages (e.g. `namespace "basic"`). */
export function parseKvRwSet(bytes: Uint8Array, where = 'the rwset'): KvRwSet {
  const message = decodeProto(`${KV_RWSET} of ${where}`, () => kv.KVRWSet.deserializeBinary(bytes));
  return {
    reads: message.getReadsList().map((read) => parseKvRead(read, where)),
    rangeQueriesInfo: message.getRangeQueriesInfoList().map((info) => parseRangeQueryInfo(info, where)),
    writes: message.getWritesList().map((w) => ({ key: w.getKey(), isDelete: w.getIsDelete(), value: w.getValue_asU8() })),
    metadataWrites: message.getMetadataWritesList().map((w) => ({
      key: w.getKey(),
      entries: w.getEntriesList().map((e) => ({ name: e.getName(), value: e.getValue_asU8() })),
    })),
  };
}

/**
 * Reads `rwset.TxReadWriteSet` bytes and the KVRWSet of every namespace. A data model other than
 * KV, or a namespace whose rwset does not decode, throws ProtoDecodeError naming the namespace.
 */
export function parseTxRwSet(bytes: Uint8Array): TxRwSet {
  const message = decodeProto('rwset.TxReadWriteSet', () => ledger.rwset.TxReadWriteSet.deserializeBinary(bytes));
  const dataModel = message.getDataModel() as number;
  if (dataModel !== KV) throw new ProtoDecodeError('rwset.TxReadWriteSet', `its data_model is ${dataModel}; only KV (0) exists`);
  return {
    nsRwsets: message.getNsRwsetList().map((ns) => {
      const namespace = ns.getNamespace();
      return {
        namespace,
        rwset: parseKvRwSet(ns.getRwset_asU8(), `namespace ${JSON.stringify(namespace)}`),
        collectionHashedRwsetCount: ns.getCollectionHashedRwsetList().length,
      };
    }),
  };
}
