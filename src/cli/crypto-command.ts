import { relative } from 'node:path';
import type { Command } from 'commander';
import { systemClock } from '../core/clock.js';
import { DEFAULT_CONFIG_PATH, loadNetworkConfig } from '../config/load-network-config.js';
import { DEFAULT_CRYPTO_DIR, generateCrypto } from '../net/generate-crypto.js';

/** `fabsim crypto generate`: cryptogen's job, from the network config. */
export function registerCryptoCommands(program: Command): void {
  const crypto = program.command('crypto').description('crypto material (certificates and keys), laid out as cryptogen lays it out');
  crypto
    .command('generate')
    .description('write every organization\'s CA, MSP, node and user material; existing organizations are kept')
    .option('-c, --config <file>', 'network config', DEFAULT_CONFIG_PATH)
    .option('-o, --out <dir>', 'output folder', DEFAULT_CRYPTO_DIR)
    .option('-f, --force', 'regenerate organizations that already exist', false)
    .action(async (opts: { config: string; out: string; force: boolean }) => {
      const config = loadNetworkConfig(opts.config);
      const results = await generateCrypto(config, opts.out, { force: opts.force, nowMs: systemClock.nowMs() });
      for (const r of results) {
        const verb = r.outcome === 'written' ? 'wrote' : 'kept ';
        console.log(`${verb} ${r.organization.padEnd(12)} ${relative(process.cwd(), r.dir) || r.dir}`);
      }
      if (results.some((r) => r.outcome === 'kept')) console.log('(existing organizations were kept; use --force to regenerate them)');
    });
}
