import { describe, expect, it } from 'vitest';
import { blockDataHash, buildBlock, parseBlock } from '../../../src/protos/block.js';
import { buildChannelConfig } from '../../../src/protos/channel-config.js';
import { buildConfigBlock, parseConfigBlock } from '../../../src/protos/config-block.js';
import { computeTxId, HeaderType } from '../../../src/protos/envelope.js';
import { vectorBytes } from '../../helpers/config-vectors.js';
import { decodeError } from '../../helpers/expect-error.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');


describe('the genesis block (common/genesis), checked against a real Fabric v2.5 block 0', () => {
  const bytes = vectorBytes('block0-config.pb');
  const parsed = parseConfigBlock(bytes);

  it('takes the real genesis block apart', () => {
    const { block, channelHeader, signatureHeader, envelope } = parsed;
    expect(block.header.number).toBe(0);
    expect(block.header.previousHash).toHaveLength(0);
    expect(hex(block.header.dataHash)).toBe(hex(blockDataHash(block.data)));
    expect(block.metadata.map(b64)).toEqual(['CgIKAA==', '', '', '', '']);
    expect(parsed.lastConfigIndex).toBe(0);
    expect(channelHeader).toMatchObject({ type: HeaderType.CONFIG, version: 1, channelId: 'mychannel', epoch: 0 });
    expect(signatureHeader.creator).toHaveLength(0);
    expect(envelope.signature).toHaveLength(0);
    expect(parsed.config.spec.orderer.batchTimeoutMs).toBe(2000);
  });

  it('rebuilds the real block byte for byte from its channel, nonce, time and config envelope', () => {
    const rebuilt = buildConfigBlock({
      channelId: parsed.channelHeader.channelId,
      configEnvelope: parsed.configEnvelope,
      nonce: parsed.signatureHeader.nonce,
      timestampMs: parsed.channelHeader.timestampMs as number,
    });
    expect(hex(rebuilt)).toBe(hex(bytes));
  });

  it('builds a genesis block from a channel config spec as Fabric does', () => {
    const nonce = new Uint8Array(24).fill(7);
    const timestampMs = Date.UTC(2026, 5, 1, 8, 0, 0, 999);
    const block = buildConfigBlock({ channelId: 'labchannel', configEnvelope: buildChannelConfig(parsed.config.spec), nonce, timestampMs });
    const again = parseConfigBlock(block);
    expect(again.channelHeader).toMatchObject({ type: HeaderType.CONFIG, version: 1, channelId: 'labchannel', txId: computeTxId(nonce, new Uint8Array()) });
    expect(again.channelHeader.timestampMs).toBe(Date.UTC(2026, 5, 1, 8, 0, 0)); // whole seconds, as MakeChannelHeader
    expect(again.block.metadata.map(b64)).toEqual(['CgIKAA==', '', '', '', '']);
    expect(again.config.spec).toEqual(parsed.config.spec);
  });

  it('refuses corrupt blocks and blocks that are not config blocks', () => {
    expect(decodeError(() => parseConfigBlock(bytes.subarray(0, 100)))).toContain('common.Block');
    const tampered = parseBlock(bytes);
    const flipped = Uint8Array.from(tampered.data[0] as Uint8Array);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1;
    expect(decodeError(() => parseConfigBlock(buildBlock({ ...tampered, data: [flipped] })))).toMatch(/header\.data_hash is [0-9a-f]{64} but the SHA-256 of its data is [0-9a-f]{64}; the block is corrupt/);
    const two = [tampered.data[0] as Uint8Array, tampered.data[0] as Uint8Array];
    expect(decodeError(() => parseConfigBlock(buildBlock({ ...tampered, header: { ...tampered.header, dataHash: blockDataHash(two) }, data: two })))).toContain('holds 2 envelopes');
    expect(decodeError(() => parseConfigBlock(vectorBytes('block105-10tx.pb')))).toContain('holds 10 envelopes');
    const tx = parseBlock(vectorBytes('block5-lifecycle.pb'));
    expect(decodeError(() => parseConfigBlock(buildBlock({ ...tx, data: tx.data.slice(0, 1), header: { ...tx.header, dataHash: blockDataHash(tx.data.slice(0, 1)) } })))).toContain(
      'has header type ENDORSER_TRANSACTION (3), not CONFIG (1): it is not a config block',
    );
  });
});
