import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { computeTxId, HeaderType, parseChannelHeader } from '../../../src/protos/envelope.js';
import {
  buildProposal,
  buildProposalHeader,
  buildProposalResponse,
  buildSignedProposal,
  buildSignedProposalMessage,
  parseProposal,
  parseProposalHeader,
  parseProposalResponse,
  parseSignedProposal,
} from '../../../src/protos/proposal.js';
import { parseSignatureHeader } from '../../../src/protos/signature-header.js';
import { parseChaincodeHeaderExtension, parseChaincodeInvocationSpec, parseChaincodeProposalPayload } from '../../../src/protos/transaction.js';
import { decodeError } from '../../helpers/expect-error.js';

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

/** A signer with a real P-256 key; `serialized` is any bytes (the builder only copies them). */
function testSigner(): { serialized: Uint8Array; sign(m: Uint8Array): Uint8Array; signed: Uint8Array[] } {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signed: Uint8Array[] = [];
  return {
    serialized: utf8('creator identity bytes'),
    signed,
    sign(m) {
      signed.push(m);
      return new Uint8Array(sign('sha256', m, privateKey));
    },
  };
}

describe('protos.Proposal and SignedProposal', () => {
  it('round-trips a Proposal and its common.Header', () => {
    const header = buildProposalHeader({ channelHeader: bytes(1, 2), signatureHeader: bytes(3) });
    const proposal = parseProposal(buildProposal({ header, payload: bytes(9, 9), extension: bytes(7) }));
    expect(proposal).toEqual({ header, payload: bytes(9, 9), extension: bytes(7) });
    expect(parseProposalHeader(proposal.header)).toEqual({ channelHeader: bytes(1, 2), signatureHeader: bytes(3) });
  });

  it('round-trips a SignedProposal, keeping the proposal bytes exactly', () => {
    const sp = parseSignedProposal(buildSignedProposalMessage({ proposalBytes: bytes(5, 6, 7), signature: bytes(8) }));
    expect(sp).toEqual({ proposalBytes: bytes(5, 6, 7), signature: bytes(8) });
  });

  it('refuses malformed and incomplete bytes with PROTO_MALFORMED', () => {
    expect(decodeError(() => parseSignedProposal(bytes(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f)))).toMatch(/protos\.SignedProposal/);
    expect(decodeError(() => parseSignedProposal(new Uint8Array()))).toMatch(/proposal_bytes are empty/);
    expect(decodeError(() => parseProposal(buildProposal({ header: new Uint8Array(), payload: bytes(1), extension: new Uint8Array() })))).toMatch(/header is empty/);
    expect(decodeError(() => parseProposalHeader(buildProposalHeader({ channelHeader: new Uint8Array(), signatureHeader: bytes(1) })))).toMatch(/channel_header is empty/);
    expect(decodeError(() => parseProposalHeader(buildProposalHeader({ channelHeader: bytes(1), signatureHeader: new Uint8Array() })))).toMatch(/signature_header is empty/);
    expect(decodeError(() => parseProposalResponse(bytes(0x22, 0x05, 0x01)))).toMatch(/protos\.ProposalResponse/);
  });
});

describe('protos.ProposalResponse', () => {
  it('round-trips an endorsed response', () => {
    const input = {
      version: 1,
      timestampMs: Date.UTC(2026, 5, 1, 12, 0, 0, 250),
      response: { status: 200, message: 'OK', payload: utf8('result') },
      payload: bytes(1, 2, 3),
      endorsement: { endorser: utf8('peer0'), signature: bytes(4, 5) },
    };
    expect(parseProposalResponse(buildProposalResponse(input))).toEqual(input);
  });

  it('reads an error response with no endorsement, payload or timestamp', () => {
    const parsed = parseProposalResponse(buildProposalResponse({ response: { status: 500, message: "channel 'x' not found", payload: new Uint8Array() } }));
    expect(parsed).toEqual({ version: 0, timestampMs: undefined, response: { status: 500, message: "channel 'x' not found", payload: new Uint8Array() }, payload: new Uint8Array(), endorsement: undefined });
  });

  it("reads a response without its Response message as Go's zero value", () => {
    expect(parseProposalResponse(new Uint8Array()).response).toEqual({ status: 0, message: '', payload: new Uint8Array() });
  });
});

describe('buildSignedProposal (as fabric-gateway builds proposals)', () => {
  const nonce = bytes(...Array.from({ length: 24 }, (_, i) => i));
  const timestampMs = Date.UTC(2026, 5, 1, 9, 30, 0);

  it('builds an ENDORSER_TRANSACTION proposal for the chaincode, signed over the proposal bytes', () => {
    const signer = testSigner();
    const built = buildSignedProposal({ channelId: 'mychannel', chaincode: 'qscc', args: ['GetChainInfo', 'mychannel'], signer, nonce, timestampMs });
    expect(built.txId).toBe(computeTxId(nonce, signer.serialized));
    expect(built.txId).toBe(createHash('sha256').update(nonce).update(signer.serialized).digest('hex'));

    const signed = parseSignedProposal(built.signedProposal);
    expect(signed.proposalBytes).toEqual(built.proposal);
    expect(signer.signed).toEqual([built.proposal]);
    expect(signed.signature.length).toBeGreaterThan(60);

    const proposal = parseProposal(signed.proposalBytes);
    expect(proposal.extension).toHaveLength(0);
    const header = parseProposalHeader(proposal.header);
    const channelHeader = parseChannelHeader(header.channelHeader);
    expect(channelHeader).toMatchObject({ type: HeaderType.ENDORSER_TRANSACTION, channelId: 'mychannel', txId: built.txId, epoch: 0, timestampMs });
    expect(parseChaincodeHeaderExtension(channelHeader.extension).chaincodeId.name).toBe('qscc');
    expect(parseSignatureHeader(header.signatureHeader)).toEqual({ creator: signer.serialized, nonce });

    const payload = parseChaincodeProposalPayload(proposal.payload);
    expect(payload.transientMap.size).toBe(0);
    const spec = parseChaincodeInvocationSpec(payload.input);
    expect(spec.chaincodeId.name).toBe('qscc');
    expect(spec.input.args.map(text)).toEqual(['GetChainInfo', 'mychannel']);
  });

  it('passes byte arguments and the transient map through, and draws a fresh nonce when none is given', () => {
    const signer = testSigner();
    const hash = bytes(0xde, 0xad);
    const a = buildSignedProposal({ channelId: 'c', chaincode: 'qscc', args: ['GetBlockByHash', 'c', hash], signer, timestampMs, transientMap: new Map([['k', bytes(1)]]) });
    const b = buildSignedProposal({ channelId: 'c', chaincode: 'qscc', args: ['GetBlockByHash', 'c', hash], signer, timestampMs });
    expect(a.txId).not.toBe(b.txId);
    const payload = parseChaincodeProposalPayload(parseProposal(parseSignedProposal(a.signedProposal).proposalBytes).payload);
    expect(payload.transientMap.get('k')).toEqual(bytes(1));
    expect(parseChaincodeInvocationSpec(payload.input).input.args[2]).toEqual(hash);
  });
});
