import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { Logger } from '../core/logger.js';
import type { ChaincodeHandler } from '../peer/chaincode/chaincode-handler.js';
import type { ChaincodeRegistry } from '../peer/chaincode/chaincode-registry.js';
import { defaultChaincodeIds } from '../peer/endorser-chaincode.js';
import { chaincodeDefinitionsFromConfig } from './chaincode-definitions-from-config.js';
import { ChaincodeLauncher, type ChaincodeLaunchSpec } from './chaincode-launcher.js';
import type { ChaincodeTls } from './chaincode-process.js';
import { ChaincodeServerConnector } from './chaincode-server-connector.js';
import { dialChaincodeServer } from '../transport/grpc/chaincode-connect-client.js';
import type { PeerNodeSpec } from './peer-main.js';

/**
 * The chaincodes a peer runs for the network file's `channels[].chaincodes` (Fabric: the packages
 * installed on the peer, launched by its chaincode runtime):
 * - with `path`, the peer launches the package as its own process (ChaincodeLauncher: restarted
 *   when it crashes), registering as `name:version`;
 * - with `ccaas: host:port`, the chaincode runs `fabric-chaincode-node server` there and the peer
 *   dials it (ChaincodeServerConnector: dialled again whenever the stream ends), plaintext, as a
 *   chaincode server on the same machine (Fabric's connection.json with tls_required false);
 * - with neither, nothing is started: a chaincode started by hand (dev mode) may register itself.
 * A chaincode listed on several channels runs once. Logs go to `<data dir>-chaincode/<name>.log`.
 */
export interface PeerChaincodesOptions {
  readonly spec: Pick<PeerNodeSpec, 'chaincodes' | 'dataDir' | 'workDir' | 'mspId' | 'chaincodeExecuteTimeoutMs'>;
  /** This peer's ChaincodeSupport address (its gRPC port). */
  readonly peerAddress: string;
  /** TLS for launched chaincodes: the peer's TLS CA, and a client certificate the peer accepts. */
  readonly tls: ChaincodeTls;
  readonly registry: ChaincodeRegistry<ChaincodeHandler>;
  readonly logger: Logger;
}

export interface PeerChaincodes {
  /** The launched processes' PIDs by registered name. */
  pids(): ReadonlyMap<string, number>;
  stop(): Promise<void>;
}

export function startChaincodes(o: PeerChaincodesOptions): PeerChaincodes {
  const logDir = join(dirname(resolve(o.spec.dataDir)), `${basename(o.spec.dataDir)}-chaincode`);
  const launched = new Map<string, ChaincodeLaunchSpec>();
  const served = new Map<string, string>();
  for (const chaincodes of o.spec.chaincodes.values()) {
    for (const config of chaincodes) {
      const definition = chaincodeDefinitionsFromConfig([config]).get(config.name)!;
      const id = defaultChaincodeIds('', definition)[0]!;
      if (config.path !== undefined) {
        const packageDir = isAbsolute(config.path) ? config.path : resolve(o.spec.workDir, config.path);
        launched.set(id, { chaincodeIdName: id, packageDir, logFile: join(logDir, `${id.replace(/[^A-Za-z0-9._-]/g, '_')}.log`) });
      } else if (config.ccaas !== undefined) {
        served.set(id, config.ccaas);
      }
    }
  }
  const launcher = new ChaincodeLauncher({
    chaincodes: [...launched.values()],
    peerAddress: o.peerAddress,
    tls: o.tls,
    mspId: o.spec.mspId,
    logger: o.logger,
    registry: o.registry,
  });
  launcher.start();
  const connectors = [...served].map(
    ([id, address]) =>
      new ChaincodeServerConnector<ChaincodeHandler>({
        address,
        expectedChaincodeId: id,
        logger: o.logger,
        dial: () => dialChaincodeServer({ address, registry: o.registry, logger: o.logger, executeTimeoutMs: o.spec.chaincodeExecuteTimeoutMs }),
      }),
  );
  for (const c of connectors) c.start();
  return {
    pids: () => launcher.pids(),
    stop: async () => {
      await Promise.all([launcher.stop(), ...connectors.map((c) => c.stop())]);
    },
  };
}
