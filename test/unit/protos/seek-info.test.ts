import { common, orderer } from '@hyperledger/fabric-protos';
import { describe, expect, it } from 'vitest';
import { isFabsimError } from '../../../src/core/errors.js';
import { blockDataHash, buildBlock, BLOCK_METADATA_SLOTS } from '../../../src/protos/block.js';
import {
  buildBroadcastResponse,
  buildDeliverResponse,
  buildSeekInfo,
  describeSeekPosition,
  parseBroadcastResponse,
  parseDeliverResponse,
  parseSeekInfo,
  SEEK_FOREVER,
  Status,
  statusName,
} from '../../../src/protos/seek-info.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('orderer.SeekInfo, DeliverResponse, BroadcastResponse and common.Status', () => {
  it("has common.Status's codes, checked against the generated enum", () => {
    for (const [name, code] of Object.entries(Status)) expect((common.Status as unknown as Record<string, number>)[name], name).toBe(code);
    expect(statusName(403)).toBe('FORBIDDEN');
    expect(statusName(999)).toBe('UNKNOWN');
  });

  it('round-trips every position kind, behavior and content type', () => {
    const info = { start: { kind: 'specified', number: 7 }, stop: { kind: 'newest' }, behavior: 'FAIL_IF_NOT_READY', errorResponse: 'BEST_EFFORT', contentType: 'HEADER_WITH_SIG' } as const;
    expect(parseSeekInfo(buildSeekInfo(info))).toEqual(info);
    expect(parseSeekInfo(buildSeekInfo({ start: { kind: 'oldest' }, stop: { kind: 'nextCommit' } }))).toEqual({
      start: { kind: 'oldest' },
      stop: { kind: 'nextCommit' },
      behavior: 'BLOCK_UNTIL_READY',
      errorResponse: 'STRICT',
      contentType: 'BLOCK',
    });
    expect(parseSeekInfo(buildSeekInfo({ start: undefined, stop: undefined }))).toMatchObject({ start: undefined, stop: undefined });
  });

  it('writes what the generated classes write', () => {
    const message = new orderer.SeekInfo();
    const start = new orderer.SeekPosition();
    start.setNewest(new orderer.SeekNewest());
    const stop = new orderer.SeekPosition();
    const specified = new orderer.SeekSpecified();
    specified.setNumber(42);
    stop.setSpecified(specified);
    message.setStart(start);
    message.setStop(stop);
    message.setBehavior(orderer.SeekInfo.SeekBehavior.FAIL_IF_NOT_READY);
    expect(hex(buildSeekInfo({ start: { kind: 'newest' }, stop: { kind: 'specified', number: 42 }, behavior: 'FAIL_IF_NOT_READY' }))).toBe(hex(message.serializeBinary()));
  });

  it('reads a Go client\'s stop of MaxUint64 as forever, and writes forever so that it reads back', () => {
    // SeekInfo { stop: SeekPosition { specified: SeekSpecified { number: 2^64 - 1 } } }, as Go marshals it.
    const go = Buffer.from('120d1a0b08ffffffffffffffffff01', 'hex');
    expect(parseSeekInfo(go).stop).toEqual({ kind: 'specified', number: Number.POSITIVE_INFINITY });
    expect(parseSeekInfo(buildSeekInfo({ start: { kind: 'oldest' }, stop: SEEK_FOREVER })).stop).toEqual(SEEK_FOREVER);
    expect(describeSeekPosition(SEEK_FOREVER)).toBe('block MaxUint64 (forever)');
  });

  it('refuses malformed bytes, a position with no kind, and undefined enum values', () => {
    const fail = (bytes: Uint8Array, message: RegExp): void => {
      let err: unknown;
      try {
        parseSeekInfo(bytes);
      } catch (e) {
        err = e;
      }
      expect(isFabsimError(err, 'PROTO_MALFORMED')).toBe(true);
      expect((err as Error).message).toMatch(message);
    };
    fail(new Uint8Array([0xff, 0xff, 0xff]), /orderer\.SeekInfo/);
    fail(new Uint8Array([0x0a, 0x00]), /its start position sets none of oldest, newest, specified or next_commit/);
    fail(new Uint8Array([0x18, 0x07]), /its behavior is 7; Fabric defines BLOCK_UNTIL_READY \(0\), FAIL_IF_NOT_READY \(1\)/);
  });

  it('builds and parses DeliverResponse blocks and statuses', () => {
    const data = [new Uint8Array([1, 2, 3])];
    const block = buildBlock({ header: { number: 3, previousHash: new Uint8Array(32), dataHash: blockDataHash(data) }, data, metadata: Array.from({ length: BLOCK_METADATA_SLOTS }, () => new Uint8Array()) });
    const response = buildDeliverResponse({ kind: 'block', block });
    expect(hex(orderer.DeliverResponse.deserializeBinary(response).getBlock()!.serializeBinary())).toBe(hex(block));
    expect(parseDeliverResponse(response)).toEqual({ kind: 'block', block });
    expect(orderer.DeliverResponse.deserializeBinary(buildDeliverResponse({ kind: 'status', status: 'NOT_FOUND' })).getStatus()).toBe(404);
    expect(parseDeliverResponse(buildDeliverResponse({ kind: 'status', status: 'SUCCESS' }))).toEqual({ kind: 'status', status: 'SUCCESS' });
    expect(() => parseDeliverResponse(new Uint8Array())).toThrow(/neither a block nor a status/);
  });

  it('builds and parses BroadcastResponse', () => {
    const bytes = buildBroadcastResponse({ status: 'FORBIDDEN', info: 'permission denied: ...' });
    const message = orderer.BroadcastResponse.deserializeBinary(bytes);
    expect([message.getStatus(), message.getInfo()]).toEqual([403, 'permission denied: ...']);
    expect(parseBroadcastResponse(bytes)).toEqual({ status: 'FORBIDDEN', info: 'permission denied: ...' });
  });
});
