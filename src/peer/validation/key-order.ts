/**
 * World-state keys are compared in bytewise UTF-8 order, as Fabric's LevelDB state database and
 * src/storage iterate them. JavaScript's `<` compares UTF-16 code units, which differs from UTF-8
 * byte order for characters beyond U+FFFF against U+E000..U+FFFF; comparing code points agrees
 * with UTF-8 byte order.
 */
export function compareKeys(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.codePointAt(i) ?? 0;
    const cb = b.codePointAt(j) ?? 0;
    if (ca !== cb) return ca < cb ? -1 : 1;
    i += ca > 0xffff ? 2 : 1;
    j += cb > 0xffff ? 2 : 1;
  }
  const restA = a.length - i;
  const restB = b.length - j;
  return restA === restB ? 0 : restA < restB ? -1 : 1;
}

/** Whether `key` is in [startKey, endKey) — or [startKey, endKey] with `includeEndKey`; an empty endKey is unbounded. */
export function keyInRange(key: string, startKey: string, endKey: string, includeEndKey: boolean): boolean {
  if (compareKeys(key, startKey) < 0) return false;
  if (endKey === '') return true;
  const c = compareKeys(key, endKey);
  return c < 0 || (includeEndKey && c === 0);
}
