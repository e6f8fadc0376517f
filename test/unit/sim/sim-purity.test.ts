import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/repo.js';

/**
 * src/sim is a deterministic composition root: it may import src/core and src/raft, but only its
 * command entries (*-main.ts) may touch the process, node built-ins or the wall clock; everything
 * else runs on the virtual clock and seeded streams, or a seed would not replay.
 */
const SIM = join(REPO_ROOT, 'src', 'sim');
const BANNED: [RegExp, string][] = [
  [/from ['"]node:/, 'a node built-in'],
  [/\bDate\.now\(|\bnew Date\(/, 'the wall clock'],
  [/\bperformance\.now\(/, 'the wall clock'],
  [/\bMath\.random\(/, 'Math.random'],
  [/\bset(Timeout|Interval|Immediate)\(/, 'a real timer'],
  [/\bprocess\./, 'the process'],
  [/from ['"]\.\.\/(?!core\/|raft\/)/, 'a layer other than core and raft'],
];

describe('src/sim stays deterministic', () => {
  const files = readdirSync(SIM).filter((f) => f.endsWith('.ts'));

  it('has its command entry and library files', () => {
    expect(files).toContain('raft-sweep-main.ts');
    expect(files.length).toBeGreaterThan(5);
  });

  for (const file of files.filter((f) => !f.endsWith('-main.ts'))) {
    it(`${file} uses no I/O, wall clock, real timers or Math.random`, () => {
      const code = readFileSync(join(SIM, file), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '');
      for (const [pattern, what] of BANNED) expect(pattern.test(code), `${file} uses ${what}`).toBe(false);
    });
  }
});
