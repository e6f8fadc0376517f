import { channelOrdererSettings, hostName, type NetworkConfig, type OrganizationConfig } from '../config/network-config.js';
import { assert } from '../core/assert.js';
import type { MspConfig } from '../msp/msp-config.js';
import { parseImplicitMetaPolicy, parseSignaturePolicy, type PolicyDefinition } from '../policy/index.js';
import type { ApplicationOrgSpec, ChannelConfigSpec, GroupPolicies, OrdererOrgSpec } from '../protos/channel-config.js';
import { DEFAULT_BLOCK_DATA_HASHING_WIDTH, DEFAULT_HASHING_ALGORITHM } from '../protos/config-values.js';

/**
 * fabsim's channel profile: what Fabric's test-network configtx.yaml (profile
 * ChannelUsingRaft) says, derived from the network file instead of written by hand. It matches
 * ../shared/fabric-vectors/block0-config.json:
 * - channel capability V2_0, orderer V2_0, application V2_5;
 * - policies as in configtx.yaml, in Fabric's policy language (below);
 * - orderer organizations are the organizations with orderers, keyed by their name
 *   (`/Channel/Orderer/OrdererOrg`), each with Endpoints `127.0.0.1:<port>` of its orderers;
 * - application organizations are the channel's organizations, keyed by their MSP ID
 *   (`/Channel/Application/Org1MSP`), as test-network's configtx.yaml names them, each with
 *   its first peer as anchor peer at 127.0.0.1;
 * - every orderer is a Raft consenter at 127.0.0.1:<port>, with its TLS server certificate as
 *   both client and server certificate, as test-network does;
 * - batch and Raft settings from the network file's `orderer:` sections (defaults: test-network's).
 */

/** The crypto material a profile needs: each organization's MSP, and each orderer's TLS server certificate (all present: a missing one is a bug). */
export interface ChannelMaterial {
  /** By organization name (network file `name`). */
  readonly msps: ReadonlyMap<string, MspConfig>;
  /** PEM, by orderer host name (e.g. orderer.example.com). */
  readonly ordererTlsCerts: ReadonlyMap<string, string>;
}

/** Where every node listens; fabsim runs every node on the loopback interface. */
export const NODE_HOST = '127.0.0.1';

const CHANNEL_CAPABILITIES = ['V2_0'];
const ORDERER_CAPABILITIES = ['V2_0'];
const APPLICATION_CAPABILITIES = ['V2_5'];

const implicit = (rules: Readonly<Record<string, string>>): GroupPolicies =>
  Object.fromEntries(Object.entries(rules).map(([name, rule]): [string, PolicyDefinition] => [name, parseImplicitMetaPolicy(rule)]));
const signature = (rules: Readonly<Record<string, string>>): GroupPolicies =>
  Object.fromEntries(Object.entries(rules).map(([name, rule]): [string, PolicyDefinition] => [name, parseSignaturePolicy(rule)]));

/** /Channel and /Channel/Application and /Channel/Orderer policies (configtx.yaml Channel/Application/Orderer defaults). */
const CHANNEL_POLICIES = implicit({ Readers: 'ANY Readers', Writers: 'ANY Writers', Admins: 'MAJORITY Admins' });
const APPLICATION_POLICIES = implicit({
  Readers: 'ANY Readers',
  Writers: 'ANY Writers',
  Admins: 'MAJORITY Admins',
  LifecycleEndorsement: 'MAJORITY Endorsement',
  Endorsement: 'MAJORITY Endorsement',
});
const ORDERER_POLICIES = implicit({ Readers: 'ANY Readers', Writers: 'ANY Writers', Admins: 'MAJORITY Admins', BlockValidation: 'ANY Writers' });

/** An orderer organization's policies (configtx.yaml OrdererOrg). */
export function ordererOrgPolicies(mspId: string): GroupPolicies {
  return signature({ Readers: `OR('${mspId}.member')`, Writers: `OR('${mspId}.member')`, Admins: `OR('${mspId}.admin')` });
}

/** An application organization's policies (configtx.yaml Org1/Org2). */
export function applicationOrgPolicies(mspId: string): GroupPolicies {
  return signature({
    Readers: `OR('${mspId}.admin', '${mspId}.peer', '${mspId}.client')`,
    Writers: `OR('${mspId}.admin', '${mspId}.client')`,
    Admins: `OR('${mspId}.admin')`,
    Endorsement: `OR('${mspId}.peer')`,
  });
}

export function channelProfile(config: NetworkConfig, channelName: string, material: ChannelMaterial): ChannelConfigSpec {
  const channel = config.channels.find((c) => c.name === channelName);
  assert(channel !== undefined, `channel ${channelName} is not in the network config`);
  const settings = channelOrdererSettings(config, channelName);
  const ordererOrgs = config.organizations.filter((o) => o.orderers.length > 0);
  const applicationOrgs = channel.organizations.map((name) => {
    const org = config.organizations.find((o) => o.name === name);
    assert(org !== undefined, `channel ${channelName} names organization ${name}, which the schema should have refused`);
    return org;
  });
  const mspOf = (org: OrganizationConfig): MspConfig => {
    const msp = material.msps.get(org.name);
    assert(msp !== undefined, `no MSP material for organization ${org.name}`);
    return msp;
  };
  const tlsCertOf = (host: string): string => {
    const cert = material.ordererTlsCerts.get(host);
    assert(cert !== undefined, `no TLS certificate for orderer ${host}`);
    return cert;
  };

  const ordererOrganizations = ordererOrgs.map(
    (org): OrdererOrgSpec => ({
      name: org.name,
      msp: mspOf(org),
      endpoints: org.orderers.map((o) => `${NODE_HOST}:${o.port}`),
      policies: ordererOrgPolicies(org.mspId),
    }),
  );
  const applicationOrganizations = applicationOrgs.map(
    (org): ApplicationOrgSpec => ({
      name: org.mspId,
      msp: mspOf(org),
      anchorPeers: org.peers.slice(0, 1).map((p) => ({ host: NODE_HOST, port: p.port })),
      policies: applicationOrgPolicies(org.mspId),
    }),
  );
  const consenters = ordererOrgs.flatMap((org) =>
    org.orderers.map((o) => {
      const cert = tlsCertOf(hostName(o, org));
      return { host: NODE_HOST, port: o.port, clientTlsCert: cert, serverTlsCert: cert };
    }),
  );
  return {
    sequence: 0,
    hashingAlgorithm: DEFAULT_HASHING_ALGORITHM,
    blockDataHashingStructureWidth: DEFAULT_BLOCK_DATA_HASHING_WIDTH,
    ordererAddresses: [],
    capabilities: CHANNEL_CAPABILITIES,
    policies: CHANNEL_POLICIES,
    orderer: {
      batchSize: settings.batchSize,
      batchTimeoutMs: settings.batchTimeoutMs,
      maxChannels: 0,
      capabilities: ORDERER_CAPABILITIES,
      consensusState: 'NORMAL',
      consenters,
      raftOptions: settings.raft,
      policies: ORDERER_POLICIES,
      organizations: ordererOrganizations,
    },
    application: { capabilities: APPLICATION_CAPABILITIES, policies: APPLICATION_POLICIES, organizations: applicationOrganizations },
  };
}
