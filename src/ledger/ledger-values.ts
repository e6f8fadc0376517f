import { TxValidationCode, type TxValidationCodeName } from '../protos/tx-validation-code.js';
import { ByteReader, ByteWriter } from './byte-writer.js';
import type { Height, VersionedValue } from './ledger-types.js';

/**
 * The values of the peer ledger's records (keys in ledger-keys.ts), big-endian (byte-writer.ts):
 *
 *   versioned value  u8 flags (bit 0: has metadata) ‖ u64 blockNum ‖ u32 txNum ‖ [u32 len ‖ metadata] ‖ value
 *                    (the version first, so a range scan that needs only versions reads 13 bytes)
 *   history record   u8 isDelete ‖ u32 len ‖ txId ‖ value (empty for a delete)
 *   tx location      u64 blockNum ‖ u32 txNum ‖ u8 TxValidationCode ‖ [UTF-8 explanation, to the end]
 *   block number     u64 blockNum                       (block-by-hash index)
 *
 * Decoders throw RangeError on truncated records; PeerLedger reports them as LEDGER_CORRUPT.
 */

const HAS_METADATA = 0x01;

export function encodeVersionedValue(value: Uint8Array, version: Height, metadata: Uint8Array | undefined): Uint8Array {
  const w = new ByteWriter(value.byteLength + (metadata?.byteLength ?? 0) + 17);
  w.u8(metadata === undefined ? 0 : HAS_METADATA)
    .u64(version.blockNum)
    .u32(version.txNum);
  if (metadata !== undefined) w.lpBytes(metadata);
  return w.bytes(value).finish();
}

export function decodeVersionedValue(bytes: Uint8Array): VersionedValue {
  const r = new ByteReader(bytes);
  const flags = r.u8();
  const version = { blockNum: r.u64(), txNum: r.u32() };
  if ((flags & HAS_METADATA) !== 0) {
    const metadata = r.lpBytes();
    return { value: r.rest(), version, metadata };
  }
  return { value: r.rest(), version };
}

export function decodeVersion(bytes: Uint8Array): Height {
  const r = new ByteReader(bytes, 1);
  return { blockNum: r.u64(), txNum: r.u32() };
}

export function encodeHistoryRecord(txId: string, isDelete: boolean, value: Uint8Array): Uint8Array {
  return new ByteWriter(txId.length + value.byteLength + 8)
    .u8(isDelete ? 1 : 0)
    .lpUtf8(txId)
    .bytes(value)
    .finish();
}

export function decodeHistoryRecord(bytes: Uint8Array): { txId: string; isDelete: boolean; value: Uint8Array } {
  const r = new ByteReader(bytes);
  const isDelete = r.u8() === 1;
  const txId = r.lpUtf8();
  return { txId, isDelete, value: r.rest() };
}

const CODE_NAMES = new Map<number, TxValidationCodeName>(Object.entries(TxValidationCode).map(([name, code]) => [code, name as TxValidationCodeName]));

export function encodeTxLocation(blockNum: number, txNum: number, code: TxValidationCodeName, explanation?: string): Uint8Array {
  const w = new ByteWriter(13 + (explanation === undefined ? 0 : explanation.length * 3)).u64(blockNum).u32(txNum).u8(TxValidationCode[code]);
  if (explanation !== undefined) w.utf8(explanation);
  return w.finish();
}

const utf8 = new TextDecoder();

export function decodeTxLocation(bytes: Uint8Array): { blockNum: number; txNum: number; code: TxValidationCodeName; explanation?: string } {
  const r = new ByteReader(bytes);
  const blockNum = r.u64();
  const txNum = r.u32();
  const byte = r.u8();
  const code = CODE_NAMES.get(byte);
  if (code === undefined) throw new RangeError(`unknown TxValidationCode ${byte}`);
  if (r.remaining === 0) return { blockNum, txNum, code };
  return { blockNum, txNum, code, explanation: utf8.decode(r.rest()) };
}

export function encodeBlockNumber(blockNum: number): Uint8Array {
  return new ByteWriter(8).u64(blockNum).finish();
}

export function decodeBlockNumber(bytes: Uint8Array): number {
  return new ByteReader(bytes).u64();
}
