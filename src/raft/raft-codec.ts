/**
 * A compact binary encoding of Raft's data (raft-types.ts) for the durable log and the orderers'
 * cluster transport. Pure: only DataView and Uint8Array.
 *
 * Every encoding starts with two bytes: the format version (1) and what follows (entry, hard state,
 * snapshot or message), so a buffer of one kind is never mistaken for another, and a later format can
 * be told apart. Numbers (terms, indices, node ids) are unsigned 64-bit big-endian and must be safe
 * integers (< 2^53); byte strings and lists carry a 32-bit length first.
 *
 * Decoding is strict, because a message may come from a broken or hostile peer: a truncated buffer,
 * trailing bytes, an unknown tag, a number outside the safe range, a length longer than what is left,
 * or a message type that never travels between nodes all give a FabsimError with code
 * RAFT_CODEC_MALFORMED that says what was wrong and where, never a crash and never a silently wrong
 * value. Decoded byte strings are copies: they do not alias the input buffer.
 *
 * Encoding data that breaks these rules (a negative term, an unsafe integer) is a bug in fabsim and
 * fails an assert.
 */
import { assert } from '../core/assert.js';
import { FabsimError } from '../core/errors.js';
import type { ConfState, Entry, EntryType, HardState, Message, MessageType, Snapshot } from './raft-types.js';

export const RAFT_CODEC_FORMAT_VERSION = 1;

export type RaftCodecErrorCode = 'RAFT_CODEC_MALFORMED';

const KIND = { entry: 1, hardState: 2, snapshot: 3, message: 4 } as const;
type Kind = keyof typeof KIND;

const ENTRY_TYPES: readonly EntryType[] = ['normal', 'confChange'];

/**
 * Wire tags of message types (never renumber: the tag is on disk and on the wire). Tag 0 is unused.
 * MsgProp and MsgTransferLeader are included because followers forward them to the leader (etcd);
 * the purely local ones (MsgHup, MsgBeat, MsgUnreachable, MsgSnapStatus, MsgCheckQuorum), which a
 * node only ever gives itself, have no tag, so a peer cannot inject them.
 */
const MESSAGE_TYPES: readonly (MessageType | undefined)[] = [
  undefined,
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

const FLAG_REJECT_HINT_TERM = 1;
const FLAG_SNAPSHOT = 2;
const FLAG_CONTEXT_TRANSFER = 4;
const KNOWN_FLAGS = FLAG_REJECT_HINT_TERM | FLAG_SNAPSHOT | FLAG_CONTEXT_TRANSFER;

/** Smallest encodings, used to refuse a list count that cannot fit in what is left (no huge allocations). */
const MIN_ENTRY_BYTES = 8 + 8 + 1 + 4;
const NODE_ID_BYTES = 8;

// ---------------------------------------------------------------------------------------------
// public API

export function encodeEntry(entry: Entry): Uint8Array {
  const w = new Writer('entry');
  writeEntry(w, entry);
  return w.finish();
}

export function decodeEntry(bytes: Uint8Array): Entry {
  const r: Reader = new Reader(bytes, 'entry');
  const entry = readEntry(r, 'entry');
  r.end();
  return entry;
}

export function encodeHardState(hs: HardState): Uint8Array {
  const w = new Writer('hardState');
  w.u64(hs.term, 'term');
  w.u64(hs.vote, 'vote');
  w.u64(hs.commit, 'commit');
  return w.finish();
}

export function decodeHardState(bytes: Uint8Array): HardState {
  const r: Reader = new Reader(bytes, 'hardState');
  const hs: HardState = { term: r.u64('term'), vote: r.u64('vote'), commit: r.u64('commit') };
  r.end();
  return hs;
}

export function encodeSnapshot(snapshot: Snapshot): Uint8Array {
  const w = new Writer('snapshot');
  writeSnapshot(w, snapshot);
  return w.finish();
}

export function decodeSnapshot(bytes: Uint8Array): Snapshot {
  const r: Reader = new Reader(bytes, 'snapshot');
  const snapshot = readSnapshot(r, 'snapshot');
  r.end();
  return snapshot;
}

export function encodeMessage(m: Message): Uint8Array {
  const tag = MESSAGE_TYPES.indexOf(m.type);
  assert(tag > 0, `message type ${m.type} is local to a node and has no encoding`);
  const w = new Writer('message');
  w.u8(tag);
  w.u64(m.from, 'from');
  w.u64(m.to, 'to');
  w.u64(m.term, 'term');
  w.u64(m.logTerm, 'logTerm');
  w.u64(m.index, 'index');
  w.u64(m.commit, 'commit');
  w.u8(m.reject ? 1 : 0);
  w.u64(m.rejectHint, 'rejectHint');
  let flags = 0;
  if (m.rejectHintTerm !== undefined) flags |= FLAG_REJECT_HINT_TERM;
  if (m.snapshot !== undefined) flags |= FLAG_SNAPSHOT;
  if (m.context !== undefined) {
    assert(m.context === 'transfer', `unknown message context ${String(m.context)}`);
    flags |= FLAG_CONTEXT_TRANSFER;
  }
  w.u8(flags);
  if (m.rejectHintTerm !== undefined) w.u64(m.rejectHintTerm, 'rejectHintTerm');
  w.u32(m.entries.length);
  for (const e of m.entries) writeEntry(w, e);
  if (m.snapshot !== undefined) writeSnapshot(w, m.snapshot);
  return w.finish();
}

/** Decodes a message from the network; see the module comment for what is refused. */
export function decodeMessage(bytes: Uint8Array): Message {
  const r: Reader = new Reader(bytes, 'message');
  const tagAt = r.offset;
  const tag = r.u8('type');
  const type = MESSAGE_TYPES[tag];
  if (type === undefined) r.fail(`unknown message type tag ${tag}`, tagAt);
  const from = r.u64('from');
  const to = r.u64('to');
  const term = r.u64('term');
  const logTerm = r.u64('logTerm');
  const index = r.u64('index');
  const commit = r.u64('commit');
  const reject = r.bool('reject');
  const rejectHint = r.u64('rejectHint');
  const flagsAt = r.offset;
  const flags = r.u8('flags');
  if ((flags & ~KNOWN_FLAGS) !== 0) r.fail(`unknown message flags 0x${flags.toString(16)}`, flagsAt);
  const rejectHintTerm = (flags & FLAG_REJECT_HINT_TERM) !== 0 ? r.u64('rejectHintTerm') : undefined;
  const count = r.count('entries', MIN_ENTRY_BYTES);
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) entries.push(readEntry(r, `entries[${i}]`));
  const snapshot = (flags & FLAG_SNAPSHOT) !== 0 ? readSnapshot(r, 'snapshot') : undefined;
  r.end();
  const m: { -readonly [K in keyof Message]: Message[K] } = { type, from, to, term, logTerm, index, entries, commit, reject, rejectHint };
  if (rejectHintTerm !== undefined) m.rejectHintTerm = rejectHintTerm;
  if (snapshot !== undefined) m.snapshot = snapshot;
  if ((flags & FLAG_CONTEXT_TRANSFER) !== 0) m.context = 'transfer';
  return m;
}

// ---------------------------------------------------------------------------------------------
// bodies

function writeEntry(w: Writer, e: Entry): void {
  w.u64(e.term, 'entry term');
  w.u64(e.index, 'entry index');
  const t = ENTRY_TYPES.indexOf(e.type);
  assert(t >= 0, `unknown entry type ${String(e.type)}`);
  w.u8(t);
  w.bytes(e.data);
}

function readEntry(r: Reader, what: string): Entry {
  const term = r.u64(`${what}.term`);
  const index = r.u64(`${what}.index`);
  const typeAt = r.offset;
  const t = r.u8(`${what}.type`);
  const type = ENTRY_TYPES[t];
  if (type === undefined) r.fail(`${what}.type: unknown entry type tag ${t}`, typeAt);
  const data = r.bytes(`${what}.data`);
  return { term, index, type, data };
}

function writeSnapshot(w: Writer, s: Snapshot): void {
  w.u64(s.metadata.index, 'snapshot index');
  w.u64(s.metadata.term, 'snapshot term');
  w.u32(s.metadata.confState.voters.length);
  for (const v of s.metadata.confState.voters) w.u64(v, 'voter');
  w.bytes(s.data);
}

function readSnapshot(r: Reader, what: string): Snapshot {
  const index = r.u64(`${what}.metadata.index`);
  const term = r.u64(`${what}.metadata.term`);
  const count = r.count(`${what}.metadata.confState.voters`, NODE_ID_BYTES);
  const voters: number[] = [];
  for (let i = 0; i < count; i++) voters.push(r.u64(`${what}.metadata.confState.voters[${i}]`));
  const confState: ConfState = { voters };
  const data = r.bytes(`${what}.data`);
  return { metadata: { index, term, confState }, data };
}

// ---------------------------------------------------------------------------------------------
// primitives

const TWO_32 = 0x1_0000_0000;

class Writer {
  private buf = new Uint8Array(64);
  private view = new DataView(this.buf.buffer);
  private at = 0;

  constructor(kind: Kind) {
    this.u8(RAFT_CODEC_FORMAT_VERSION);
    this.u8(KIND[kind]);
  }

  u8(n: number): void {
    this.reserve(1);
    this.view.setUint8(this.at, n);
    this.at += 1;
  }

  u32(n: number): void {
    assert(Number.isInteger(n) && n >= 0 && n < TWO_32, `length ${n} does not fit in 32 bits`);
    this.reserve(4);
    this.view.setUint32(this.at, n);
    this.at += 4;
  }

  u64(n: number, what: string): void {
    assert(Number.isSafeInteger(n) && n >= 0, `${what} must be a non-negative safe integer, got ${n}`);
    this.reserve(8);
    this.view.setUint32(this.at, Math.floor(n / TWO_32));
    this.view.setUint32(this.at + 4, n % TWO_32);
    this.at += 8;
  }

  bytes(b: Uint8Array): void {
    this.u32(b.byteLength);
    this.reserve(b.byteLength);
    this.buf.set(b, this.at);
    this.at += b.byteLength;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.at);
  }

  private reserve(n: number): void {
    if (this.at + n <= this.buf.byteLength) return;
    let size = this.buf.byteLength * 2;
    while (size < this.at + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
}

class Reader {
  private readonly view: DataView;
  offset = 0;

  constructor(
    private readonly input: Uint8Array,
    private readonly kind: Kind,
  ) {
    if (!(input instanceof Uint8Array)) {
      throw new FabsimError('RAFT_CODEC_MALFORMED', `cannot decode a Raft ${kind}: the input is not bytes`, { context: { kind } });
    }
    this.view = new DataView(input.buffer, input.byteOffset, input.byteLength);
    const version = this.u8('format version');
    if (version !== RAFT_CODEC_FORMAT_VERSION) {
      this.fail(`unsupported format version ${version} (this build reads version ${RAFT_CODEC_FORMAT_VERSION}); was it written by a newer fabsim?`, 0);
    }
    const k = this.u8('kind');
    if (k !== KIND[kind]) {
      const actual = (Object.keys(KIND) as Kind[]).find((name) => KIND[name] === k);
      this.fail(actual === undefined ? `unknown kind tag ${k}` : `this is an encoded ${actual}, not a ${kind}`, 1);
    }
  }

  fail(problem: string, at: number = this.offset): never {
    throw new FabsimError(
      'RAFT_CODEC_MALFORMED',
      `malformed Raft ${this.kind} (${this.input.byteLength} bytes) at byte ${at}: ${problem}; the sender or the file is broken or not fabsim's`,
      { context: { kind: this.kind, offset: at, length: this.input.byteLength } },
    );
  }

  private need(n: number, what: string): void {
    const left = this.input.byteLength - this.offset;
    if (left < n) this.fail(`truncated: ${what} needs ${n} bytes, only ${left} left`);
  }

  u8(what: string): number {
    this.need(1, what);
    const n = this.view.getUint8(this.offset);
    this.offset += 1;
    return n;
  }

  bool(what: string): boolean {
    const at = this.offset;
    const n = this.u8(what);
    if (n > 1) this.fail(`${what} must be 0 or 1, got ${n}`, at);
    return n === 1;
  }

  u32(what: string): number {
    this.need(4, what);
    const n = this.view.getUint32(this.offset);
    this.offset += 4;
    return n;
  }

  u64(what: string): number {
    const at = this.offset;
    this.need(8, what);
    const hi = this.view.getUint32(this.offset);
    const lo = this.view.getUint32(this.offset + 4);
    this.offset += 8;
    const n = hi * TWO_32 + lo;
    if (!Number.isSafeInteger(n)) this.fail(`${what} is ${hi >= 0x8000_0000 ? 'negative or ' : ''}at least 2^53, beyond a safe integer`, at);
    return n;
  }

  /** A list length, refused when that many items of at least `itemBytes` cannot fit in what is left. */
  count(what: string, itemBytes: number): number {
    const at = this.offset;
    const n = this.u32(`${what} count`);
    const left = this.input.byteLength - this.offset;
    if (n * itemBytes > left) this.fail(`${what} claims ${n} items, but only ${left} bytes are left`, at);
    return n;
  }

  bytes(what: string): Uint8Array {
    const at = this.offset;
    const n = this.u32(`${what} length`);
    const left = this.input.byteLength - this.offset;
    if (n > left) this.fail(`truncated: ${what} claims ${n} bytes, only ${left} left`, at);
    const out = new Uint8Array(this.input.subarray(this.offset, this.offset + n)); // a copy
    this.offset += n;
    return out;
  }

  end(): void {
    const left = this.input.byteLength - this.offset;
    if (left !== 0) this.fail(`${left} unexpected trailing bytes`);
  }
}
