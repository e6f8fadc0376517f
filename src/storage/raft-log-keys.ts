/**
 * Where DurableRaftLog keeps a Raft group's state inside a KvStore, under `raft/<namespace>/`:
 *   h                  the HardState (term, vote, commit)
 *   s                  the latest Snapshot (its metadata and the application state)
 *   e<index: u64 BE>   one log Entry per key; big-endian so that bytewise order is numeric order
 */
export const HARD_STATE_KEY = Uint8Array.of(0x68); // 'h'
export const SNAPSHOT_KEY = Uint8Array.of(0x73); // 's'
export const ENTRY_TAG = 0x65; // 'e'
export const ENTRY_KEY_BYTES = 9;

export function raftLogPrefix(namespace: string): Uint8Array {
  return new TextEncoder().encode(`raft/${namespace}/`);
}

export function entryKey(index: number): Uint8Array {
  const key = new Uint8Array(ENTRY_KEY_BYTES);
  const view = new DataView(key.buffer);
  key[0] = ENTRY_TAG;
  view.setUint32(1, Math.floor(index / 0x1_0000_0000));
  view.setUint32(5, index % 0x1_0000_0000);
  return key;
}

/** The index in an entry key, or undefined when `key` is not one. */
export function entryKeyIndex(key: Uint8Array): number | undefined {
  if (key.byteLength !== ENTRY_KEY_BYTES || key[0] !== ENTRY_TAG) return undefined;
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  const index = view.getUint32(1) * 0x1_0000_0000 + view.getUint32(5);
  return Number.isSafeInteger(index) ? index : undefined;
}
