/** `fabsim node start` refuses bad input with one clear line naming what to do. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { makeTempDir, REPO_ROOT } from '../helpers/repo.js';

const temp = makeTempDir('orderer-node-start');
afterAll(() => temp.cleanup());

function fabsim(...args: string[]): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/fabsim.mjs'), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stderr: r.stderr.split('\n').filter((l) => !/DeprecationWarning|trace-deprecation/.test(l)).join('\n').trim() };
}

it('names the orderers and peers of the config when the host is unknown', () => {
  const r = fabsim('node', 'start', 'nosuch.example.com', '--crypto', join(temp.dir, 'organizations'));
  expect(r.code).toBe(1);
  expect(r.stderr).toBe(
    'fabsim: no orderer or peer named nosuch.example.com in the network config (orderers: orderer.example.com, orderer2.example.com, orderer3.example.com; peers: peer0.org1.example.com, peer0.org2.example.com); pass one of them, or the --config that defines it',
  );
}, 60_000);

it('says to run `npx fabsim crypto generate` when the crypto material is missing', () => {
  const r = fabsim('node', 'start', 'orderer.example.com', '--crypto', join(temp.dir, 'organizations'), '--data', join(temp.dir, 'data'));
  expect(r.code).toBe(1);
  expect(r.stderr.split('\n')).toHaveLength(1);
  expect(r.stderr).toContain('run `npx fabsim crypto generate');
}, 60_000);
