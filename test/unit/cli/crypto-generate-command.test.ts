import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, REPO_ROOT } from '../../helpers/repo.js';

const run = promisify(execFile);
const temp = makeTempDir('cli');
afterAll(() => temp.cleanup());

/** Runs the real `fabsim` bin as a user would (`npx fabsim ...` runs this same file). */
async function fabsim(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(REPO_ROOT, 'bin/fabsim.mjs'), ...args], { cwd: temp.dir, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('fabsim crypto generate', () => {
  it('writes the default network\'s material, then keeps it', async () => {
    const config = join(REPO_ROOT, 'config/network.yaml');
    const first = await fabsim('crypto', 'generate', '--config', config, '--out', 'orgs');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/wrote Org1\s+orgs\/peerOrganizations\/org1\.example\.com/);
    expect(existsSync(join(temp.dir, 'orgs/peerOrganizations/org2.example.com/users/User1@org2.example.com/msp/keystore/priv_sk'))).toBe(true);
    const second = await fabsim('crypto', 'generate', '--config', config, '--out', 'orgs');
    expect(second.stdout).toMatch(/kept {2}OrdererOrg/);
    expect(second.stdout).toContain('use --force to regenerate');
  });

  it('fails with a one-line reason, and writes nothing, for a bad config', async () => {
    const bad = join(temp.dir, 'bad.yaml');
    writeFileSync(bad, 'organizations:\n  - { name: Org1, mspId: Org1MSP, domain: org1.example.com, peers: [{ name: peer0, port: 99999 }] }\n');
    const result = await fabsim('crypto', 'generate', '--config', bad, '--out', 'bad-out');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('organizations[0].peers[0].port: expected a port from 1024 to 65535, got 99999');
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace for a user error
    expect(existsSync(join(temp.dir, 'bad-out'))).toBe(false);
  });
});
