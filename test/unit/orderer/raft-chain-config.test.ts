import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainConfigFromBlock, consenterIdOf } from '../../../src/orderer/chain-config.js';
import { makeRealNetwork, type RealNetwork } from './raft-chain-cluster.js';

describe('chainConfigFromBlock: the chain settings of the real genesis block (generateGenesisBlocks)', () => {
  let real: RealNetwork;
  beforeAll(async () => {
    real = await makeRealNetwork('chain-config');
  });
  afterAll(() => real.cleanup());

  it('gives the consenters in config order as Raft ids 1..3, and the batch settings', () => {
    const config = chainConfigFromBlock(real.genesisBlock);
    expect(config.channelId).toBe('mychannel');
    expect(config.consenters.map((c) => c.port)).toEqual([7050, 8050, 9050]);
    for (const c of config.consenters) expect(c.serverTlsCert).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(config.consenterIds).toEqual([1, 2, 3]);
    // Fabric test-network defaults
    expect(config.batchTimeoutMs).toBe(2000);
    expect(config.batchSize.maxMessageCount).toBe(10);
    expect(config.batchSize.absoluteMaxBytes).toBeGreaterThan(config.batchSize.preferredMaxBytes);
    expect(config.raftOptions).toMatchObject({ tickIntervalMs: 500, electionTick: 10, heartbeatTick: 1, maxInflightBlocks: 5 });
    expect(config.raftOptions.snapshotIntervalSizeBytes).toBeGreaterThan(0);
  });

  it('finds an orderer\'s Raft id by its TLS server certificate', () => {
    const config = chainConfigFromBlock(real.genesisBlock);
    expect(consenterIdOf(config, config.consenters[1]!.serverTlsCert)).toBe(2);
    expect(consenterIdOf(config, '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----')).toBeUndefined();
    // the same certificate with CRLF line endings is the same consenter
    expect(consenterIdOf(config, config.consenters[2]!.serverTlsCert.replaceAll('\n', '\r\n'))).toBe(3);
  });

  it('refuses a block that is not a config block', () => {
    expect(() => chainConfigFromBlock(readFileSync(new URL('../../../../shared/fabric-vectors/block105-10tx.pb', import.meta.url)))).toThrow(/not a config block|exactly one CONFIG envelope/);
  });
});
