import type { Command } from 'commander';
import { hostName, type NetworkConfig } from '../config/network-config.js';
import { DEFAULT_CONFIG_PATH, loadNetworkConfig } from '../config/load-network-config.js';
import { DEFAULT_CRYPTO_DIR } from '../net/generate-crypto.js';
import { NodeStartError, type NodeKind, type NodeSpecOptions } from '../node/node-spec.js';
import { resolveOrdererNode, runOrderer } from '../node/orderer-main.js';
import { resolvePeerNode, runPeer } from '../node/peer-main.js';

/** `fabsim node start <host>`: runs one node of the network in this process (the launcher spawns these). */
export function registerNodeCommands(program: Command): void {
  const node = program.command('node').description('run one node of the network in the foreground');
  node
    .command('start <host>')
    .description('start the orderer or peer <host> (e.g. orderer.example.com, peer0.org1.example.com) from the network config; SIGTERM stops it cleanly')
    .option('-c, --config <file>', 'network config', DEFAULT_CONFIG_PATH)
    .option('--crypto <dir>', 'crypto material folder (from `fabsim crypto generate`)', DEFAULT_CRYPTO_DIR)
    .option('--data <dir>', 'data folder (default .fabsim/data/<host>)')
    .option('--admin-port <port>', 'port of the channel participation admin API (default: an orderer\'s port + 3, as test-network; a peer\'s port + 1000)', (v) => Number(v))
    .action(async (host: string, opts: { config: string; crypto: string; data?: string; adminPort?: number }) => {
      const config = loadNetworkConfig(opts.config);
      const options: NodeSpecOptions = { cryptoDir: opts.crypto, ...(opts.data ? { dataDir: opts.data } : {}), ...(opts.adminPort ? { adminPort: opts.adminPort } : {}) };
      if (kindOf(config, host) === 'peer') await runPeer(resolvePeerNode(config, host, options));
      else await runOrderer(resolveOrdererNode(config, host, options));
    });
}

/** Whether `host` names an orderer or a peer of the network file. */
function kindOf(config: NetworkConfig, host: string): NodeKind {
  const orderers = config.organizations.flatMap((org) => org.orderers.map((n) => hostName(n, org)));
  const peers = config.organizations.flatMap((org) => org.peers.map((n) => hostName(n, org)));
  if (orderers.includes(host)) return 'orderer';
  if (peers.includes(host)) return 'peer';
  throw new NodeStartError('NODE_UNKNOWN', `no orderer or peer named ${host} in the network config (orderers: ${orderers.join(', ') || 'none'}; peers: ${peers.join(', ') || 'none'}); pass one of them, or the --config that defines it`);
}
