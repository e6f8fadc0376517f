import { randomInt } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { hostName, type NetworkConfig } from '../config/network-config.js';
import { systemClock } from '../core/clock.js';
import { FabsimError, messageOf } from '../core/errors.js';
import { SeededRng } from '../core/rng.js';
import { organizationDir } from '../msp/cryptogen.js';
import { loadSigningIdentity } from '../msp/signing-identity.js';
import { LevelKvStore } from '../storage/level-kv-store.js';
import { atomicBroadcastService } from '../transport/grpc/atomic-broadcast-service.js';
import { clusterService } from '../transport/grpc/cluster-service.js';
import { GrpcBlockPuller } from '../transport/grpc/grpc-block-puller.js';
import { GrpcClusterTransport } from '../transport/grpc/grpc-cluster-transport.js';
import { startGrpcServer } from '../transport/grpc/grpc-server.js';
import { optionalClientCertServerCredentials, type ClientTlsMaterial } from '../transport/grpc/tls-credentials.js';
import { startParticipationApi } from '../transport/http/participation-api.js';
import { JsonLineLogger } from './json-line-logger.js';
import { OrdererChannels } from './orderer-channels.js';
import { TimerScheduler } from './timer-scheduler.js';

/**
 * The orderer process's composition root: real clock and timers, LevelDB in the data dir (one
 * prefixed part per channel), gRPC+TLS from the node's cryptogen `tls/` folder (AtomicBroadcast for
 * clients, Cluster Step for the other orderers on the same port), the signing identity from its
 * `msp/`, and the channel participation admin API on its own HTTPS port.
 */

export class NodeStartError extends FabsimError<'NODE_UNKNOWN' | 'NODE_CRYPTO_MISSING'> {}

const MAX_MESSAGE_BYTES = 100 * 1024 * 1024;

export interface OrdererNodeSpec {
  readonly host: string;
  readonly port: number;
  readonly adminPort: number;
  readonly mspId: string;
  /** <crypto>/ordererOrganizations/<domain>/orderers/<host> */
  /** The orderer organization's cryptogen folder (ordererOrganizations/<domain>) and its domain. */
  readonly orgDir: string;
  readonly domain: string;
  readonly nodeDir: string;
  readonly dataDir: string;
  /** TLS CAs of every organization: a client certificate, when presented, must chain to one. */
  readonly tlsCaPems: readonly string[];
  readonly listenHost: string;
}

/** Finds `host` among the network file's orderers and checks its crypto material is there. */
export function resolveOrdererNode(config: NetworkConfig, host: string, o: { cryptoDir: string; dataDir?: string; adminPort?: number }): OrdererNodeSpec {
  const orderers = config.organizations.flatMap((org) => org.orderers.map((node) => ({ org, node, host: hostName(node, org) })));
  const found = orderers.find((x) => x.host === host);
  if (found === undefined) {
    throw new NodeStartError('NODE_UNKNOWN', `no orderer named ${host} in the network config (its orderers: ${orderers.map((x) => x.host).join(', ') || 'none'}); pass one of them, or the --config that defines it`);
  }
  const orgDir = organizationDir(o.cryptoDir, { kind: 'orderer', domain: found.org.domain });
  const nodeDir = join(orgDir, 'orderers', host);
  for (const f of ['msp/signcerts', 'tls/server.crt', 'tls/server.key', 'tls/ca.crt']) {
    if (!existsSync(join(nodeDir, f))) {
      throw new NodeStartError('NODE_CRYPTO_MISSING', `the crypto material of ${host} is missing (${join(nodeDir, f)} not found); run \`npx fabsim crypto generate --out ${o.cryptoDir}\` first, or pass --crypto DIR`);
    }
  }
  const tlsCaPems: string[] = [];
  for (const org of config.organizations) {
    const dir = join(organizationDir(o.cryptoDir, { kind: org.orderers.length > 0 ? 'orderer' : 'peer', domain: org.domain }), 'msp', 'tlscacerts');
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) tlsCaPems.push(readFileSync(join(dir, name), 'utf8'));
  }
  return {
    host,
    port: found.node.port,
    adminPort: o.adminPort ?? found.node.port + 3,
    mspId: found.org.mspId,
    orgDir,
    domain: found.org.domain,
    nodeDir,
    dataDir: o.dataDir ?? join('.fabsim', 'data', host),
    tlsCaPems,
    listenHost: '127.0.0.1',
  };
}

export interface RunningOrderer {
  readonly port: number;
  readonly adminPort: number;
  close(): Promise<void>;
}

export async function startOrderer(spec: OrdererNodeSpec): Promise<RunningOrderer> {
  const clock = systemClock;
  const logger = new JsonLineLogger(spec.host, clock);
  const scheduler = new TimerScheduler();
  const read = (f: string): string => readFileSync(join(spec.nodeDir, f), 'utf8');
  const tls = { certPem: read('tls/server.crt'), keyPem: read('tls/server.key'), caPem: read('tls/ca.crt') };
  const signer = await loadSigningIdentity(join(spec.nodeDir, 'msp'), spec.mspId);
  await mkdir(spec.dataDir, { recursive: true });
  const store = await LevelKvStore.open(spec.dataDir);
  const clientTls: ClientTlsMaterial = { serverCaPems: spec.tlsCaPems, certPem: tls.certPem, keyPem: tls.keyPem };
  const cluster: { transport?: GrpcClusterTransport } = {};
  const channels: OrdererChannels = new OrdererChannels({
    store,
    tlsCertPem: tls.certPem,
    signer,
    clock,
    scheduler,
    rng: () => new SeededRng(randomInt(0x7fffffff)),
    logger,
    transport: () => cluster.transport!,
    puller: () => new GrpcBlockPuller({ tls: clientTls, addressOf: (ch, n) => channels.addressOf(ch, n), signer, clock }),
  });
  const transport = new GrpcClusterTransport({ tls: clientTls, directory: channels, logger, maxMessageBytes: MAX_MESSAGE_BYTES });
  cluster.transport = transport;
  await channels.reopen();
  const grpc = await startGrpcServer({
    host: spec.listenHost,
    port: spec.port,
    credentials: optionalClientCertServerCredentials({ certPem: tls.certPem, keyPem: tls.keyPem, clientCaPems: spec.tlsCaPems }),
    services: [atomicBroadcastService({ channels, clock, logger }), clusterService({ channelOf: (ch) => channels.channelOf(ch), logger })],
    maxMessageBytes: MAX_MESSAGE_BYTES,
  });
  const admin = await startParticipationApi({
    host: spec.listenHost,
    port: spec.adminPort,
    certPem: tls.certPem,
    keyPem: tls.keyPem,
    adminCaPems: [tls.caPem],
    participation: channels,
    logger,
  });
  logger.info('ready', { address: `${spec.listenHost}:${grpc.port}`, admin: `https://${spec.listenHost}:${admin.port}/participation/v1/channels`, channels: channels.list().join(',') });
  let closing: Promise<void> | undefined;
  return {
    port: grpc.port,
    adminPort: admin.port,
    close: () =>
      (closing ??= (async () => {
        logger.info('stopping', {});
        await admin.close();
        await channels.closeAll();
        transport.close();
        scheduler.clearAll();
        await grpc.shutdown(1000);
        await store.close();
        logger.info('stopped', {});
      })()),
  };
}

/** Runs the orderer until SIGTERM or SIGINT, then closes it cleanly and exits 0. */
export async function runOrderer(spec: OrdererNodeSpec): Promise<void> {
  // Node's own warnings become log lines too; DEP0123 (TLS ServerName set to an IP) is what grpc-js
  // does for every 127.0.0.1 connection, and says nothing to a learner.
  process.removeAllListeners('warning');
  const warnings = new JsonLineLogger(spec.host, systemClock);
  process.on('warning', (w: Error & { code?: string }) => {
    if (w.code !== 'DEP0123') warnings.warn('node warning', { name: w.name, code: w.code, error: w.message });
  });
  const node = await startOrderer(spec);
  const stop = (): void => {
    node.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`fabsim: orderer ${spec.host} did not stop cleanly: ${messageOf(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
