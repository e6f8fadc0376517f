/**
 * `fabsim channel join|list|remove` (Fabric's osnadmin) as a real child process against a real
 * orderer process: join from the genesis block file, list, a second join refused, remove, and the
 * "not reachable" error for an orderer that is not running; and `--peer` against a real peer process.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/repo.js';
import { CHANNEL, OrdererNetwork } from './helpers/orderer-network.js';

let net: OrdererNetwork;
let blockFile: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  // Two orderers in the config; only the first runs, the second is the "not running" one.
  net = await OrdererNetwork.create('channel-cli', { orderers: 2 });
  blockFile = join(net.dir, `${CHANNEL}.block`);
  writeFileSync(blockFile, net.genesisBlock);
  await net.start(0);
}, 60_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await net?.cleanup();
});

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function fabsimChannel(i: number, ...args: string[]): Promise<CliResult> {
  const n = net.node(i);
  return runChannel([...args, '--orderer', n.host, '--admin-port', String(n.adminPort)]);
}

/** `fabsim channel ARGS --config --crypto` as a child process (the caller names the node). */
function runChannel(args: readonly string[]): Promise<CliResult> {
  const argv = [join(REPO_ROOT, 'bin/fabsim.mjs'), 'channel', ...args, '--config', net.configPath, '--crypto', net.cryptoDir];
  return new Promise((resolve) => {
    const child = execFile(process.execPath, argv, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      children.delete(child);
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1;
      resolve({ code, stdout: stdout.trim(), stderr: stderr.split('\n').filter((l) => !/DeprecationWarning|trace-deprecation/.test(l)).join('\n').trim() });
    });
    children.add(child);
  });
}

it('joins, lists, refuses a second join, removes', async () => {
  const joined = await fabsimChannel(0, 'join', '--block', blockFile);
  expect(joined.stderr).toBe('');
  expect(joined.code).toBe(0);
  expect(joined.stdout).toBe(`orderer.example.com joined channel ${CHANNEL} (height 1)`);

  const listed = await fabsimChannel(0, 'list', '--json');
  expect(listed.code).toBe(0);
  const json = JSON.parse(listed.stdout) as { channels: Array<{ name: string; height: number }> };
  expect(json.channels.map((c) => c.name)).toEqual([CHANNEL]);
  expect(json.channels[0]!.height).toBeGreaterThanOrEqual(1);

  const human = await fabsimChannel(0, 'list');
  expect(human.code).toBe(0);
  expect(human.stdout.split('\n')[0]).toBe('channels of orderer.example.com:');
  expect(human.stdout).toContain(`  ${CHANNEL}  height`);

  const again = await fabsimChannel(0, 'join', '--block', blockFile);
  expect(again.code).toBe(1);
  expect(again.stdout).toBe('');
  expect(again.stderr.split('\n')).toHaveLength(1);
  expect(again.stderr).toMatch(/^fabsim: the orderer admin API at 127\.0\.0\.1:\d+ refused POST \/participation\/v1\/channels \(HTTP 409\): /);
  expect(again.stderr).toContain(CHANNEL);

  const removed = await fabsimChannel(0, 'remove', '--channel', CHANNEL);
  expect(removed.stderr).toBe('');
  expect(removed.code).toBe(0);
  expect(removed.stdout).toBe(`orderer.example.com left channel ${CHANNEL}`);

  const empty = await fabsimChannel(0, 'list', '--json');
  expect(empty.code).toBe(0);
  expect((JSON.parse(empty.stdout) as { channels: unknown[] }).channels).toEqual([]);
}, 60_000);

it('says the admin API is not reachable when the orderer is not running', async () => {
  const r = await fabsimChannel(1, 'list');
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr.split('\n')).toHaveLength(1);
  expect(r.stderr).toContain(`orderer admin API at 127.0.0.1:${net.node(1).adminPort} is not reachable`);
  expect(r.stderr).toContain('is the orderer running? start it with `npx fabsim node start orderer2.example.com`');
}, 30_000);

it('joins a peer from the genesis block file, lists it, refuses a second join, and refuses --orderer with --peer', async () => {
  // One real peer process (`fabsim node start peer0.org1.example.com ...`); its deliver client has
  // no orderer that serves the channel's next block, so it keeps retrying and the height stays 1.
  const peer = net.peer(0);
  const onPeer = (...args: string[]): Promise<CliResult> => runChannel([...args, '--peer', peer.host, '--admin-port', String(peer.adminPort)]);
  await net.startPeer(0);
  try {
    const joined = await onPeer('join', '--block', blockFile);
    expect(joined.stderr).toBe('');
    expect(joined.code).toBe(0);
    expect(joined.stdout).toBe(`${peer.host} joined channel ${CHANNEL} (height 1)`);

    const listed = await onPeer('list', '--json');
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    const json = JSON.parse(listed.stdout) as { channels: Array<{ name: string; height: number; stateHash: string; orderer: string }> };
    expect(json.channels.map((c) => c.name)).toEqual([CHANNEL]);
    expect(json.channels[0]).toMatchObject({ height: 1, stateHash: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const human = await onPeer('list');
    expect(human.code).toBe(0);
    expect(human.stdout.split('\n')).toEqual([`channels of ${peer.host}:`, `  ${CHANNEL}  height 1  active`]);

    const again = await onPeer('join', '--block', blockFile);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr.split('\n')).toHaveLength(1);
    expect(again.stderr).toMatch(new RegExp(`^fabsim: .*admin API at 127\\.0\\.0\\.1:${peer.adminPort} refused POST /participation/v1/channels \\(HTTP 409\\): `));
    expect(again.stderr).toContain(`this peer has already joined channel ${CHANNEL}`);

    const both = await runChannel(['list', '--orderer', net.node(0).host, '--peer', peer.host]);
    expect(both.code).toBe(1);
    expect(both.stdout).toBe('');
    expect(both.stderr).toBe('fabsim: pass either --orderer HOST or --peer HOST, not both');

    // The peer is still at height 1 and still lists the channel once.
    const still = await onPeer('list', '--json');
    expect((JSON.parse(still.stdout) as { channels: Array<{ name: string; height: number }> }).channels).toMatchObject([{ name: CHANNEL, height: 1 }]);
  } finally {
    await net.killPeer(0);
  }
}, 90_000);
