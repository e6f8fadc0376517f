import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostName, type NetworkConfig, type NodeConfig, type OrganizationConfig } from '../config/network-config.js';
import { FabsimError } from '../core/errors.js';
import { organizationDir } from '../msp/cryptogen.js';

/**
 * Where one node of the network file finds its identity and data: the node entry and its
 * organization, the cryptogen folders (organizations/<kind>Organizations/<domain>/<kind>s/<host>), the
 * data folder, and the TLS CAs of every organization (clients and other nodes present certificates
 * from those).
 */

export class NodeStartError extends FabsimError<'NODE_UNKNOWN' | 'NODE_CRYPTO_MISSING'> {}

export type NodeKind = 'orderer' | 'peer';

export interface NodeSpec {
  readonly kind: NodeKind;
  readonly host: string;
  readonly port: number;
  readonly adminPort: number;
  readonly mspId: string;
  readonly org: OrganizationConfig;
  readonly node: NodeConfig;
  /** The organization's cryptogen folder (<kind>Organizations/<domain>) and its domain. */
  readonly orgDir: string;
  readonly domain: string;
  /** <orgDir>/<kind>s/<host> */
  readonly nodeDir: string;
  readonly dataDir: string;
  /** TLS CAs of every organization: a client certificate, when presented, must chain to one. */
  readonly tlsCaPems: readonly string[];
  readonly listenHost: string;
}

export interface NodeSpecOptions {
  readonly cryptoDir: string;
  readonly dataDir?: string;
  readonly adminPort?: number;
}

/**
 * The admin API port when the command line does not say: the node port + 3 for an orderer (7050 →
 * 7053, as test-network's osnadmin), + 1000 for a peer (7051 → 8051, 9051 → 10051), which stays
 * clear of the default orderer and peer ports.
 */
export function defaultAdminPort(kind: NodeKind, port: number): number {
  return kind === 'orderer' ? port + 3 : port + 1000;
}

/** Finds `host` among the network file's nodes of `kind` and checks that its crypto material is there. */
export function resolveNodeSpec(config: NetworkConfig, kind: NodeKind, host: string, o: NodeSpecOptions): NodeSpec {
  const nodes = config.organizations.flatMap((org) => (kind === 'orderer' ? org.orderers : org.peers).map((node) => ({ org, node, host: hostName(node, org) })));
  const found = nodes.find((x) => x.host === host);
  if (found === undefined) {
    throw new NodeStartError('NODE_UNKNOWN', `no ${kind} named ${host} in the network config (its ${kind}s: ${nodes.map((x) => x.host).join(', ') || 'none'}); pass one of them, or the --config that defines it`);
  }
  const orgDir = organizationDir(o.cryptoDir, { kind, domain: found.org.domain });
  const nodeDir = join(orgDir, `${kind}s`, host);
  for (const f of ['msp/signcerts', 'tls/server.crt', 'tls/server.key', 'tls/ca.crt']) {
    if (!existsSync(join(nodeDir, f))) {
      throw new NodeStartError('NODE_CRYPTO_MISSING', `the crypto material of ${host} is missing (${join(nodeDir, f)} not found); run \`npx fabsim crypto generate --out ${o.cryptoDir}\` first, or pass --crypto DIR`);
    }
  }
  return {
    kind,
    host,
    port: found.node.port,
    adminPort: o.adminPort ?? defaultAdminPort(kind, found.node.port),
    mspId: found.org.mspId,
    org: found.org,
    node: found.node,
    orgDir,
    domain: found.org.domain,
    nodeDir,
    dataDir: o.dataDir ?? join('.fabsim', 'data', host),
    tlsCaPems: allTlsCaPems(config, o.cryptoDir),
    listenHost: '127.0.0.1',
  };
}

function allTlsCaPems(config: NetworkConfig, cryptoDir: string): string[] {
  const pems: string[] = [];
  for (const org of config.organizations) {
    const dir = join(organizationDir(cryptoDir, { kind: org.orderers.length > 0 ? 'orderer' : 'peer', domain: org.domain }), 'msp', 'tlscacerts');
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) pems.push(readFileSync(join(dir, name), 'utf8'));
  }
  return pems;
}
