import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { FabsimError } from '../core/errors.js';
import { DEFAULT_CONFIG_PATH, loadNetworkConfig } from '../config/load-network-config.js';
import { DEFAULT_CRYPTO_DIR } from '../net/generate-crypto.js';
import { resolveOrdererNode } from '../node/orderer-main.js';
import { ParticipationClient } from '../transport/http/participation-client.js';

/**
 * `fabsim channel join|list|remove`: Fabric's `osnadmin channel`, a client of an orderer's channel
 * participation admin API. The orderer comes from the network config; the TLS material from the
 * cryptogen layout of --crypto: the orderer org's TLS CA, and its Admin's TLS client certificate.
 */

export class ChannelCommandError extends FabsimError<'CHANNEL_BLOCK_UNREADABLE' | 'CHANNEL_ADMIN_CRYPTO_MISSING'> {}

interface CommonOptions {
  readonly orderer: string;
  readonly config: string;
  readonly crypto: string;
  readonly adminPort?: number;
  readonly json?: boolean;
}

function addCommon(cmd: Command): Command {
  return cmd
    .requiredOption('-o, --orderer <host>', 'the orderer to administer (e.g. orderer.example.com), as named in the network config')
    .option('-c, --config <file>', 'network config', DEFAULT_CONFIG_PATH)
    .option('--crypto <dir>', 'crypto material folder (from `fabsim crypto generate`)', DEFAULT_CRYPTO_DIR)
    .option('--admin-port <port>', 'port of the orderer\'s channel participation admin API (default: the orderer port + 3)', parsePort)
    .option('--json', 'print the result as JSON', false);
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new InvalidArgumentError('expected a port number (1-65535).');
  return n;
}

/** The client for `--orderer`, with the TLS material of its organization's Admin. */
export function participationClientFor(o: CommonOptions): ParticipationClient {
  const config = loadNetworkConfig(o.config);
  const spec = resolveOrdererNode(config, o.orderer, { cryptoDir: o.crypto, ...(o.adminPort ? { adminPort: o.adminPort } : {}) });
  const { orgDir, domain } = spec;
  const files = {
    ca: join(orgDir, 'tlsca', `tlsca.${domain}-cert.pem`),
    cert: join(orgDir, 'users', `Admin@${domain}`, 'tls', 'client.crt'),
    key: join(orgDir, 'users', `Admin@${domain}`, 'tls', 'client.key'),
  };
  for (const f of Object.values(files)) {
    if (!existsSync(f)) {
      throw new ChannelCommandError('CHANNEL_ADMIN_CRYPTO_MISSING', `the TLS material of the orderer org's Admin is missing (${f} not found); run \`npx fabsim crypto generate --out ${o.crypto}\` first, or pass --crypto DIR`, {
        context: { file: f },
      });
    }
  }
  return new ParticipationClient({
    host: spec.listenHost,
    port: spec.adminPort,
    servername: spec.host,
    nodeName: spec.host,
    caPem: readFileSync(files.ca, 'utf8'),
    certPem: readFileSync(files.cert, 'utf8'),
    keyPem: readFileSync(files.key, 'utf8'),
  });
}

function print(json: boolean | undefined, value: unknown, lines: readonly string[]): void {
  if (json) console.log(JSON.stringify(value, null, 2));
  else for (const l of lines) console.log(l);
}

const COMMON_HELP = `
The orderer's admin port defaults to its port in the network config + 3 (as \`fabsim node start\` uses).
The client authenticates with the orderer org Admin's TLS certificate from --crypto
(ordererOrganizations/<domain>/users/Admin@<domain>/tls/client.crt).`;

export function registerChannelCommands(program: Command): void {
  const channel = program.command('channel').description("administer an orderer's channels through its channel participation admin API (Fabric's osnadmin)");

  addCommon(channel.command('join'))
    .description('join the orderer to a channel from the channel\'s genesis block')
    .requiredOption('-b, --block <file>', 'the channel\'s genesis (config) block file')
    .addHelpText('after', `\nExample:\n  $ npx fabsim channel join --orderer orderer.example.com --block channel-artifacts/mychannel.block\n${COMMON_HELP}`)
    .action(async (opts: CommonOptions & { block: string }) => {
      let block: Uint8Array;
      try {
        block = new Uint8Array(readFileSync(opts.block));
      } catch (err) {
        throw new ChannelCommandError('CHANNEL_BLOCK_UNREADABLE', `cannot read the block file ${opts.block}: ${(err as Error).message}; pass the channel's genesis block with --block FILE`, { cause: err, context: { file: opts.block } });
      }
      const client = participationClientFor(opts);
      const info = await client.join(block);
      print(opts.json, info, [`${opts.orderer} joined channel ${info.name} (height ${info.height})`]);
    });

  addCommon(channel.command('list'))
    .description('list the channels the orderer is a member of')
    .addHelpText('after', `\nExample:\n  $ npx fabsim channel list --orderer orderer.example.com\n  $ npx fabsim channel list --orderer orderer.example.com --json\n${COMMON_HELP}`)
    .action(async (opts: CommonOptions) => {
      const client = participationClientFor(opts);
      const channels = await client.list();
      const infos = await Promise.all(channels.map(async (c) => (await client.info(c.name)) ?? { name: c.name, url: c.url }));
      print(
        opts.json,
        { channels: infos },
        channels.length === 0
          ? [`${opts.orderer} is a member of no channel; join one with \`npx fabsim channel join --orderer ${opts.orderer} --block FILE\``]
          : [`channels of ${opts.orderer}:`, ...infos.map((i) => `  ${i.name}${'height' in i ? `  height ${String(i.height)}${'status' in i ? `  ${String(i.status)}` : ''}` : ''}`)],
      );
    });

  addCommon(channel.command('remove'))
    .description('remove the orderer from a channel')
    .requiredOption('--channel <name>', 'the channel to leave')
    .addHelpText('after', `\nExample:\n  $ npx fabsim channel remove --orderer orderer.example.com --channel mychannel\n${COMMON_HELP}`)
    .action(async (opts: CommonOptions & { channel: string }) => {
      const client = participationClientFor(opts);
      await client.remove(opts.channel);
      print(opts.json, { removed: opts.channel }, [`${opts.orderer} left channel ${opts.channel}`]);
    });
}
