import { z } from 'zod';
import { parseSignaturePolicy } from '../policy/index.js';
import { goDurationText, ordererSettingsProblems, ordererSettingsSchema, resolveOrdererSettings, type OrdererSettings } from './orderer-settings.js';

export { DEFAULT_ORDERER_SETTINGS, type OrdererSettings } from './orderer-settings.js';

/**
 * The schema of a fabsim network file (config/network.yaml is the default). It describes what
 * Fabric's test-network describes across crypto-config.yaml, configtx.yaml and compose files:
 * organizations with their orderers, peers and users, and the channels they share.
 *
 * Conventions, as in cryptogen: a node named `peer0` in domain `org1.example.com` has the host
 * name `peer0.org1.example.com`; every organization gets an `Admin` user; `users` lists the others.
 */

const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'a lowercase host label such as "peer0" (letters, digits, hyphens)');
const domain = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/, 'a lowercase DNS domain such as "org1.example.com"');
const port = z.number({ error: 'a port number' }).int('a whole port number').min(1024, 'a port from 1024 to 65535').max(65535, 'a port from 1024 to 65535');
const userName = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'a user name such as "User1" (letters, digits, _ and -)');

const nodeSchema = z.strictObject({
  name: dnsLabel,
  port,
});

const organizationSchema = z.strictObject({
  /** The organization's name in configtx terms, e.g. "Org1". */
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'an organization name such as "Org1"'),
  mspId: z.string().regex(/^[A-Za-z0-9.-]+$/, 'an MSP ID such as "Org1MSP" (letters, digits, dots, hyphens)'),
  domain,
  orderers: z.array(nodeSchema).default([]),
  peers: z.array(nodeSchema).default([]),
  users: z.array(userName).default([]),
});

/**
 * A chaincode definition on a channel (what Fabric's lifecycle `approveformyorg`/`commit` agree on:
 * name, version, sequence, endorsement policy, init required). For now fabsim takes it from the
 * network file; the peers read it at start. `endorsementPolicy` is a signature policy such as
 * `AND('Org1MSP.peer','Org2MSP.peer')` or a channel policy path such as
 * `/Channel/Application/Endorsement` (the default: MAJORITY Endorsement, as in Fabric).
 */
const chaincodeSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9]+([A-Za-z0-9_-]*[A-Za-z0-9])?$/, 'a chaincode name such as "basic" (letters, digits, _ and -, as Fabric allows)'),
  version: z.string().min(1, 'a version label such as "1.0"').default('1.0'),
  sequence: z.number().int('a whole number').min(1, 'a sequence of at least 1').default(1),
  endorsementPolicy: z
    .string()
    .refine((text) => text.startsWith('/Channel/') || policyParses(text), {
      message: "a signature policy such as \"AND('Org1MSP.peer','Org2MSP.peer')\" or a channel policy path such as /Channel/Application/Endorsement",
    })
    .optional(),
  initRequired: z.boolean().default(false),
  /**
   * The chaincode package the peers launch (a Node.js package directory whose start script runs
   * `fabric-chaincode-node start`), relative to the directory fabsim runs in, e.g.
   * `chaincode/asset-transfer`. Each peer of the channel starts it as its own process.
   */
  path: z.string().min(1, 'a chaincode package directory such as chaincode/asset-transfer').optional(),
  /**
   * Chaincode as a service: the host:port where the chaincode runs `fabric-chaincode-node server`;
   * the peers dial it (protos.Chaincode/Connect) instead of launching a process.
   */
  ccaas: z.string().regex(/^[A-Za-z0-9.-]+:[0-9]{1,5}$/, 'a chaincode server address host:port such as 127.0.0.1:9999').optional(),
})
  .refine((cc) => cc.path === undefined || cc.ccaas === undefined, { message: 'either path (the peer launches the chaincode) or ccaas (the peer dials a running chaincode server), not both', path: ['ccaas'] });

function policyParses(text: string): boolean {
  try {
    parseSignaturePolicy(text);
    return true;
  } catch {
    return false;
  }
}

const channelSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9.-]*$/, 'a channel name such as "mychannel" (lowercase, starting with a letter, as Fabric requires)'),
  /** Names of the application organizations (with peers) that are members. */
  organizations: z.array(z.string()).min(1, 'at least one organization'),
  /** This channel's ordering settings, overriding the network-wide `orderer:` field by field. */
  orderer: ordererSettingsSchema.optional(),
  /** The chaincodes defined on this channel. */
  chaincodes: z.array(chaincodeSchema).default([]),
});

/** Settings of every peer (Fabric's core.yaml). */
const peerSettingsSchema = z.strictObject({
  /** core.yaml chaincode.executetimeout: how long one transaction may run in a chaincode before the peer fails it. Default 30s. */
  chaincodeExecuteTimeout: goDurationText.optional(),
});

export const networkConfigSchema = z
  .strictObject({
    organizations: z.array(organizationSchema).min(1, 'at least one organization'),
    channels: z.array(channelSchema).default([]),
    /** Ordering settings (batch size and timeout, Raft options) for every channel; see orderer-settings.ts. */
    orderer: ordererSettingsSchema.optional(),
    /** Peer settings for every peer; see peerSettingsSchema. */
    peer: peerSettingsSchema.optional(),
  })
  .superRefine((config, ctx) => {
    const unique = (values: Array<[string, (string | number)[]]>, what: string): void => {
      const seen = new Map<string, string>();
      for (const [value, path] of values) {
        const where = path.join('.');
        const first = seen.get(value);
        if (first !== undefined) ctx.addIssue({ code: 'custom', path, message: `a unique ${what}; "${value}" is also used at ${first}` });
        else seen.set(value, where);
      }
    };
    const orgs = config.organizations;
    unique(orgs.map((o, i) => [o.name, ['organizations', i, 'name']]), 'organization name');
    unique(orgs.map((o, i) => [o.mspId, ['organizations', i, 'mspId']]), 'MSP ID');
    unique(orgs.map((o, i) => [o.domain, ['organizations', i, 'domain']]), 'domain');
    unique(
      orgs.flatMap((o, i) => [
        ...o.orderers.map((n, j): [string, (string | number)[]] => [String(n.port), ['organizations', i, 'orderers', j, 'port']]),
        ...o.peers.map((n, j): [string, (string | number)[]] => [String(n.port), ['organizations', i, 'peers', j, 'port']]),
      ]),
      'port',
    );
    orgs.forEach((o, i) => {
      unique([...o.orderers, ...o.peers].map((n, j) => [n.name, ['organizations', i, j < o.orderers.length ? 'orderers' : 'peers', j < o.orderers.length ? j : j - o.orderers.length, 'name']]), `node name in ${o.name}`);
      unique(o.users.map((u, j) => [u, ['organizations', i, 'users', j]]), `user name in ${o.name}`);
      o.users.forEach((u, j) => {
        if (u === 'Admin') ctx.addIssue({ code: 'custom', path: ['organizations', i, 'users', j], message: 'a user other than "Admin": every organization already gets an Admin user' });
      });
      if (o.orderers.length > 0 && o.peers.length > 0) {
        ctx.addIssue({ code: 'custom', path: ['organizations', i, 'peers'], message: `either orderers or peers in one organization, as cryptogen separates OrdererOrgs from PeerOrgs; move the peers of ${o.name} to an organization of their own` });
      }
      if (o.orderers.length === 0 && o.peers.length === 0) {
        ctx.addIssue({ code: 'custom', path: ['organizations', i], message: 'an organization with at least one orderer or one peer' });
      }
    });
    if (!orgs.some((o) => o.orderers.length > 0)) {
      ctx.addIssue({ code: 'custom', path: ['organizations'], message: 'at least one organization with orderers (an ordering service)' });
    }
    const names = new Set(orgs.map((o) => o.name));
    config.channels.forEach((c, i) =>
      c.organizations.forEach((name, j) => {
        if (!names.has(name)) {
          ctx.addIssue({ code: 'custom', path: ['channels', i, 'organizations', j], message: `the name of an organization defined above (${[...names].join(', ')}), not "${name}"` });
        } else if (orgs.find((o) => o.name === name)?.peers.length === 0) {
          ctx.addIssue({ code: 'custom', path: ['channels', i, 'organizations', j], message: `an application organization with peers; "${name}" has none` });
        }
      }),
    );
    unique(config.channels.map((c, i) => [c.name, ['channels', i, 'name']]), 'channel name');
    config.channels.forEach((c, i) => unique(c.chaincodes.map((cc, j) => [cc.name, ['channels', i, 'chaincodes', j, 'name']]), `chaincode name in ${c.name}`));
    // Cross-field rules on the merged settings, reported where the offending section is.
    // A problem the network-wide section already has is reported once, there.
    const networkProblems = ordererSettingsProblems(resolveOrdererSettings(config.orderer));
    const report = (problems: typeof networkProblems, at: (string | number)[]): void => {
      for (const problem of problems) ctx.addIssue({ code: 'custom', path: [...at, ...problem.field], message: problem.message });
    };
    report(networkProblems, ['orderer']);
    config.channels.forEach((c, i) => {
      if (c.orderer === undefined) return;
      const own = ordererSettingsProblems(resolveOrdererSettings(config.orderer, c.orderer));
      report(own.filter((p) => !networkProblems.some((n) => n.field.join('.') === p.field.join('.'))), ['channels', i, 'orderer']);
    });
  });

export type NetworkConfig = z.infer<typeof networkConfigSchema>;
export type OrganizationConfig = NetworkConfig['organizations'][number];
export type NodeConfig = OrganizationConfig['peers'][number];
export type ChannelConfig = NetworkConfig['channels'][number];
export type ChaincodeConfig = ChannelConfig['chaincodes'][number];

/** The ordering settings of a channel: defaults, then the network's `orderer:`, then the channel's own. */
export function channelOrdererSettings(config: NetworkConfig, channelName: string): OrdererSettings {
  const channel = config.channels.find((c) => c.name === channelName);
  return resolveOrdererSettings(config.orderer, channel?.orderer);
}

/** `peer0` in `org1.example.com` → `peer0.org1.example.com`, as cryptogen names hosts. */
export function hostName(node: { name: string }, org: { domain: string }): string {
  return `${node.name}.${org.domain}`;
}
