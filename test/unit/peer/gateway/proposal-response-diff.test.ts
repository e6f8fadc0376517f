import { describe, expect, it } from 'vitest';
import { utf8 } from '../../../../src/core/bytes.js';
import {
  describePayloadMismatch,
  findPayloadMismatch,
  MAX_LISTED_DIFFERENCES,
  type EndorserPayload,
} from '../../../../src/peer/gateway/proposal-response-diff.js';
import { parseSignaturePolicy } from '../../../../src/policy/index.js';
import { buildSignaturePolicyEnvelope } from '../../../../src/protos/policy-envelope.js';
import type { RangeQueryInfo } from '../../../../src/protos/rwset.js';
import {
  buildChaincodeAction,
  buildChaincodeEvent,
  buildProposalResponsePayload,
  type ChaincodeId,
  type ChaincodeResponse,
} from '../../../../src/protos/transaction.js';
import { rwsetBytes, type NsRwSetSpec } from '../../../helpers/endorsed-transaction.js';

/**
 * The Gateway's "ProposalResponsePayloads do not match" check, explained: real ProposalResponsePayload
 * bytes (built as an endorser builds them) from two peers that simulated different results, and
 * the message naming what differs and both values.
 */

const PEER1 = 'peer0.org1.example.com:7051';
const PEER2 = 'peer0.org2.example.com:9051';
const PREFIX = `ProposalResponsePayloads do not match: ${PEER1} (Org1MSP) and ${PEER2} (Org2MSP) simulated different results — `;
const HASH = new Uint8Array(32).fill(0xab);

interface PayloadSpec {
  readonly proposalHash?: Uint8Array;
  readonly chaincodeId?: Partial<ChaincodeId>;
  readonly rwsets?: readonly NsRwSetSpec[];
  /** ChaincodeAction.results, raw. */
  readonly results?: Uint8Array;
  readonly response?: Partial<ChaincodeResponse>;
  readonly event?: { readonly name: string; readonly payload?: string };
  /** ProposalResponsePayload.extension, raw. */
  readonly extension?: Uint8Array;
}

/** The ProposalResponsePayload bytes an endorser signs, with a basic asset write by default. */
function payload(spec: PayloadSpec = {}): Uint8Array {
  const extension =
    spec.extension ??
    buildChaincodeAction({
      results: spec.results ?? rwsetBytes(spec.rwsets ?? [{ namespace: 'basic', writes: [{ key: 'asset1', value: '{"ID":"asset1","Value":17}' }] }]),
      events: spec.event === undefined ? new Uint8Array() : buildChaincodeEvent({ chaincodeId: 'basic', txId: 'tx1', eventName: spec.event.name, payload: utf8(spec.event.payload ?? '') }),
      response: { status: 200, message: '', payload: new Uint8Array(), ...spec.response },
      chaincodeId: { name: 'basic', version: '1.0', path: '', ...spec.chaincodeId },
    });
  return buildProposalResponsePayload({ proposalHash: spec.proposalHash ?? HASH, extension });
}

const org1 = (bytes: Uint8Array): EndorserPayload => ({ endpoint: PEER1, mspId: 'Org1MSP', payload: bytes });
const org2 = (bytes: Uint8Array): EndorserPayload => ({ endpoint: PEER2, mspId: 'Org2MSP', payload: bytes });

/** The message for org1's payload vs org2's; fails the test when they are reported equal. */
function mismatch(a: PayloadSpec, b: PayloadSpec): string {
  const message = describePayloadMismatch(org1(payload(a)), org2(payload(b)));
  expect(message).toBeDefined();
  return message!;
}

const basic = (ns: Omit<NsRwSetSpec, 'namespace'>): PayloadSpec => ({ rwsets: [{ namespace: 'basic', ...ns }] });

describe('describePayloadMismatch: byte-identical payloads', () => {
  it('returns undefined for identical bytes, even from different arrays', () => {
    expect(describePayloadMismatch(org1(payload()), org2(payload()))).toBeUndefined();
  });
});

describe('describePayloadMismatch: writes', () => {
  it('names the key and both values when a write differs, and calls the chaincode non-deterministic', () => {
    const message = mismatch(
      basic({ writes: [{ key: 'asset1', value: '{"ID":"asset1","Value":17}' }] }),
      basic({ writes: [{ key: 'asset1', value: '{"ID":"asset1","Value":42}' }] }),
    );
    expect(message).toBe(
      `${PREFIX}namespace basic: write asset1 = {"ID":"asset1","Value":17} vs {"ID":"asset1","Value":42}. ` +
        'Endorsements of different payloads cannot be combined into one transaction: the peers read the same state but computed different results, ' +
        'so the chaincode is not deterministic (for example it uses the clock, random numbers or unordered iteration) or the peers run different chaincode code; ' +
        'make the chaincode compute the same result on every peer',
    );
  });

  it('names a key written by one endorser only, on either side', () => {
    const one = basic({ writes: [{ key: 'asset1', value: 'a' }, { key: 'asset2', value: 'b' }] });
    const other = basic({ writes: [{ key: 'asset1', value: 'a' }] });
    expect(mismatch(one, other)).toContain('namespace basic: write asset2 = b vs (no write)');
    expect(mismatch(other, one)).toContain('namespace basic: write asset2 = (no write) vs b');
  });

  it('tells a delete from a write (and from a write of an empty value)', () => {
    expect(mismatch(basic({ writes: [{ key: 'asset1', isDelete: true }] }), basic({ writes: [{ key: 'asset1', value: 'v1' }] }))).toContain(
      'namespace basic: write asset1 = (delete) vs v1',
    );
    expect(mismatch(basic({ writes: [{ key: 'asset1', value: '' }] }), basic({ writes: [{ key: 'asset1', isDelete: true }] }))).toContain(
      'namespace basic: write asset1 = (empty) vs (delete)',
    );
  });

  it('names every key of a namespace only one endorser touched', () => {
    const message = mismatch({ rwsets: [{ namespace: 'basic', writes: [{ key: 'asset1', value: 'v' }] }, { namespace: 'other', writes: [{ key: 'k', value: 'x' }] }] }, basic({ writes: [{ key: 'asset1', value: 'v' }] }));
    expect(message).toContain('namespace other: write k = x vs (no write)');
  });
});

describe('describePayloadMismatch: reads', () => {
  it('names a key read by one endorser only, and blames different world state', () => {
    const message = mismatch(basic({ reads: [{ key: 'asset1', version: { blockNum: 3, txNum: 0 } }] }), basic({}));
    expect(message).toContain('namespace basic: read asset1 = version block 3 tx 0 vs (not read)');
    expect(message).toContain('the peers read different world state (one may not yet have committed the latest blocks');
  });

  it('names both versions when a read saw different versions, or a missing key', () => {
    expect(mismatch(basic({ reads: [{ key: 'asset1', version: { blockNum: 3, txNum: 0 } }] }), basic({ reads: [{ key: 'asset1', version: { blockNum: 4, txNum: 2 } }] }))).toContain(
      'namespace basic: read asset1 = version block 3 tx 0 vs version block 4 tx 2',
    );
    expect(mismatch(basic({ reads: [{ key: 'asset1' }] }), basic({ reads: [{ key: 'asset1', version: { blockNum: 5, txNum: 1 } }] }))).toContain(
      'namespace basic: read asset1 = (key did not exist) vs version block 5 tx 1',
    );
  });

  it('lists read and write differences of one namespace reads first, and blames the state', () => {
    const message = mismatch(
      basic({ reads: [{ key: 'asset1', version: { blockNum: 4, txNum: 0 } }], writes: [{ key: 'asset1', value: '18' }] }),
      basic({ reads: [{ key: 'asset1', version: { blockNum: 3, txNum: 0 } }], writes: [{ key: 'asset1', value: '17' }] }),
    );
    expect(message).toContain('namespace basic: read asset1 = version block 4 tx 0 vs version block 3 tx 0; namespace basic: write asset1 = 18 vs 17.');
    expect(message).toContain('the peers read different world state');
  });
});

describe('describePayloadMismatch: range queries', () => {
  const range = (info: Partial<RangeQueryInfo>): RangeQueryInfo => ({ startKey: 'asset1', endKey: 'asset9', itrExhausted: true, rawReads: [], ...info });
  const reads = (...keys: string[]) => keys.map((key) => ({ key, version: { blockNum: 2, txNum: 0 } }));

  it('names a key one range scan saw and the other did not', () => {
    const message = mismatch(basic({ rangeQueriesInfo: [range({ rawReads: reads('asset1', 'asset2') })] }), basic({ rangeQueriesInfo: [range({ rawReads: reads('asset1') })] }));
    expect(message).toContain('namespace basic: range query ["asset1", "asset9"): read asset2 = version block 2 tx 0 vs (not read)');
    expect(message).toContain('different world state');
  });

  it('names a different iterator-exhausted flag and a range scanned by one endorser only', () => {
    expect(mismatch(basic({ rangeQueriesInfo: [range({})] }), basic({ rangeQueriesInfo: [range({ itrExhausted: false })] }))).toContain(
      'namespace basic: range query ["asset1", "asset9"): iterator exhausted = true vs false',
    );
    expect(mismatch(basic({ rangeQueriesInfo: [range({ rawReads: reads('asset3') })] }), basic({}))).toContain(
      'namespace basic: range query ["asset1", "asset9") = 1 raw read, iterator exhausted vs (not run)',
    );
  });

  it('compares merkle summaries of large range scans', () => {
    const merkle = (hash: number, maxLevel = 1) => range({ rawReads: undefined, readsMerkleHashes: { maxDegree: 50, maxLevel, maxLevelHashes: [new Uint8Array(4).fill(1), new Uint8Array(4).fill(hash)] } });
    expect(mismatch(basic({ rangeQueriesInfo: [merkle(2)] }), basic({ rangeQueriesInfo: [merkle(3)] }))).toContain(
      'namespace basic: range query ["asset1", "asset9"): reads merkle hash 1 = 0x02020202 vs 0x03030303',
    );
    expect(mismatch(basic({ rangeQueriesInfo: [merkle(2)] }), basic({ rangeQueriesInfo: [range({ rawReads: reads('a') })] }))).toContain(
      'namespace basic: range query ["asset1", "asset9"): reads = merkle summary (max degree 50, max level 1, 2 hashes) vs 1 raw read',
    );
  });
});

describe('describePayloadMismatch: metadata writes', () => {
  const policy = (text: string) => buildSignaturePolicyEnvelope(parseSignaturePolicy(text));

  it('shows key-level endorsement policies (VALIDATION_PARAMETER) in the policy language', () => {
    const message = mismatch(
      basic({ metadataWrites: [{ key: 'asset1', entries: [{ name: 'VALIDATION_PARAMETER', value: policy("AND('Org1MSP.peer','Org2MSP.peer')") }] }] }),
      basic({ metadataWrites: [{ key: 'asset1', entries: [{ name: 'VALIDATION_PARAMETER', value: policy("OR('Org1MSP.peer')") }] }] }),
    );
    expect(message).toContain("namespace basic: metadata write asset1 VALIDATION_PARAMETER = policy AND('Org1MSP.peer','Org2MSP.peer') vs policy OR('Org1MSP.peer')");
  });

  it('names other entries, missing entries and metadata written by one endorser only', () => {
    expect(
      mismatch(
        basic({ metadataWrites: [{ key: 'asset1', entries: [{ name: 'owner', value: utf8('alice') }, { name: 'tag', value: utf8('x') }] }] }),
        basic({ metadataWrites: [{ key: 'asset1', entries: [{ name: 'owner', value: utf8('bob') }] }] }),
      ),
    ).toContain('namespace basic: metadata write asset1 owner = alice vs bob; namespace basic: metadata write asset1 tag = x vs (no entry)');
    expect(mismatch(basic({ metadataWrites: [{ key: 'asset1', entries: [] }] }), basic({}))).toContain('namespace basic: metadata write asset1 = (all metadata deleted) vs (no metadata write)');
    expect(
      mismatch(basic({}), basic({ metadataWrites: [{ key: 'asset1', entries: [{ name: 'tag', value: utf8('x') }, { name: 'owner', value: utf8('bob') }] }] })),
    ).toContain('namespace basic: metadata write asset1 = (no metadata write) vs owner: bob, tag: x');
  });
});

describe('describePayloadMismatch: chaincode response, event and id; proposal hash', () => {
  it('names a different response status, message and payload', () => {
    const message = mismatch({ response: { status: 200, message: 'ok', payload: utf8('17') } }, { response: { status: 500, message: 'asset1 does not exist', payload: utf8('42') } });
    expect(message).toContain('chaincode response status = 200 vs 500; chaincode response message = ok vs asset1 does not exist; chaincode response payload = 17 vs 42');
  });

  it('names a different event name and payload, and an event set by one endorser only', () => {
    expect(mismatch({ event: { name: 'Created', payload: 'a' } }, { event: { name: 'Updated', payload: 'b' } })).toContain(
      'chaincode event name = Created vs Updated; chaincode event payload = a vs b',
    );
    expect(mismatch({ event: { name: 'Created', payload: 'a' } }, {})).toContain('chaincode event = Created with payload a vs (no event)');
  });

  it('names a different chaincode version and blames the chaincode definition', () => {
    const message = mismatch({ chaincodeId: { version: '1.0' } }, { chaincodeId: { version: '2.0' } });
    expect(message).toContain('chaincode version = 1.0 vs 2.0');
    expect(message).toContain('the peers know different definitions of the chaincode');
    expect(mismatch({ chaincodeId: { name: 'basic' } }, { chaincodeId: { name: 'basic2' } })).toContain('chaincode name = basic vs basic2');
  });

  it('names a different proposal hash in hex and says the endorsers answered different proposals', () => {
    const message = mismatch({}, { proposalHash: new Uint8Array(32).fill(0xcd) });
    expect(message).toContain(`proposal hash = 0x${'ab'.repeat(32)} vs 0x${'cd'.repeat(32)}`);
    expect(message).toContain('the endorsers answered different proposals');
  });
});

describe('describePayloadMismatch: bytes that do not decode, or differ only in encoding', () => {
  const truncated = Uint8Array.of(0x0a, 0x05, 0x01); // field 1, length 5, but one byte follows

  it('says which endorser returned bytes that are not a ProposalResponsePayload', () => {
    const message = describePayloadMismatch(org1(payload()), org2(truncated));
    expect(message).toContain(`ProposalResponsePayloads do not match: ${PEER1} (Org1MSP) and ${PEER2} (Org2MSP) returned payloads that cannot be compared — `);
    expect(message).toContain(`the ProposalResponsePayload from ${PEER2} does not decode: the bytes are not a valid peer.ProposalResponsePayload`);
    expect(message).not.toContain(`from ${PEER1}`);
    expect(message).toContain('an endorser returned bytes that are not a valid ProposalResponsePayload');
  });

  it('says so for a ChaincodeAction or a read-write set that does not decode', () => {
    expect(mismatch({ extension: truncated }, {})).toContain(`the ChaincodeAction (ProposalResponsePayload.extension) from ${PEER1} does not decode`);
    const message = mismatch({}, { results: truncated, response: { status: 500 } });
    expect(message).toContain(`the read-write set (ChaincodeAction.results) from ${PEER2} does not decode`);
    // What does decode is still compared.
    expect(message).toContain('chaincode response status = 200 vs 500');
  });

  it('says when the payloads decode to the same results but their bytes differ', () => {
    const withUnknownField = new Uint8Array([...payload(), 0x78, 0x01]); // field 15 (unknown), varint 1
    const message = describePayloadMismatch(org1(payload()), org2(withUnknownField));
    expect(message).toBe(
      `ProposalResponsePayloads do not match: ${PEER1} (Org1MSP) and ${PEER2} (Org2MSP) simulated the same results (the same proposal hash, chaincode, reads, writes, ` +
        'response and event) but their payload bytes differ (field order, repeated or unknown fields, or the order of entries); ' +
        'endorsements are signatures over the exact bytes, so they cannot be combined: check that both peers run the same peer software',
    );
    // Writes in another order are the same writes, in different bytes.
    expect(mismatch(basic({ writes: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] }), basic({ writes: [{ key: 'b', value: '2' }, { key: 'a', value: '1' }] }))).toContain(
      'simulated the same results',
    );
  });
});

describe('describePayloadMismatch: showing keys and values', () => {
  it('shows binary values in hex and quotes keys that are not plain text (composite keys)', () => {
    const key = '\u0000color~name\u0000blue\u0000asset1\u0000';
    const message = mismatch(basic({ writes: [{ key, value: Uint8Array.of(0x00, 0xff) }] }), basic({ writes: [{ key, value: Uint8Array.of(0x00, 0xfe) }] }));
    expect(message).toContain(`namespace basic: write ${JSON.stringify(key)} = 0x00ff vs 0x00fe`);
  });

  it('cuts a long value with an ellipsis and its size', () => {
    const long = 'x'.repeat(200);
    const message = mismatch(basic({ writes: [{ key: 'k', value: long }] }), basic({ writes: [{ key: 'k', value: 'short' }] }));
    expect(message).toContain(`write k = ${'x'.repeat(80)}… (200 bytes) vs short`);
  });

  it('shows two long values from just before their first difference, so the ellipsis hides nothing that differs', () => {
    const asset = (value: number) => `{"ID":"asset1","Color":"blue","Size":5,"Owner":"Tomoko Matsumoto and a long owner name","AppraisedValue":${value}}`;
    const a = asset(300);
    const message = mismatch(basic({ writes: [{ key: 'asset1', value: a }] }), basic({ writes: [{ key: 'asset1', value: asset(400) }] }));
    const from = a.indexOf('"AppraisedValue":3') + '"AppraisedValue":'.length - 20;
    expect(message).toContain(`write asset1 = …${a.slice(from)} (${a.length} bytes) vs …${asset(400).slice(from)} (${a.length} bytes)`);
  });

  it('escapes newlines so the message stays on one line', () => {
    expect(mismatch({ response: { message: 'line1\nline2' } }, {})).toContain('chaincode response message = line1\\nline2 vs (empty)');
  });

  it(`lists at most ${MAX_LISTED_DIFFERENCES} differences, keys sorted, then how many more`, () => {
    const keys = ['k8', 'k3', 'k1', 'k7', 'k5', 'k2', 'k6', 'k4'];
    const message = mismatch(basic({ writes: keys.map((key) => ({ key, value: 'a' })) }), basic({ writes: keys.map((key) => ({ key, value: 'b' })) }));
    expect(message).toContain(
      'namespace basic: write k1 = a vs b; namespace basic: write k2 = a vs b; namespace basic: write k3 = a vs b; ' +
        'namespace basic: write k4 = a vs b; namespace basic: write k5 = a vs b; and 3 more.',
    );
    expect(message).not.toContain('write k6');
  });
});

describe('findPayloadMismatch', () => {
  it('is undefined for no responses, one response, or all byte-identical', () => {
    expect(findPayloadMismatch([])).toBeUndefined();
    expect(findPayloadMismatch([org1(payload())])).toBeUndefined();
    expect(findPayloadMismatch([org1(payload()), org2(payload()), org2(payload())])).toBeUndefined();
  });

  it('compares every response with the first and explains the first that differs', () => {
    const peer3: EndorserPayload = { endpoint: 'peer1.org2.example.com:10051', mspId: 'Org2MSP', payload: payload({ response: { payload: utf8('x') } }) };
    const message = findPayloadMismatch([org1(payload()), org2(payload()), peer3, org2(payload({ proposalHash: new Uint8Array(32) }))]);
    expect(message).toContain(`${PEER1} (Org1MSP) and peer1.org2.example.com:10051 (Org2MSP) simulated different results — chaincode response payload = (empty) vs x.`);
  });
});
