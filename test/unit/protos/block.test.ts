import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyEcdsa } from '../../../src/msp/ecdsa.js';
import { Certificate } from '../../../src/msp/certificate.js';
import {
  blockDataHash,
  blockHeaderBytes,
  blockSignatureMessage,
  BlockMetadataSlot,
  buildBlock,
  parseBlock,
  parseMetadataValue,
  parseOrdererBlockMetadata,
} from '../../../src/protos/block.js';
import { parseSerializedIdentity } from '../../../src/protos/identity.js';
import { parseSignatureHeader } from '../../../src/protos/signature-header.js';
import { SHARED_DIR } from '../../helpers/repo.js';

const vector = (name: string): Uint8Array => new Uint8Array(readFileSync(join(SHARED_DIR, 'fabric-vectors', name)));

describe('Fabric blocks, checked against real Fabric v2.5 blocks', () => {
  for (const name of ['block0-config.pb', 'block5-lifecycle.pb', 'block105-10tx.pb']) {
    it(`${name}: data hash, metadata slots, re-encoding`, () => {
      const bytes = vector(name);
      const block = parseBlock(bytes);
      expect(Buffer.from(blockDataHash(block.data)).toString('hex')).toBe(Buffer.from(block.header.dataHash).toString('hex'));
      expect(block.metadata).toHaveLength(5);
      // fabsim writes exactly the bytes Fabric wrote
      expect(Buffer.from(buildBlock(block)).equals(Buffer.from(bytes))).toBe(true);
    });
  }

  it('block 105: the orderer signature verifies over value ‖ signature header ‖ ASN.1 header', () => {
    const block = parseBlock(vector('block105-10tx.pb'));
    expect(block.header.number).toBe(105);
    expect(block.data).toHaveLength(10);
    const signatures = parseMetadataValue(block.metadata[BlockMetadataSlot.SIGNATURES] as Uint8Array);
    expect(signatures.signatures).toHaveLength(1);
    const [sig] = signatures.signatures;
    const header = parseSignatureHeader(sig!.signatureHeader);
    const creator = parseSerializedIdentity(header.creator);
    expect(creator.mspId).toBe('OrdererMSP');
    const cert = Certificate.fromPem(creator.idBytes, 'orderer');
    const message = blockSignatureMessage(signatures.value, sig!.signatureHeader, block.header);
    expect(verifyEcdsa(cert.publicKey, message, sig!.signature)).toBe('valid');
    // the orderer metadata carries the last config block index
    expect(parseOrdererBlockMetadata(signatures.value).lastConfigIndex).toBeGreaterThanOrEqual(0);
  });

  it('encodes the header as DER SEQUENCE { INTEGER, OCTET STRING, OCTET STRING }', () => {
    const der = blockHeaderBytes({ number: 0, previousHash: new Uint8Array(), dataHash: new Uint8Array(32).fill(0xab) });
    expect(Buffer.from(der.subarray(0, 7)).toString('hex')).toBe('3027020100' + '0400'); // 3 + 2 + 34 = 0x27 bytes of body
    expect(der[7]).toBe(0x04);
    expect(der[8]).toBe(32);
    const big = blockHeaderBytes({ number: 128, previousHash: new Uint8Array(32), dataHash: new Uint8Array(32) });
    expect(Buffer.from(big.subarray(2, 6)).toString('hex')).toBe('02020080'); // 128 needs a leading zero byte
  });
});
