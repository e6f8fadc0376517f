import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyEcdsa } from '../../../src/msp/ecdsa.js';
import type { SigningIdentity } from '../../../src/msp/signing-identity.js';
import { computeTxId, HeaderType, parseEnvelope, parseEnvelopeHeaders, type EnvelopeHeaders } from '../../../src/protos/envelope.js';
import { parseTxRwSet } from '../../../src/protos/rwset.js';
import {
  endorsementMessage,
  parseChaincodeAction,
  parseChaincodeActionPayload,
  parseChaincodeEvent,
  parseChaincodeHeaderExtension,
  parseChaincodeInvocationSpec,
  parseChaincodeProposalPayload,
  parseProposalResponsePayload,
  parseTransaction,
  proposalHash,
  type ChaincodeAction,
  type ChaincodeActionPayload,
} from '../../../src/protos/transaction.js';
import { makeChannelFixture, NOW, type ChannelFixture } from '../../helpers/channel-fixture.js';
import { buildEndorsedTransaction, type EndorsedTransactionSpec } from '../../helpers/endorsed-transaction.js';
import { decodeError } from '../../helpers/expect-error.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

interface Decoded {
  readonly headers: EnvelopeHeaders;
  readonly cap: ChaincodeActionPayload;
  readonly action: ChaincodeAction;
}

/** Every level of an endorser transaction, as a validator would read it. */
function decode(envelope: Uint8Array): Decoded {
  const headers = parseEnvelopeHeaders(envelope, { allowEmptyCreator: true });
  const tx = parseTransaction(headers.payload.data);
  expect(tx.actions).toHaveLength(1);
  expect(same(tx.actions[0]!.header, headers.payload.header.signatureHeader)).toBe(true);
  const cap = parseChaincodeActionPayload(tx.actions[0]!.payload);
  const action = parseChaincodeAction(parseProposalResponsePayload(cap.action.proposalResponsePayload).extension);
  return { headers, cap, action };
}

describe('buildEndorsedTransaction: real signed Fabric endorser transactions', () => {
  let fixture: ChannelFixture;
  let client: SigningIdentity;
  let peer1: SigningIdentity;
  let peer2: SigningIdentity;
  let base: EndorsedTransactionSpec;

  /** The verdict of each endorsement's signature, checked against the key of the identity it names. */
  const endorsementVerdicts = (cap: ChaincodeActionPayload): string[] =>
    cap.action.endorsements.map((e) => {
      const signer = [peer1, peer2].find((p) => same(p.serialized, e.endorser));
      if (signer === undefined) throw new Error('unknown endorser');
      return verifyEcdsa(signer.certificate.publicKey, endorsementMessage(cap.action.proposalResponsePayload, e.endorser), e.signature);
    });

  beforeAll(async () => {
    fixture = await makeChannelFixture('endorsed-tx');
    [client, peer1, peer2] = await Promise.all([fixture.user('org1'), fixture.peer('org1'), fixture.peer('org2')]);
    base = {
      channelId: 'mychannel',
      creator: client,
      endorsers: [peer1, peer2],
      chaincode: { name: 'basic', version: '2.0' },
      args: ['CreateAsset', 'asset1', utf8('blue')],
      rwsets: [
        {
          namespace: 'basic',
          reads: [{ key: 'asset1' }, { key: 'asset0', version: { blockNum: 3, txNum: 1 } }],
          writes: [{ key: 'asset1', value: 'blue' }, { key: 'asset0', isDelete: true }],
        },
      ],
      event: { name: 'AssetCreated', payload: 'asset1' },
    };
  }, 60_000);
  afterAll(() => fixture?.cleanup());

  it('builds an envelope that parses back with tx id = computeTxId(nonce, creator) and a valid creator signature', () => {
    const built = buildEndorsedTransaction(base);
    const { headers, cap, action } = decode(built.envelope);
    expect(headers.channelHeader).toMatchObject({ type: HeaderType.ENDORSER_TRANSACTION, channelId: 'mychannel', epoch: 0, timestampMs: NOW, txId: built.txId });
    expect(built.txId).toBe(computeTxId(headers.signatureHeader.nonce, headers.signatureHeader.creator));
    expect(same(headers.signatureHeader.creator, client.serialized)).toBe(true);
    expect(headers.signatureHeader.nonce).toHaveLength(24);
    expect(same(headers.envelope.payload, built.payload)).toBe(true);
    expect(verifyEcdsa(client.certificate.publicKey, headers.envelope.payload, headers.envelope.signature)).toBe('valid');
    expect(parseChaincodeHeaderExtension(headers.channelHeader.extension).chaincodeId).toEqual({ name: 'basic', version: '', path: '' });

    // The proposal payload (no transient map) and the hash the endorsers committed to.
    const ccpp = parseChaincodeProposalPayload(cap.chaincodeProposalPayload);
    expect(ccpp.transientMap.size).toBe(0);
    const spec = parseChaincodeInvocationSpec(ccpp.input);
    expect(spec.chaincodeId.name).toBe('basic');
    expect(spec.input.args.map((a) => new TextDecoder().decode(a))).toEqual(['CreateAsset', 'asset1', 'blue']);
    const prp = parseProposalResponsePayload(cap.action.proposalResponsePayload);
    expect(same(prp.proposalHash, proposalHash(headers.payload.header.channelHeader, headers.payload.header.signatureHeader, cap.chaincodeProposalPayload))).toBe(true);
    expect(same(built.proposalResponsePayload, cap.action.proposalResponsePayload)).toBe(true);

    // The endorsers' action and their signatures.
    expect(action.chaincodeId).toEqual({ name: 'basic', version: '2.0', path: '' });
    expect(action.response).toEqual({ status: 200, message: '', payload: new Uint8Array() });
    expect(parseChaincodeEvent(action.events)).toEqual({ chaincodeId: 'basic', txId: built.txId, eventName: 'AssetCreated', payload: utf8('asset1') });
    expect(parseTxRwSet(action.results)).toEqual({
      nsRwsets: [
        {
          namespace: 'basic',
          collectionHashedRwsetCount: 0,
          rwset: {
            reads: [{ key: 'asset1', version: undefined }, { key: 'asset0', version: { blockNum: 3, txNum: 1 } }],
            rangeQueriesInfo: [],
            writes: [{ key: 'asset1', isDelete: false, value: utf8('blue') }, { key: 'asset0', isDelete: true, value: new Uint8Array() }],
            metadataWrites: [],
          },
        },
      ],
    });
    expect(cap.action.endorsements.map((e) => same(e.endorser, peer1.serialized) || same(e.endorser, peer2.serialized))).toEqual([true, true]);
    expect(endorsementVerdicts(cap)).toEqual(['valid', 'valid']);
  });

  it('gives each transaction a fresh nonce and tx id; no event means empty events; timestamp null leaves it out', () => {
    const a = buildEndorsedTransaction({ ...base, event: undefined, timestampMs: null });
    const b = buildEndorsedTransaction(base);
    expect(a.txId).not.toBe(b.txId);
    const decoded = decode(a.envelope);
    expect(decoded.action.events).toHaveLength(0);
    expect(decoded.headers.channelHeader.timestampMs).toBeUndefined();
  });

  it('tamper: tx id, nonce, creator and header fields', () => {
    const badTxId = buildEndorsedTransaction({ ...base, tamper: { txId: 'f'.repeat(64) } });
    const h1 = decode(badTxId.envelope).headers;
    expect(h1.channelHeader.txId).toBe('f'.repeat(64));
    expect(computeTxId(h1.signatureHeader.nonce, h1.signatureHeader.creator)).not.toBe(h1.channelHeader.txId);
    expect(verifyEcdsa(client.certificate.publicKey, h1.envelope.payload, h1.envelope.signature)).toBe('valid');

    const nonce = Uint8Array.of(1, 2, 3);
    const withNonce = buildEndorsedTransaction({ ...base, tamper: { nonce } });
    expect(withNonce.txId).toBe(computeTxId(nonce, client.serialized));
    expect(buildEndorsedTransaction({ ...base, tamper: { nonce } }).txId).toBe(withNonce.txId);

    const emptyCreator = buildEndorsedTransaction({ ...base, tamper: { emptyCreator: true } });
    expect(decodeError(() => parseEnvelopeHeaders(emptyCreator.envelope))).toContain('its creator is empty');
    expect(emptyCreator.txId).toBe(computeTxId(emptyCreator.nonce, new Uint8Array()));
    const otherCreator = buildEndorsedTransaction({ ...base, tamper: { creatorBytes: peer2.serialized } });
    expect(same(decode(otherCreator.envelope).headers.signatureHeader.creator, peer2.serialized)).toBe(true);

    const typed = decode(buildEndorsedTransaction({ ...base, tamper: { headerType: HeaderType.MESSAGE, channelId: 'elsewhere' } }).envelope);
    expect(typed.headers.channelHeader).toMatchObject({ type: HeaderType.MESSAGE, channelId: 'elsewhere' });
  });

  it('tamper: creator signature', () => {
    const corrupt = parseEnvelope(buildEndorsedTransaction({ ...base, tamper: { corruptCreatorSignature: true } }).envelope);
    expect(verifyEcdsa(client.certificate.publicKey, corrupt.payload, corrupt.signature)).toBe('mismatch');
    const raw = parseEnvelope(buildEndorsedTransaction({ ...base, tamper: { creatorSignature: Uint8Array.of(1, 2) } }).envelope);
    expect(verifyEcdsa(client.certificate.publicKey, raw.payload, raw.signature)).toBe('malformed');
  });

  it('tamper: endorsements', () => {
    expect(endorsementVerdicts(decode(buildEndorsedTransaction({ ...base, tamper: { corruptEndorsementSignature: 1 } }).envelope).cap)).toEqual(['valid', 'mismatch']);
    const signedBy = decode(buildEndorsedTransaction({ ...base, tamper: { endorsementSignedBy: { index: 0, signer: peer2 } } }).envelope).cap;
    expect(same(signedBy.action.endorsements[0]!.endorser, peer1.serialized)).toBe(true);
    expect(endorsementVerdicts(signedBy)).toEqual(['mismatch', 'valid']);
    const first = signedBy.action.endorsements[0]!;
    expect(verifyEcdsa(peer2.certificate.publicKey, endorsementMessage(signedBy.action.proposalResponsePayload, peer1.serialized), first.signature)).toBe('valid');

    const duplicated = decode(buildEndorsedTransaction({ ...base, tamper: { duplicateEndorsement: 0 } }).envelope).cap;
    expect(duplicated.action.endorsements).toHaveLength(3);
    expect(duplicated.action.endorsements[2]).toEqual(duplicated.action.endorsements[0]);
    expect(endorsementVerdicts(duplicated)).toEqual(['valid', 'valid', 'valid']);
    const extra = decode(buildEndorsedTransaction({ ...base, endorsers: [peer1], tamper: { extraEndorsements: [{ endorser: peer2.serialized, signature: Uint8Array.of(0x30, 0) }] } }).envelope).cap;
    expect(endorsementVerdicts(extra)).toEqual(['valid', 'malformed']);
    expect(() => buildEndorsedTransaction({ ...base, tamper: { duplicateEndorsement: 5 } })).toThrow(/out of range/);
    expect(decode(buildEndorsedTransaction({ ...base, endorsers: [] }).envelope).cap.action.endorsements).toEqual([]);
  });

  it('tamper: raw bytes at each level, still signed by creator and endorsers', () => {
    const junk = Uint8Array.of(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01);
    const ext = decode(buildEndorsedTransaction({ ...base, tamper: { headerExtension: junk } }).envelope);
    expect(decodeError(() => parseChaincodeHeaderExtension(ext.headers.channelHeader.extension))).toContain('peer.ChaincodeHeaderExtension');

    const payload = parseEnvelope(buildEndorsedTransaction({ ...base, tamper: { payload: junk } }).envelope);
    expect(same(payload.payload, junk)).toBe(true);
    expect(verifyEcdsa(client.certificate.publicKey, payload.payload, payload.signature)).toBe('valid');

    const tx = parseEnvelopeHeaders(buildEndorsedTransaction({ ...base, tamper: { transaction: junk } }).envelope);
    expect(decodeError(() => parseTransaction(tx.payload.data))).toContain('peer.Transaction');

    const actionPayload = parseEnvelopeHeaders(buildEndorsedTransaction({ ...base, tamper: { actionPayload: junk } }).envelope);
    expect(decodeError(() => parseChaincodeActionPayload(parseTransaction(actionPayload.payload.data).actions[0]!.payload))).toContain('peer.ChaincodeActionPayload');

    const prpHeaders = parseEnvelopeHeaders(buildEndorsedTransaction({ ...base, tamper: { proposalResponsePayload: junk } }).envelope);
    const prp = parseChaincodeActionPayload(parseTransaction(prpHeaders.payload.data).actions[0]!.payload);
    expect(decodeError(() => parseProposalResponsePayload(prp.action.proposalResponsePayload))).toContain('peer.ProposalResponsePayload');
    expect(endorsementVerdicts(prp)).toEqual(['valid', 'valid']);

    const results = decode(buildEndorsedTransaction({ ...base, tamper: { results: junk } }).envelope);
    expect(decodeError(() => parseTxRwSet(results.action.results))).toContain('rwset.TxReadWriteSet');
    expect(endorsementVerdicts(results.cap)).toEqual(['valid', 'valid']);

    const hash = decode(buildEndorsedTransaction({ ...base, tamper: { proposalHash: Uint8Array.of(1) } }).envelope).cap;
    expect(parseProposalResponsePayload(hash.action.proposalResponsePayload).proposalHash).toEqual(Uint8Array.of(1));

    const ccId = decode(buildEndorsedTransaction({ ...base, tamper: { actionChaincodeId: { name: 'basic', version: '9.9', path: '' } } }).envelope);
    expect(ccId.action.chaincodeId.version).toBe('9.9');

    const header = parseEnvelopeHeaders(buildEndorsedTransaction({ ...base, tamper: { actionHeader: Uint8Array.of(9) } }).envelope);
    expect(parseTransaction(header.payload.data).actions[0]!.header).toEqual(Uint8Array.of(9));
  });

  it('is fast enough for benchmarks: 1,000 two-endorser transactions in well under 5 s', () => {
    const started = performance.now();
    const txIds = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      txIds.add(buildEndorsedTransaction({ ...base, rwsets: [{ namespace: 'basic', writes: [{ key: `k${i}`, value: `v${i}` }] }] }).txId);
    }
    expect(txIds.size).toBe(1000);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
