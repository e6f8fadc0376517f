import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { NetworkConfig } from '../config/network-config.js';
import { systemClock } from '../core/clock.js';
import { SeededRng } from '../core/rng.js';
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
import { runUntilSignal } from './run-until-signal.js';
import { resolveNodeSpec, type NodeSpec, type NodeSpecOptions } from './node-spec.js';
import { OrdererChannels } from './orderer-channels.js';
import { TimerScheduler } from './timer-scheduler.js';

/**
 * The orderer process's composition root: real clock and timers, LevelDB in the data dir (one
 * prefixed part per channel), gRPC+TLS from the node's cryptogen `tls/` folder (AtomicBroadcast for
 * clients, Cluster Step for the other orderers on the same port), the signing identity from its
 * `msp/`, and the channel participation admin API on its own HTTPS port.
 */

const MAX_MESSAGE_BYTES = 100 * 1024 * 1024;

export { NodeStartError } from './node-spec.js';

export type OrdererNodeSpec = NodeSpec;

/** Finds `host` among the network file's orderers and checks its crypto material is there. */
export function resolveOrdererNode(config: NetworkConfig, host: string, o: NodeSpecOptions): OrdererNodeSpec {
  return resolveNodeSpec(config, 'orderer', host, o);
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
export function runOrderer(spec: OrdererNodeSpec): Promise<void> {
  return runUntilSignal(spec.host, 'orderer', () => startOrderer(spec));
}
