/**
 * Bytewise lexicographic order, the order of LevelDB's default comparator and of Fabric's range
 * queries: compare byte by byte as unsigned values; a proper prefix sorts first.
 */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.byteLength - b.byteLength;
}

/** `prefix` followed by `rest`, as a new array. */
export function concatBytes(prefix: Uint8Array, rest: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.byteLength + rest.byteLength);
  out.set(prefix, 0);
  out.set(rest, prefix.byteLength);
  return out;
}

/**
 * The smallest key greater than every key that starts with `prefix` (drop trailing 0xff bytes, then
 * increment the last byte), or undefined when no such key exists (the prefix is empty or all 0xff).
 */
export function prefixUpperBound(prefix: Uint8Array): Uint8Array | undefined {
  let end = prefix.byteLength;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  if (end === 0) return undefined;
  const out = prefix.slice(0, end);
  out[end - 1] = (out[end - 1] as number) + 1;
  return out;
}

export function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.byteLength < prefix.byteLength) return false;
  for (let i = 0; i < prefix.byteLength; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}
