/**
 * `npm run bench:orderer`: envelopes ordered per second through a 3-orderer cluster of real processes
 * (gRPC + TLS on 127.0.0.1, level, Raft), with the block size used. Target (issue #4): at least 3,000
 * envelopes/s with 500-envelope blocks.
 *
 * Envelopes are signed before the clock starts (signing is the clients' cost, not the orderers');
 * `--clients` Broadcast streams pipeline them to the leader; the figure counts an envelope once it
 * is in a block delivered by the leader. Options: --envelopes N (20000), --clients C (8),
 * --block B (500).
 */
import { parseBlock } from '../../src/protos/block.js';
import { SEEK_FOREVER } from '../../src/protos/seek-info.js';
import { buildSeekEnvelope } from '../../src/transport/grpc/grpc-block-puller.js';
import { CHANNEL, OrdererNetwork } from '../integration/helpers/orderer-network.js';
import { signedEnvelope } from '../helpers/channel-fixture.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const total = arg('envelopes', 20_000);
const clients = arg('clients', 8);
const blockSize = arg('block', 500);
/** `--target leader` (default) sends every stream to the Raft leader; `all` spreads them over every orderer (Fabric clients may broadcast to any), so followers check and forward. */
const target = process.argv.includes('--target') ? process.argv[process.argv.indexOf('--target') + 1] : 'leader';

const net = await OrdererNetwork.create('bench-orderer', { maxMessageCount: blockSize, batchTimeout: '500ms' });
try {
  await net.startAll();
  for (const n of net.nodes) await net.join(n.index);
  const leader = await net.waitForLeader();
  const user = await net.user('org1');
  const envelopes = Array.from({ length: total }, (_, k) => signedEnvelope(user, { channelId: CHANNEL, data: new TextEncoder().encode(`bench-${k}`) }, Date.now()));
  const size = envelopes[0]?.length ?? 0;

  const observer = net.connect(leader);
  const stop = new AbortController();
  let delivered = 0;
  let blocks = 0;
  const allDelivered = (async () => {
    for await (const r of observer.deliver(buildSeekEnvelope(user, CHANNEL, { start: { kind: 'specified', number: 1 }, stop: SEEK_FOREVER }, Date.now()), stop.signal)) {
      if (r.kind !== 'block') continue;
      delivered += parseBlock(r.block).data.length;
      blocks++;
      if (delivered >= total) return;
    }
  })();

  const started = performance.now();
  const connections = Array.from({ length: clients }, (_, c) => net.connect(target === 'leader' ? leader : net.nodes[c % net.nodes.length]!.index));
  const refused: string[] = [];
  await Promise.all(
    connections.map(async (connection, c) => {
      const stream = connection.broadcastStream();
      const mine = envelopes.filter((_, k) => k % clients === c);
      const answers = await Promise.all(mine.map((e) => stream.send(e)));
      for (const a of answers) if (a.status !== 'SUCCESS') refused.push(`${a.status}: ${a.info}`);
      stream.close();
    }),
  );
  const ackedMs = performance.now() - started;
  if (refused.length > 0) {
    console.log(`${refused.length} envelopes refused (first: ${refused[0]}); counting what was ordered`);
    stop.abort();
  }
  await Promise.race([allDelivered, new Promise((r) => setTimeout(r, 60_000))]);
  const orderedMs = performance.now() - started;
  stop.abort();
  for (const c of connections) c.close();
  observer.close();

  console.log(`orderer benchmark: 3 orderer processes, ${clients} Broadcast streams to ${target === 'leader' ? 'the leader' : 'all orderers'}, ${size}-byte envelopes`);
  console.log(`  block size: MaxMessageCount ${blockSize}, BatchTimeout 500ms; ${blocks} blocks delivered`);
  console.log(`  accepted (Broadcast SUCCESS): ${total - refused.length} in ${(ackedMs / 1000).toFixed(2)} s = ${Math.round(((total - refused.length) * 1000) / ackedMs)} envelopes/s`);
  console.log(`  ordered (in delivered blocks): ${delivered} in ${(orderedMs / 1000).toFixed(2)} s = ${Math.round((delivered * 1000) / orderedMs)} envelopes/s (target >= 3000: ${(delivered * 1000) / orderedMs >= 3000 ? 'met' : 'NOT met'})`);
} finally {
  await net.cleanup();
}
