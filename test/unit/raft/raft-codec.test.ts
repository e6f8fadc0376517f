import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../../src/core/assert.js';
import { FabsimError } from '../../../src/core/errors.js';
import { SeededRng } from '../../../src/core/rng.js';
import {
  decodeEntry,
  decodeHardState,
  decodeMessage,
  decodeSnapshot,
  encodeEntry,
  encodeHardState,
  encodeMessage,
  encodeSnapshot,
} from '../../../src/raft/raft-codec.js';
import type { Entry, HardState, Message, MessageType, Snapshot } from '../../../src/raft/raft-types.js';

const NETWORK_TYPES: MessageType[] = [
  'MsgApp',
  'MsgAppResp',
  'MsgVote',
  'MsgVoteResp',
  'MsgPreVote',
  'MsgPreVoteResp',
  'MsgSnap',
  'MsgHeartbeat',
  'MsgHeartbeatResp',
  'MsgTimeoutNow',
  'MsgProp',
  'MsgTransferLeader',
];
const LOCAL_TYPES: MessageType[] = ['MsgHup', 'MsgBeat', 'MsgUnreachable', 'MsgSnapStatus', 'MsgCheckQuorum'];

/** Random Raft data, biased towards the edges (0, 2^32 boundaries, the largest safe integer). */
class Gen {
  constructor(private readonly rng: SeededRng) {}
  num(): number {
    switch (this.rng.nextInt(6)) {
      case 0:
        return 0;
      case 1:
        return Number.MAX_SAFE_INTEGER - this.rng.nextInt(3);
      case 2:
        return 0xffff_ffff + this.rng.nextInt(3) - 1;
      default:
        return this.rng.nextInt(1000);
    }
  }
  bytes(): Uint8Array {
    return Uint8Array.from({ length: this.rng.nextInt(3) === 0 ? 0 : this.rng.nextInt(40) }, () => this.rng.nextInt(256));
  }
  entry(): Entry {
    return { term: this.num(), index: this.num(), type: this.rng.nextInt(2) === 0 ? 'normal' : 'confChange', data: this.bytes() };
  }
  hardState(): HardState {
    return { term: this.num(), vote: this.num(), commit: this.num() };
  }
  snapshot(): Snapshot {
    const voters = Array.from({ length: this.rng.nextInt(6) }, () => this.num());
    return { metadata: { index: this.num(), term: this.num(), confState: { voters } }, data: this.bytes() };
  }
  message(): Message {
    const m: { -readonly [K in keyof Message]: Message[K] } = {
      type: NETWORK_TYPES[this.rng.nextInt(NETWORK_TYPES.length)]!,
      from: this.num(),
      to: this.num(),
      term: this.num(),
      logTerm: this.num(),
      index: this.num(),
      entries: Array.from({ length: this.rng.nextInt(3) === 0 ? 0 : this.rng.nextInt(5) }, () => this.entry()),
      commit: this.num(),
      reject: this.rng.nextInt(2) === 0,
      rejectHint: this.num(),
    };
    if (this.rng.nextInt(2) === 0) m.rejectHintTerm = this.num();
    if (this.rng.nextInt(3) === 0) m.snapshot = this.snapshot();
    if (this.rng.nextInt(4) === 0) m.context = 'transfer';
    return m;
  }
}

function malformed(decode: () => unknown): FabsimError {
  try {
    decode();
  } catch (err) {
    expect(err).toBeInstanceOf(FabsimError);
    expect((err as FabsimError).code).toBe('RAFT_CODEC_MALFORMED');
    return err as FabsimError;
  }
  throw new Error('expected RAFT_CODEC_MALFORMED');
}

const kinds = [
  { name: 'entry', gen: (g: Gen) => g.entry(), encode: encodeEntry, decode: decodeEntry },
  { name: 'hardState', gen: (g: Gen) => g.hardState(), encode: encodeHardState, decode: decodeHardState },
  { name: 'snapshot', gen: (g: Gen) => g.snapshot(), encode: encodeSnapshot, decode: decodeSnapshot },
  { name: 'message', gen: (g: Gen) => g.message(), encode: encodeMessage, decode: decodeMessage },
] as const;

describe('raft-codec', () => {
  for (const kind of kinds) {
    const encode = kind.encode as (x: unknown) => Uint8Array;
    const decode = kind.decode as (b: Uint8Array) => unknown;
    const gen = kind.gen as (g: Gen) => unknown;

    it(`${kind.name}: decode(encode(x)) equals x, and the encoding is canonical (400 random values)`, () => {
      const g = new Gen(new SeededRng(1));
      for (let i = 0; i < 400; i++) {
        const x = gen(g);
        const bytes = encode(x);
        const back = decode(bytes);
        expect(back).toStrictEqual(x);
        expect(encode(back)).toEqual(bytes);
      }
    });

    it(`${kind.name}: every truncation of a valid encoding is rejected, and so is a trailing byte`, () => {
      const g = new Gen(new SeededRng(2));
      for (let i = 0; i < 30; i++) {
        const bytes = encode(gen(g));
        for (let len = 0; len < bytes.byteLength; len++) malformed(() => decode(bytes.slice(0, len)));
        const longer = new Uint8Array(bytes.byteLength + 1);
        longer.set(bytes);
        expect(malformed(() => decode(longer)).message).toMatch(/1 unexpected trailing bytes/);
      }
    });

    it(`${kind.name}: random garbage and bit flips are rejected or decode to a value that re-encodes to the same bytes`, () => {
      const rng = new SeededRng(3);
      const g = new Gen(rng);
      let decoded = 0;
      let rejected = 0;
      const check = (bytes: Uint8Array): void => {
        let value: unknown;
        try {
          value = decode(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(FabsimError);
          expect((err as FabsimError).code).toBe('RAFT_CODEC_MALFORMED');
          rejected++;
          return;
        }
        // Accepted: then it must be exactly the value these bytes encode (no silent reinterpretation).
        expect(encode(value)).toEqual(bytes);
        decoded++;
      };
      for (let i = 0; i < 600; i++) {
        // pure noise, with the right header half the time so that decoding goes deeper
        const noise = Uint8Array.from({ length: rng.nextInt(80) }, () => rng.nextInt(256));
        if (noise.byteLength >= 2 && rng.nextInt(2) === 0) {
          noise.set(encode(gen(g)).subarray(0, 2));
        }
        check(noise);
        // a valid encoding with one to three bytes changed
        const flipped = encode(gen(g));
        for (let n = rng.nextInt(3) + 1; n > 0; n--) {
          const at = rng.nextInt(flipped.byteLength);
          flipped[at] = (flipped[at]! ^ (1 << rng.nextInt(8))) & 0xff;
        }
        check(flipped);
      }
      expect(rejected).toBeGreaterThan(400);
      expect(decoded).toBeGreaterThan(0); // flips inside payload bytes and numbers decode fine
    });
  }

  it('rejects a number at or beyond 2^53 instead of rounding it', () => {
    const bytes = encodeHardState({ term: 1, vote: 2, commit: 3 });
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    view.setUint32(2, 0x0020_0000); // term = 2^53
    view.setUint32(6, 0);
    expect(malformed(() => decodeHardState(bytes)).message).toMatch(/at byte 2: term is at least 2\^53/);
    view.setUint32(2, 0xffff_ffff); // what a negative int64 would look like
    expect(malformed(() => decodeHardState(bytes)).message).toMatch(/negative or at least 2\^53/);
    expect(() => encodeHardState({ term: 2 ** 53, vote: 0, commit: 0 })).toThrow(AssertionError);
    expect(() => encodeHardState({ term: -1, vote: 0, commit: 0 })).toThrow(AssertionError);
    expect(() => encodeHardState({ term: 1.5, vote: 0, commit: 0 })).toThrow(AssertionError);
  });

  it('says which version, kind or tag it did not expect', () => {
    const entry = encodeEntry({ term: 1, index: 1, type: 'normal', data: new Uint8Array([1]) });
    expect(malformed(() => decodeMessage(entry)).message).toMatch(/this is an encoded entry, not a message/);
    const v2 = entry.slice();
    v2[0] = 2;
    expect(malformed(() => decodeEntry(v2)).message).toMatch(/unsupported format version 2 \(this build reads version 1\)/);
    const kind9 = entry.slice();
    kind9[1] = 9;
    expect(malformed(() => decodeEntry(kind9)).message).toMatch(/unknown kind tag 9/);
    const type7 = entry.slice();
    type7[2 + 16] = 7;
    expect(malformed(() => decodeEntry(type7)).message).toMatch(/entry.type: unknown entry type tag 7/);
    expect(malformed(() => decodeEntry(new Uint8Array())).message).toMatch(/truncated: format version needs 1 bytes, only 0 left/);
    expect(malformed(() => decodeEntry('abc' as unknown as Uint8Array)).message).toMatch(/not bytes/);
  });

  it('never decodes or encodes the message types a node only gives itself', () => {
    const g = new Gen(new SeededRng(4));
    const m = { ...g.message(), type: 'MsgApp' as MessageType };
    const bytes = encodeMessage(m);
    for (const tag of [0, 13, 200, 255]) {
      const forged = bytes.slice();
      forged[2] = tag;
      expect(malformed(() => decodeMessage(forged)).message).toMatch(new RegExp(`unknown message type tag ${tag}`));
    }
    for (const type of LOCAL_TYPES) expect(() => encodeMessage({ ...m, type })).toThrow(AssertionError);
  });

  it('refuses list counts and lengths that cannot fit before allocating for them', () => {
    const m: Message = { type: 'MsgApp', from: 1, to: 2, term: 3, logTerm: 2, index: 5, entries: [], commit: 4, reject: false, rejectHint: 0 };
    const bytes = encodeMessage(m);
    const countAt = bytes.byteLength - 4;
    new DataView(bytes.buffer).setUint32(countAt, 0xffff_ffff);
    expect(malformed(() => decodeMessage(bytes)).message).toMatch(/entries claims 4294967295 items, but only 0 bytes are left/);
    const entry = encodeEntry({ term: 1, index: 1, type: 'normal', data: new Uint8Array(3) });
    new DataView(entry.buffer).setUint32(2 + 17, 0x7fff_ffff);
    expect(malformed(() => decodeEntry(entry)).message).toMatch(/entry.data claims 2147483647 bytes, only 3 left/);
    const flags = encodeMessage(m);
    flags[2 + 6 * 8 + 1 + 8 + 1] = 0x08;
    expect(malformed(() => decodeMessage(flags)).message).toMatch(/unknown message flags 0x8/);
    const reject = encodeMessage(m);
    reject[2 + 6 * 8 + 1] = 2;
    expect(malformed(() => decodeMessage(reject)).message).toMatch(/reject must be 0 or 1, got 2/);
  });

  it('decoded bytes are copies: changing the input afterwards changes nothing', () => {
    const data = new Uint8Array([1, 2, 3]);
    const bytes = Buffer.from(encodeMessage({ type: 'MsgApp', from: 1, to: 2, term: 1, logTerm: 0, index: 0, entries: [{ term: 1, index: 1, type: 'normal', data }], commit: 0, reject: false, rejectHint: 0 }));
    const m = decodeMessage(bytes); // a Node Buffer is accepted as bytes
    bytes.fill(0);
    expect(m.entries[0]!.data).toEqual(data);
    expect(m.entries[0]!.data.constructor).toBe(Uint8Array);
  });

  it('is compact: a heartbeat is 65 bytes, an entry is 21 bytes plus its data', () => {
    const hb: Message = { type: 'MsgHeartbeat', from: 1, to: 2, term: 7, logTerm: 0, index: 0, entries: [], commit: 9, reject: false, rejectHint: 0 };
    expect(encodeMessage(hb).byteLength).toBe(2 + 1 + 7 * 8 + 1 + 1 + 4);
    expect(encodeEntry({ term: 1, index: 2, type: 'normal', data: new Uint8Array(10) }).byteLength).toBe(2 + 21 + 10);
  });
});
