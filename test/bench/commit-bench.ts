/**
 * `npm run bench:commit`: transactions validated and committed per second by a committing peer's
 * Committer (src/peer/committer.ts): block signature check, validateBlock (creator and endorsement
 * signatures on the thread pool, endorsement policy, MVCC against LevelDB) and the ledger's atomic,
 * synced commit into a LevelKvStore in a temp dir. Target (issue #5): at least 3,000 tx/s.
 *
 * Setup, not timed: the test network's crypto and mychannel genesis block (makeChannelFixture),
 * chaincode `basic` with endorsement policy AND('Org1MSP.peer','Org2MSP.peer'), and `--blocks`
 * blocks of `--txs` real endorser transactions each (buildEndorsedTransaction: User1@org1 submits,
 * peer0.org1 and peer0.org2 endorse), cut by a BlockCreator and signed by the orderer through a
 * BlockWriter. Transaction i of block 1 reads asset i as absent and creates it; transaction i of
 * every later block reads asset i at the version block b-1 wrote and updates it (a ~200-byte asset
 * JSON), and every other transaction also writes a second key: all are VALID.
 *
 * Timed: the blocks fed to Committer.commit with up to `--ahead` calls outstanding, as the deliver
 * client hands them over (verify = verifyEcdsaInThreadPool, systemClock), so block N+1 decodes and
 * verifies while block N runs MVCC and commits. Printed: tx/s, blocks/s, ms per block from call to
 * commit (p50, max), the ledger commit's share of the time, the validation codes, and the ceiling measured in the same run over the very signatures the commit
 * verified (3 per tx + 1 per block): verifyEcdsa in a synchronous loop, and verifyEcdsaInThreadPool
 * batched as the committer batches a block.
 *
 * Options: --blocks N (20), --txs T (500 per block), --ahead K (3 blocks in flight; 1 = one at a
 * time), --profile FILE (writes a V8 CPU profile of the
 * timed part only, for Chrome DevTools or a summary script).
 */
import type { KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import type { ChannelResources } from '../../src/common/channel-resources.js';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { SeededRng } from '../../src/core/rng.js';
import { BlockStore } from '../../src/ledger/block-store.js';
import type { BlockCommit, Height, VersionedValue } from '../../src/ledger/ledger-types.js';
import { PeerLedger } from '../../src/ledger/peer-ledger.js';
import { verifyEcdsa, verifyEcdsaInThreadPool, type AsyncSignatureVerifier } from '../../src/msp/ecdsa.js';
import { loadSigningIdentity } from '../../src/msp/signing-identity.js';
import { BlockCreator } from '../../src/orderer/block-creator.js';
import { BlockWriter } from '../../src/orderer/block-writer.js';
import { Committer, type CommitterLedger } from '../../src/peer/committer.js';
import { chaincodeDefinition, MapChaincodeDefinitions } from '../../src/peer/validation/chaincode-definition.js';
import { parseConfigBlock } from '../../src/protos/config-block.js';
import { LevelKvStore } from '../../src/storage/level-kv-store.js';
import { MemoryKvStore } from '../../src/storage/memory-kv-store.js';
import { prefixed } from '../../src/storage/prefixed-kv-store.js';
import { makeChannelFixture } from '../helpers/channel-fixture.js';
import { buildEndorsedTransaction, type NsRwSetSpec } from '../helpers/endorsed-transaction.js';
import { makeTempDir } from '../helpers/repo.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const blockCount = arg('blocks', 20);
const txsPerBlock = arg('txs', 500);
const ahead = Math.max(1, arg('ahead', 3));
const CHANNEL = 'mychannel';
const profilePath = process.argv.includes('--profile') ? process.argv[process.argv.indexOf('--profile') + 1] : undefined;
const POLICY = "AND('Org1MSP.peer','Org2MSP.peer')";

/** A ~200-byte asset as the asset-transfer-basic sample stores it. */
function assetJson(i: number, block: number): string {
  const owners = ['Tomoko Yamada', 'Brad Johnson', 'Jin Soo Park', 'Max Müller', 'Adriana Ruiz', 'Michel Dupont'];
  const colors = ['blue', 'red', 'green', 'yellow', 'black', 'white'];
  return JSON.stringify({
    ID: `asset${String(i).padStart(6, '0')}`,
    Color: colors[(i + block) % colors.length],
    Size: 5 + ((i * 7 + block) % 20),
    Owner: owners[(i + block) % owners.length],
    AppraisedValue: 300 + ((i * 31 + block * 17) % 1000),
    Registered: '2026-06-01T09:30:00Z',
    Notes: `transferred in block ${block}; insured, inspected and registered with the asset registry`,
  });
}

const fx = await makeChannelFixture('bench-commit');
const temp = makeTempDir('bench-commit-ledger');
let level: LevelKvStore | undefined;
try {
  // ---- setup (not timed) ------------------------------------------------------------------------
  const resources: ChannelResources = fx.registry.get(CHANNEL)!;
  const genesis = fx.genesis.get(CHANNEL)!.block;
  const [client, peer1, peer2] = await Promise.all([fx.user('org1'), fx.peer('org1'), fx.peer('org2')]);
  const orderer = await loadSigningIdentity(join(fx.cryptoDir, 'ordererOrganizations', 'example.com', 'orderers', 'orderer.example.com', 'msp'), 'OrdererMSP');

  const setupStarted = performance.now();
  const ordererStore = await BlockStore.open(new MemoryKvStore());
  const genesisBlock = await ordererStore.append(genesis);
  const creator = new BlockCreator(genesisBlock.header);
  const writer = new BlockWriter(ordererStore, orderer, new SeededRng(7), [1, 2, 3], 0);
  const blocks: Uint8Array[] = [];
  for (let b = 1; b <= blockCount; b++) {
    const envelopes: Uint8Array[] = [];
    for (let i = 0; i < txsPerBlock; i++) {
      const asset = `asset${String(i).padStart(6, '0')}`;
      const version: Height | undefined = b === 1 ? undefined : { blockNum: b - 1, txNum: i };
      const writes = [{ key: asset, value: assetJson(i, b) }];
      if (i % 2 === 1) writes.push({ key: `transfer~${asset}~${b}`, value: JSON.stringify({ asset, block: b, by: 'User1@org1.example.com' }) });
      const rwsets: NsRwSetSpec[] = [{ namespace: 'basic', reads: [{ key: asset, version }], writes }];
      envelopes.push(buildEndorsedTransaction({ channelId: CHANNEL, creator: client, endorsers: [peer1, peer2], chaincode: { name: 'basic' }, rwsets, args: ['TransferAsset', asset] }).envelope);
    }
    const { block } = creator.createNextBlock(envelopes);
    blocks.push(await writer.write(block, b + 4));
  }
  const setupMs = performance.now() - setupStarted;
  const blockBytes = blocks.reduce((n, b) => n + b.length, 0) / blocks.length;

  level = await LevelKvStore.open(temp.dir);
  const peerLedger = await PeerLedger.open(prefixed(level, new TextEncoder().encode(`ledger/${CHANNEL}/`)));

  // ---- instrumentation: every signature the commit checks, for the ceiling below ----------------
  // With blocks in flight at once, a block's phases overlap the neighbours' (block N+1 decodes and
  // verifies while block N runs MVCC and commits), so the run reports per-block latency (commit
  // call to commit resolved) and the time the ledger commit itself took, not a split of the time.
  type Check = { readonly publicKey: KeyObject; readonly message: Uint8Array; readonly signature: Uint8Array };
  const checks: Check[] = [];
  const instrumentedVerify: AsyncSignatureVerifier = (publicKey, message, signature) => {
    checks.push({ publicKey, message, signature });
    return verifyEcdsaInThreadPool(publicKey, message, signature);
  };
  let ledgerCommitMs = 0;
  const timedLedger: CommitterLedger = {
    get height() {
      return peerLedger.height;
    },
    getState: (namespace: string, key: string): Promise<VersionedValue | undefined> => peerLedger.getState(namespace, key),
    getStates: (refs) => peerLedger.getStates(refs),
    rangeScan: (namespace: string, startKey: string, endKey: string) => peerLedger.rangeScan(namespace, startKey, endKey),
    hasTxId: (txId: string) => peerLedger.hasTxId(txId),
    hasTxIds: (txIds) => peerLedger.hasTxIds(txIds),
    stateHashAt: (height: number) => peerLedger.stateHashAt(height),
    chainInfo: () => peerLedger.chainInfo(),
    commit: async (c: BlockCommit) => {
      const t = performance.now();
      await peerLedger.commit(c);
      ledgerCommitMs += performance.now() - t;
    },
  };

  const committer = new Committer({
    channelId: CHANNEL,
    ledger: timedLedger,
    resources: () => resources,
    chaincodes: new MapChaincodeDefinitions([chaincodeDefinition({ name: 'basic', version: '1.0', endorsementPolicy: POLICY })]),
    verify: instrumentedVerify,
    clock: systemClock,
    logger: silentLogger,
  });
  await committer.commitGenesis(genesis, parseConfigBlock(genesis).channelHeader.txId);

  // ---- timed: commit every block, up to `ahead` in flight (as the deliver client hands them over) ----
  const codes = new Map<string, number>();
  const perBlockMs: number[] = [];
  const doneAt: number[] = [];
  const session = profilePath === undefined ? undefined : new Session();
  if (session !== undefined) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const started = performance.now();
  const inFlight: Array<Promise<void>> = [];
  for (const bytes of blocks) {
    if (inFlight.length >= ahead) await inFlight.shift();
    const t0 = performance.now();
    const done = committer.commit(bytes).then((committed) => {
      doneAt.push(performance.now());
      perBlockMs.push(doneAt[doneAt.length - 1]! - t0);
      if (committed === undefined) throw new Error('a block was ignored as already committed');
      for (const tx of committed.transactions) codes.set(tx.code, (codes.get(tx.code) ?? 0) + 1);
    });
    done.catch(() => undefined); // awaited in order
    inFlight.push(done);
  }
  for (const done of inFlight) await done;
  const commitMs = performance.now() - started;
  if (session !== undefined && profilePath !== undefined) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(profilePath, JSON.stringify(profile));
    session.disconnect();
  }
  const txs = blockCount * txsPerBlock;
  const verifications = checks.length;

  // ---- ceiling: the same signatures, verified without the committer ---------------------------------
  const syncStarted = performance.now();
  for (const c of checks) if (verifyEcdsa(c.publicKey, c.message, c.signature) !== 'valid') throw new Error('a signature did not verify in the ceiling run');
  const syncMs = performance.now() - syncStarted;
  const poolStarted = performance.now();
  const perBlock = Math.ceil(checks.length / blockCount);
  for (let i = 0; i < checks.length; i += perBlock) {
    const verdicts = await Promise.all(checks.slice(i, i + perBlock).map((c) => verifyEcdsaInThreadPool(c.publicKey, c.message, c.signature)));
    if (verdicts.some((v) => v !== 'valid')) throw new Error('a signature did not verify in the ceiling run');
  }
  const poolMs = performance.now() - poolStarted;

  // ---- report -------------------------------------------------------------------------------------
  const sorted = [...perBlockMs].sort((a, b) => a - b);
  const p50 = sorted[Math.floor(sorted.length / 2)] ?? 0;
  const max = sorted[sorted.length - 1] ?? 0;
  const perSec = (n: number, ms: number): number => Math.round((n * 1000) / ms);
  const commitVps = (verifications * 1000) / commitMs;
  const syncVps = (verifications * 1000) / syncMs;
  const poolVps = (verifications * 1000) / poolMs;
  const ceiling = Math.max(syncVps, poolVps);
  const txPerSec = (txs * 1000) / commitMs;

  console.log(`commit benchmark: ${blockCount} blocks x ${txsPerBlock} endorser txs (${Math.round(blockBytes / 1024)} KB per block), policy ${POLICY}, LevelDB ledger, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`);
  console.log(`  setup (not timed): ${(setupMs / 1000).toFixed(1)} s to build and sign the blocks`);
  console.log(`  codes: ${[...codes].map(([code, n]) => `${code} ${n}`).join(', ')}${codes.get('VALID') === txs ? ' (all VALID)' : ` (NOT all VALID: expected ${txs})`}`);
  console.log(`  validated + committed: ${txs} txs in ${(commitMs / 1000).toFixed(2)} s = ${Math.round(txPerSec)} tx/s, ${(blockCount * 1000 / commitMs).toFixed(2)} blocks/s`);
  const WARM = 5;
  if (blockCount > 2 * WARM) {
    const steadyMs = doneAt[blockCount - 1]! - doneAt[WARM - 1]!;
    console.log(`  after warm-up (blocks ${WARM + 1}..${blockCount}, JIT-compiled): ${Math.round(((blockCount - WARM) * txsPerBlock * 1000) / steadyMs)} tx/s`);
  }
  console.log(`  ms per block, commit call to resolved: p50 ${p50.toFixed(1)}, max ${max.toFixed(1)} (in order: ${perBlockMs.map((ms) => ms.toFixed(0)).join(" ")})`);
  console.log(`  blocks in flight: up to ${ahead}; ledger commit (synced batch) ${((100 * ledgerCommitMs) / commitMs).toFixed(1)}% of the time (${(ledgerCommitMs / blockCount).toFixed(1)} ms per block)`);
  console.log(`  signature verifications: ${verifications} (3 per tx + 1 per block)`);
  console.log(`    in the commit:                       ${Math.round(commitVps).toString().padStart(7)} verifies/s`);
  console.log(`    ceiling (a) verifyEcdsa, sync loop:  ${Math.round(syncVps).toString().padStart(7)} verifies/s`);
  console.log(`    ceiling (b) thread pool, per block:  ${Math.round(poolVps).toString().padStart(7)} verifies/s`);
  console.log(`  commit / raw ceiling: ${((100 * commitVps) / ceiling).toFixed(1)}% (ceiling = ${syncVps >= poolVps ? '(a)' : '(b)'}; the ceiling alone would allow ${perSec(txs, (verifications * 1000) / ceiling)} tx/s)`);
  console.log(`target >= 3000 tx/s: ${txPerSec >= 3000 ? 'met' : 'NOT met'}`);
  await peerLedger.whenIdle();
} finally {
  await level?.close();
  temp.cleanup();
  fx.cleanup();
}
