import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildChaincodeMessage,
  buildDelState,
  buildGetHistoryForKey,
  buildGetState,
  buildGetStateByRange,
  buildGetStateMetadata,
  buildKeyModification,
  buildPutState,
  buildPutStateMetadata,
  buildQueryResponse,
  buildQueryResultKv,
  buildQueryStateClose,
  buildQueryStateNext,
  buildStateMetadataResult,
  ChaincodeMessageType,
  chaincodeMessageTypeName,
  parseChaincodeMessage,
  parseDelState,
  parseGetHistoryForKey,
  parseGetState,
  parseGetStateByRange,
  parseGetStateMetadata,
  parseKeyModification,
  parsePutState,
  parsePutStateMetadata,
  parseQueryResponse,
  parseQueryResultKv,
  parseQueryStateClose,
  parseQueryStateNext,
  parseStateMetadataResult,
} from '../../../src/protos/chaincode-message.js';
import { decodeError } from '../../helpers/expect-error.js';
import { REPO_ROOT } from '../../helpers/repo.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

/** The fabric-protos copy fabric-shim 2.5.8 nests (0.2.x): what the chaincode side decodes with. */
interface ShimMessage {
  getType(): number;
  getTxid(): string;
  getChannelId(): string;
  getPayload_asU8(): Uint8Array;
  getProposal(): { getProposalBytes_asU8(): Uint8Array; getSignature_asU8(): Uint8Array } | undefined;
  getChaincodeEvent(): { getEventName(): string } | undefined;
  serializeBinary(): Uint8Array;
  setType(t: number): void;
  setTxid(t: string): void;
  setChannelId(t: string): void;
  setPayload(p: Uint8Array): void;
}
const shimRequire = createRequire(join(REPO_ROOT, 'node_modules/fabric-shim/lib/handler.js'));
const shimProtos = shimRequire('@hyperledger/fabric-protos') as {
  peer: {
    ChaincodeMessage: { new (): ShimMessage; deserializeBinary(b: Uint8Array): ShimMessage };
    QueryResponse: { deserializeBinary(b: Uint8Array): { getHasMore(): boolean; getId(): string; getResultsList(): Array<{ getResultbytes_asU8(): Uint8Array }> } };
  };
  ledger: { queryresult: { KeyModification: { deserializeBinary(b: Uint8Array): { getTxId(): string; getTimestamp(): { toObject(): { seconds: number } } | undefined } } } };
};

describe('protos.ChaincodeMessage', () => {
  it('round-trips every field', () => {
    const bytes = buildChaincodeMessage({
      type: ChaincodeMessageType.COMPLETED,
      timestampMs: 1_700_000_000_123,
      payload: utf8('payload'),
      txid: 'tx1',
      channelId: 'mychannel',
      proposal: { proposalBytes: utf8('proposal'), signature: utf8('sig') },
      chaincodeEvent: { chaincodeId: 'kv', txId: 'tx1', eventName: 'Transfer', payload: utf8('{}') },
    });
    const m = parseChaincodeMessage(bytes);
    expect(m).toMatchObject({ type: ChaincodeMessageType.COMPLETED, timestampMs: 1_700_000_000_123, txid: 'tx1', channelId: 'mychannel' });
    expect(text(m.payload)).toBe('payload');
    expect(text(m.proposal?.proposalBytes)).toBe('proposal');
    expect(text(m.proposal?.signature)).toBe('sig');
    expect(m.chaincodeEvent?.eventName).toBe('Transfer');
    expect(text(m.chaincodeEvent?.payload)).toBe('{}');
  });

  it('leaves optional fields out when absent', () => {
    const m = parseChaincodeMessage(buildChaincodeMessage({ type: ChaincodeMessageType.READY, payload: new Uint8Array(), txid: '', channelId: '' }));
    expect(m).toEqual({ type: ChaincodeMessageType.READY, payload: new Uint8Array(), txid: '', channelId: '' });
  });

  it('is read by the fabric-protos copy fabric-shim uses, and reads what that copy writes', () => {
    const ours = buildChaincodeMessage({
      type: ChaincodeMessageType.TRANSACTION,
      payload: utf8('input'),
      txid: 'tx9',
      channelId: 'ch',
      proposal: { proposalBytes: utf8('p'), signature: utf8('s') },
    });
    const theirs = shimProtos.peer.ChaincodeMessage.deserializeBinary(ours);
    expect(theirs.getType()).toBe(ChaincodeMessageType.TRANSACTION);
    expect(theirs.getTxid()).toBe('tx9');
    expect(theirs.getChannelId()).toBe('ch');
    expect(text(theirs.getProposal()?.getProposalBytes_asU8())).toBe('p');

    const fromShim = new shimProtos.peer.ChaincodeMessage();
    fromShim.setType(ChaincodeMessageType.GET_STATE);
    fromShim.setTxid('tx9');
    fromShim.setChannelId('ch');
    fromShim.setPayload(buildGetState({ key: 'k', collection: '' }));
    const parsed = parseChaincodeMessage(fromShim.serializeBinary());
    expect(parsed.type).toBe(ChaincodeMessageType.GET_STATE);
    expect(parseGetState(parsed.payload)).toEqual({ key: 'k', collection: '' });
  });

  it('keeps an unknown type as its number and names types as Fabric logs them', () => {
    const m = parseChaincodeMessage(buildChaincodeMessage({ type: 99, payload: new Uint8Array(), txid: 't', channelId: 'c' }));
    expect(m.type).toBe(99);
    expect(chaincodeMessageTypeName(99)).toBe('TYPE_99');
    expect(chaincodeMessageTypeName(ChaincodeMessageType.GET_STATE_BY_RANGE)).toBe('GET_STATE_BY_RANGE');
  });

  it('refuses bytes that do not decode, including a length that runs past the buffer', () => {
    expect(decodeError(() => parseChaincodeMessage(new Uint8Array([0x1a, 0xff, 0xff, 0xff, 0xff, 0x0f])))).toContain('protos.ChaincodeMessage');
    expect(decodeError(() => parseChaincodeMessage(new Uint8Array([0x0a])))).toContain('protos.ChaincodeMessage');
  });
});

describe('chaincode request payloads', () => {
  it('round-trip GetState, GetStateMetadata, DelState, PutState, GetHistoryForKey', () => {
    expect(parseGetState(buildGetState({ key: 'a', collection: 'c' }))).toEqual({ key: 'a', collection: 'c' });
    expect(parseGetStateMetadata(buildGetStateMetadata({ key: 'a', collection: '' }))).toEqual({ key: 'a', collection: '' });
    expect(parseDelState(buildDelState({ key: 'a', collection: '' }))).toEqual({ key: 'a', collection: '' });
    const put = parsePutState(buildPutState({ key: 'a', value: utf8('v'), collection: '' }));
    expect(put.key).toBe('a');
    expect(text(put.value)).toBe('v');
    expect(parseGetHistoryForKey(buildGetHistoryForKey('h'))).toEqual({ key: 'h' });
  });

  it('round-trip PutStateMetadata and StateMetadataResult; a PutStateMetadata without its entry is refused', () => {
    const put = parsePutStateMetadata(buildPutStateMetadata({ key: 'k', collection: '', metadata: { metakey: 'VALIDATION_PARAMETER', value: utf8('p') } }));
    expect(put.metadata.metakey).toBe('VALIDATION_PARAMETER');
    expect(text(put.metadata.value)).toBe('p');
    expect(decodeError(() => parsePutStateMetadata(buildPutState({ key: 'k', value: new Uint8Array(), collection: '' })))).toContain('no metadata entry');
    const entries = parseStateMetadataResult(buildStateMetadataResult([{ metakey: 'a', value: utf8('1') }, { metakey: 'b', value: utf8('2') }]));
    expect(entries.map((e) => [e.metakey, text(e.value)])).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
  });

  it('round-trip GetStateByRange with and without QueryMetadata, QueryStateNext and QueryStateClose', () => {
    expect(parseGetStateByRange(buildGetStateByRange({ startKey: 'a', endKey: 'b', collection: '', metadata: undefined }))).toEqual({
      startKey: 'a',
      endKey: 'b',
      collection: '',
      metadata: undefined,
    });
    expect(parseGetStateByRange(buildGetStateByRange({ startKey: 'a', endKey: '', collection: '', metadata: { pageSize: 10, bookmark: 'a5' } })).metadata).toEqual({
      pageSize: 10,
      bookmark: 'a5',
    });
    expect(parseQueryStateNext(buildQueryStateNext('7'))).toEqual({ id: '7' });
    expect(parseQueryStateClose(buildQueryStateClose('7'))).toEqual({ id: '7' });
  });
});

describe('query results', () => {
  it('round-trip QueryResponse with KV results and response metadata, readable by the shim', () => {
    const kv = buildQueryResultKv({ namespace: 'kv', key: 'k1', value: utf8('v1') });
    const bytes = buildQueryResponse({ results: [kv], hasMore: true, id: '3', metadata: { fetchedRecordsCount: 1, bookmark: 'k2' } });
    const parsed = parseQueryResponse(bytes);
    expect(parsed).toMatchObject({ hasMore: true, id: '3', metadata: { fetchedRecordsCount: 1, bookmark: 'k2' } });
    expect(parseQueryResultKv(parsed.results[0] as Uint8Array)).toMatchObject({ namespace: 'kv', key: 'k1' });
    const theirs = shimProtos.peer.QueryResponse.deserializeBinary(bytes);
    expect(theirs.getHasMore()).toBe(true);
    expect(theirs.getResultsList()).toHaveLength(1);
    expect(parseQueryResponse(buildQueryResponse({ results: [], hasMore: false, id: '', metadata: undefined })).metadata).toBeUndefined();
  });

  it('always writes a KeyModification timestamp (fabric-shim 2.5 reads it unconditionally)', () => {
    const bytes = buildKeyModification({ txId: 't', value: new Uint8Array(), timestampMs: 0, isDelete: true });
    const theirs = shimProtos.ledger.queryresult.KeyModification.deserializeBinary(bytes);
    expect(theirs.getTimestamp()?.toObject().seconds).toBe(0);
    expect(parseKeyModification(buildKeyModification({ txId: 't', value: utf8('v'), timestampMs: 1_700_000_000_500, isDelete: false }))).toMatchObject({
      txId: 't',
      timestampMs: 1_700_000_000_500,
      isDelete: false,
    });
  });
});
