import { isDeepStrictEqual } from 'node:util';
import { common, ledger, msp, peer } from '@hyperledger/fabric-protos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRng } from '../../../src/core/rng.js';
import type { SigningIdentity } from '../../../src/msp/signing-identity.js';
import { parseBlock, parseMetadataValue, type Block } from '../../../src/protos/block.js';
import { parseChannelHeader, parseEnvelope, parseEnvelopeHeaders, parsePayload, type ChannelHeader } from '../../../src/protos/envelope.js';
import { parseSerializedIdentity } from '../../../src/protos/identity.js';
import { decodeProto, ProtoDecodeError } from '../../../src/protos/proto-error.js';
import { buildKvRwSet, parseKvRwSet, parseTxRwSet, type KvRead, type KvRwSet, type RangeQueryInfo, type TxRwSet } from '../../../src/protos/rwset.js';
import { parseSignatureHeader } from '../../../src/protos/signature-header.js';
import { timestampMs, type TimestampMessage } from '../../../src/protos/timestamp.js';
import {
  parseChaincodeAction,
  parseChaincodeActionPayload,
  parseChaincodeEndorsedAction,
  parseChaincodeHeaderExtension,
  parseChaincodeId,
  parseChaincodeResponse,
  parseEndorsement,
  parseProposalResponsePayload,
  parseTransaction,
  parseTransactionAction,
  type ChaincodeAction,
  type ChaincodeEndorsedAction,
  type ChaincodeId,
  type ChaincodeResponse,
  type Endorsement,
} from '../../../src/protos/transaction.js';
import { makeChannelFixture, type ChannelFixture } from '../../helpers/channel-fixture.js';
import { vectorBytes } from '../../helpers/config-vectors.js';
import { buildEndorsedTransaction, type TransactionTamper } from '../../helpers/endorsed-transaction.js';

/*
 * The hot parse* functions decode the wire format directly (src/protos/wire-reader.ts). This test
 * keeps the google-protobuf decoders they replaced, verbatim, as the reference, and checks that
 * for real Fabric blocks, for every tamper knob of the endorsed-transaction helper, for crafted
 * edge cases and for thousands of seeded random mutations, both give deep-equal results or both
 * throw ProtoDecodeError.
 */

// ---- the reference: the google-protobuf-based decoders, as they were ----------------------------------

const ref = {
  envelope(bytes: Uint8Array) {
    const message = decodeProto('common.Envelope', () => common.Envelope.deserializeBinary(bytes));
    const payload = message.getPayload_asU8();
    if (payload.length === 0) throw new ProtoDecodeError('common.Envelope', 'its payload is empty');
    return { payload, signature: message.getSignature_asU8() };
  },
  payload(bytes: Uint8Array) {
    const message = decodeProto('common.Payload', () => common.Payload.deserializeBinary(bytes));
    const header = message.getHeader();
    if (header === undefined) throw new ProtoDecodeError('common.Payload', 'it has no header');
    return { header: { channelHeader: header.getChannelHeader_asU8(), signatureHeader: header.getSignatureHeader_asU8() }, data: message.getData_asU8() };
  },
  channelHeader(bytes: Uint8Array): ChannelHeader {
    const message = decodeProto('common.ChannelHeader', () => common.ChannelHeader.deserializeBinary(bytes));
    const timestamp = message.getTimestamp() as TimestampMessage | undefined;
    return {
      type: message.getType(),
      version: message.getVersion(),
      timestampMs: timestamp === undefined ? undefined : timestampMs(timestamp),
      channelId: message.getChannelId(),
      txId: message.getTxId(),
      epoch: message.getEpoch(),
      extension: message.getExtension_asU8(),
      tlsCertHash: message.getTlsCertHash_asU8(),
    };
  },
  signatureHeader(bytes: Uint8Array, options: { readonly allowEmptyCreator?: boolean } = {}) {
    const message = decodeProto('common.SignatureHeader', () => common.SignatureHeader.deserializeBinary(bytes));
    const creator = message.getCreator_asU8();
    if (creator.length === 0 && options.allowEmptyCreator !== true) throw new ProtoDecodeError('common.SignatureHeader', 'its creator is empty');
    return { creator, nonce: message.getNonce_asU8() };
  },
  envelopeHeaders(bytes: Uint8Array) {
    const envelope = ref.envelope(bytes);
    const payload = ref.payload(envelope.payload);
    if (payload.header.channelHeader.length === 0) throw new ProtoDecodeError('common.Payload', 'its header has no channel_header');
    return { envelope, payload, channelHeader: ref.channelHeader(payload.header.channelHeader), signatureHeader: ref.signatureHeader(payload.header.signatureHeader) };
  },
  serializedIdentity(bytes: Uint8Array) {
    const message = decodeProto('msp.SerializedIdentity', () => msp.SerializedIdentity.deserializeBinary(bytes));
    const mspId = message.getMspid();
    const idBytes = message.getIdBytes_asU8();
    if (mspId === '') throw new ProtoDecodeError('msp.SerializedIdentity', 'its mspid field is empty');
    if (idBytes.length === 0) throw new ProtoDecodeError('msp.SerializedIdentity', 'its id_bytes field is empty');
    return { mspId, idBytes };
  },
  chaincodeId(bytes: Uint8Array): ChaincodeId {
    return chaincodeIdOf(decodeProto('peer.ChaincodeID', () => peer.ChaincodeID.deserializeBinary(bytes)));
  },
  endorsement(bytes: Uint8Array): Endorsement {
    return endorsementOf(decodeProto('peer.Endorsement', () => peer.Endorsement.deserializeBinary(bytes)));
  },
  endorsedAction(bytes: Uint8Array): ChaincodeEndorsedAction {
    return endorsedActionOf(decodeProto('peer.ChaincodeEndorsedAction', () => peer.ChaincodeEndorsedAction.deserializeBinary(bytes)));
  },
  actionPayload(bytes: Uint8Array) {
    const message = decodeProto('peer.ChaincodeActionPayload', () => peer.ChaincodeActionPayload.deserializeBinary(bytes));
    const action = message.getAction();
    if (action === undefined) throw new ProtoDecodeError('peer.ChaincodeActionPayload', 'it has no action (ChaincodeEndorsedAction)');
    return { chaincodeProposalPayload: message.getChaincodeProposalPayload_asU8(), action: endorsedActionOf(action) };
  },
  transactionAction(bytes: Uint8Array) {
    return transactionActionOf(decodeProto('peer.TransactionAction', () => peer.TransactionAction.deserializeBinary(bytes)));
  },
  transaction(bytes: Uint8Array) {
    const message = decodeProto('peer.Transaction', () => peer.Transaction.deserializeBinary(bytes));
    return { actions: message.getActionsList().map(transactionActionOf) };
  },
  proposalResponsePayload(bytes: Uint8Array) {
    const message = decodeProto('peer.ProposalResponsePayload', () => peer.ProposalResponsePayload.deserializeBinary(bytes));
    return { proposalHash: message.getProposalHash_asU8(), extension: message.getExtension_asU8() };
  },
  response(bytes: Uint8Array): ChaincodeResponse {
    return responseOf(decodeProto('peer.Response', () => peer.Response.deserializeBinary(bytes)));
  },
  chaincodeAction(bytes: Uint8Array): ChaincodeAction {
    const message = decodeProto('peer.ChaincodeAction', () => peer.ChaincodeAction.deserializeBinary(bytes));
    return {
      results: message.getResults_asU8(),
      events: message.getEvents_asU8(),
      response: responseOf(message.getResponse()),
      chaincodeId: requireChaincodeId(message.getChaincodeId(), 'peer.ChaincodeAction'),
    };
  },
  headerExtension(bytes: Uint8Array) {
    const message = decodeProto('peer.ChaincodeHeaderExtension', () => peer.ChaincodeHeaderExtension.deserializeBinary(bytes));
    return { chaincodeId: requireChaincodeId(message.getChaincodeId(), 'peer.ChaincodeHeaderExtension') };
  },
  kvRwSet(bytes: Uint8Array, where = 'the rwset'): KvRwSet {
    const message = decodeProto(`kvrwset.KVRWSet of ${where}`, () => kv.KVRWSet.deserializeBinary(bytes));
    return {
      reads: message.getReadsList().map((read) => refKvRead(read, where)),
      rangeQueriesInfo: message.getRangeQueriesInfoList().map((info) => refRangeQueryInfo(info, where)),
      writes: message.getWritesList().map((w) => ({ key: w.getKey(), isDelete: w.getIsDelete(), value: w.getValue_asU8() })),
      metadataWrites: message.getMetadataWritesList().map((w) => ({ key: w.getKey(), entries: w.getEntriesList().map((e) => ({ name: e.getName(), value: e.getValue_asU8() })) })),
    };
  },
  txRwSet(bytes: Uint8Array): TxRwSet {
    const message = decodeProto('rwset.TxReadWriteSet', () => ledger.rwset.TxReadWriteSet.deserializeBinary(bytes));
    const dataModel = message.getDataModel() as number;
    if (dataModel !== 0) throw new ProtoDecodeError('rwset.TxReadWriteSet', `its data_model is ${dataModel}; only KV (0) exists`);
    return {
      nsRwsets: message.getNsRwsetList().map((ns) => {
        const namespace = ns.getNamespace();
        return { namespace, rwset: ref.kvRwSet(ns.getRwset_asU8(), `namespace ${JSON.stringify(namespace)}`), collectionHashedRwsetCount: ns.getCollectionHashedRwsetList().length };
      }),
    };
  },
  block(bytes: Uint8Array): Block {
    const message = decodeProto('common.Block', () => common.Block.deserializeBinary(bytes));
    const header = message.getHeader();
    if (!header) throw new ProtoDecodeError('common.Block', 'it has no header');
    const metadata = message.getMetadata()?.getMetadataList_asU8() ?? [];
    return {
      header: { number: header.getNumber(), previousHash: header.getPreviousHash_asU8(), dataHash: header.getDataHash_asU8() },
      data: message.getData()?.getDataList_asU8() ?? [],
      metadata: Array.from({ length: 5 }, (_, i) => metadata[i] ?? new Uint8Array()),
    };
  },
  metadataValue(bytes: Uint8Array) {
    const message = decodeProto('common.Metadata', () => common.Metadata.deserializeBinary(bytes));
    return { value: message.getValue_asU8(), signatures: message.getSignaturesList().map((s) => ({ signatureHeader: s.getSignatureHeader_asU8(), signature: s.getSignature_asU8() })) };
  },
};

const kv = ledger.rwset.kvrwset;
function chaincodeIdOf(message: peer.ChaincodeID): ChaincodeId {
  return { name: message.getName(), version: message.getVersion(), path: message.getPath() };
}
function requireChaincodeId(message: peer.ChaincodeID | undefined, container: string): ChaincodeId {
  if (message === undefined) throw new ProtoDecodeError(container, 'it has no chaincode_id');
  return chaincodeIdOf(message);
}
function endorsementOf(message: peer.Endorsement): Endorsement {
  return { endorser: message.getEndorser_asU8(), signature: message.getSignature_asU8() };
}
function endorsedActionOf(message: peer.ChaincodeEndorsedAction): ChaincodeEndorsedAction {
  return { proposalResponsePayload: message.getProposalResponsePayload_asU8(), endorsements: message.getEndorsementsList().map(endorsementOf) };
}
function transactionActionOf(message: peer.TransactionAction) {
  return { header: message.getHeader_asU8(), payload: message.getPayload_asU8() };
}
function responseOf(message: peer.Response | undefined): ChaincodeResponse {
  if (message === undefined) return { status: 0, message: '', payload: new Uint8Array() };
  return { status: message.getStatus(), message: message.getMessage(), payload: message.getPayload_asU8() };
}
function safeUint64(value: number, what: string, where: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new ProtoDecodeError('kvrwset.KVRWSet', `${where}: its ${what} ${value} is not an integer in [0, ${Number.MAX_SAFE_INTEGER}]`);
  return value;
}
function refKvRead(message: ledger.rwset.kvrwset.KVRead, where: string): KvRead {
  const version = message.getVersion();
  const key = message.getKey();
  if (version === undefined) return { key, version: undefined };
  const at = `${where}, read of key ${JSON.stringify(key)}`;
  return { key, version: { blockNum: safeUint64(version.getBlockNum(), 'block_num', at), txNum: safeUint64(version.getTxNum(), 'tx_num', at) } };
}
function refRangeQueryInfo(message: ledger.rwset.kvrwset.RangeQueryInfo, where: string): RangeQueryInfo {
  const base = { startKey: message.getStartKey(), endKey: message.getEndKey(), itrExhausted: message.getItrExhausted() };
  const at = `${where}, range query [${JSON.stringify(base.startKey)}, ${JSON.stringify(base.endKey)})`;
  const raw = message.getRawReads();
  if (raw !== undefined) return { ...base, rawReads: raw.getKvReadsList().map((read) => refKvRead(read, at)) };
  const summary = message.getReadsMerkleHashes();
  if (summary !== undefined) return { ...base, readsMerkleHashes: { maxDegree: summary.getMaxDegree(), maxLevel: summary.getMaxLevel(), maxLevelHashes: summary.getMaxLevelHashesList_asU8() } };
  return base;
}

// ---- the pairs under test ------------------------------------------------------------------------------

type Kind = keyof typeof ref;
const fast: Record<Kind, (bytes: Uint8Array) => unknown> = {
  envelope: parseEnvelope,
  payload: parsePayload,
  channelHeader: parseChannelHeader,
  signatureHeader: (b) => parseSignatureHeader(b),
  envelopeHeaders: (b) => parseEnvelopeHeaders(b),
  serializedIdentity: parseSerializedIdentity,
  chaincodeId: parseChaincodeId,
  endorsement: parseEndorsement,
  endorsedAction: parseChaincodeEndorsedAction,
  actionPayload: parseChaincodeActionPayload,
  transactionAction: parseTransactionAction,
  transaction: parseTransaction,
  proposalResponsePayload: parseProposalResponsePayload,
  response: parseChaincodeResponse,
  chaincodeAction: parseChaincodeAction,
  headerExtension: parseChaincodeHeaderExtension,
  kvRwSet: (b) => parseKvRwSet(b),
  txRwSet: parseTxRwSet,
  block: parseBlock,
  metadataValue: parseMetadataValue,
};
const KINDS = Object.keys(fast) as Kind[];

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };
function run(f: () => unknown): Outcome {
  try {
    return { ok: true, value: f() };
  } catch (error) {
    return { ok: false, error };
  }
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Compares both decoders on `bytes`; returns a description of the difference, or undefined. */
function differ(kind: Kind, bytes: Uint8Array): string | undefined {
  const mine = run(() => fast[kind](bytes));
  if (!mine.ok && !(mine.error instanceof ProtoDecodeError && mine.error.code === 'PROTO_MALFORMED')) return `${kind} ${hex(bytes)}: fast parse threw a non-ProtoDecodeError: ${String(mine.error)}`;
  const theirs = run(() => (ref[kind] as (b: Uint8Array) => unknown)(bytes));
  if (!theirs.ok && !(theirs.error instanceof ProtoDecodeError)) return `${kind} ${hex(bytes)}: reference threw a non-ProtoDecodeError: ${String(theirs.error)}`;
  if (mine.ok !== theirs.ok) return `${kind} ${hex(bytes)}: fast ${mine.ok ? 'accepted' : `threw (${(mine.error as Error).message})`}, reference ${theirs.ok ? 'accepted' : `threw (${(theirs.error as Error).message})`}`;
  if (mine.ok && theirs.ok && !isDeepStrictEqual(mine.value, theirs.value)) return `${kind} ${hex(bytes)}: results differ`;
  return undefined;
}

function expectSame(kind: Kind, bytes: Uint8Array): void {
  expect(differ(kind, bytes)).toBeUndefined();
}

// ---- corpus: every nested message of a transaction, labelled with its kind ----------------------------

type Sample = readonly [Kind, Uint8Array];

/** `bytes` and every nested message under it that decodes (via the reference), each with its kind. */
function explode(kind: Kind, bytes: Uint8Array, out: Sample[] = []): Sample[] {
  out.push([kind, bytes]);
  const value = run(() => (ref[kind] as (b: Uint8Array) => unknown)(bytes));
  if (!value.ok) return out;
  const v = value.value as never;
  const add = (k: Kind, b: Uint8Array | undefined): void => {
    if (b !== undefined && b.length > 0) explode(k, b, out);
  };
  switch (kind) {
    case 'block': {
      const block = v as Block;
      for (const d of block.data) add('envelope', d);
      for (const m of block.metadata) add('metadataValue', m);
      break;
    }
    case 'envelope':
      out.push(['envelopeHeaders', bytes]);
      add('payload', (v as { payload: Uint8Array }).payload);
      break;
    case 'payload': {
      const p = v as { header: { channelHeader: Uint8Array; signatureHeader: Uint8Array }; data: Uint8Array };
      add('channelHeader', p.header.channelHeader);
      add('signatureHeader', p.header.signatureHeader);
      add('transaction', p.data);
      break;
    }
    case 'channelHeader':
      add('headerExtension', (v as ChannelHeader).extension);
      break;
    case 'signatureHeader':
      add('serializedIdentity', (v as { creator: Uint8Array }).creator);
      break;
    case 'transaction':
      for (const a of (v as { actions: { header: Uint8Array; payload: Uint8Array }[] }).actions) {
        add('signatureHeader', a.header);
        add('actionPayload', a.payload);
      }
      break;
    case 'actionPayload': {
      const action = (v as { action: ChaincodeEndorsedAction }).action;
      add('proposalResponsePayload', action.proposalResponsePayload);
      for (const e of action.endorsements) add('serializedIdentity', e.endorser);
      break;
    }
    case 'proposalResponsePayload':
      add('chaincodeAction', (v as { extension: Uint8Array }).extension);
      break;
    case 'chaincodeAction':
      add('txRwSet', (v as ChaincodeAction).results);
      break;
    default:
      break;
  }
  return out;
}

// ---- mutations -----------------------------------------------------------------------------------------

const INTERESTING = [0x00, 0x01, 0x02, 0x07, 0x08, 0x0a, 0x0c, 0x0b, 0x12, 0x1a, 0x22, 0x3a, 0x7f, 0x80, 0x81, 0xc3, 0xe2, 0xed, 0xf0, 0xf8, 0xff];

function mutate(rng: SeededRng, input: Uint8Array): Uint8Array {
  const bytes = Array.from(input);
  const rounds = 1 + rng.nextInt(3);
  for (let r = 0; r < rounds; r++) {
    const at = bytes.length === 0 ? 0 : rng.nextInt(bytes.length);
    const value = rng.nextInt(3) === 0 ? (INTERESTING[rng.nextInt(INTERESTING.length)] ?? 0) : rng.nextInt(256);
    switch (rng.nextInt(7)) {
      case 0: bytes[at] = value; break;
      case 1: bytes.splice(at, 0, value); break;
      case 2: bytes.splice(at, 1 + rng.nextInt(4)); break;
      case 3: bytes.length = at; break; // truncate
      case 4: bytes[at] = (bytes[at] ?? 0) ^ (1 << rng.nextInt(8)); break;
      case 5: { // duplicate a range (repeated and duplicated fields)
        const length = 1 + rng.nextInt(Math.min(64, Math.max(1, bytes.length - at)));
        bytes.splice(at, 0, ...bytes.slice(at, at + length));
        break;
      }
      default: bytes.splice(at, 0, ...randomField(rng, 0)); break;
    }
  }
  return Uint8Array.from(bytes);
}

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** One random field: mostly small field numbers (known ones), any wire type, sometimes groups and odd varints. */
function randomField(rng: SeededRng, depth: number): number[] {
  const field = rng.nextInt(8);
  const wireType = rng.nextInt(10) === 0 ? 6 + rng.nextInt(2) : [0, 0, 1, 2, 2, 2, 2, 3, 4, 5][rng.nextInt(10)] ?? 2;
  const tag = varint(field * 8 + (wireType & 7));
  switch (wireType) {
    case 0: {
      const choice = rng.nextInt(6);
      if (choice === 0) return [...tag, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]; // -1 / 2^64-1
      if (choice === 1) return [...tag, 0x80, 0x80, 0x80, 0x80, 0x10]; // 2^32
      if (choice === 2) return [...tag, ...varint(2 ** 53 + rng.nextInt(3) * 2)];
      if (choice === 3) return [...tag, 0x85, 0x80, 0x80, 0x80, 0x80, 0x00]; // 5 in 6 bytes
      return [...tag, ...varint(rng.nextInt(1000))];
    }
    case 1: return [...tag, ...Array.from({ length: 8 }, () => rng.nextInt(256))];
    case 5: return [...tag, ...Array.from({ length: 4 }, () => rng.nextInt(256))];
    case 3: {
      const inner = depth < 2 && rng.nextInt(2) === 0 ? randomField(rng, depth + 1) : [];
      const close = rng.nextInt(5) === 0 ? varint(((field + 1) % 8) * 8 + 4) : varint(field * 8 + 4);
      return [...tag, ...inner, ...close];
    }
    case 2: {
      let body: number[];
      const choice = rng.nextInt(5);
      if (choice === 0 && depth < 2) body = [...randomField(rng, depth + 1), ...randomField(rng, depth + 1)];
      else if (choice === 1) body = Array.from({ length: rng.nextInt(6) }, () => 0x80 + rng.nextInt(128)); // stray UTF-8
      else if (choice === 2) body = [0x41, 0xe2, 0x82]; // a cut multi-byte sequence
      else body = Array.from({ length: rng.nextInt(12) }, () => rng.nextInt(256));
      return [...tag, ...varint(body.length), ...body];
    }
    default: return tag; // END_GROUP or an invalid wire type
  }
}

function randomMessage(rng: SeededRng): Uint8Array {
  const fields: number[] = [];
  const count = rng.nextInt(6);
  for (let i = 0; i < count; i++) fields.push(...randomField(rng, 0));
  return Uint8Array.from(fields);
}

// ---- the tests -----------------------------------------------------------------------------------------

let fx: ChannelFixture;
let client: SigningIdentity;
let peer1: SigningIdentity;
let peer2: SigningIdentity;
let built: Uint8Array[] = [];

const GARBAGE = Uint8Array.of(0xff, 0xff);
const TAMPERS = (p: SigningIdentity): TransactionTamper[] => [
  {},
  { txId: 'not-the-tx-id' },
  { nonce: new Uint8Array() },
  { corruptCreatorSignature: true },
  { creatorSignature: new Uint8Array() },
  { corruptEndorsementSignature: 0 },
  { endorsementSignedBy: { index: 1, signer: p } },
  { duplicateEndorsement: 0 },
  { extraEndorsements: [{ endorser: GARBAGE, signature: GARBAGE }] },
  { emptyCreator: true },
  { creatorBytes: GARBAGE },
  { headerType: 1 },
  { channelId: 'другой-канал' },
  { headerExtension: GARBAGE },
  { channelHeader: GARBAGE },
  { signatureHeader: GARBAGE },
  { actionHeader: GARBAGE },
  { payload: GARBAGE },
  { transaction: GARBAGE },
  { actionPayload: GARBAGE },
  { proposalResponsePayload: GARBAGE },
  { proposalHash: new Uint8Array() },
  { chaincodeAction: GARBAGE },
  { results: GARBAGE },
  { actionChaincodeId: { name: 'basic', version: '', path: 'p' } },
];

beforeAll(async () => {
  fx = await makeChannelFixture('fast-parse');
  [client, peer1, peer2] = await Promise.all([fx.user('org1'), fx.peer('org1'), fx.peer('org2')]);
  const rwsets = [
    {
      namespace: 'basic',
      reads: [{ key: 'a' }, { key: 'b', version: { blockNum: 3, txNum: 1 } }, { key: 'ключ€😀', version: { blockNum: 2 ** 40, txNum: 0 } }],
      rangeQueriesInfo: [
        { startKey: 'a', endKey: 'z', itrExhausted: true, rawReads: [{ key: 'm', version: { blockNum: 1, txNum: 2 } }] },
        { startKey: 'b', endKey: 'c', itrExhausted: false, readsMerkleHashes: { maxDegree: 4, maxLevel: 2, maxLevelHashes: [Uint8Array.of(1, 2), Uint8Array.of(3)] } },
        { startKey: '', endKey: '', itrExhausted: false },
      ],
      writes: [{ key: 'w', value: 'v' }, { key: 'd', isDelete: true }],
      metadataWrites: [{ key: 'm', entries: [{ name: 'VALIDATION_PARAMETER', value: Uint8Array.of(9) }] }, { key: 'n', entries: [] }],
    },
    { namespace: '_lifecycle', writes: [{ key: 'x', value: new Uint8Array() }] },
  ];
  built = TAMPERS(peer2).map(
    (tamper, i) =>
      buildEndorsedTransaction({
        channelId: 'mychannel',
        creator: client,
        endorsers: [peer1, peer2],
        chaincode: { name: 'basic' },
        rwsets,
        args: ['Put', 'k'],
        event: { name: 'e', payload: 'p' },
        response: { status: 200 + i, message: i % 2 === 0 ? '' : 'ok ✓' },
        ...(i === 3 ? { timestampMs: null } : {}),
        tamper,
      }).envelope,
  );
}, 60_000);
afterAll(() => fx?.cleanup());

function corpus(): Sample[] {
  const samples: Sample[] = [];
  for (const name of ['block0-config.pb', 'block5-lifecycle.pb', 'block105-10tx.pb']) explode('block', vectorBytes(name), samples);
  for (const envelope of built) explode('envelope', envelope, samples);
  return samples;
}

describe('fast parse* against the google-protobuf reference', () => {
  it('agree on the real Fabric v2.5 blocks and every message inside them', () => {
    const samples: Sample[] = [];
    for (const name of ['block0-config.pb', 'block5-lifecycle.pb', 'block105-10tx.pb']) explode('block', vectorBytes(name), samples);
    expect(samples.length).toBeGreaterThan(100);
    const kinds = new Set(samples.map(([kind]) => kind));
    for (const kind of ['block', 'envelope', 'envelopeHeaders', 'payload', 'channelHeader', 'signatureHeader', 'serializedIdentity', 'transaction', 'actionPayload', 'proposalResponsePayload', 'chaincodeAction', 'txRwSet', 'headerExtension', 'metadataValue'] as const) {
      expect(kinds).toContain(kind);
    }
    for (const [kind, bytes] of samples) {
      expectSame(kind, bytes);
      // A Buffer input (as read from disk or the network) gives the same result as a Uint8Array.
      expectSame(kind, Buffer.from(bytes));
    }
  });

  it('agree on transactions built with every tamper knob', () => {
    expect(built).toHaveLength(TAMPERS(peer2).length);
    for (const envelope of built) for (const [kind, bytes] of explode('envelope', envelope)) expectSame(kind, bytes);
    // The KVRWSet of each namespace alone, as parseKvRwSet is also called directly.
    for (const [kind, bytes] of explode('envelope', built[0]!)) if (kind === 'txRwSet') for (const ns of parseTxRwSet(bytes).nsRwsets) expectSame('kvRwSet', buildKvRwSet(ns.rwset));
  });

  it('agree on crafted edge cases of the wire format', () => {
    const cases: Array<[Kind, number[]]> = [
      ['envelope', []],
      ['envelope', [0x0a, 0x01, 0x05, 0x0a, 0x01, 0x07]], // last occurrence wins
      ['envelope', [0x02, 0x01, 0x05, 0x0a, 0x01, 0x07]], // field 0 is skipped
      ['envelope', [0x0a, 0x01, 0x05, 0x0c, 0x12, 0x01, 0x06]], // END_GROUP ends the message
      ['envelope', [0x0a, 0x01, 0x05, 0x1b, 0x08, 0x01, 0x1c]], // a group, skipped
      ['envelope', [0x0a, 0x01, 0x05, 0x1b, 0x08, 0x01, 0x24]], // a group closed by another field
      ['envelope', [0x0a, 0x01, 0x05, 0x1b, 0x08, 0x01]], // an unterminated group
      ['envelope', [0x0a, 0x01, 0x05, 0x18, ...Array(12).fill(0x80), 0x01]], // an unknown 13-byte varint is skipped
      ['envelope', [0x0a, 0x01, 0x05, 0x0e]], // wire type 6
      ['envelope', [0x08, 0x01]], // a known field with the wrong wire type
      ['envelope', [0x0a, 0x05, 0x01]], // a length past the end
      ['envelope', [0x0a, 0x01, 0x05, 0x80]], // a truncated tag
      ['envelope', [0x0a, 0x01, 0x05, 0x19, 0x01]], // a truncated fixed64
      ['envelope', [0x8a, 0x80, 0x80, 0x80, 0x10, 0x01, 0x05]], // a tag over 32 bits: only the low 32 count
      ['envelope', [0x0a, 0x85, 0x80, 0x80, 0x80, 0x80, 0x00, 1, 2, 3, 4, 5]], // a 6-byte length
      ['channelHeader', [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]], // int32 -1
      ['channelHeader', [0x08, 0x83, 0x80, 0x80, 0x80, 0x10]], // int32 low bits
      ['channelHeader', [0x08, ...Array(10).fill(0x80), 0x01]], // an 11-byte varint
      ['channelHeader', [0x30, ...varint(2 ** 53 + 2)]], // uint64 past 2^53
      ['channelHeader', [0x30, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]], // uint64 max
      ['channelHeader', [0x22, 0x04, 0xff, 0xc3, 0x28, 0x41]], // lax UTF-8
      ['channelHeader', [0x22, 0x03, 0xed, 0xa0, 0x80, 0x2a, 0x01, 0x41]], // a lone surrogate
      ['channelHeader', [0x22, 0x02, 0x41, 0xe2, 0x2a, 0x01, 0x41]], // a cut sequence reads on into the next field
      ['channelHeader', [0x22, 0x02, 0x41, 0xe2]], // ... and past the end
      ['channelHeader', [0x22, 0x04, 0xf0, 0x9f, 0x98, 0x80, 0x22, 0x04, 0xf7, 0xbf, 0xbf, 0xbf]],
      ['channelHeader', [0x22, 0x04, 0xf0, 0x80, 0x80, 0x80]], // an overlong 4-byte sequence
      ['channelHeader', [0x1a, 0x02, 0x08, 0x05, 0x1a, 0x02, 0x10, 0x07]], // a repeated sub-message replaces, it does not merge
      ['channelHeader', [0x1a, 0x0b, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]], // negative seconds
      ['channelHeader', [0x1a, 0x02, 0x08, 0x80, 0x22, 0x01, 0x41]], // a varint running out of its sub-message
      ['channelHeader', [0x1a, 0x05, 0x08, 0x01, 0x0c, 0x10, 0x05, 0x22, 0x01, 0x41]], // END_GROUP inside a sub-message
      ['channelHeader', [0x1a, 0x09, 0x10, ...varint(999_999_999), 0x08, 0x7f]],
      ['serializedIdentity', [0x0a, 0x01, 0x41, 0x12, 0x01, 0x00]],
      ['serializedIdentity', [0x0a, 0x00, 0x12, 0x01, 0x00]],
      ['payload', [0x12, 0x00]], // no header
      ['payload', [0x0a, 0x00]], // an empty header
      ['chaincodeAction', [0x22, 0x00]],
      ['chaincodeAction', [0x1a, 0x00]],
      ['headerExtension', [0x0a, 0x02, 0x0a, 0x00, 0x12, 0x00]],
      ['block', [0x0a, 0x00, 0x12, 0x02, 0x0a, 0x00, 0x12, 0x02, 0x0a, 0x01, 0x1a, 0x04, 0x0a, 0x00, 0x0a, 0x00]],
      ['txRwSet', [0x08, 0x01]],
      ['txRwSet', [0x08, 0x80, 0x80, 0x80, 0x80, 0x10]], // data_model 2^32: an enum reads 64 bits
      ['txRwSet', [0x12, 0x05, 0x0a, 0x01, 0x41, 0x1a, 0x00, 0x12, 0x02, 0x1a, 0x00]],
      ['kvRwSet', [0x0a, 0x04, 0x12, 0x02, 0x08, 0x01, 0x0a, 0x06, 0x12, 0x04, 0x08, 0xff, 0xff, 0x7f]],
      ['kvRwSet', [0x0a, 0x0c, 0x12, 0x0a, 0x08, ...varint(2 ** 53 + 2)]],
      ['kvRwSet', [0x12, 0x08, 0x22, 0x00, 0x2a, 0x00, 0x22, 0x02, 0x0a, 0x00]], // oneof: the last member wins
      ['kvRwSet', [0x12, 0x06, 0x22, 0x00, 0x2a, 0x02, 0x08, 0x01]],
      ['kvRwSet', [0x12, 0x08, 0x2a, 0x06, 0x08, 0x85, 0x80, 0x80, 0x80, 0x10]], // uint32 of a 5-byte varint
      ['kvRwSet', [0x12, 0x09, 0x2a, 0x07, 0x08, 0x85, 0x80, 0x80, 0x80, 0x88, 0x00]], // ... of a 6-byte one (signed)
      ['kvRwSet', [0x1a, 0x07, 0x10, 0x80, 0x80, 0x80, 0x80, 0x10, 0x0a]], // bool of 2^32 is false
      ['kvRwSet', [0x1a, 0x02, 0x10, 0x02, 0x22, 0x02, 0x12, 0x00]],
      ['metadataValue', [0x12, 0x02, 0x0a, 0x00, 0x12, 0x02, 0x1a, 0x00]],
    ];
    const failures = cases.map(([kind, bytes]) => differ(kind, Uint8Array.from(bytes))).filter((d) => d !== undefined);
    expect(failures).toEqual([]);
  });

  it('agree on thousands of randomly mutated, truncated and generated byte strings', () => {
    const rng = new SeededRng(20261202);
    const samples = corpus();
    const failures: string[] = [];
    let accepted = 0;
    let tries = 0;
    const check = (kind: Kind, bytes: Uint8Array): void => {
      tries++;
      const d = differ(kind, bytes);
      if (d !== undefined) failures.push(d.slice(0, 600));
      else if (run(() => fast[kind](bytes)).ok) accepted++;
    };
    for (let i = 0; i < 12_000; i++) {
      const [kind, bytes] = samples[rng.nextInt(samples.length)]!;
      if (kind === 'block' && bytes.length > 20_000) continue; // mutating the big blocks adds time, not coverage
      check(kind, mutate(rng, bytes));
    }
    for (let i = 0; i < 6_000; i++) check(KINDS[rng.nextInt(KINDS.length)]!, randomMessage(rng));
    for (let i = 0; i < 2_000; i++) {
      const [kind, bytes] = samples[rng.nextInt(samples.length)]!;
      check(kind, bytes.subarray(0, rng.nextInt(bytes.length)));
    }
    expect(failures.slice(0, 5)).toEqual([]);
    // The mutations are not all rejected: many keep a decodable message, so results are compared too.
    expect(tries).toBeGreaterThan(15_000);
    expect(accepted).toBeGreaterThan(2_000);
  });

  it('decodes 10,000 endorser transactions faster than google-protobuf (printed: old vs new)', () => {
    const envelopes = parseBlock(vectorBytes('block105-10tx.pb')).data;
    const decodeAll = (p: typeof ref | typeof fastTx) => (envelope: Uint8Array): number => {
      const headers = p.envelopeHeaders(envelope);
      p.headerExtension(headers.channelHeader.extension);
      p.serializedIdentity(headers.signatureHeader.creator);
      let n = 0;
      for (const action of p.transaction(headers.payload.data).actions) {
        p.signatureHeader(action.header);
        const cap = p.actionPayload(action.payload);
        for (const e of cap.action.endorsements) n += p.serializedIdentity(e.endorser).idBytes.length;
        const prp = p.proposalResponsePayload(cap.action.proposalResponsePayload);
        const cca = p.chaincodeAction(prp.extension);
        n += p.txRwSet(cca.results).nsRwsets.length;
      }
      return n;
    };
    const time = (p: typeof ref | typeof fastTx): number => {
      const one = decodeAll(p);
      for (let i = 0; i < 2_000; i++) one(envelopes[i % envelopes.length]!); // warm up
      const started = performance.now();
      for (let i = 0; i < 10_000; i++) one(envelopes[i % envelopes.length]!);
      return performance.now() - started;
    };
    const oldMs = time(ref);
    const newMs = time(fastTx);
    console.log(`decode 10,000 endorser transactions (Envelope → KVRWSet, creator and endorser identities): google-protobuf ${oldMs.toFixed(0)} ms, wire reader ${newMs.toFixed(0)} ms (${(oldMs / newMs).toFixed(1)}x)`);
    expect(newMs).toBeLessThan(oldMs);
  });
});

const fastTx = {
  envelopeHeaders: (b: Uint8Array) => parseEnvelopeHeaders(b),
  headerExtension: parseChaincodeHeaderExtension,
  serializedIdentity: parseSerializedIdentity,
  transaction: parseTransaction,
  signatureHeader: (b: Uint8Array) => parseSignatureHeader(b),
  actionPayload: parseChaincodeActionPayload,
  proposalResponsePayload: parseProposalResponsePayload,
  chaincodeAction: parseChaincodeAction,
  txRwSet: parseTxRwSet,
};
