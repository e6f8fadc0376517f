import { common, orderer } from '@hyperledger/fabric-protos';
import { describe, expect, it } from 'vitest';
import '../../../src/protos/protobuf-reader-guard.js';

/** A length prefix of 4294967295 bytes: google-protobuf alone would read byte by byte for minutes. */
const HUGE = [0xff, 0xff, 0xff, 0xff, 0x0f];

describe("the guard on google-protobuf's BinaryReader", () => {
  it('refuses nested messages and strings longer than the buffer, at once, for every fabric-protos class', () => {
    const started = performance.now();
    expect(() => common.Payload.deserializeBinary(Uint8Array.of(0x0a, ...HUGE))).toThrow('claims 4294967295 bytes, but only 0 remain');
    expect(() => common.ChannelHeader.deserializeBinary(Uint8Array.of(0x22, ...HUGE, 0x41))).toThrow('claims 4294967295 bytes, but only 1 remain');
    // a map entry is a nested message too
    expect(() => common.ConfigGroup.deserializeBinary(Uint8Array.of(0x12, ...HUGE))).toThrow(/claims 4294967295 bytes/);
    expect(() => orderer.BatchTimeout.deserializeBinary(Uint8Array.of(0x0a, 0x80))).toThrow(/claims an unreadable length/);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('changes nothing for valid messages', () => {
    const timeout = new orderer.BatchTimeout();
    timeout.setTimeout('2s');
    const header = new common.Header();
    header.setChannelHeader(Uint8Array.of(1, 2, 3));
    const payload = new common.Payload();
    payload.setHeader(header);
    payload.setData(timeout.serializeBinary());
    const decoded = common.Payload.deserializeBinary(payload.serializeBinary());
    expect(Array.from(decoded.getHeader()?.getChannelHeader_asU8() ?? [])).toEqual([1, 2, 3]);
    expect(orderer.BatchTimeout.deserializeBinary(decoded.getData_asU8()).getTimeout()).toBe('2s');
  });
});
