import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadNetworkConfig, parseNetworkConfig } from '../../../src/config/load-network-config.js';
import { channelOrdererSettings, DEFAULT_ORDERER_SETTINGS, hostName } from '../../../src/config/network-config.js';
import { makeTempDir, REPO_ROOT } from '../../helpers/repo.js';

const temp = makeTempDir('config');
afterAll(() => temp.cleanup());

function configError(text: string): ConfigError {
  try {
    parseNetworkConfig(text, 'lab.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const minimal = (orgs: string, channels = ''): string => `organizations:\n${orgs}\n  - { name: OrdererOrg, mspId: OrdererMSP, domain: example.com, orderers: [{ name: orderer, port: 7050 }] }\n${channels}`;

describe('the network config', () => {
  it('describes the default network like Fabric\'s test-network', () => {
    const config = loadNetworkConfig(join(REPO_ROOT, 'config/network.yaml'));
    const summary = config.organizations.map((o) => [o.mspId, [...o.orderers, ...o.peers].map((n) => `${hostName(n, o)}:${n.port}`), o.users]);
    expect(summary).toEqual([
      ['OrdererMSP', ['orderer.example.com:7050', 'orderer2.example.com:8050', 'orderer3.example.com:9050'], []],
      ['Org1MSP', ['peer0.org1.example.com:7051'], ['User1']],
      ['Org2MSP', ['peer0.org2.example.com:9051'], ['User1']],
    ]);
    expect(config.channels).toEqual([{ name: 'mychannel', organizations: ['Org1', 'Org2'], chaincodes: [{ name: 'basic', version: '1.0', sequence: 1, initRequired: false, path: 'chaincode/asset-transfer' }] }]);
  });

  it('reads chaincode definitions with Fabric defaults, and names a bad policy or a duplicate', () => {
    const org = '  - { name: Org1, mspId: Org1MSP, domain: org1.example.com, peers: [{ name: peer0, port: 7051 }] }';
    const ok = parseNetworkConfig(minimal(org, "channels:\n  - name: c\n    organizations: [Org1]\n    chaincodes:\n      - { name: basic }\n      - { name: two, version: '2', sequence: 3, endorsementPolicy: \"AND('Org1MSP.peer')\", initRequired: true }"), 'lab.yaml');
    expect(ok.channels[0]?.chaincodes).toEqual([
      { name: 'basic', version: '1.0', sequence: 1, initRequired: false },
      { name: 'two', version: '2', sequence: 3, endorsementPolicy: "AND('Org1MSP.peer')", initRequired: true },
    ]);
    const err = configError(minimal(org, "channels:\n  - name: c\n    organizations: [Org1]\n    chaincodes:\n      - { name: basic, endorsementPolicy: \"AND('Org1MSP.peer'\" }\n      - { name: basic }"));
    expect(err.message).toContain('channels[0].chaincodes[0].endorsementPolicy: expected a signature policy such as');
    expect(err.message).toContain('channels[0].chaincodes[1].name: expected a unique chaincode name in c');
  });

  it('reads where peers find a chaincode (a package path or a ccaas address) and the execute timeout, and refuses both at once or a bad address', () => {
    const org = '  - { name: Org1, mspId: Org1MSP, domain: org1.example.com, peers: [{ name: peer0, port: 7051 }] }';
    const ok = parseNetworkConfig(
      minimal(org, "peer: { chaincodeExecuteTimeout: 5s }\nchannels:\n  - name: c\n    organizations: [Org1]\n    chaincodes:\n      - { name: a, path: chaincode/asset-transfer }\n      - { name: b, ccaas: '127.0.0.1:9999' }"),
      'lab.yaml',
    );
    expect(ok.peer).toEqual({ chaincodeExecuteTimeout: '5s' });
    expect(ok.channels[0]?.chaincodes.map((c) => [c.name, c.path, c.ccaas])).toEqual([
      ['a', 'chaincode/asset-transfer', undefined],
      ['b', undefined, '127.0.0.1:9999'],
    ]);
    const both = configError(minimal(org, "channels:\n  - name: c\n    organizations: [Org1]\n    chaincodes:\n      - { name: a, path: x, ccaas: '127.0.0.1:1' }"));
    expect(both.message).toContain('channels[0].chaincodes[0].ccaas: expected either path (the peer launches the chaincode) or ccaas');
    const address = configError(minimal(org, "channels:\n  - name: c\n    organizations: [Org1]\n    chaincodes:\n      - { name: a, ccaas: 'nowhere' }"));
    expect(address.message).toContain('channels[0].chaincodes[0].ccaas: expected a chaincode server address host:port');
    expect(configError(minimal(org, 'peer: { chaincodeExecuteTimeout: soon }')).message).toContain('peer.chaincodeExecuteTimeout: expected a positive duration in Go syntax');
  });

  it('names the field and the expected value for a bad field', () => {
    const err = configError(minimal('  - { name: Org1, mspId: Org1MSP, domain: org1.example.com, peers: [{ name: peer0, port: "7051" }] }'));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toContain('lab.yaml is not a valid fabsim network config');
    expect(err.message).toContain('organizations[0].peers[0].port: expected a number, got "7051"');
  });

  it('reports a missing field, a misspelt field and a bad pattern, all at once', () => {
    const err = configError(minimal('  - { name: Org1, domain: Org1, peer: [] }'));
    expect(err.message).toContain('organizations[0].mspId: expected a string (the field is required)');
    expect(err.message).toContain('organizations[0]: expected no field named "peer" (check the spelling)');
    expect(err.message).toContain('organizations[0].domain: expected a lowercase DNS domain such as "org1.example.com", got "Org1"');
  });

  it('checks references and uniqueness across the file', () => {
    const err = configError(
      minimal(
        '  - { name: Org1, mspId: Org1MSP, domain: org1.example.com, peers: [{ name: peer0, port: 7050 }], users: [Admin] }',
        'channels:\n  - { name: mychannel, organizations: [Org1, Org3] }',
      ),
    );
    expect(err.message).toContain('organizations[1].orderers[0].port: expected a unique port; "7050" is also used at organizations.0.peers.0.port');
    expect(err.message).toContain('organizations[0].users[0]: expected a user other than "Admin"');
    expect(err.message).toContain('channels[0].organizations[1]: expected the name of an organization defined above (Org1, OrdererOrg), not "Org3"');
  });

  it('requires an ordering service', () => {
    const err = configError('organizations:\n  - { name: Org1, mspId: Org1MSP, domain: org1.example.com, peers: [{ name: peer0, port: 7051 }] }');
    expect(err.message).toContain('organizations: expected at least one organization with orderers (an ordering service)');
  });

  it('reports YAML syntax errors with the line and column', () => {
    const err = configError('organizations: [\n  - oops');
    expect(err.code).toBe('CONFIG_YAML_SYNTAX');
    expect(err.message).toMatch(/^lab\.yaml:\d+:\d+: not valid YAML/);
  });

  it('reports a file that does not exist, and one that is not a mapping', () => {
    expect(() => loadNetworkConfig(join(temp.dir, 'nope.yaml'))).toThrow(/cannot read network config .*nope\.yaml: ENOENT; pass an existing file with --config/);
    const path = join(temp.dir, 'list.yaml');
    writeFileSync(path, '- just\n- a list\n');
    expect(() => loadNetworkConfig(path)).toThrow(/\(top level\): expected a mapping with "organizations" and "channels"/);
  });

  describe('orderer settings (configtx.yaml BatchTimeout, BatchSize, EtcdRaft.Options)', () => {
    const withOrderer = (network: string, channel = ''): string =>
      minimal('  - { name: Org1, mspId: Org1MSP, domain: org1.example.com, peers: [{ name: peer0, port: 7051 }] }', `channels:\n  - { name: mychannel, organizations: [Org1]${channel} }\n${network}`);

    it("defaults to Fabric's test-network values", () => {
      const config = loadNetworkConfig(join(REPO_ROOT, 'config/network.yaml'));
      expect(channelOrdererSettings(config, 'mychannel')).toEqual({
        batchTimeoutMs: 2000,
        batchSize: { maxMessageCount: 10, absoluteMaxBytes: 103809024, preferredMaxBytes: 524288 },
        raft: { tickIntervalMs: 500, electionTick: 10, heartbeatTick: 1, maxInflightBlocks: 5, snapshotIntervalSizeBytes: 16777216 },
      });
      expect(channelOrdererSettings(config, 'mychannel')).toEqual(DEFAULT_ORDERER_SETTINGS);
    });

    it('reads durations in Go syntax and sizes with units; a channel overrides the network field by field', () => {
      const config = parseNetworkConfig(
        withOrderer(
          'orderer:\n  batchTimeout: 1m30s\n  batchSize: { maxMessageCount: 100, absoluteMaxBytes: 10 MB, preferredMaxBytes: "1 MB" }\n  raft: { tickInterval: 250ms, electionTick: 20, heartbeatTick: 2, maxInflightBlocks: 3, snapshotIntervalSize: 1048576 }\n',
          ', orderer: { batchTimeout: 500ms, batchSize: { maxMessageCount: 500 } }',
        ),
        'lab.yaml',
      );
      expect(channelOrdererSettings(config, 'mychannel')).toEqual({
        batchTimeoutMs: 500,
        batchSize: { maxMessageCount: 500, absoluteMaxBytes: 10 * 1024 * 1024, preferredMaxBytes: 1024 * 1024 },
        raft: { tickIntervalMs: 250, electionTick: 20, heartbeatTick: 2, maxInflightBlocks: 3, snapshotIntervalSizeBytes: 1048576 },
      });
      // the parsed file keeps what was written (sizes as bytes)
      expect(config.orderer?.batchTimeout).toBe('1m30s');
      expect(config.channels[0]?.orderer).toEqual({ batchTimeout: '500ms', batchSize: { maxMessageCount: 500 } });
    });

    it('names the field and the expected form for every bad value', () => {
      const err = configError(
        withOrderer(
          'orderer:\n  batchTimeout: 2\n  batchSize: { maxMessageCount: 0, absoluteMaxBytes: 12 XB, preferredMaxBytes: 5 GB }\n  raft: { tickInterval: soon, heartbeatTick: 1.5, snapshotIntervalSize: -4, electionTicks: 3 }\n',
          ', orderer: { batchTimeout: 0s }',
        ),
      );
      expect(err.code).toBe('CONFIG_INVALID');
      expect(err.message).toContain('orderer.batchTimeout: expected a positive duration in Go syntax, such as "2s", "500ms" or "1m30s", got 2');
      expect(err.message).toContain('orderer.batchSize.maxMessageCount: expected at least 1 (envelopes per block), got 0');
      expect(err.message).toContain('orderer.batchSize.absoluteMaxBytes: expected a size in bytes such as 524288, or with a unit such as "512 KB" or "99 MB" (at most 4 GB - 1), got "12 XB"');
      expect(err.message).toContain('orderer.batchSize.preferredMaxBytes: expected a size in bytes such as 524288, or with a unit such as "512 KB" or "99 MB" (at most 4 GB - 1), got "5 GB"');
      expect(err.message).toContain('orderer.raft.tickInterval: expected a positive duration in Go syntax, such as "2s", "500ms" or "1m30s", got "soon"');
      expect(err.message).toContain('orderer.raft.heartbeatTick: expected a whole number (Raft ticks), got 1.5');
      expect(err.message).toContain('orderer.raft.snapshotIntervalSize: expected a size in bytes');
      expect(err.message).toContain('orderer.raft: expected no field named "electionTicks" (check the spelling)');
      expect(err.message).toContain('channels[0].orderer.batchTimeout: expected a positive duration in Go syntax, such as "2s", "500ms" or "1m30s", got "0s"');
    });

    it("applies Fabric's cross-field rules where the offending section is", () => {
      const network = configError(withOrderer('orderer:\n  batchSize: { absoluteMaxBytes: 1 KB }\n  raft: { electionTick: 1 }\n'));
      expect(network.message).toContain('orderer.batchSize.preferredMaxBytes: expected at most absoluteMaxBytes (1024), as Fabric requires; got 524288');
      expect(network.message).toContain('orderer.raft.electionTick: expected more than heartbeatTick (1), as Raft requires; got 1');
      const channel = configError(withOrderer('', ', orderer: { raft: { heartbeatTick: 10 } }'));
      expect(channel.message).toContain('channels[0].orderer.raft.electionTick: expected more than heartbeatTick (10), as Raft requires; got 10');
      expect(channel.message).not.toContain('\n  orderer.raft');
    });
  });
});
