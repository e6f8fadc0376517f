import { ledger } from '@hyperledger/fabric-protos';
import { assert } from '../core/assert.js';
import { ProtoDecodeError } from './proto-error.js';
import { noBytes, WireReader } from './wire-reader.js';

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

function readVersion(r: WireReader): { blockNum: number; txNum: number } {
  let blockNum = 0;
  let txNum = 0;
  while (r.next()) {
    switch (r.field) {
      case 1: blockNum = r.uint64(); break;
      case 2: txNum = r.uint64(); break;
      default: r.skip();
    }
  }
  return { blockNum, txNum };
}

// Range checks run after the whole KVRWSet decoded, as they did over the decoded google-protobuf message.
function readKvRead(r: WireReader): { key: string; version: { blockNum: number; txNum: number } | undefined } {
  let key = '';
  let version: { blockNum: number; txNum: number } | undefined;
  while (r.next()) {
    switch (r.field) {
      case 1: key = r.string(); break;
      case 2: version = readVersion(r.message('kvrwset.Version')); break;
      default: r.skip();
    }
  }
  return { key, version };
}

function checkKvRead(read: { key: string; version: { blockNum: number; txNum: number } | undefined }, where: string): KvRead {
  const version = read.version;
  if (version === undefined) return read;
  const at = `${where}, read of key ${JSON.stringify(read.key)}`;
  safeUint64(version.blockNum, 'block_num', at);
  safeUint64(version.txNum, 'tx_num', at);
  return read;
}

function readKvReads(r: WireReader, into: KvRead[]): void {
  while (r.next()) {
    if (r.field === 1) into.push(readKvRead(r.message('kvrwset.KVRead')));
    else r.skip();
  }
}

function readMerkleSummary(r: WireReader): { maxDegree: number; maxLevel: number; maxLevelHashes: Uint8Array[] } {
  let maxDegree = 0;
  let maxLevel = 0;
  const maxLevelHashes: Uint8Array[] = [];
  while (r.next()) {
    switch (r.field) {
      case 1: maxDegree = r.uint32(); break;
      case 2: maxLevel = r.uint32(); break;
      case 3: maxLevelHashes.push(r.bytes()); break;
      default: r.skip();
    }
  }
  return { maxDegree, maxLevel, maxLevelHashes };
}

function readRangeQueryInfo(r: WireReader): RangeQueryInfo {
  let startKey = '';
  let endKey = '';
  let itrExhausted = false;
  // The reads_info oneof: the last member present wins (google-protobuf clears the other on set).
  let rawReads: KvRead[] | undefined;
  let readsMerkleHashes: RangeQueryInfo['readsMerkleHashes'];
  while (r.next()) {
    switch (r.field) {
      case 1: startKey = r.string(); break;
      case 2: endKey = r.string(); break;
      case 3: itrExhausted = r.bool(); break;
      case 4:
        rawReads = [];
        readKvReads(r.message('kvrwset.QueryReads'), rawReads);
        readsMerkleHashes = undefined;
        break;
      case 5:
        readsMerkleHashes = readMerkleSummary(r.message('kvrwset.QueryReadsMerkleSummary'));
        rawReads = undefined;
        break;
      default: r.skip();
    }
  }
  if (rawReads !== undefined) return { startKey, endKey, itrExhausted, rawReads };
  if (readsMerkleHashes !== undefined) return { startKey, endKey, itrExhausted, readsMerkleHashes };
  return { startKey, endKey, itrExhausted };
}

function readKvWrite(r: WireReader): KvWrite {
  let key = '';
  let isDelete = false;
  let value: Uint8Array | undefined;
  while (r.next()) {
    switch (r.field) {
      case 1: key = r.string(); break;
      case 2: isDelete = r.bool(); break;
      case 3: value = r.bytes(); break;
      default: r.skip();
    }
  }
  return { key, isDelete, value: value ?? noBytes() };
}

function readMetadataWrite(r: WireReader): KvMetadataWrite {
  let key = '';
  const entries: KvMetadataEntry[] = [];
  while (r.next()) {
    switch (r.field) {
      case 1: key = r.string(); break;
      case 2: {
        const e = r.message('kvrwset.KVMetadataEntry');
        let name = '';
        let value: Uint8Array | undefined;
        while (e.next()) {
          switch (e.field) {
            case 1: name = e.string(); break;
            case 2: value = e.bytes(); break;
            default: e.skip();
          }
        }
        entries.push({ name, value: value ?? noBytes() });
        break;
      }
      default: r.skip();
    }
  }
  return { key, entries };
}

/** Reads `kvrwset.KVRWSet` bytes; `where` names the set in error messages (e.g. `namespace "basic"`). */
export function parseKvRwSet(bytes: Uint8Array, where = 'the rwset'): KvRwSet {
  const r = WireReader.of(bytes, `${KV_RWSET} of ${where}`);
  const reads: KvRead[] = [];
  const rangeQueriesInfo: RangeQueryInfo[] = [];
  const writes: KvWrite[] = [];
  const metadataWrites: KvMetadataWrite[] = [];
  while (r.next()) {
    switch (r.field) {
      case 1: reads.push(readKvRead(r.message('kvrwset.KVRead'))); break;
      case 2: rangeQueriesInfo.push(readRangeQueryInfo(r.message('kvrwset.RangeQueryInfo'))); break;
      case 3: writes.push(readKvWrite(r.message('kvrwset.KVWrite'))); break;
      case 4: metadataWrites.push(readMetadataWrite(r.message('kvrwset.KVMetadataWrite'))); break;
      default: r.skip();
    }
  }
  for (const read of reads) checkKvRead(read, where);
  for (const info of rangeQueriesInfo) {
    if (info.rawReads === undefined) continue;
    const at = `${where}, range query [${JSON.stringify(info.startKey)}, ${JSON.stringify(info.endKey)})`;
    for (const read of info.rawReads) checkKvRead(read, at);
  }
  return { reads, rangeQueriesInfo, writes, metadataWrites };
}

/** Decodes (and discards) a `rwset.CollectionHashedReadWriteSet`, so malformed ones are refused as before. */
function skimCollectionHashedRwset(r: WireReader): void {
  while (r.next()) {
    switch (r.field) {
      case 1: r.string(); break;
      case 2: case 3: r.bytes(); break;
      default: r.skip();
    }
  }
}

/**
 * Reads `rwset.TxReadWriteSet` bytes and the KVRWSet of every namespace. A data model other than
 * KV, or a namespace whose rwset does not decode, throws ProtoDecodeError naming the namespace.
 */
export function parseTxRwSet(bytes: Uint8Array): TxRwSet {
  const r = WireReader.of(bytes, 'rwset.TxReadWriteSet');
  let dataModel = 0;
  const namespaces: Array<{ namespace: string; rwset: Uint8Array; collectionHashedRwsetCount: number }> = [];
  while (r.next()) {
    switch (r.field) {
      case 1: dataModel = r.enum(); break;
      case 2: {
        const n = r.message('rwset.NsReadWriteSet');
        let namespace = '';
        let rwset: Uint8Array | undefined;
        let collectionHashedRwsetCount = 0;
        while (n.next()) {
          switch (n.field) {
            case 1: namespace = n.string(); break;
            case 2: rwset = n.bytes(); break;
            case 3: skimCollectionHashedRwset(n.message('rwset.CollectionHashedReadWriteSet')); collectionHashedRwsetCount++; break;
            default: n.skip();
          }
        }
        namespaces.push({ namespace, rwset: rwset ?? noBytes(), collectionHashedRwsetCount });
        break;
      }
      default: r.skip();
    }
  }
  if (dataModel !== KV) throw new ProtoDecodeError('rwset.TxReadWriteSet', `its data_model is ${dataModel}; only KV (0) exists`);
  return {
    nsRwsets: namespaces.map((ns) => ({
      namespace: ns.namespace,
      rwset: parseKvRwSet(ns.rwset, `namespace ${JSON.stringify(ns.namespace)}`),
      collectionHashedRwsetCount: ns.collectionHashedRwsetCount,
    })),
  };
}
