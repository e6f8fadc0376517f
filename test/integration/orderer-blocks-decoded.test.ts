/**
 * The blocks real orderer processes serve, decoded field by field with @hyperledger/fabric-protos
 * and checked against how Fabric lays them out: block 0 (the genesis/join block) and block 1 (a
 * data block cut by Raft), delivered by two different orderers. Hashes are recomputed with
 * node:crypto independently of src/protos/block.ts (and compared with it), and the metadata slots
 * are compared with a real Fabric v2.5 block (../shared/fabric-vectors/block105-10tx.pb).
 */
import { createHash, createVerify, X509Certificate } from 'node:crypto';
import { common, msp, orderer } from '@hyperledger/fabric-protos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockDataHash, blockHeaderBytes, blockHeaderHash, blockSignatureMessage, BlockMetadataSlot, parseBlock } from '../../src/protos/block.js';
import { parseConfigBlock } from '../../src/protos/config-block.js';
import { parseEtcdRaftBlockMetadata } from '../../src/protos/etcdraft-block-metadata.js';
import { HeaderType } from '../../src/protos/envelope.js';
import { buildSeekEnvelope } from '../../src/transport/grpc/grpc-block-puller.js';
import { vectorBytes } from '../helpers/config-vectors.js';
import { signedEnvelope } from '../helpers/channel-fixture.js';
import { CHANNEL, OrdererNetwork } from './helpers/orderer-network.js';

const ENVELOPES = 5;
const DELIVER_TIMEOUT_MS = 30_000;

let net: OrdererNetwork;
let leader: number;
let follower: number;
const broadcast: Uint8Array[] = [];
/** Raw bytes of blocks 0 and 1 as each orderer delivered them, by orderer index. */
const delivered = new Map<number, Uint8Array[]>();

const sha256 = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Fabric v2 protoutil.ComputeBlockDataHash: SHA-256 of the concatenated envelope bytes. */
const independentDataHash = (data: readonly Uint8Array[]): Buffer => sha256(Buffer.concat(data.map((d) => Buffer.from(d))));

/** A minimal DER encoder for Fabric's asn1Header{Number *big.Int; PreviousHash, DataHash []byte}. */
function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
function derUnsignedInteger(n: number): Buffer {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  if (bytes.length === 0 || bytes[0]! >= 0x80) bytes.unshift(0); // minimal, non-negative
  return tlv(0x02, Buffer.from(bytes));
}
const handHeaderDer = (h: common.BlockHeader): Buffer =>
  tlv(0x30, Buffer.concat([derUnsignedInteger(h.getNumber()), tlv(0x04, Buffer.from(h.getPreviousHash_asU8())), tlv(0x04, Buffer.from(h.getDataHash_asU8()))]));

const srcHeader = (h: common.BlockHeader): { number: number; previousHash: Uint8Array; dataHash: Uint8Array } => ({
  number: h.getNumber(),
  previousHash: h.getPreviousHash_asU8(),
  dataHash: h.getDataHash_asU8(),
});

function headerTypeOf(envelope: Uint8Array): number {
  const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(envelope).getPayload_asU8());
  return common.ChannelHeader.deserializeBinary(payload.getHeader()!.getChannelHeader_asU8()).getType();
}

async function deliverBlocks0To1(i: number): Promise<Uint8Array[]> {
  const user = await net.user('org1');
  const conn = net.connect(i);
  const stop = AbortSignal.timeout(DELIVER_TIMEOUT_MS);
  const seek = buildSeekEnvelope(user, CHANNEL, { start: { kind: 'specified', number: 0 }, stop: { kind: 'specified', number: 1 } }, Date.now());
  const blocks: Uint8Array[] = [];
  let status: string | undefined;
  for await (const r of conn.deliver(seek, stop)) {
    if (r.kind === 'block') blocks.push(r.block);
    else status = r.status;
  }
  if (status !== 'SUCCESS') throw new Error(`Deliver from orderer #${i} ended with ${status ?? 'no status'} after ${blocks.length} blocks`);
  return blocks;
}

beforeAll(async () => {
  net = await OrdererNetwork.create('orderer-blocks-decoded', { maxMessageCount: ENVELOPES, batchTimeout: '2s' });
  await net.startAll();
  for (const n of net.nodes) await net.join(n.index);
  leader = await net.waitForLeader();
  follower = net.nodes.find((n) => n.index !== leader)!.index;
  const user = await net.user('org1');
  for (let k = 0; k < ENVELOPES; k++) broadcast.push(signedEnvelope(user, { channelId: CHANNEL, data: new TextEncoder().encode(`tx-${k}`) }, Date.now()));
  const stream = net.connect(leader).broadcastStream();
  const answers = await Promise.all(broadcast.map((e) => stream.send(e)));
  stream.close();
  expect(answers.map((a) => a.status)).toEqual(broadcast.map(() => 'SUCCESS'));
  for (const i of [leader, follower]) delivered.set(i, await deliverBlocks0To1(i));
}, 120_000);

afterAll(async () => {
  await net?.cleanup();
});

describe('block 0 (the genesis block) as an orderer delivers it', () => {
  it('is the join block, with number 0, no previous hash, a Fabric data hash and one CONFIG envelope holding a ConfigEnvelope', () => {
    const bytes = delivered.get(leader)![0]!;
    expect(hex(bytes)).toBe(hex(net.genesisBlock)); // the orderer stores and serves the join block unchanged
    const block = common.Block.deserializeBinary(bytes);
    const header = block.getHeader()!;
    expect(header.getNumber()).toBe(0);
    expect(header.getPreviousHash_asU8().length).toBe(0);
    const data = block.getData()!.getDataList_asU8();
    expect(data.length).toBe(1);
    expect(hex(header.getDataHash_asU8())).toBe(hex(independentDataHash(data)));
    expect(hex(blockDataHash(data))).toBe(hex(independentDataHash(data)));
    expect(headerTypeOf(data[0]!)).toBe(HeaderType.CONFIG);
    expect(HeaderType.CONFIG).toBe(common.HeaderType.CONFIG);

    const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(data[0]!).getPayload_asU8());
    const configEnvelope = common.ConfigEnvelope.deserializeBinary(payload.getData_asU8());
    const groups = configEnvelope.getConfig()!.getChannelGroup()!.getGroupsMap();
    expect(groups.has('Orderer')).toBe(true);
    expect(groups.has('Application')).toBe(true);
    const parsed = parseConfigBlock(bytes);
    expect(parsed.channelHeader.channelId).toBe(CHANNEL);
    expect(hex(parsed.configEnvelope)).toBe(hex(payload.getData_asU8()));
    expect(parsed.lastConfigIndex).toBe(0);
  });

  it("has Fabric's genesis metadata: 5 slots, SIGNATURES = Metadata{OrdererBlockMetadata{last_config 0}} unsigned, the rest empty", () => {
    const block = common.Block.deserializeBinary(delivered.get(leader)![0]!);
    const slots = block.getMetadata()!.getMetadataList_asU8();
    expect(slots.length).toBe(fabricSlots().length);
    const sig = common.Metadata.deserializeBinary(slots[common.BlockMetadataIndex.SIGNATURES]!);
    expect(sig.getSignaturesList()).toEqual([]);
    expect(common.OrdererBlockMetadata.deserializeBinary(sig.getValue_asU8()).getLastConfig()!.getIndex()).toBe(0);
    for (const i of [common.BlockMetadataIndex.LAST_CONFIG, common.BlockMetadataIndex.TRANSACTIONS_FILTER, common.BlockMetadataIndex.ORDERER, 4]) expect(slots[i]!.length).toBe(0);
    // a real configtxgen genesis block (Fabric v2.5) has exactly these metadata bytes
    const realGenesis = common.Block.deserializeBinary(vectorBytes('block0-config.pb'));
    expect(slots.map(hex)).toEqual(realGenesis.getMetadata()!.getMetadataList_asU8().map(hex));
  });
});

/** The metadata slots of the real Fabric v2.5 data block. */
function fabricSlots(): Uint8Array[] {
  return common.Block.deserializeBinary(vectorBytes('block105-10tx.pb')).getMetadata()!.getMetadataList_asU8();
}

describe('block 1 (a data block) as orderers deliver it', () => {
  it('chains to block 0 by the SHA-256 of its ASN.1 DER header, and holds the broadcast envelopes byte for byte, in order', () => {
    const [b0, b1] = delivered.get(leader)!.map((b) => common.Block.deserializeBinary(b));
    const h0 = b0!.getHeader()!;
    const h1 = b1!.getHeader()!;
    expect(h1.getNumber()).toBe(1);
    const der0 = handHeaderDer(h0);
    expect(der0[0]).toBe(0x30);
    expect(hex(blockHeaderBytes(srcHeader(h0)))).toBe(der0.toString('hex'));
    expect(hex(h1.getPreviousHash_asU8())).toBe(hex(sha256(der0)));
    expect(hex(blockHeaderHash(srcHeader(h0)))).toBe(hex(sha256(der0)));

    const data = b1!.getData()!.getDataList_asU8();
    expect(data.map(hex)).toEqual(broadcast.map(hex));
    expect(hex(h1.getDataHash_asU8())).toBe(hex(independentDataHash(data)));
    expect(hex(blockDataHash(data))).toBe(hex(independentDataHash(data)));
    for (const d of data) expect(headerTypeOf(d)).toBe(common.HeaderType.ENDORSER_TRANSACTION);
  });

  it('hand-built DER matches the src encoder for multi-byte and high-bit block numbers too', () => {
    for (const number of [0, 1, 127, 128, 255, 256, 65_535, 2 ** 31, 2 ** 40 + 5]) {
      const h = new common.BlockHeader();
      h.setNumber(number);
      h.setPreviousHash(new Uint8Array(32).fill(7));
      h.setDataHash(new Uint8Array(32).fill(9));
      expect(hex(blockHeaderBytes(srcHeader(h))), `block number ${number}`).toBe(handHeaderDer(h).toString('hex'));
    }
  });

  it('has the metadata slots a Fabric v2.5 orderer writes, with a verifiable OrdererMSP signature, on every orderer', () => {
    const real = fabricSlots();
    for (const i of [leader, follower]) {
      const block = common.Block.deserializeBinary(delivered.get(i)![1]!);
      const slots = block.getMetadata()!.getMetadataList_asU8();
      expect(slots.length).toBe(real.length); // SIGNATURES, LAST_CONFIG, TRANSACTIONS_FILTER, ORDERER, COMMIT_HASH
      expect(slots.length).toBe(5);
      // The orderer leaves the deprecated LAST_CONFIG / ORDERER and the TRANSACTIONS_FILTER (filled by the committing peer) empty, as in the real block
      for (const s of [BlockMetadataSlot.LAST_CONFIG, BlockMetadataSlot.TRANSACTIONS_FILTER, BlockMetadataSlot.ORDERER, BlockMetadataSlot.COMMIT_HASH]) {
        expect(slots[s]!.length, `slot ${s} of orderer #${i}`).toBe(real[s]!.length);
        expect(slots[s]!.length).toBe(0);
      }
      expect(common.BlockMetadataIndex.TRANSACTIONS_FILTER).toBe(BlockMetadataSlot.TRANSACTIONS_FILTER);

      const sigSlot = common.Metadata.deserializeBinary(slots[common.BlockMetadataIndex.SIGNATURES]!);
      const value = sigSlot.getValue_asU8();
      const obm = common.OrdererBlockMetadata.deserializeBinary(value);
      expect(obm.getLastConfig()!.getIndex()).toBe(0);
      // consenter_metadata = common.Metadata{ value: etcdraft.BlockMetadata } (as in the real block)
      const raft = orderer.etcdraft.BlockMetadata.deserializeBinary(common.Metadata.deserializeBinary(obm.getConsenterMetadata_asU8()).getValue_asU8());
      expect(raft.getConsenterIdsList()).toEqual([1, 2, 3]);
      expect(raft.getNextConsenterId()).toBe(4);
      expect(raft.getRaftIndex()).toBeGreaterThan(0);
      expect(parseEtcdRaftBlockMetadata(common.Metadata.deserializeBinary(obm.getConsenterMetadata_asU8()).getValue_asU8()).raftIndex).toBe(raft.getRaftIndex());

      const signatures = sigSlot.getSignaturesList();
      expect(signatures.length).toBe(1);
      const sigHeaderBytes = signatures[0]!.getSignatureHeader_asU8();
      const sigHeader = common.SignatureHeader.deserializeBinary(sigHeaderBytes);
      expect(sigHeader.getNonce_asU8().length).toBe(24);
      const creator = msp.SerializedIdentity.deserializeBinary(sigHeader.getCreator_asU8());
      expect(creator.getMspid()).toBe('OrdererMSP');
      const cert = new X509Certificate(Buffer.from(creator.getIdBytes_asU8()));
      expect(cert.subject).toMatch(/CN=orderer\d*\.example\.com/);
      const headerDer = handHeaderDer(block.getHeader()!);
      const message = Buffer.concat([Buffer.from(value), Buffer.from(sigHeaderBytes), headerDer]);
      expect(hex(blockSignatureMessage(value, sigHeaderBytes, srcHeader(block.getHeader()!)))).toBe(message.toString('hex'));
      expect(createVerify('sha256').update(message).verify(cert.publicKey, Buffer.from(signatures[0]!.getSignature_asU8()))).toBe(true);
      // and not over anything else
      expect(createVerify('sha256').update(Buffer.concat([message, Buffer.from([0])])).verify(cert.publicKey, Buffer.from(signatures[0]!.getSignature_asU8()))).toBe(false);
    }
  });

  it('is the same block on two orderers (header, data), each signed by the orderer that wrote it', async () => {
    const a = common.Block.deserializeBinary(delivered.get(leader)![1]!);
    const b = common.Block.deserializeBinary(delivered.get(follower)![1]!);
    expect(hex(a.getHeader()!.serializeBinary())).toBe(hex(b.getHeader()!.serializeBinary()));
    expect(hex(a.getData()!.serializeBinary())).toBe(hex(b.getData()!.serializeBinary()));
    expect(hex(delivered.get(leader)![0]!)).toBe(hex(delivered.get(follower)![0]!));
    const signerOf = (blk: common.Block): string => {
      const m = common.Metadata.deserializeBinary(blk.getMetadata()!.getMetadataList_asU8()[0]!);
      return hex(common.SignatureHeader.deserializeBinary(m.getSignaturesList()[0]!.getSignatureHeader_asU8()).getCreator_asU8());
    };
    expect(signerOf(a)).toBe(hex((await net.ordererIdentity(leader)).serialized));
    expect(signerOf(b)).toBe(hex((await net.ordererIdentity(follower)).serialized));
    expect(signerOf(a)).not.toBe(signerOf(b));
    // parsed through src as well: same header and data
    expect(parseBlock(delivered.get(leader)![1]!).header).toEqual(parseBlock(delivered.get(follower)![1]!).header);
  });
});
