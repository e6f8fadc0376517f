import type { KvMetadataEntry } from '../../protos/rwset.js';

/**
 * The bytes a key's state metadata is stored as (Fabric's statemetadata.Serialize): a
 * `kvrwset.KVMetadataWrite` with an empty key and the entries in the order the transaction wrote
 * them. Encoded here by hand (field 2, repeated KVMetadataEntry{1: name, 2: value}) because
 * src/protos/rwset.ts has no builder for it yet; it belongs there as `buildStateMetadata`.
 */
export function serializeStateMetadata(entries: readonly KvMetadataEntry[]): Uint8Array {
  const encoder = new TextEncoder();
  const parts: number[] = [];
  for (const entry of entries) {
    const inner: number[] = [];
    const name = encoder.encode(entry.name);
    if (name.length > 0) pushField(inner, 1, name);
    if (entry.value.length > 0) pushField(inner, 2, entry.value);
    pushField(parts, 2, Uint8Array.from(inner));
  }
  return Uint8Array.from(parts);
}

/** A length-delimited field: tag (field << 3 | 2), varint length, bytes. */
function pushField(out: number[], field: number, bytes: Uint8Array): void {
  pushVarint(out, (field << 3) | 2);
  pushVarint(out, bytes.length);
  for (const b of bytes) out.push(b);
}

function pushVarint(out: number[], value: number): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}
