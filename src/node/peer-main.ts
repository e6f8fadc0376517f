import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { hostName, type ChaincodeConfig, type NetworkConfig } from '../config/network-config.js';
import { systemClock } from '../core/clock.js';
import { verifyEcdsaInThreadPool } from '../msp/ecdsa.js';
import { loadSigningIdentity } from '../msp/signing-identity.js';
import { DEFAULT_EXECUTE_TIMEOUT_MS, type ChaincodeHandler } from '../peer/chaincode/chaincode-handler.js';
import { parseGoDuration } from '../core/go-duration.js';
import { ChaincodeRegistry } from '../peer/chaincode/chaincode-registry.js';
import { registryChaincodeExecutor } from '../peer/endorser-chaincode.js';
import { ProposalHandler } from '../peer/endorser.js';
import { MapChaincodeDefinitions, type ChaincodeDefinitions } from '../peer/validation/chaincode-definition.js';
import { chaincodeSupportService } from '../transport/grpc/chaincode-support-service.js';
import { gatewayService } from '../transport/grpc/gateway-service.js';
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
import { startChaincodes } from './peer-chaincodes.js';
import { PeerChannels } from './peer-channels.js';
import { createPeerGateway, type ChannelPeer } from './peer-gateway.js';
import { TimerScheduler } from './timer-scheduler.js';

/**
 * The peer process's composition root: real clock and timers, LevelDB in the data dir (one prefixed
 * part per channel ledger), gRPC+TLS from the node's cryptogen `tls/` folder (Deliver for block
 * events, Endorser for proposals, ChaincodeSupport for chaincode processes, Gateway for
 * applications), the signing identity from its `msp/`, the orderer connections for the deliver
 * clients and the Gateway, the chaincodes of the network file (launched, or dialled for ccaas),
 * and the channel join admin API on its own HTTPS port.
 */

const MAX_MESSAGE_BYTES = 100 * 1024 * 1024;
const NO_CHAINCODES = new MapChaincodeDefinitions([]);

export interface PeerNodeSpec extends NodeSpec {
  /** The chaincodes the network file defines, by channel. */
  readonly chaincodes: ReadonlyMap<string, readonly ChaincodeConfig[]>;
  /** The peers of each channel's organizations (this one included): the Gateway's endorsers. */
  readonly channelPeers: ReadonlyMap<string, readonly ChannelPeer[]>;
  /** Where relative chaincode package paths are resolved: the directory fabsim runs in. */
  readonly workDir: string;
  /** Fabric's chaincode.executetimeout: how long one transaction may run in a chaincode. */
  readonly chaincodeExecuteTimeoutMs: number;
}

/** Finds `host` among the network file's peers and checks its crypto material is there. */
export function resolvePeerNode(config: NetworkConfig, host: string, o: NodeSpecOptions): PeerNodeSpec {
  const spec = resolveNodeSpec(config, 'peer', host, o);
  // Every node listens on the spec's host (127.0.0.1); its certificates name it too.
  const peersOf = (orgNames: readonly string[]): ChannelPeer[] =>
    config.organizations
      .filter((org) => orgNames.includes(org.name))
      .flatMap((org) => org.peers.map((node) => ({ host: hostName(node, org), dialAddress: `${spec.listenHost}:${node.port}`, port: node.port, mspId: org.mspId })));
  return {
    ...spec,
    chaincodes: new Map(config.channels.map((c) => [c.name, c.chaincodes])),
    channelPeers: new Map(config.channels.map((c) => [c.name, peersOf(c.organizations)])),
    workDir: process.cwd(),
    chaincodeExecuteTimeoutMs: config.peer?.chaincodeExecuteTimeout === undefined ? DEFAULT_EXECUTE_TIMEOUT_MS : parseGoDuration(config.peer.chaincodeExecuteTimeout)!,
  };
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
  const definitions = new Map([...spec.chaincodes].map(([channelId, chaincodes]) => [channelId, chaincodeDefinitionsFromConfig(chaincodes)]));
  const definitionsOf = (channelId: string): ChaincodeDefinitions => definitions.get(channelId) ?? NO_CHAINCODES;
  const channels = new PeerChannels({
    store,
    signer,
    clock,
    scheduler,
    logger,
    verify: verifyEcdsaInThreadPool,
    chaincodes: definitionsOf,
    connector,
  });
  await channels.reopen();
  // The chaincodes connected to this peer (ChaincodeSupport/Register, or dialled for ccaas), by registered name.
  const chaincodeRegistry = new ChaincodeRegistry<ChaincodeHandler>();
  const proposals = new ProposalHandler({
    registry: channels.registry,
    ledgerOf: (ch) => channels.ledgerOf(ch),
    signer,
    clock,
    verify: verifyEcdsaInThreadPool,
    chaincodes: { definitionsOf, stateOf: (ch) => channels.ledgerOf(ch), executor: registryChaincodeExecutor(chaincodeRegistry), executeTimeoutMs: spec.chaincodeExecuteTimeoutMs },
    logger,
  });
  const clientTls = { serverCaPems: spec.tlsCaPems, certPem: tls.certPem, keyPem: tls.keyPem };
  const peerGateway = createPeerGateway({
    selfHost: spec.host,
    mspId: spec.mspId,
    channels,
    registry: channels.registry,
    proposals,
    peersOf: (channelId) => spec.channelPeers.get(channelId) ?? [],
    definitionsOf,
    tls: clientTls,
    verify: verifyEcdsaInThreadPool,
    logger,
  });
  const grpc = await startGrpcServer({
    host: spec.listenHost,
    port: spec.port,
    credentials: optionalClientCertServerCredentials({ certPem: tls.certPem, keyPem: tls.keyPem, clientCaPems: spec.tlsCaPems }),
    services: [
      peerDeliverService({ registry: channels.registry, blocksOf: (ch) => channels.ledgerOf(ch), clock, logger }),
      endorserService({ handler: proposals, logger }),
      chaincodeSupportService({ registry: chaincodeRegistry, logger, executeTimeoutMs: spec.chaincodeExecuteTimeoutMs }),
      gatewayService({ gateway: peerGateway.gateway, logger }),
    ],
    maxMessageBytes: MAX_MESSAGE_BYTES,
  });
  const chaincodes = startChaincodes({
    spec,
    peerAddress: `${spec.listenHost}:${grpc.port}`,
    tls: { rootCertPem: tls.caPem, clientCertPem: tls.certPem, clientKeyPem: tls.keyPem },
    registry: chaincodeRegistry,
    logger,
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
        await chaincodes.stop();
        peerGateway.close();
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
