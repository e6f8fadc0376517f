import { beforeAll, describe, expect, it } from 'vitest';
import { bytesEqual, toHex } from '../../../src/core/bytes.js';
import { SeededRng } from '../../../src/core/rng.js';
import { BlockStore } from '../../../src/ledger/block-store.js';
import { verifyEcdsa } from '../../../src/msp/ecdsa.js';
import type { SigningIdentity } from '../../../src/msp/signing-identity.js';
import { BlockCreator } from '../../../src/orderer/block-creator.js';
import { BlockWriter, readWrittenMetadata } from '../../../src/orderer/block-writer.js';
import {
  BLOCK_METADATA_SLOTS,
  BlockMetadataSlot,
  blockSignatureMessage,
  buildBlock,
  buildMetadataValue,
  parseBlock,
  parseMetadataValue,
  parseOrdererBlockMetadata,
} from '../../../src/protos/block.js';
import { buildEtcdRaftBlockMetadata, parseEtcdRaftBlockMetadata } from '../../../src/protos/etcdraft-block-metadata.js';
import { parseSignatureHeader } from '../../../src/protos/signature-header.js';
import { MemoryKvStore } from '../../../src/storage/memory-kv-store.js';
import { vectorBytes } from '../../helpers/config-vectors.js';
import { makeTestOrg } from '../../helpers/test-orgs.js';

const GENESIS = { header: { number: 0, previousHash: new Uint8Array(), dataHash: new Uint8Array(32).fill(1) }, data: [new Uint8Array([9])], metadata: [] };

describe('block metadata as a Fabric 2.5 Raft orderer writes it', () => {
  const fabric = parseBlock(vectorBytes('block105-10tx.pb'));
  let signer: SigningIdentity;
  beforeAll(async () => {
    const org = await makeTestOrg('OrdererMSP', 'example.com');
    signer = (await org.issue('orderer.example.com', 'orderer')).signer;
  });

  it('reads the SIGNATURES slot of a real Fabric block: last config and etcdraft BlockMetadata', () => {
    expect(readWrittenMetadata(fabric)).toEqual({ lastConfigIndex: 0, raft: { consenterIds: [1], nextConsenterId: 2, raftIndex: 107 } });
    // the typed helper writes exactly the bytes Fabric wrote
    const consenterMetadata = parseOrdererBlockMetadata(parseMetadataValue(fabric.metadata[BlockMetadataSlot.SIGNATURES]!).value).consenterMetadata;
    // (consenter_metadata wraps the etcdraft BlockMetadata in a common.Metadata)
    const wrapped = buildMetadataValue({ value: buildEtcdRaftBlockMetadata({ consenterIds: [1], nextConsenterId: 2, raftIndex: 107 }), signatures: [] });
    expect(toHex(wrapped)).toBe(toHex(consenterMetadata));
    expect(parseEtcdRaftBlockMetadata(parseMetadataValue(consenterMetadata).value)).toEqual({ consenterIds: [1], nextConsenterId: 2, raftIndex: 107 });
  });

  it('fills the slots like the Fabric block: one signature in SIGNATURES, LAST_CONFIG and the rest empty', async () => {
    const blocks = await BlockStore.open(new MemoryKvStore());
    await blocks.append(buildBlock(GENESIS));
    const writer = new BlockWriter(blocks, signer, new SeededRng(3), [1, 2, 3], 0);
    const { block } = new BlockCreator(GENESIS.header).createNextBlock([new Uint8Array([1, 2]), new Uint8Array([3])]);
    const stored = parseBlock(await writer.write(block, 42));
    expect(blocks.height).toBe(2);
    expect(stored.header).toEqual(block.header);
    expect(stored.metadata).toHaveLength(BLOCK_METADATA_SLOTS);
    const emptySlots = (b: typeof stored): number[] => b.metadata.map((m, i) => (m.length === 0 ? i : -1)).filter((i) => i >= 0);
    expect(emptySlots(stored)).toEqual(emptySlots(fabric));
    expect(readWrittenMetadata(stored)).toEqual({ lastConfigIndex: 0, raft: { consenterIds: [1, 2, 3], nextConsenterId: 4, raftIndex: 42 } });

    const slot = parseMetadataValue(stored.metadata[BlockMetadataSlot.SIGNATURES]!);
    const fabricSlot = parseMetadataValue(fabric.metadata[BlockMetadataSlot.SIGNATURES]!);
    expect(slot.signatures).toHaveLength(fabricSlot.signatures.length);
    const header = parseSignatureHeader(slot.signatures[0]!.signatureHeader);
    expect(header.nonce).toHaveLength(parseSignatureHeader(fabricSlot.signatures[0]!.signatureHeader).nonce.length);
    expect(bytesEqual(header.creator, signer.serialized)).toBe(true);
    // with Fabric's single consenter and raft index, the signed value is byte for byte Fabric's
    const blocks1 = await BlockStore.open(new MemoryKvStore());
    await blocks1.append(buildBlock(GENESIS));
    const single = parseBlock(await new BlockWriter(blocks1, signer, new SeededRng(3), [1], 0).write(block, 107));
    expect(toHex(parseMetadataValue(single.metadata[BlockMetadataSlot.SIGNATURES]!).value)).toBe(toHex(fabricSlot.value));
    const message = blockSignatureMessage(slot.value, slot.signatures[0]!.signatureHeader, stored.header);
    expect(verifyEcdsa(signer.certificate.x509.publicKey, message, slot.signatures[0]!.signature)).toBe('valid');
  });
});
