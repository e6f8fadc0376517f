/**
 * `npm run bench:msp`: signature verifications per second through the MSP (SerializedIdentity in,
 * identity cached), next to raw node:crypto verify of the same signature measured in the same run.
 * Target (issue #2): the MSP path reaches at least 80% of raw verify.
 *
 * Options: --seconds S (per measurement, default 1), --rounds R (default 5; the median is reported).
 */
import { verify, X509Certificate } from 'node:crypto';
import { systemClock } from '../../src/core/clock.js';
import { MspManager } from '../../src/msp/msp-manager.js';
import { makeTestOrg } from '../helpers/test-orgs.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const seconds = arg('seconds', 1);
const rounds = arg('rounds', 5);

// An organization made as cryptogen makes one (a CA with NodeOUs), and one of its clients.
const org = await makeTestOrg('Org1MSP', 'org1.example.com');
const user = await org.issue('User1@org1.example.com', 'client');
const signer = user.signer;
const msp = org.msp;
const manager = new MspManager([msp], systemClock);

const message = new Uint8Array(1024).fill(42); // about a proposal's size
const signature = signer.sign(message);
const publicKey = user.certificate.publicKey;
const certPem = user.certPem;

/** Runs `op` for `seconds` and returns operations per second. */
function measure(op: () => boolean): number {
  let n = 0;
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline) {
    for (let i = 0; i < 100; i++) if (!op()) throw new Error('verification failed during the benchmark');
    n += 100;
  }
  return n / seconds;
}

const paths = {
  'raw node:crypto verify (cached KeyObject)': () => verify('sha256', message, { key: publicKey, dsaEncoding: 'der' }, signature),
  'MSP checkSignature (identity cached)': () => manager.checkSignature(signer.serialized, message, signature).verdict === 'valid',
  'no cache: parse certificate, then verify': () => verify('sha256', message, { key: new X509Certificate(certPem).publicKey, dsaEncoding: 'der' }, signature),
};

const results = new Map<string, number[]>(Object.keys(paths).map((k) => [k, []]));
for (const op of Object.values(paths)) measure(op); // warm-up
for (let r = 0; r < rounds; r++) for (const [name, op] of Object.entries(paths)) results.get(name)?.push(measure(op));

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const raw = median(results.get('raw node:crypto verify (cached KeyObject)') ?? []);
console.log(`MSP signature verification, ECDSA P-256, ${message.length}-byte message; median of ${rounds} rounds of ${seconds}s`);
for (const [name, xs] of results) {
  const ops = median(xs);
  console.log(`  ${name.padEnd(44)} ${Math.round(ops).toString().padStart(8)} verifies/s  ${((100 * ops) / raw).toFixed(1).padStart(6)}% of raw`);
}
const ratio = median(results.get('MSP checkSignature (identity cached)') ?? []) / raw;
console.log(`MSP path / raw verify: ${(100 * ratio).toFixed(1)}% (target >= 80%: ${ratio >= 0.8 ? 'met' : 'NOT met'})`);
