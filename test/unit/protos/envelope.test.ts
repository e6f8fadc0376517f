import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isFabsimError } from '../../../src/core/errors.js';
import { parseBlock } from '../../../src/protos/block.js';
import {
  buildChannelHeader,
  buildEnvelope,
  buildPayload,
  computeTxId,
  describeHeaderType,
  HeaderType,
  parseChannelHeader,
  parseEnvelope,
  parseEnvelopeHeaders,
  parsePayload,
} from '../../../src/protos/envelope.js';
import { parseSerializedIdentity } from '../../../src/protos/identity.js';
import { ProtoDecodeError } from '../../../src/protos/proto-error.js';
import { buildSignatureHeader, parseSignatureHeader } from '../../../src/protos/signature-header.js';
import { vectorBytes } from '../../helpers/config-vectors.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const firstEnvelope = (name: string): Uint8Array => parseBlock(vectorBytes(name)).data[0] as Uint8Array;

function decodeError(run: () => unknown): ProtoDecodeError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtoDecodeError);
    expect(isFabsimError(err, 'PROTO_MALFORMED')).toBe(true);
    return err as ProtoDecodeError;
  }
  throw new Error('expected a ProtoDecodeError');
}

describe('common.Envelope, Payload and ChannelHeader, checked against real Fabric v2.5 blocks', () => {
  it("reads the genesis block's CONFIG envelope as configtxgen wrote it", () => {
    const { envelope, payload, channelHeader, signatureHeader } = parseEnvelopeHeaders(firstEnvelope('block0-config.pb'), { allowEmptyCreator: true });
    expect(envelope.signature).toHaveLength(0);
    expect(channelHeader).toMatchObject({ type: HeaderType.CONFIG, version: 1, channelId: 'mychannel', epoch: 0 });
    // block0-config.json: "timestamp": "2026-11-24T20:30:56Z" (whole seconds: Fabric zeroes the nanos)
    expect(channelHeader.timestampMs).toBe(Date.parse('2026-11-24T20:30:56Z'));
    expect(channelHeader.extension).toHaveLength(0);
    expect(channelHeader.tlsCertHash).toHaveLength(0);
    // a genesis block has no creator; its tx id is SHA-256 of the nonce alone
    expect(signatureHeader.creator).toHaveLength(0);
    expect(Buffer.from(signatureHeader.nonce).toString('base64')).toBe('7wMABBA4+1yHDev93ZX+zlnjnFx7mA25');
    expect(channelHeader.txId).toBe('a580a157332f92bde2a4e8fedcdd4aba2ba568dad7053b0fb8246bbaee7f111c');
    expect(computeTxId(signatureHeader.nonce, signatureHeader.creator)).toBe(channelHeader.txId);
    expect(payload.data.length).toBeGreaterThan(19_000);
  });

  it('computes the tx id of a real endorser transaction as SHA-256(nonce ‖ creator)', () => {
    const { channelHeader, signatureHeader } = parseEnvelopeHeaders(firstEnvelope('block105-10tx.pb'));
    expect(channelHeader.type).toBe(HeaderType.ENDORSER_TRANSACTION);
    expect(parseSerializedIdentity(signatureHeader.creator).mspId).toMatch(/^Org[12]MSP$/);
    expect(computeTxId(signatureHeader.nonce, signatureHeader.creator)).toBe(channelHeader.txId);
    // a client's timestamp carries nanos; fabsim keeps whole milliseconds
    expect(Number.isInteger(channelHeader.timestampMs)).toBe(true);
  });

  it('rebuilds both real envelopes byte for byte from their parsed parts', () => {
    for (const name of ['block0-config.pb', 'block105-10tx.pb']) {
      const original = firstEnvelope(name);
      const envelope = parseEnvelope(original);
      const payload = parsePayload(envelope.payload);
      const header = parseChannelHeader(payload.header.channelHeader);
      const signatureHeader = parseSignatureHeader(payload.header.signatureHeader, { allowEmptyCreator: true });
      if (name === 'block0-config.pb') expect(hex(buildChannelHeader(header))).toBe(hex(payload.header.channelHeader));
      expect(hex(buildSignatureHeader(signatureHeader))).toBe(hex(payload.header.signatureHeader));
      expect(hex(buildPayload(payload))).toBe(hex(envelope.payload));
      expect(hex(buildEnvelope(envelope))).toBe(hex(original));
    }
  });

  it('round-trips every channel header field', () => {
    const header = {
      type: HeaderType.ENDORSER_TRANSACTION,
      version: 2,
      timestampMs: Date.UTC(2026, 5, 1, 12, 30, 15, 250),
      channelId: 'mychannel',
      txId: 'ab'.repeat(32),
      epoch: 7,
      extension: Uint8Array.of(1, 2, 3),
      tlsCertHash: new Uint8Array(32).fill(9),
    };
    expect(parseChannelHeader(buildChannelHeader(header))).toEqual(header);
    const minimal = parseChannelHeader(buildChannelHeader({ type: HeaderType.MESSAGE, channelId: '' }));
    expect(minimal).toMatchObject({ type: 0, version: 0, timestampMs: undefined, txId: '', epoch: 0 });
  });

  it('computes Fabric tx ids over the concatenation of nonce and creator', () => {
    const sha = (...parts: number[][]): string => createHash('sha256').update(Uint8Array.from(parts.flat())).digest('hex');
    expect(computeTxId(new Uint8Array(), new Uint8Array())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(computeTxId(Uint8Array.of(1, 2), Uint8Array.of(3))).toBe(sha([1, 2, 3]));
    expect(computeTxId(Uint8Array.of(1), Uint8Array.of(2, 3))).toBe(sha([1, 2, 3]));
  });

  it('names header types', () => {
    expect(describeHeaderType(1)).toBe('CONFIG (1)');
    expect(describeHeaderType(3)).toBe('ENDORSER_TRANSACTION (3)');
    expect(describeHeaderType(42)).toBe('42 (unknown)');
  });

  it('refuses malformed bytes with ProtoDecodeError, never a crash', () => {
    const garbage = Uint8Array.of(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01);
    expect(decodeError(() => parseEnvelope(garbage)).message).toMatch(/^the bytes are not a valid common\.Envelope protobuf message \(.+\); check that the sender encodes Fabric's common\.Envelope$/);
    expect(decodeError(() => parseEnvelope(new Uint8Array())).message).toContain('its payload is empty');
    expect(decodeError(() => parsePayload(garbage)).message).toContain('common.Payload');
    expect(decodeError(() => parsePayload(buildEnvelope({ payload: new Uint8Array(), signature: Uint8Array.of(1) }))).message).toContain('it has no header');
    expect(decodeError(() => parseChannelHeader(Uint8Array.of(0x1a, 0x05, 0x08))).message).toContain('common.ChannelHeader');
    const noChannelHeader = buildEnvelope({ payload: buildPayload({ header: { channelHeader: new Uint8Array(), signatureHeader: new Uint8Array() }, data: Uint8Array.of(1) }), signature: new Uint8Array() });
    expect(decodeError(() => parseEnvelopeHeaders(noChannelHeader)).message).toContain('its header has no channel_header');
    // a creator is required unless the caller reads a genesis block
    expect(decodeError(() => parseEnvelopeHeaders(firstEnvelope('block0-config.pb'))).message).toContain('its creator is empty');
    // google-protobuf would spin for minutes on a nested length of 4 GB; the reader guard refuses it at once
    const hugeHeader = Uint8Array.of(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f);
    expect(decodeError(() => parsePayload(hugeHeader)).message).toContain('claims 4294967295 bytes, but only 0 remain');
    expect(decodeError(() => parseChannelHeader(Uint8Array.of(0x22, 0xff, 0xff, 0xff, 0xff, 0x0f))).message).toContain('claims 4294967295 bytes');
  });

  it('turns every corruption of a real envelope into a value or a ProtoDecodeError', () => {
    const original = firstEnvelope('block105-10tx.pb');
    let decoded = 0;
    for (let i = 0; i < 400; i++) {
      const bytes = Uint8Array.from(original);
      const at = (i * 7919) % bytes.length;
      bytes[at] = (bytes[at]! + 1 + ((i * 31) % 255)) & 0xff;
      const cut = i % 3 === 0 ? bytes.subarray(0, (i * 104729) % bytes.length) : bytes;
      try {
        parseEnvelopeHeaders(cut);
        decoded++;
      } catch (err) {
        expect(err).toBeInstanceOf(ProtoDecodeError);
      }
    }
    expect(decoded).toBeGreaterThan(0);
  });
});
