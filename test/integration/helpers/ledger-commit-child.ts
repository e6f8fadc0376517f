/**
 * A real peer-ledger process for test/integration/peer-ledger-kill.test.ts: it commits synthetic
 * blocks to a level-backed PeerLedger as fast as it can until it is killed.
 *
 *   node bin/run-ts.mjs test/integration/helpers/ledger-commit-child.ts <dataDir> <seed>
 *
 * stdout, one line per event (process.stdout is synchronous for pipes on Linux, so a line printed
 * before a SIGKILL is in the pipe):
 *   opened H        the ledger opened at height H
 *   committed N     block N's commit resolved (it is durable: the batch was synced)
 * The blocks' envelopes are JSON descriptions of their transactions (test/helpers/ledger-reference.ts),
 * so the parent can rebuild every BlockCommit from the stored blocks and replay it.
 */
import { SeededRng } from '../../../src/core/rng.js';
import type { StateUpdate } from '../../../src/ledger/ledger-types.js';
import { PeerLedger } from '../../../src/ledger/peer-ledger.js';
import { LevelKvStore } from '../../../src/storage/level-kv-store.js';
import { prefixed } from '../../../src/storage/prefixed-kv-store.js';
import { syntheticCommit, type TxSpec } from '../../helpers/ledger-reference.js';

const LEDGER_PREFIX = 'ledger/killchannel/'; // the parent opens the same view
const NAMESPACES = ['cc', 'cc2', 'c'] as const;
const KEYS = ['a', 'b', 'c', 'k\u0000x', 'k', '', 'é', '日本', '😀', '\uffff', ...Array.from({ length: 20 }, (_, i) => `key${i}`)];
const INVALID_CODES = ['MVCC_READ_CONFLICT', 'BAD_PAYLOAD', 'ENDORSEMENT_POLICY_FAILURE', 'DUPLICATE_TXID'] as const;
const MAX_BLOCKS = 100_000; // a bound, in case the parent never kills us

const pick = <T>(rng: SeededRng, xs: readonly T[]): T => xs[rng.nextInt(xs.length)]!;
const bytes = (rng: SeededRng, max: number): Uint8Array => Uint8Array.from({ length: rng.nextInt(max + 1) }, () => rng.nextInt(256));

/** Block `n`'s transactions, a function of (seed, n) only. */
function transactions(seed: number, n: number): TxSpec[] {
  const rng = new SeededRng((seed * 1_000_003 + n) >>> 0);
  return Array.from({ length: 1 + rng.nextInt(40) }, (_, i): TxSpec => {
    const roll = rng.nextInt(100);
    const txId = roll < 3 ? '' : roll < 8 && n > 0 ? `tx-${rng.nextInt(n)}-${rng.nextInt(3)}` : `tx-${n}-${i}`;
    if (rng.nextInt(100) < 20) return { txId, code: pick(rng, INVALID_CODES), updates: [] };
    const updates = Array.from({ length: rng.nextInt(5) }, (): StateUpdate => {
      const namespace = pick(rng, NAMESPACES);
      const key = pick(rng, KEYS);
      const kind = rng.nextInt(10);
      if (kind < 6) return rng.nextInt(3) === 0 ? { kind: 'put', namespace, key, value: bytes(rng, 200), metadata: bytes(rng, 20) } : { kind: 'put', namespace, key, value: bytes(rng, 200) };
      if (kind < 8) return { kind: 'delete', namespace, key };
      return { kind: 'metadata', namespace, key, metadata: bytes(rng, 20) };
    });
    return { txId, code: 'VALID', updates };
  });
}

async function main(dir: string, seed: number): Promise<void> {
  const store = await LevelKvStore.open(dir);
  const ledger = await PeerLedger.open(prefixed(store, new TextEncoder().encode(LEDGER_PREFIX)));
  process.stdout.write(`opened ${ledger.height}\n`);
  for (let n = ledger.height; n < MAX_BLOCKS; n++) {
    await ledger.commit(syntheticCommit(n, ledger.chainInfo().currentBlockHash, transactions(seed, n)));
    process.stdout.write(`committed ${n}\n`);
  }
  await store.close();
}

const [dir, seedText] = process.argv.slice(2);
if (dir === undefined || seedText === undefined) {
  process.stderr.write('usage: ledger-commit-child.ts <dataDir> <seed>\n');
  process.exit(2);
}
main(dir, Number(seedText)).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
