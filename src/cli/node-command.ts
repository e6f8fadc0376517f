import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH, loadNetworkConfig } from '../config/load-network-config.js';
import { DEFAULT_CRYPTO_DIR } from '../net/generate-crypto.js';
import { resolveOrdererNode, runOrderer } from '../node/orderer-main.js';

/** `fabsim node start <host>`: runs one node of the network in this process (the launcher spawns these). */
export function registerNodeCommands(program: Command): void {
  const node = program.command('node').description('run one node of the network in the foreground');
  node
    .command('start <host>')
    .description('start the orderer <host> (e.g. orderer.example.com) from the network config; SIGTERM stops it cleanly')
    .option('-c, --config <file>', 'network config', DEFAULT_CONFIG_PATH)
    .option('--crypto <dir>', 'crypto material folder (from `fabsim crypto generate`)', DEFAULT_CRYPTO_DIR)
    .option('--data <dir>', 'data folder (default .fabsim/data/<host>)')
    .option('--admin-port <port>', 'port of the channel participation admin API (default: the node port + 3, as test-network)', (v) => Number(v))
    .action(async (host: string, opts: { config: string; crypto: string; data?: string; adminPort?: number }) => {
      const config = loadNetworkConfig(opts.config);
      const spec = resolveOrdererNode(config, host, { cryptoDir: opts.crypto, ...(opts.data ? { dataDir: opts.data } : {}), ...(opts.adminPort ? { adminPort: opts.adminPort } : {}) });
      await runOrderer(spec);
    });
}
