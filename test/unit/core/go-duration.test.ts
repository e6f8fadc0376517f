import { describe, expect, it } from 'vitest';
import { formatGoDuration, parseGoDuration } from '../../../src/core/go-duration.js';

describe("Go's time.Duration text (BatchTimeout, Raft tick_interval)", () => {
  it('formats like Duration.String()', () => {
    const cases: Array<[number, string]> = [
      [0, '0s'],
      [2000, '2s'],
      [500, '500ms'],
      [1500, '1.5s'],
      [90_000, '1m30s'],
      [120_000, '2m0s'],
      [3_600_000, '1h0m0s'],
      [3_723_500, '1h2m3.5s'],
      [0.001, '1µs'],
      [0.0015, '1.5µs'],
      [0.000001, '1ns'],
      [1.25, '1.25ms'],
    ];
    for (const [ms, text] of cases) expect(formatGoDuration(ms), `${ms} ms`).toBe(text);
    expect(() => formatGoDuration(-1)).toThrow(RangeError);
  });

  it('parses like time.ParseDuration, and refuses what Go refuses', () => {
    expect(parseGoDuration('2s')).toBe(2000);
    expect(parseGoDuration('500ms')).toBe(500);
    expect(parseGoDuration('1m30s')).toBe(90_000);
    expect(parseGoDuration('1.5h')).toBe(5_400_000);
    expect(parseGoDuration('.5s')).toBe(500);
    expect(parseGoDuration('300us')).toBe(0.3);
    expect(parseGoDuration('300µs')).toBe(0.3);
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('-2s')).toBe(-2000);
    for (const bad of ['', '2', 's', '2 s', '2sec', '1.2.3s', 'two seconds', '2s ']) expect(parseGoDuration(bad), bad).toBeUndefined();
  });

  it('round-trips what configtxgen writes', () => {
    for (const text of ['2s', '500ms', '1m30s', '1h0m0s', '250ms']) expect(formatGoDuration(parseGoDuration(text) as number)).toBe(text);
  });
});
