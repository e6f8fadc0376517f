/**
 * The Must show of the peer-ledger issue, with real processes: three Raft orderers and two peers
 * (peer0.org1, peer0.org2), all `fabsim node start`, gRPC + TLS on 127.0.0.1. Endorsed transactions
 * (real signatures of User1@org1 and both peers) are broadcast; both peers pull the blocks from the
 * orderers, validate and commit them, give every transaction the same TxValidationCode, and report
 * the same state hash at every height. One peer is SIGKILLed while blocks keep coming, restarted,
 * catches up from the orderers, and agrees again. The CLI's `fabsim ledger` reads the verdicts back
 * through QSCC, and the official @hyperledger/fabric-gateway client reads blocks, filtered blocks and
 * blocks with private data from a peer's Deliver service.
 */
import { spawnSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connect, signers } from '@hyperledger/fabric-gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/core/bytes.js';
import { PeerLedger } from '../../src/ledger/peer-ledger.js';
import type { SigningIdentity } from '../../src/msp/signing-identity.js';
import { BlockMetadataSlot, parseBlock } from '../../src/protos/block.js';
import { txValidationCodeName } from '../../src/protos/tx-validation-code.js';
import { LevelKvStore } from '../../src/storage/level-kv-store.js';
import { prefixed } from '../../src/storage/prefixed-kv-store.js';
import { buildEndorsedTransaction, type NsRwSetSpec } from '../helpers/endorsed-transaction.js';
import { REPO_ROOT } from '../helpers/repo.js';
import { CHANNEL, OrdererNetwork, waitFor } from './helpers/orderer-network.js';

let net: OrdererNetwork;
let user: SigningIdentity;
let peer1: SigningIdentity;
let peer2: SigningIdentity;

beforeAll(async () => {
  net = await OrdererNetwork.create('peer-commit', {
    batchTimeout: '200ms',
    maxMessageCount: 25,
    chaincodes: [{ name: 'basic', endorsementPolicy: "AND('Org1MSP.peer','Org2MSP.peer')" }],
  });
  await net.startAll();
  for (const n of net.nodes) await net.join(n.index);
  await Promise.all([net.startPeer(0), net.startPeer(1)]);
  await net.joinPeer(0);
  await net.joinPeer(1);
  [user, peer1, peer2] = await Promise.all([net.user('org1'), net.peerIdentity(0), net.peerIdentity(1)]);
}, 180_000);

afterAll(async () => {
  await net?.cleanup({ keepDir: process.env['KEEP_PEER_DIR'] === '1' });
});

function tx(rwset: NsRwSetSpec, endorsers: readonly SigningIdentity[] = [peer1, peer2]): { envelope: Uint8Array; txId: string } {
  return buildEndorsedTransaction({ channelId: CHANNEL, creator: user, endorsers, chaincode: { name: 'basic' }, rwsets: [rwset], timestampMs: Date.now() });
}

const asset = (id: string, owner: string): string => JSON.stringify({ ID: id, Color: 'blue', Size: 5, Owner: owner, AppraisedValue: 300 });

/** Broadcasts to the Raft leader; retries an envelope refused while there is no leader. */
async function broadcast(envelopes: readonly Uint8Array[]): Promise<void> {
  const leader = await net.waitForLeader();
  const conn = net.connect(leader);
  const stream = conn.broadcastStream();
  try {
    for (const env of envelopes) {
      const r = await stream.send(env);
      if (r.status !== 'SUCCESS') throw new Error(`broadcast refused: ${r.status} ${r.info}`);
    }
  } finally {
    stream.close();
    conn.close();
  }
}

/** The height of the first running orderer. */
async function ordererHeight(): Promise<number> {
  const [first] = net.running();
  return first === undefined ? 0 : ((await net.channelInfo(first.index))?.height ?? 0);
}

/** `committed block` log lines of a peer: block number → state hash (a restarted peer appends to the same log). */
function stateHashesInLog(j: number): Map<number, string> {
  const hashes = new Map<number, string>();
  for (const line of net.peerLog(j).split('\n')) {
    if (!line.includes('"event":"committed block"')) continue;
    const entry = JSON.parse(line) as { number: number; stateHash: string };
    hashes.set(entry.number, entry.stateHash);
  }
  return hashes;
}

function ledger(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/fabsim.mjs'), 'ledger', ...args, '--config', net.configPath, '--crypto', net.cryptoDir], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('two peers and three orderers', () => {
  const txIds: Record<'valid' | 'mvcc' | 'policy', string> = { valid: '', mvcc: '', policy: '' };

  it('commit the same blocks with the same verdicts and the same state hash at every height', async () => {
    const first = Array.from({ length: 60 }, (_, i) => tx({ namespace: 'basic', reads: [{ key: `asset${i}` }], writes: [{ key: `asset${i}`, value: asset(`asset${i}`, 'Tomoko') }] }));
    txIds.valid = first[0]!.txId;
    await broadcast(first.map((t) => t.envelope));
    let height = 0;
    await waitFor('the orderers to cut the first 60 transactions', async () => (height = await ordererHeight()) >= 4, 30_000);
    await Promise.all([net.waitForPeerHeight(0, height), net.waitForPeerHeight(1, height)]);
    // asset0 now exists: a transaction that read it as absent conflicts; one endorsed by Org1 only fails AND(Org1, Org2).
    const stale = tx({ namespace: 'basic', reads: [{ key: 'asset0' }], writes: [{ key: 'asset0', value: asset('asset0', 'Max') }] });
    const oneOrg = tx({ namespace: 'basic', reads: [{ key: 'solo' }], writes: [{ key: 'solo', value: asset('solo', 'Adriana') }] }, [peer1]);
    const fresh = tx({ namespace: 'basic', reads: [{ key: 'asset100' }], writes: [{ key: 'asset100', value: asset('asset100', 'Michel') }] });
    txIds.mvcc = stale.txId;
    txIds.policy = oneOrg.txId;
    await broadcast([stale.envelope, oneOrg.envelope, fresh.envelope]);
    await waitFor('the block with the last three transactions', async () => (await ordererHeight()) > height, 30_000);
    height = await ordererHeight();
    await Promise.all([net.waitForPeerHeight(0, height), net.waitForPeerHeight(1, height)]);

    const infos = await Promise.all([net.peerInfo(0), net.peerInfo(1)]);
    expect(infos[0]?.height).toBe(height);
    expect(infos[0]?.stateHash).toMatch(/^[0-9a-f]{64}$/);
    expect(infos[1]?.stateHash).toBe(infos[0]?.stateHash);
    const logs = [stateHashesInLog(0), stateHashesInLog(1)];
    for (let n = 0; n < height; n++) {
      expect(logs[0]!.get(n), `state hash of block ${n} on peer0.org1`).toMatch(/^[0-9a-f]{64}$/);
      expect(logs[1]!.get(n), `state hash of block ${n} on peer0.org2`).toBe(logs[0]!.get(n));
    }
  }, 120_000);

  it('answer ledger queries (QSCC) with each transaction\'s validation code, through the CLI', () => {
    const info = ledger('info', '--peer', 'peer0.org2.example.com', '--channel', CHANNEL, '--json');
    expect(info.stderr).toBe('');
    expect(info.code).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ height: expect.any(Number) });
    const codes = Object.fromEntries(
      Object.entries(txIds).map(([label, id]) => {
        const r = ledger('tx', '--peer', 'peer0.org1.example.com', '--channel', CHANNEL, '--txid', id, '--json');
        expect(r.code, r.stderr).toBe(0);
        return [label, (JSON.parse(r.stdout) as { validation: string }).validation];
      }),
    );
    expect(codes).toEqual({ valid: 'VALID', mvcc: 'MVCC_READ_CONFLICT', policy: 'ENDORSEMENT_POLICY_FAILURE' });
    const explained = net.peerLog(1).split('\n').find((l) => l.includes(txIds.mvcc) && l.includes('"event":"invalid transaction"'));
    expect(explained).toContain('MVCC_READ_CONFLICT: read basic/asset0');
  });

  it("serve the official Fabric Gateway client's block events: blocks, filtered blocks with codes, blocks with private data", async () => {
    const p = net.peer(0);
    const tlsCa = readFileSync(join(net.cryptoDir, 'peerOrganizations', 'org1.example.com', 'tlsca', 'tlsca.org1.example.com-cert.pem'));
    const client = new grpc.Client(`127.0.0.1:${p.port}`, grpc.credentials.createSsl(tlsCa), { 'grpc.ssl_target_name_override': p.host });
    const userMsp = join(net.cryptoDir, 'peerOrganizations', 'org1.example.com', 'users', 'User1@org1.example.com', 'msp');
    const gateway = connect({
      client,
      identity: { mspId: 'Org1MSP', credentials: readFileSync(join(userMsp, 'signcerts', 'User1@org1.example.com-cert.pem')) },
      signer: signers.newPrivateKeySigner(createPrivateKey(readFileSync(join(userMsp, 'keystore', 'priv_sk')))),
    });
    try {
      const network = gateway.getNetwork(CHANNEL);
      const height = (await net.peerInfo(0))!.height;
      const take = async <T>(events: AsyncIterable<T> & { close(): void }, count: number): Promise<T[]> => {
        const out: T[] = [];
        try {
          for await (const e of events) {
            out.push(e);
            if (out.length === count) break;
          }
        } finally {
          events.close();
        }
        return out;
      };
      const blocks = await take(await network.getBlockEvents({ startBlock: 0n }), height);
      expect(blocks.map((b) => Number(b.getHeader()!.getNumber()))).toEqual(Array.from({ length: height }, (_, n) => n));
      const filtered = await take(await network.getFilteredBlockEvents({ startBlock: 1n }), height - 1);
      const codeOf = new Map(filtered.flatMap((b) => b.getFilteredTransactionsList().map((t) => [t.getTxid(), txValidationCodeName(t.getTxValidationCode())])));
      expect([codeOf.get(txIds.valid), codeOf.get(txIds.mvcc), codeOf.get(txIds.policy)]).toEqual(['VALID', 'MVCC_READ_CONFLICT', 'ENDORSEMENT_POLICY_FAILURE']);
      const [withPrivate] = await take(await network.getBlockAndPrivateDataEvents({ startBlock: 1n }), 1);
      expect(Number(withPrivate!.getBlock()!.getHeader()!.getNumber())).toBe(1);
      expect(withPrivate!.getPrivateDataMapMap().getLength()).toBe(0);
    } finally {
      gateway.close();
      client.close();
    }
  }, 60_000);

  it('peers fail over to another orderer when the one they pull from is SIGKILLed', async () => {
    const info = await net.peerInfo(0);
    const pulledFrom = net.nodes.find((n) => info?.orderer === `127.0.0.1:${n.port}`);
    expect(pulledFrom, `peer0.org1 pulls from ${info?.orderer}`).toBeDefined();
    await net.kill(pulledFrom!.index);
    try {
      const more = Array.from({ length: 30 }, (_, i) => tx({ namespace: 'basic', reads: [{ key: `failover${i}` }], writes: [{ key: `failover${i}`, value: asset(`failover${i}`, 'Jin Soo') }] }));
      const before = await ordererHeight();
      await broadcast(more.map((t) => t.envelope));
      await waitFor('the surviving orderers to cut the 30 transactions', async () => (await ordererHeight()) >= before + 2, 30_000);
      const height = await ordererHeight();
      await Promise.all([net.waitForPeerHeight(0, height), net.waitForPeerHeight(1, height)]);
      const infos = await Promise.all([net.peerInfo(0), net.peerInfo(1)]);
      expect(infos[0]?.orderer).not.toBe(`127.0.0.1:${pulledFrom!.port}`);
      expect(infos[1]?.stateHash).toBe(infos[0]?.stateHash);
      expect(net.peerLog(0)).toContain('"event":"deliver switching orderer"');
    } finally {
      await net.start(pulledFrom!.index);
    }
  }, 120_000);

  it('a peer SIGKILLed mid-stream restarts from its ledger, catches up from the orderers and agrees again', async () => {
    const batches = Array.from({ length: 8 }, (_, b) =>
      Array.from({ length: 40 }, (_, i) => tx({ namespace: 'basic', reads: [{ key: `k${b}-${i}` }], writes: [{ key: `k${b}-${i}`, value: asset(`k${b}-${i}`, 'Brad') }, { key: `owner-${b}`, value: `${i}` }] })),
    );
    const start = await ordererHeight();
    await broadcast(batches[0]!.map((t) => t.envelope));
    await waitFor('peer0.org2 to commit a block of the stream', async () => ((await net.peerInfo(1))?.height ?? 0) > start, 30_000);
    const sending = (async () => {
      for (const batch of batches.slice(1)) await broadcast(batch.map((t) => t.envelope));
    })();
    await net.killPeer(1);
    const killedAt = (await net.peerInfo(0))?.height ?? 0;
    await sending;
    await waitFor('the orderers to order every batch', async () => (await ordererHeight()) >= killedAt + 2, 30_000);
    await net.startPeer(1);
    let height = 0;
    await waitFor('the ordering service to go quiet', async () => {
      const h = await ordererHeight();
      const quiet = h === height;
      height = h;
      return quiet && (await net.peerInfo(0))?.height === h;
    }, 30_000);
    const restartedAt = Date.now();
    await net.waitForPeerHeight(1, height, 60_000);
    console.log(`restarted peer0.org2 caught up to height ${height} in ${Date.now() - restartedAt} ms`);
    const infos = await Promise.all([net.peerInfo(0), net.peerInfo(1)]);
    expect(infos[1]?.height).toBe(height);
    expect(infos[1]?.stateHash).toBe(infos[0]?.stateHash);

    // Stop both peers and compare their ledgers height by height, and block by block.
    await Promise.all([net.peer(0).process?.stop(), net.peer(1).process?.stop()]);
    await Promise.all([net.peer(0).process?.exited, net.peer(1).process?.exited]);
    const stores = await Promise.all(net.peers.map((p) => LevelKvStore.open(p.dataDir)));
    try {
      const ledgers = await Promise.all(stores.map((s) => PeerLedger.open(prefixed(s, new TextEncoder().encode(`ledger/${CHANNEL}/`)))));
      expect(ledgers.map((l) => l.height)).toEqual([height, height]);
      for (let h = 1; h <= height; h++) {
        const [a, b] = await Promise.all(ledgers.map((l) => l.stateHashAt(h)));
        expect(toHex(b!), `state hash at height ${h}`).toBe(toHex(a!));
        const [blockA, blockB] = await Promise.all(ledgers.map((l) => l.getBlock(h - 1)));
        const filters = [blockA, blockB].map((bytes) => [...(parseBlock(bytes!).metadata[BlockMetadataSlot.TRANSACTIONS_FILTER] ?? [])].map(txValidationCodeName));
        expect(filters[1], `validation codes of block ${h - 1}`).toEqual(filters[0]);
      }
      const last = parseBlock((await ledgers[0]!.getBlock(height - 1))!);
      expect([...(last.metadata[BlockMetadataSlot.TRANSACTIONS_FILTER] ?? [])].every((c) => c === 0)).toBe(true);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  }, 180_000);
});
