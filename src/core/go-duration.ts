/**
 * Go's `time.Duration` text, which Fabric puts in channel configs: `orderer.BatchTimeout.timeout`
 * ("2s") and the etcdraft `Options.tick_interval` ("500ms"), and which Fabric's orderer reads with
 * `time.ParseDuration`. fabsim models durations as milliseconds (`batchTimeoutMs`) and converts at
 * the edges with these two functions.
 */

const NS_PER_MS = 1e6;

/** Nanoseconds per unit, as Go's ParseDuration names the units (µ is U+00B5, μ is U+03BC). */
const UNIT_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  '\u00b5s': 1e3,
  '\u03bcs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/**
 * Parses Go duration text (`2s`, `500ms`, `1m30s`, `1.5h`, `0`) into milliseconds, as Go's
 * `time.ParseDuration` does: a sequence of decimal numbers, each with an optional fraction and a
 * unit (ns, us/µs, ms, s, m, h), optionally signed; a bare `0` is allowed. Returns undefined for
 * anything else, so callers can word their own error.
 */
export function parseGoDuration(text: string): number | undefined {
  const match = /^([-+]?)(.*)$/s.exec(text);
  const sign = match?.[1] === '-' ? -1 : 1;
  let rest = match?.[2] ?? '';
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let ns = 0;
  while (rest !== '') {
    const part = /^(\d*)(?:\.(\d*))?([a-zµμ]+)/u.exec(rest);
    if (!part) return undefined;
    const [whole, int = '', frac, unit = ''] = part;
    const unitNs = UNIT_NS[unit];
    if (unitNs === undefined || (int === '' && (frac ?? '') === '')) return undefined;
    ns += Number(`${int === '' ? '0' : int}.${frac ?? ''}0`) * unitNs;
    rest = rest.slice(whole.length);
  }
  return (sign * ns) / NS_PER_MS;
}

/**
 * Formats milliseconds as Go's `Duration.String()` does, which is what configtxgen writes for
 * BatchTimeout: `2s`, `500ms`, `1m30s`, `1h0m0s`, `1.5s`, `0s`. Precision is one nanosecond.
 */
export function formatGoDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`formatGoDuration takes a non-negative number of milliseconds, got ${ms}`);
  const ns = Math.round(ms * NS_PER_MS);
  if (!Number.isSafeInteger(ns)) throw new RangeError(`formatGoDuration: ${ms} ms is too long to format exactly`);
  if (ns === 0) return '0s';
  if (ns < 1e3) return `${ns}ns`;
  if (ns < 1e6) return `${fraction(ns, 3)}\u00b5s`;
  if (ns < 1e9) return `${fraction(ns, 6)}ms`;
  const totalSeconds = Math.floor(ns / 1e9);
  const seconds = `${totalSeconds % 60}${fraction(ns % 1e9, 9).replace(/^\d+/, '')}s`;
  const totalMinutes = Math.floor(totalSeconds / 60);
  if (totalMinutes === 0) return seconds;
  const hours = Math.floor(totalMinutes / 60);
  return `${hours > 0 ? `${hours}h` : ''}${totalMinutes % 60}m${seconds}`;
}

/** `value / 10^digits` in decimal, without trailing zeros or a trailing point (Go's fmtFrac + fmtInt). */
function fraction(value: number, digits: number): string {
  const scale = 10 ** digits;
  const int = Math.floor(value / scale);
  const frac = String(value % scale).padStart(digits, '0').replace(/0+$/, '');
  return frac === '' ? String(int) : `${int}.${frac}`;
}
