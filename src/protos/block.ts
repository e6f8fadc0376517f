import { createHash } from 'node:crypto';
import { common } from '@hyperledger/fabric-protos';
import { derInteger, derOctetString, derSequence } from './der.js';
import { decodeProto } from './proto-error.js';
import { noBytes, WireReader } from './wire-reader.js';

/**
 * Fabric blocks (`common.Block`): a header chained by hash, the transactions (each an Envelope's
 * bytes) and five metadata slots. See ../shared/fabric-vectors/README.md for the real layout.
 */

/** The metadata slots, in Fabric's order (common.BlockMetadataIndex). */
export const BlockMetadataSlot = {
  SIGNATURES: 0,
  /** Deprecated in Fabric 2.x (the last config index lives in SIGNATURES' OrdererBlockMetadata), still present. */
  LAST_CONFIG: 1,
  /** One TxValidationCode byte per transaction, filled in by the committing peer. */
  TRANSACTIONS_FILTER: 2,
  /** Deprecated. */
  ORDERER: 3,
  COMMIT_HASH: 4,
} as const;
export const BLOCK_METADATA_SLOTS = 5;

export interface BlockHeader {
  readonly number: number;
  readonly previousHash: Uint8Array;
  readonly dataHash: Uint8Array;
}

export interface Block {
  readonly header: BlockHeader;
  /** Each element is one serialized common.Envelope. */
  readonly data: readonly Uint8Array[];
  /** Always BLOCK_METADATA_SLOTS entries (empty ones are zero-length). */
  readonly metadata: readonly Uint8Array[];
}

/** Fabric's BlockHeaderBytes: the ASN.1 DER the chain hashes, not the protobuf. */
export function blockHeaderBytes(header: BlockHeader): Uint8Array {
  return derSequence(derInteger(BigInt(header.number)), derOctetString(header.previousHash), derOctetString(header.dataHash));
}

/** SHA-256 of the header's DER: the next block's previous_hash. */
export function blockHeaderHash(header: BlockHeader): Uint8Array {
  return sha256(blockHeaderBytes(header));
}

/** SHA-256 over the concatenated transaction bytes (Fabric's BlockDataHashingStructure width = MaxUint32). */
export function blockDataHash(data: readonly Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const d of data) hash.update(d);
  return new Uint8Array(hash.digest());
}

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

export function buildBlock(block: Block): Uint8Array {
  const header = new common.BlockHeader();
  header.setNumber(block.header.number);
  header.setPreviousHash(block.header.previousHash);
  header.setDataHash(block.header.dataHash);
  const data = new common.BlockData();
  data.setDataList([...block.data]);
  const metadata = new common.BlockMetadata();
  const slots = [...block.metadata];
  while (slots.length < BLOCK_METADATA_SLOTS) slots.push(new Uint8Array());
  metadata.setMetadataList(slots);
  const message = new common.Block();
  message.setHeader(header);
  message.setData(data);
  message.setMetadata(metadata);
  return message.serializeBinary();
}

export function parseBlock(bytes: Uint8Array): Block {
  const r = WireReader.of(bytes, 'common.Block');
  let header: BlockHeader | undefined;
  let data: Uint8Array[] = [];
  let metadata: Uint8Array[] = [];
  while (r.next()) {
    switch (r.field) {
      case 1: header = readBlockHeader(r.message('common.BlockHeader')); break;
      // A repeated sub-message field seen twice replaces the first (google-protobuf does not merge).
      case 2: data = readBytesList(r.message('common.BlockData')); break;
      case 3: metadata = readBytesList(r.message('common.BlockMetadata')); break;
      default: r.skip();
    }
  }
  if (!header) throw r.error('it has no header');
  return { header, data, metadata: Array.from({ length: BLOCK_METADATA_SLOTS }, (_, i) => metadata[i] ?? new Uint8Array()) };
}

function readBlockHeader(r: WireReader): BlockHeader {
  let number = 0;
  let previousHash: Uint8Array | undefined;
  let dataHash: Uint8Array | undefined;
  while (r.next()) {
    switch (r.field) {
      case 1: number = r.uint64(); break;
      case 2: previousHash = r.bytes(); break;
      case 3: dataHash = r.bytes(); break;
      default: r.skip();
    }
  }
  return { number, previousHash: previousHash ?? noBytes(), dataHash: dataHash ?? noBytes() };
}

/** BlockData / BlockMetadata: `repeated bytes` field 1. */
function readBytesList(r: WireReader): Uint8Array[] {
  const list: Uint8Array[] = [];
  while (r.next()) {
    if (r.field === 1) list.push(r.bytes());
    else r.skip();
  }
  return list;
}

/** `common.Metadata`: a slot's value and the signatures over it. */
export interface BlockMetadataValue {
  readonly value: Uint8Array;
  readonly signatures: ReadonlyArray<{ readonly signatureHeader: Uint8Array; readonly signature: Uint8Array }>;
}

export function buildMetadataValue(m: BlockMetadataValue): Uint8Array {
  const message = new common.Metadata();
  message.setValue(m.value);
  message.setSignaturesList(
    m.signatures.map((s) => {
      const sig = new common.MetadataSignature();
      sig.setSignatureHeader(s.signatureHeader);
      sig.setSignature(s.signature);
      return sig;
    }),
  );
  return message.serializeBinary();
}

export function parseMetadataValue(bytes: Uint8Array): BlockMetadataValue {
  const r = WireReader.of(bytes, 'common.Metadata');
  let value: Uint8Array | undefined;
  const signatures: Array<{ signatureHeader: Uint8Array; signature: Uint8Array }> = [];
  while (r.next()) {
    switch (r.field) {
      case 1: value = r.bytes(); break;
      case 2: {
        const m = r.message('common.MetadataSignature');
        let signatureHeader: Uint8Array | undefined;
        let signature: Uint8Array | undefined;
        while (m.next()) {
          switch (m.field) {
            case 1: signatureHeader = m.bytes(); break;
            case 2: signature = m.bytes(); break;
            case 3: m.bytes(); break; // identifier_header (BFT), not modelled
            default: m.skip();
          }
        }
        signatures.push({ signatureHeader: signatureHeader ?? noBytes(), signature: signature ?? noBytes() });
        break;
      }
      default: r.skip();
    }
  }
  return { value: value ?? noBytes(), signatures };
}

/**
 * The bytes an orderer signs for a block (Fabric's block signature, checked by peers' block
 * verification): metadata value ‖ signature header ‖ BlockHeaderBytes(header).
 */
export function blockSignatureMessage(metadataValue: Uint8Array, signatureHeader: Uint8Array, header: BlockHeader): Uint8Array {
  const headerBytes = blockHeaderBytes(header);
  const out = new Uint8Array(metadataValue.length + signatureHeader.length + headerBytes.length);
  out.set(metadataValue, 0);
  out.set(signatureHeader, metadataValue.length);
  out.set(headerBytes, metadataValue.length + signatureHeader.length);
  return out;
}

/** `common.OrdererBlockMetadata`, the SIGNATURES slot's value: last config index and consenter metadata. */
export interface OrdererBlockMetadata {
  readonly lastConfigIndex: number;
  readonly consenterMetadata: Uint8Array;
}

export function buildOrdererBlockMetadata(m: OrdererBlockMetadata): Uint8Array {
  const lastConfig = new common.LastConfig();
  lastConfig.setIndex(m.lastConfigIndex);
  const message = new common.OrdererBlockMetadata();
  message.setLastConfig(lastConfig);
  message.setConsenterMetadata(m.consenterMetadata);
  return message.serializeBinary();
}

export function parseOrdererBlockMetadata(bytes: Uint8Array): OrdererBlockMetadata {
  const message = decodeProto('common.OrdererBlockMetadata', () => common.OrdererBlockMetadata.deserializeBinary(bytes));
  return { lastConfigIndex: message.getLastConfig()?.getIndex() ?? 0, consenterMetadata: message.getConsenterMetadata_asU8() };
}
