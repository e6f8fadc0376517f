import { describe, expect, it } from 'vitest';
import { Certificate } from '../../../src/msp/certificate.js';
import { verifyEcdsa } from '../../../src/msp/ecdsa.js';
import { parseBlock } from '../../../src/protos/block.js';
import { parseEnvelopeHeaders } from '../../../src/protos/envelope.js';
import { parseSerializedIdentity } from '../../../src/protos/identity.js';
import {
  buildChaincodeAction,
  buildChaincodeActionPayload,
  buildChaincodeEndorsedAction,
  buildChaincodeEvent,
  buildChaincodeHeaderExtension,
  buildChaincodeId,
  buildChaincodeInput,
  buildChaincodeInvocationSpec,
  buildChaincodeProposalPayload,
  buildChaincodeResponse,
  buildEndorsement,
  buildProposalResponsePayload,
  buildTransaction,
  buildTransactionAction,
  ChaincodeType,
  endorsementMessage,
  parseChaincodeAction,
  parseChaincodeActionPayload,
  parseChaincodeEndorsedAction,
  parseChaincodeEvent,
  parseChaincodeHeaderExtension,
  parseChaincodeId,
  parseChaincodeInput,
  parseChaincodeInvocationSpec,
  parseChaincodeProposalPayload,
  parseChaincodeResponse,
  parseEndorsement,
  parseProposalResponsePayload,
  parseTransaction,
  parseTransactionAction,
  proposalHash,
} from '../../../src/protos/transaction.js';
import { vectorBytes } from '../../helpers/config-vectors.js';
import { decodeError } from '../../helpers/expect-error.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));
const CC = { name: 'basic', version: '1.0', path: '' };
/** A nested message field whose length runs past the buffer: every decoder must refuse it. */
const GARBAGE = Uint8Array.of(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01);
/** A varint in a field that should be a length-delimited one (wrong wire type). */
const WRONG_WIRE_TYPE = Uint8Array.of(0x0a, 0x05, 0x08);

describe('peer transaction messages: round trips', () => {
  it('round-trips every message', () => {
    const endorsement = { endorser: utf8('peer0'), signature: Uint8Array.of(0x30, 1) };
    expect(parseChaincodeId(buildChaincodeId({ name: 'a', version: 'b', path: 'c' }))).toEqual({ name: 'a', version: 'b', path: 'c' });
    expect(parseEndorsement(buildEndorsement(endorsement))).toEqual(endorsement);
    const endorsed = { proposalResponsePayload: Uint8Array.of(7), endorsements: [endorsement, { endorser: utf8('peer1'), signature: Uint8Array.of(2) }] };
    expect(parseChaincodeEndorsedAction(buildChaincodeEndorsedAction(endorsed))).toEqual(endorsed);
    const actionPayload = { chaincodeProposalPayload: Uint8Array.of(1, 2), action: endorsed };
    expect(parseChaincodeActionPayload(buildChaincodeActionPayload(actionPayload))).toEqual(actionPayload);
    const action = { header: Uint8Array.of(3), payload: Uint8Array.of(4) };
    expect(parseTransactionAction(buildTransactionAction(action))).toEqual(action);
    expect(parseTransaction(buildTransaction({ actions: [action, action] }))).toEqual({ actions: [action, action] });
    expect(parseTransaction(buildTransaction({ actions: [] }))).toEqual({ actions: [] });
    const prp = { proposalHash: Uint8Array.of(5), extension: Uint8Array.of(6) };
    expect(parseProposalResponsePayload(buildProposalResponsePayload(prp))).toEqual(prp);
    const response = { status: 500, message: 'boom', payload: utf8('p') };
    expect(parseChaincodeResponse(buildChaincodeResponse(response))).toEqual(response);
    const ccAction = { results: Uint8Array.of(8), events: new Uint8Array(), response, chaincodeId: CC };
    expect(parseChaincodeAction(buildChaincodeAction(ccAction))).toEqual(ccAction);
    expect(parseChaincodeHeaderExtension(buildChaincodeHeaderExtension({ chaincodeId: CC }))).toEqual({ chaincodeId: CC });
    const event = { chaincodeId: 'basic', txId: 'abc', eventName: 'Created', payload: utf8('{}') };
    expect(parseChaincodeEvent(buildChaincodeEvent(event))).toEqual(event);
    const input = { args: [utf8('Put'), utf8('k'), new Uint8Array()], isInit: true };
    expect(parseChaincodeInput(buildChaincodeInput(input))).toEqual(input);
    expect(parseChaincodeInvocationSpec(buildChaincodeInvocationSpec({ chaincodeId: CC, input }))).toEqual({ chaincodeId: CC, input, type: ChaincodeType.NODE });
    expect(parseChaincodeInvocationSpec(buildChaincodeInvocationSpec({ chaincodeId: CC, input, type: ChaincodeType.GOLANG })).type).toBe(ChaincodeType.GOLANG);
    const transientMap = new Map([['secret', utf8('s')], ['b', new Uint8Array()]]);
    const ccpp = parseChaincodeProposalPayload(buildChaincodeProposalPayload({ input: Uint8Array.of(9), transientMap }));
    expect(ccpp.input).toEqual(Uint8Array.of(9));
    expect(new Map(ccpp.transientMap)).toEqual(transientMap);
  });

  it('writes transient entries in key order, so equal maps give equal bytes', () => {
    const a = buildChaincodeProposalPayload({ input: Uint8Array.of(1), transientMap: new Map([['x', Uint8Array.of(1)], ['a', Uint8Array.of(2)]]) });
    const b = buildChaincodeProposalPayload({ input: Uint8Array.of(1), transientMap: new Map([['a', Uint8Array.of(2)], ['x', Uint8Array.of(1)]]) });
    expect(same(a, b)).toBe(true);
  });

  it('reads a missing response as zero values and a missing input as no args', () => {
    // ChaincodeAction { chaincode_id { name: "cc" } }: no response field at all.
    const noResponse = Uint8Array.of(0x22, 0x04, 0x12, 0x02, 0x63, 0x63);
    expect(parseChaincodeAction(noResponse)).toEqual({ results: new Uint8Array(), events: new Uint8Array(), response: { status: 0, message: '', payload: new Uint8Array() }, chaincodeId: { name: 'cc', version: '', path: '' } });
    // ChaincodeInvocationSpec { chaincode_spec { chaincode_id { name: "cc" } } }: no input, type UNDEFINED.
    const spec = Uint8Array.of(0x0a, 0x06, 0x12, 0x04, 0x12, 0x02, 0x63, 0x63);
    expect(parseChaincodeInvocationSpec(spec)).toEqual({ chaincodeId: { name: 'cc', version: '', path: '' }, input: { args: [], isInit: false }, type: 0 });
  });

  it('endorsementMessage is the response payload followed by the endorser; proposalHash is SHA-256 of the three parts', () => {
    expect(endorsementMessage(Uint8Array.of(1, 2), Uint8Array.of(3))).toEqual(Uint8Array.of(1, 2, 3));
    expect(Buffer.from(proposalHash(Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3))).toString('hex')).toBe('039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81');
  });
});

describe('peer transaction messages: against real Fabric v2.5 endorser transactions', () => {
  const envelopes = parseBlock(vectorBytes('block105-10tx.pb')).data;

  it('decodes every level, re-encodes each one byte for byte, and recomputes the proposal hash and endorsement signatures', () => {
    expect(envelopes).toHaveLength(10);
    for (const envelope of envelopes) {
      const { payload, channelHeader } = parseEnvelopeHeaders(envelope);
      expect(same(buildChaincodeHeaderExtension(parseChaincodeHeaderExtension(channelHeader.extension)), channelHeader.extension)).toBe(true);
      expect(parseChaincodeHeaderExtension(channelHeader.extension).chaincodeId).toEqual({ name: 'kv', version: '', path: '' });

      const tx = parseTransaction(payload.data);
      expect(same(buildTransaction(tx), payload.data)).toBe(true);
      expect(tx.actions).toHaveLength(1);
      const action = tx.actions[0]!;
      // Fabric's CreateSignedTx puts the proposal's SignatureHeader bytes in the action header.
      expect(same(action.header, payload.header.signatureHeader)).toBe(true);

      const cap = parseChaincodeActionPayload(action.payload);
      expect(same(buildChaincodeActionPayload(cap), action.payload)).toBe(true);
      const ccpp = parseChaincodeProposalPayload(cap.chaincodeProposalPayload);
      expect(ccpp.transientMap.size).toBe(0);
      expect(same(buildChaincodeProposalPayload(ccpp), cap.chaincodeProposalPayload)).toBe(true);
      const spec = parseChaincodeInvocationSpec(ccpp.input);
      expect(spec).toMatchObject({ chaincodeId: { name: 'kv', version: '', path: '' }, type: ChaincodeType.NODE });
      expect(same(buildChaincodeInvocationSpec(spec), ccpp.input)).toBe(true);
      expect(new TextDecoder().decode(spec.input.args[0])).toBe('Put');

      const prp = parseProposalResponsePayload(cap.action.proposalResponsePayload);
      expect(same(buildProposalResponsePayload(prp), cap.action.proposalResponsePayload)).toBe(true);
      expect(same(proposalHash(payload.header.channelHeader, payload.header.signatureHeader, cap.chaincodeProposalPayload), prp.proposalHash)).toBe(true);
      const ccAction = parseChaincodeAction(prp.extension);
      expect(same(buildChaincodeAction(ccAction), prp.extension)).toBe(true);
      expect(ccAction).toMatchObject({ chaincodeId: { name: 'kv', version: '1.0', path: '' }, response: { status: 200, message: '' }, events: new Uint8Array() });

      expect(cap.action.endorsements.map((e) => parseSerializedIdentity(e.endorser).mspId)).toEqual(['Org1MSP', 'Org2MSP']);
      for (const endorsement of cap.action.endorsements) {
        const identity = parseSerializedIdentity(endorsement.endorser);
        const key = Certificate.fromPem(identity.idBytes, identity.mspId).publicKey;
        expect(verifyEcdsa(key, endorsementMessage(cap.action.proposalResponsePayload, endorsement.endorser), endorsement.signature)).toBe('valid');
        expect(verifyEcdsa(key, cap.action.proposalResponsePayload, endorsement.signature)).toBe('mismatch');
      }
    }
  });
});

describe('peer transaction messages: malformed bytes', () => {
  const parsers: ReadonlyArray<[string, (bytes: Uint8Array) => unknown]> = [
    ['peer.ChaincodeID', parseChaincodeId],
    ['peer.Endorsement', parseEndorsement],
    ['peer.ChaincodeEndorsedAction', parseChaincodeEndorsedAction],
    ['peer.ChaincodeActionPayload', parseChaincodeActionPayload],
    ['peer.TransactionAction', parseTransactionAction],
    ['peer.Transaction', parseTransaction],
    ['peer.ProposalResponsePayload', parseProposalResponsePayload],
    ['peer.Response', parseChaincodeResponse],
    ['peer.ChaincodeAction', parseChaincodeAction],
    ['peer.ChaincodeHeaderExtension', parseChaincodeHeaderExtension],
    ['peer.ChaincodeEvent', parseChaincodeEvent],
    ['peer.ChaincodeInput', parseChaincodeInput],
    ['peer.ChaincodeInvocationSpec', parseChaincodeInvocationSpec],
    ['peer.ChaincodeProposalPayload', parseChaincodeProposalPayload],
  ];

  it.each(parsers)('%s: bytes that do not decode give PROTO_MALFORMED naming the message', (name, parse) => {
    expect(decodeError(() => parse(GARBAGE))).toContain(name);
    // A 4 GB length claim is refused at once (string/message fields by the reader guard, bytes by google-protobuf).
    expect(decodeError(() => parse(Uint8Array.of(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f)))).toContain(name);
  });

  it('refuses a wrong wire type where a nested message belongs', () => {
    // field 1 declared length-delimited, holding a lone varint tag with no value.
    expect(decodeError(() => parseTransaction(WRONG_WIRE_TYPE))).toContain('peer.Transaction');
  });

  it('refuses messages without the sub-message their type requires', () => {
    expect(decodeError(() => parseChaincodeActionPayload(new Uint8Array()))).toContain('it has no action');
    expect(decodeError(() => parseChaincodeAction(new Uint8Array()))).toMatch(/peer\.ChaincodeAction .*it has no chaincode_id/);
    expect(decodeError(() => parseChaincodeHeaderExtension(new Uint8Array()))).toMatch(/peer\.ChaincodeHeaderExtension .*it has no chaincode_id/);
    expect(decodeError(() => parseChaincodeInvocationSpec(new Uint8Array()))).toContain('it has no chaincode_spec');
    expect(decodeError(() => parseChaincodeInvocationSpec(Uint8Array.of(0x0a, 0x00)))).toMatch(/peer\.ChaincodeSpec .*it has no chaincode_id/);
  });
});
