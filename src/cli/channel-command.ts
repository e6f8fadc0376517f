import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { FabsimError } from '../core/errors.js';
import { DEFAULT_CONFIG_PATH, loadNetworkConfig } from '../config/load-network-config.js';
import { DEFAULT_CRYPTO_DIR } from '../net/generate-crypto.js';
import { resolveNodeSpec, type NodeKind } from '../node/node-spec.js';
import { ParticipationClient } from '../transport/http/participation-client.js';

/**
 * `fabsim channel join|list|remove`: Fabric's `osnadmin channel` (for an orderer) and `peer channel
 * join|list` (for a peer), as a client of the node's channel admin API. The node comes from the
 * network config; the TLS material from the cryptogen layout of --crypto: the node org's TLS CA, and
 * its Admin's TLS client certificate.
 */

export class ChannelCommandError extends FabsimError<'CHANNEL_BLOCK_UNREADABLE' | 'CHANNEL_ADMIN_CRYPTO_MISSING' | 'CHANNEL_NODE_MISSING'> {}

interface CommonOptions {
  readonly orderer?: string;
  readonly peer?: string;
  readonly config: string;
  readonly crypto: string;
  readonly adminPort?: number;
  readonly json?: boolean;
}

function addCommon(cmd: Command): Command {
  return cmd
    .option('-o, --orderer <host>', 'the orderer to administer (e.g. orderer.example.com), as named in the network config')
    .option('-p, --peer <host>', 'the peer to administer (e.g. peer0.org1.example.com), instead of an orderer')
    .option('-c, --config <file>', 'network config', DEFAULT_CONFIG_PATH)
    .option('--crypto <dir>', 'crypto material folder (from `fabsim crypto generate`)', DEFAULT_CRYPTO_DIR)
    .option('--admin-port <port>', 'port of the node\'s channel admin API (default: an orderer\'s port + 3, a peer\'s port + 1000)', parsePort)
    .option('--json', 'print the result as JSON', false);
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new InvalidArgumentError('expected a port number (1-65535).');
  return n;
}

/** The node that `--orderer` or `--peer` names (exactly one of them). */
function targetOf(o: CommonOptions): { kind: NodeKind; host: string } {
  if (o.orderer !== undefined && o.peer !== undefined) throw new ChannelCommandError('CHANNEL_NODE_MISSING', 'pass either --orderer HOST or --peer HOST, not both');
  if (o.orderer !== undefined) return { kind: 'orderer', host: o.orderer };
  if (o.peer !== undefined) return { kind: 'peer', host: o.peer };
  throw new ChannelCommandError('CHANNEL_NODE_MISSING', 'pass the node to administer: --orderer HOST (e.g. orderer.example.com) or --peer HOST (e.g. peer0.org1.example.com)');
}

/** The client for `--orderer` or `--peer`, with the TLS material of its organization's Admin. */
export function participationClientFor(o: CommonOptions): ParticipationClient {
  const config = loadNetworkConfig(o.config);
  const target = targetOf(o);
  const spec = resolveNodeSpec(config, target.kind, target.host, { cryptoDir: o.crypto, ...(o.adminPort ? { adminPort: o.adminPort } : {}) });
  const { orgDir, domain } = spec;
  const files = {
    ca: join(orgDir, 'tlsca', `tlsca.${domain}-cert.pem`),
    cert: join(orgDir, 'users', `Admin@${domain}`, 'tls', 'client.crt'),
    key: join(orgDir, 'users', `Admin@${domain}`, 'tls', 'client.key'),
  };
  for (const f of Object.values(files)) {
    if (!existsSync(f)) {
      throw new ChannelCommandError('CHANNEL_ADMIN_CRYPTO_MISSING', `the TLS material of the ${target.kind} org's Admin is missing (${f} not found); run \`npx fabsim crypto generate --out ${o.crypto}\` first, or pass --crypto DIR`, {
        context: { file: f },
      });
    }
  }
  return new ParticipationClient({
    host: spec.listenHost,
    port: spec.adminPort,
    servername: spec.host,
    nodeName: spec.host,
    nodeKind: target.kind,
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
The admin port defaults to an orderer's port in the network config + 3, a peer's + 1000 (as
\`fabsim node start\` uses). The client authenticates with the node org Admin's TLS certificate from
--crypto (<kind>Organizations/<domain>/users/Admin@<domain>/tls/client.crt).`;

export function registerChannelCommands(program: Command): void {
  const channel = program.command('channel').description("join a node to channels and list them, through its channel admin API (Fabric's osnadmin, peer channel join)");

  addCommon(channel.command('join'))
    .description('join the orderer or peer to a channel from the channel\'s genesis block')
    .requiredOption('-b, --block <file>', 'the channel\'s genesis (config) block file')
    .addHelpText('after', `\nExample:\n  $ npx fabsim channel join --orderer orderer.example.com --block channel-artifacts/mychannel.block\n  $ npx fabsim channel join --peer peer0.org1.example.com --block channel-artifacts/mychannel.block\n${COMMON_HELP}`)
    .action(async (opts: CommonOptions & { block: string }) => {
      let block: Uint8Array;
      try {
        block = new Uint8Array(readFileSync(opts.block));
      } catch (err) {
        throw new ChannelCommandError('CHANNEL_BLOCK_UNREADABLE', `cannot read the block file ${opts.block}: ${(err as Error).message}; pass the channel's genesis block with --block FILE`, { cause: err, context: { file: opts.block } });
      }
      const client = participationClientFor(opts);
      const info = await client.join(block);
      print(opts.json, info, [`${targetOf(opts).host} joined channel ${info.name} (height ${info.height})`]);
    });

  addCommon(channel.command('list'))
    .description('list the channels the orderer or peer is a member of')
    .addHelpText('after', `\nExample:\n  $ npx fabsim channel list --orderer orderer.example.com\n  $ npx fabsim channel list --orderer orderer.example.com --json\n${COMMON_HELP}`)
    .action(async (opts: CommonOptions) => {
      const client = participationClientFor(opts);
      const channels = await client.list();
      const infos = await Promise.all(channels.map(async (c) => (await client.info(c.name)) ?? { name: c.name, url: c.url }));
      print(
        opts.json,
        { channels: infos },
        channels.length === 0
          ? [`${targetOf(opts).host} is a member of no channel; join one with \`npx fabsim channel join --${targetOf(opts).kind} ${targetOf(opts).host} --block FILE\``]
          : [`channels of ${targetOf(opts).host}:`, ...infos.map((i) => `  ${i.name}${'height' in i ? `  height ${String(i.height)}${'status' in i ? `  ${String(i.status)}` : ''}` : ''}`)],
      );
    });

  addCommon(channel.command('remove'))
    .description('remove the orderer or peer from a channel')
    .requiredOption('--channel <name>', 'the channel to leave')
    .addHelpText('after', `\nExample:\n  $ npx fabsim channel remove --orderer orderer.example.com --channel mychannel\n${COMMON_HELP}`)
    .action(async (opts: CommonOptions & { channel: string }) => {
      const client = participationClientFor(opts);
      await client.remove(opts.channel);
      print(opts.json, { removed: opts.channel }, [`${targetOf(opts).host} left channel ${opts.channel}`]);
    });
}
