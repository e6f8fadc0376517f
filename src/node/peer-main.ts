import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChaincodeConfig, NetworkConfig } from '../config/network-config.js';
import { systemClock } from '../core/clock.js';
import { verifyEcdsaInThreadPool } from '../msp/ecdsa.js';
import { loadSigningIdentity } from '../msp/signing-identity.js';
import { ProposalHandler } from '../peer/endorser.js';
import { LevelKvStore } from '../storage/level-kv-store.js';
import { endorserService } from '../transport/grpc/endorser-service.js';
import { GrpcOrdererDeliverConnector } from '../transport/grpc/grpc-orderer-deliver-connector.js';
import { startGrpcServer } from '../transport/grpc/grpc-server.js';
import { peerDeliverService } from '../transport/grpc/peer-deliver-service.js';
import { optionalClientCertServerCredentials } from '../transport/grpc/tls-credentials.js';
import { startParticipationApi } from '../transport/http/participation-api.js';
import { chaincodeDefinitionsFromConfig } from './chaincode-definitions-from-config.js';
import { JsonLineLogger } from './json-line-logger.js';
import { runUntilSignal } from './run-until-signal.js';
import { resolveNodeSpec, type NodeSpec, type NodeSpecOptions } from './node-spec.js';
import { PeerChannels } from './peer-channels.js';
import { TimerScheduler } from './timer-scheduler.js';

/**
 * The peer process's composition root: real clock and timers, LevelDB in the data dir (one prefixed
 * part per channel ledger), gRPC+TLS from the node's cryptogen `tls/` folder (Deliver for block
 * events, Endorser for proposals), the signing identity from its `msp/`, the orderer connections
 * for the deliver clients, and the channel join admin API on its own HTTPS port.
 */

const MAX_MESSAGE_BYTES = 100 * 1024 * 1024;

export interface PeerNodeSpec extends NodeSpec {
  /** The chaincodes the network file defines, by channel. */
  readonly chaincodes: ReadonlyMap<string, readonly ChaincodeConfig[]>;
}

/** Finds `host` among the network file's peers and checks its crypto material is there. */
export function resolvePeerNode(config: NetworkConfig, host: string, o: NodeSpecOptions): PeerNodeSpec {
  return { ...resolveNodeSpec(config, 'peer', host, o), chaincodes: new Map(config.channels.map((c) => [c.name, c.chaincodes])) };
}

export interface RunningPeer {
  readonly port: number;
  readonly adminPort: number;
  readonly channels: PeerChannels;
  close(): Promise<void>;
}

export async function startPeer(spec: PeerNodeSpec): Promise<RunningPeer> {
  const clock = systemClock;
  const logger = new JsonLineLogger(spec.host, clock);
  const scheduler = new TimerScheduler();
  const read = (f: string): string => readFileSync(join(spec.nodeDir, f), 'utf8');
  const tls = { certPem: read('tls/server.crt'), keyPem: read('tls/server.key'), caPem: read('tls/ca.crt') };
  const signer = await loadSigningIdentity(join(spec.nodeDir, 'msp'), spec.mspId);
  await mkdir(spec.dataDir, { recursive: true });
  const store = await LevelKvStore.open(spec.dataDir);
  const connector = new GrpcOrdererDeliverConnector({ tls: { serverCaPems: spec.tlsCaPems, certPem: tls.certPem, keyPem: tls.keyPem } });
  const channels = new PeerChannels({
    store,
    signer,
    clock,
    scheduler,
    logger,
    verify: verifyEcdsaInThreadPool,
    chaincodes: (channelId) => chaincodeDefinitionsFromConfig(spec.chaincodes.get(channelId) ?? []),
    connector,
  });
  await channels.reopen();
  const proposals = new ProposalHandler({ registry: channels.registry, ledgerOf: (ch) => channels.ledgerOf(ch), signer, clock });
  const grpc = await startGrpcServer({
    host: spec.listenHost,
    port: spec.port,
    credentials: optionalClientCertServerCredentials({ certPem: tls.certPem, keyPem: tls.keyPem, clientCaPems: spec.tlsCaPems }),
    services: [peerDeliverService({ registry: channels.registry, blocksOf: (ch) => channels.ledgerOf(ch), clock, logger }), endorserService({ handler: proposals, logger })],
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
    channels,
    close: () =>
      (closing ??= (async () => {
        logger.info('stopping', {});
        await admin.close();
        await channels.closeAll();
        connector.close();
        scheduler.clearAll();
        await grpc.shutdown(1000);
        await store.close();
        logger.info('stopped', {});
      })()),
  };
}

/** Runs the peer until SIGTERM or SIGINT, then closes it cleanly and exits 0. */
export function runPeer(spec: PeerNodeSpec): Promise<void> {
  return runUntilSignal(spec.host, 'peer', () => startPeer(spec));
}
