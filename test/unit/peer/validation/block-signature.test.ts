import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelResources } from '../../../../src/common/channel-resources.js';
import { SeededRng } from '../../../../src/core/rng.js';
import { BlockStore } from '../../../../src/ledger/block-store.js';
import { verifyEcdsaInThreadPool } from '../../../../src/msp/ecdsa.js';
import { loadSigningIdentity, type SigningIdentity } from '../../../../src/msp/signing-identity.js';
import { BlockWriter } from '../../../../src/orderer/block-writer.js';
import { verifyBlockSignatures } from '../../../../src/peer/validation/block-signature.js';
import { BlockMetadataSlot, blockDataHash, blockHeaderHash, buildMetadataValue, parseBlock, parseMetadataValue, type Block } from '../../../../src/protos/block.js';
import { MemoryKvStore } from '../../../../src/storage/memory-kv-store.js';
import { makeChannelFixture, NOW, signedEnvelope, type ChannelFixture } from '../../../helpers/channel-fixture.js';

const CHANNEL = 'mychannel';
let fx: ChannelFixture;
let resources: ChannelResources;
let orderer: SigningIdentity;
let peer1: SigningIdentity;
let client: SigningIdentity;

beforeAll(async () => {
  fx = await makeChannelFixture('block-signature');
  resources = fx.registry.get(CHANNEL)!;
  orderer = await loadSigningIdentity(join(fx.cryptoDir, 'ordererOrganizations', 'example.com', 'orderers', 'orderer.example.com', 'msp'), 'OrdererMSP');
  [peer1, client] = await Promise.all([fx.peer('org1'), fx.user('org1')]);
}, 60_000);
afterAll(() => fx?.cleanup());

/** Block 1 of `channelId`, written and signed by `signer` exactly as an orderer's BlockWriter does. */
async function signedBlock(signer: SigningIdentity, channelId = CHANNEL): Promise<Block> {
  const store = await BlockStore.open(new MemoryKvStore());
  const genesis = await store.append(fx.genesis.get(CHANNEL)!.block);
  const data = [signedEnvelope(client, { channelId }, NOW)];
  const block: Block = { header: { number: 1, previousHash: blockHeaderHash(genesis.header), dataHash: blockDataHash(data) }, data, metadata: [] };
  return parseBlock(await new BlockWriter(store, signer, new SeededRng(1), [1], 0).write(block, 5));
}

const check = (block: Block, extra: { nowMs?: number; expectedNumber?: number } = {}) =>
  verifyBlockSignatures({ block, channelId: CHANNEL, resources, verify: verifyEcdsaInThreadPool, nowMs: extra.nowMs ?? NOW, ...(extra.expectedNumber === undefined ? {} : { expectedNumber: extra.expectedNumber }) });

describe('verifyBlockSignatures (the peer checks each delivered block against /Channel/Orderer/BlockValidation)', () => {
  it('accepts a block signed by an orderer of the channel', async () => {
    expect(await check(await signedBlock(orderer), { expectedNumber: 1 })).toEqual({ ok: true, explanation: 'block 1 is signed by orderer.example.com (OrdererMSP), which satisfies /Channel/Orderer/BlockValidation' });
  });

  it('refuses a block signed by a peer: a channel member, but not an orderer Writer', async () => {
    const result = await check(await signedBlock(peer1));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toContain('block 1 of channel mychannel is refused: its orderer signatures do not satisfy /Channel/Orderer/BlockValidation');
    expect(!result.ok && result.reason).toContain('fetch the block from another orderer');
  });

  it('refuses a forged signature, an altered block and a block without signatures', async () => {
    const good = await signedBlock(orderer);
    const slot = parseMetadataValue(good.metadata[BlockMetadataSlot.SIGNATURES]!);
    const forgedSlot = buildMetadataValue({ value: slot.value, signatures: slot.signatures.map((s) => ({ signatureHeader: s.signatureHeader, signature: peer1.sign(new Uint8Array([1])) })) });
    const withSlot = (bytes: Uint8Array): Block => ({ ...good, metadata: good.metadata.map((m, i) => (i === BlockMetadataSlot.SIGNATURES ? bytes : m)) });

    const forged = await check(withSlot(forgedSlot));
    expect(!forged.ok && forged.reason).toContain('signature #1 left out: the signature does not verify with orderer.example.com (OrdererMSP)');

    const altered = await check({ ...good, data: [signedEnvelope(client, { channelId: CHANNEL }, NOW)] });
    expect(!altered.ok && altered.reason).toContain("its header's data_hash");

    const unsigned = await check(withSlot(new Uint8Array()));
    expect(!unsigned.ok && unsigned.reason).toContain('its SIGNATURES metadata is empty: no orderer signed it');
  });

  it('refuses a block of another channel, another number, or signed by an expired orderer certificate', async () => {
    const other = await check(await signedBlock(orderer, 'lab'));
    expect(!other.ok && other.reason).toContain('its transactions are for channel lab');
    const number = await check(await signedBlock(orderer), { expectedNumber: 2 });
    expect(!number.ok && number.reason).toContain('block 2 was expected');
    const expired = await check(await signedBlock(orderer), { nowMs: orderer.certificate.notAfterMs + 1 });
    expect(!expired.ok && expired.reason).toContain('not a valid member of channel mychannel');
  });
});
