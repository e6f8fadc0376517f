import { bytesEqual, utf8 } from '../../core/bytes.js';
import { messageOf } from '../../core/errors.js';
import { formatSignaturePolicy } from '../../policy/signature-policy.js';
import { parseSignaturePolicyEnvelope } from '../../protos/policy-envelope.js';
import { parseTxRwSet, type KvRead, type KvRwSet, type KvVersion, type KvWrite, type RangeQueryInfo, type TxRwSet } from '../../protos/rwset.js';
import {
  parseChaincodeAction,
  parseChaincodeEvent,
  parseProposalResponsePayload,
  type ChaincodeAction,
  type ChaincodeEvent,
  type ProposalResponsePayload,
} from '../../protos/transaction.js';

/**
 * Why two endorsements cannot be combined, in words: the Gateway's "ProposalResponsePayloads do
 * not match" check, made explanatory.
 *
 * Every endorser signs its ProposalResponse.payload (a ProposalResponsePayload: the proposal hash
 * and a ChaincodeAction with the simulated read-write set, the chaincode's response and event, and
 * the chaincode id). A transaction carries ONE such payload and every endorsement must be a
 * signature over exactly those bytes, so the Gateway (Fabric internal/pkg/gateway/endorsement.go,
 * plan.processEndorsement) requires every endorser's payload to be byte-identical to the first
 * one's. Fabric answers the client only "ProposalResponsePayloads do not match" and writes the
 * details (internal/pkg/gateway/diff.go) to the peer's log at WARN; fabsim puts them in the message:
 * which keys were read or written differently and both values, then what that usually means.
 *
 * Pure logic: no I/O. Nothing here throws for bad input; bytes that do not decode are reported as
 * a difference. Differences are listed in payload order (proposal hash, chaincode id, then per
 * namespace in name order: reads, range queries, writes, metadata writes; then the chaincode
 * response and event), keys sorted within each kind, at most MAX_LISTED_DIFFERENCES of them.
 */

/** One endorser's answer as the Gateway holds it: where it came from and its ProposalResponse.payload bytes. */
export interface EndorserPayload {
  /** The peer's address, e.g. `peer0.org1.example.com:7051`. */
  readonly endpoint: string;
  readonly mspId: string;
  /** ProposalResponse.payload: the ProposalResponsePayload bytes the endorser signed. */
  readonly payload: Uint8Array;
}

/** How many differences a message lists before "and K more". */
export const MAX_LISTED_DIFFERENCES = 5;
/** How many characters of a value (text characters, or hex digits) a message shows before an ellipsis. */
export const MAX_VALUE_CHARS = 80;

/**
 * The explanation of why `a`'s and `b`'s payloads differ, naming the keys and both values
 * (`a`'s first); undefined when the payloads are byte-identical.
 */
export function describePayloadMismatch(a: EndorserPayload, b: EndorserPayload): string | undefined {
  if (bytesEqual(a.payload, b.payload)) return undefined;
  const differences = new Differences(a, b);
  comparePayloads(a.payload, b.payload, differences);
  const pair = `${endorserName(a)} and ${endorserName(b)}`;
  if (differences.list.length === 0) {
    return (
      `ProposalResponsePayloads do not match: ${pair} simulated the same results (the same proposal hash, chaincode, reads, writes, ` +
      'response and event) but their payload bytes differ (field order, repeated or unknown fields, or the order of entries); ' +
      'endorsements are signatures over the exact bytes, so they cannot be combined: check that both peers run the same peer software'
    );
  }
  const listed = differences.list.slice(0, MAX_LISTED_DIFFERENCES).map((d) => d.text);
  const more = differences.list.length - listed.length;
  const verb = differences.list.every((d) => d.cause === 'undecodable') ? 'returned payloads that cannot be compared' : 'simulated different results';
  return (
    `ProposalResponsePayloads do not match: ${pair} ${verb} — ${listed.join('; ')}${more > 0 ? `; and ${more} more` : ''}. ` +
    `Endorsements of different payloads cannot be combined into one transaction: ${HINTS[likeliestCause(differences.list)]}`
  );
}

/**
 * The Gateway's check over all the responses it collected: each payload is compared with the
 * first one's (as Fabric's plan keeps the first endorser's payload); the explanation for the first
 * that differs, or undefined when all are byte-identical (or there are fewer than two).
 */
export function findPayloadMismatch(responses: readonly EndorserPayload[]): string | undefined {
  const first = responses[0];
  if (first === undefined) return undefined;
  for (const response of responses.slice(1)) {
    const message = describePayloadMismatch(first, response);
    if (message !== undefined) return message;
  }
  return undefined;
}

// ---- Differences and what they suggest ---------------------------------------------------------

/**
 * What a difference suggests went wrong, most fundamental first: bytes that are not a payload at
 * all; answers to different proposals; different chaincode definitions; different world state
 * (reads differ); the same reads but different results (non-deterministic chaincode).
 */
type Cause = 'undecodable' | 'proposal' | 'definition' | 'state' | 'computation';

const CAUSE_ORDER: readonly Cause[] = ['undecodable', 'proposal', 'definition', 'state', 'computation'];

const HINTS: Readonly<Record<Cause, string>> = {
  undecodable: "an endorser returned bytes that are not a valid ProposalResponsePayload; check that peer's endorser (its version and its log)",
  proposal:
    'the endorsers answered different proposals (the proposal hash covers the signed proposal header and payload); send the same signed proposal to every endorser',
  definition:
    'the peers know different definitions of the chaincode (one may not yet have committed the latest chaincode definition); retry once every peer has committed it',
  state:
    "the peers read different world state (one may not yet have committed the latest blocks, so it read older versions); retry once every peer has caught up",
  computation:
    'the peers read the same state but computed different results, so the chaincode is not deterministic (for example it uses the clock, ' +
    'random numbers or unordered iteration) or the peers run different chaincode code; make the chaincode compute the same result on every peer',
};

interface Difference {
  readonly cause: Cause;
  readonly text: string;
}

function likeliestCause(list: readonly Difference[]): Cause {
  return CAUSE_ORDER.find((cause) => list.some((d) => d.cause === cause)) ?? 'computation';
}

class Differences {
  readonly list: Difference[] = [];
  constructor(
    readonly a: EndorserPayload,
    readonly b: EndorserPayload,
  ) {}

  add(cause: Cause, text: string): void {
    this.list.push({ cause, text });
  }

  /** `what` of a and of b, decoded by `decode`; a side that does not decode is reported (and the pair is not compared further). */
  decodeBoth<T>(what: string, aBytes: Uint8Array, bBytes: Uint8Array, decode: (bytes: Uint8Array) => T): [T, T] | undefined {
    const da = attempt(() => decode(aBytes));
    const db = attempt(() => decode(bBytes));
    for (const [side, decoded] of [[this.a, da], [this.b, db]] as const) {
      if (!decoded.ok) this.add('undecodable', `the ${what} from ${side.endpoint} does not decode: ${decoded.error}`);
    }
    return da.ok && db.ok ? [da.value, db.value] : undefined;
  }
}

function endorserName(e: EndorserPayload): string {
  return `${e.endpoint} (${e.mspId})`;
}

type Attempt<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/** Runs a parse*, keeping what it throws as text: explaining a mismatch must never fail itself. */
function attempt<T>(decode: () => T): Attempt<T> {
  try {
    return { ok: true, value: decode() };
  } catch (err) {
    return { ok: false, error: messageOf(err) };
  }
}

// ---- ProposalResponsePayload and ChaincodeAction ---------------------------------------------

function comparePayloads(aBytes: Uint8Array, bBytes: Uint8Array, d: Differences): void {
  const prps = d.decodeBoth<ProposalResponsePayload>('ProposalResponsePayload', aBytes, bBytes, parseProposalResponsePayload);
  if (prps === undefined) return;
  const [a, b] = prps;
  // proposal_hash: SHA-256 of the proposal the endorser answered (protoutil.GetProposalHash1).
  if (!bytesEqual(a.proposalHash, b.proposalHash)) d.add('proposal', `proposal hash = ${formatBytes(a.proposalHash)} vs ${formatBytes(b.proposalHash)}`);
  const actions = d.decodeBoth<ChaincodeAction>('ChaincodeAction (ProposalResponsePayload.extension)', a.extension, b.extension, parseChaincodeAction);
  if (actions === undefined) return;
  const [ca, cb] = actions;
  // chaincode_id: the chaincode that ran, with the version of its committed definition.
  compareText(d, 'definition', 'chaincode name', ca.chaincodeId.name, cb.chaincodeId.name);
  compareText(d, 'definition', 'chaincode version', ca.chaincodeId.version, cb.chaincodeId.version);
  compareText(d, 'definition', 'chaincode path', ca.chaincodeId.path, cb.chaincodeId.path);
  if (!bytesEqual(ca.results, cb.results)) {
    const rwsets = d.decodeBoth<TxRwSet>('read-write set (ChaincodeAction.results)', ca.results, cb.results, parseTxRwSet);
    if (rwsets !== undefined) compareTxRwSets(rwsets[0], rwsets[1], d);
  }
  // response: what the chaincode function returned (peer.Response).
  if (ca.response.status !== cb.response.status) d.add('computation', `chaincode response status = ${ca.response.status} vs ${cb.response.status}`);
  compareText(d, 'computation', 'chaincode response message', ca.response.message, cb.response.message);
  compareValues(d, 'computation', 'chaincode response payload', ca.response.payload, cb.response.payload);
  if (!bytesEqual(ca.events, cb.events)) compareEvents(ca.events, cb.events, d);
}

/** ChaincodeAction.events: the one ChaincodeEvent the chaincode set (SetEvent), or no bytes. */
function compareEvents(aBytes: Uint8Array, bBytes: Uint8Array, d: Differences): void {
  const events = d.decodeBoth<ChaincodeEvent | undefined>('chaincode event (ChaincodeAction.events)', aBytes, bBytes, (bytes) =>
    bytes.length === 0 ? undefined : parseChaincodeEvent(bytes),
  );
  if (events === undefined) return;
  const [a, b] = events;
  if (a === undefined || b === undefined) {
    d.add('computation', `chaincode event = ${describeEvent(a)} vs ${describeEvent(b)}`);
    return;
  }
  compareText(d, 'computation', 'chaincode event name', a.eventName, b.eventName);
  compareValues(d, 'computation', 'chaincode event payload', a.payload, b.payload);
  compareText(d, 'computation', 'chaincode event chaincode id', a.chaincodeId, b.chaincodeId);
  compareText(d, 'computation', 'chaincode event tx id', a.txId, b.txId);
}

function describeEvent(event: ChaincodeEvent | undefined): string {
  return event === undefined ? '(no event)' : `${formatText(event.eventName)} with payload ${formatBytes(event.payload)}`;
}

function compareText(d: Differences, cause: Cause, what: string, a: string, b: string): void {
  if (a !== b) compareValues(d, cause, what, utf8(a), utf8(b));
}

function compareValues(d: Differences, cause: Cause, what: string, a: Uint8Array, b: Uint8Array): void {
  if (bytesEqual(a, b)) return;
  const [fa, fb] = formatBytesPair(a, b);
  d.add(cause, `${what} = ${fa} vs ${fb}`);
}

// ---- TxReadWriteSet --------------------------------------------------------------------------

/** One namespace's (chaincode's) KVRWSet, keyed for comparison. */
interface NsSummary {
  /** KVRead by key; undefined version = the key did not exist. */
  readonly reads: Map<string, KvVersion | undefined>;
  readonly ranges: Map<string, RangeQueryInfo>;
  readonly writes: Map<string, KvWrite>;
  /** KVMetadataWrite by key: the key's new metadata entries by name (none = metadata deleted). */
  readonly metadata: Map<string, Map<string, Uint8Array>>;
  readonly privateCount: number;
}

function summarize(set: KvRwSet | undefined, privateCount: number): NsSummary {
  const ranges = new Map<string, RangeQueryInfo>();
  for (const info of set?.rangeQueriesInfo ?? []) {
    const base = `range query [${JSON.stringify(info.startKey)}, ${JSON.stringify(info.endKey)})`;
    let label = base;
    // The same range scanned twice (e.g. two pages) is told apart by its position among its repeats.
    for (let n = 2; ranges.has(label); n++) label = `${base} #${n}`;
    ranges.set(label, info);
  }
  return {
    reads: readsByKey(set?.reads ?? []),
    ranges,
    writes: new Map((set?.writes ?? []).map((w) => [w.key, w])),
    metadata: new Map((set?.metadataWrites ?? []).map((m) => [m.key, new Map(m.entries.map((e) => [e.name, e.value]))])),
    privateCount,
  };
}

function readsByKey(reads: readonly KvRead[]): Map<string, KvVersion | undefined> {
  return new Map(reads.map((r) => [r.key, r.version]));
}

function compareTxRwSets(a: TxRwSet, b: TxRwSet, d: Differences): void {
  const byNamespace = (set: TxRwSet) => new Map(set.nsRwsets.map((ns) => [ns.namespace, ns]));
  const na = byNamespace(a);
  const nb = byNamespace(b);
  // A namespace only one endorser touched compares as an empty rwset, so each of its keys is named.
  for (const namespace of sortedUnion(na.keys(), nb.keys())) {
    const sa = na.get(namespace);
    const sb = nb.get(namespace);
    compareNamespace(`namespace ${formatKey(namespace)}: `, summarize(sa?.rwset, sa?.collectionHashedRwsetCount ?? 0), summarize(sb?.rwset, sb?.collectionHashedRwsetCount ?? 0), d);
  }
}

function compareNamespace(prefix: string, a: NsSummary, b: NsSummary, d: Differences): void {
  compareReads(`${prefix}read `, a.reads, b.reads, d);
  for (const label of sortedUnion(a.ranges.keys(), b.ranges.keys())) compareRange(`${prefix}${label}`, a.ranges.get(label), b.ranges.get(label), d);
  for (const key of sortedUnion(a.writes.keys(), b.writes.keys())) {
    const wa = a.writes.get(key);
    const wb = b.writes.get(key);
    if (sameWrite(wa, wb)) continue;
    const [fa, fb] = wa !== undefined && wb !== undefined && !wa.isDelete && !wb.isDelete ? formatBytesPair(wa.value, wb.value) : [describeWrite(wa), describeWrite(wb)];
    d.add('computation', `${prefix}write ${formatKey(key)} = ${fa} vs ${fb}`);
  }
  for (const key of sortedUnion(a.metadata.keys(), b.metadata.keys())) compareMetadata(`${prefix}metadata write ${formatKey(key)}`, a.metadata.get(key), b.metadata.get(key), d);
  if (a.privateCount !== b.privateCount) {
    d.add('computation', `${prefix}private data collection hashed rwsets = ${a.privateCount} vs ${b.privateCount} (fabsim does not model private data)`);
  }
}

/** KVReads: the version (block, tx) of each key as the simulation saw it. */
function compareReads(prefix: string, a: ReadonlyMap<string, KvVersion | undefined>, b: ReadonlyMap<string, KvVersion | undefined>, d: Differences): void {
  for (const key of sortedUnion(a.keys(), b.keys())) {
    const inA = a.has(key);
    const inB = b.has(key);
    const va = a.get(key);
    const vb = b.get(key);
    if (inA && inB && sameVersion(va, vb)) continue;
    d.add('state', `${prefix}${formatKey(key)} = ${inA ? describeVersion(va) : '(not read)'} vs ${inB ? describeVersion(vb) : '(not read)'}`);
  }
}

/**
 * RangeQueryInfo: a GetStateByRange scan, what it read and whether the iterator was exhausted, for
 * the committer's phantom-read check. Raw reads are compared key by key.
 */
function compareRange(label: string, a: RangeQueryInfo | undefined, b: RangeQueryInfo | undefined, d: Differences): void {
  if (a === undefined || b === undefined) {
    d.add('state', `${label} = ${describeRange(a)} vs ${describeRange(b)}`);
    return;
  }
  if (a.itrExhausted !== b.itrExhausted) d.add('state', `${label}: iterator exhausted = ${a.itrExhausted} vs ${b.itrExhausted}`);
  if (a.rawReads !== undefined && b.rawReads !== undefined) {
    compareReads(`${label}: read `, readsByKey(a.rawReads), readsByKey(b.rawReads), d);
    return;
  }
  const ma = a.readsMerkleHashes;
  const mb = b.readsMerkleHashes;
  if (ma !== undefined && mb !== undefined) {
    if (ma.maxDegree !== mb.maxDegree || ma.maxLevel !== mb.maxLevel || ma.maxLevelHashes.length !== mb.maxLevelHashes.length) {
      d.add('state', `${label}: reads = ${describeRangeReads(a)} vs ${describeRangeReads(b)}`);
      return;
    }
    const index = ma.maxLevelHashes.findIndex((hash, i) => !bytesEqual(hash, mb.maxLevelHashes[i] ?? new Uint8Array()));
    if (index >= 0) d.add('state', `${label}: reads merkle hash ${index} = ${formatBytes(ma.maxLevelHashes[index]!)} vs ${formatBytes(mb.maxLevelHashes[index]!)}`);
    return;
  }
  if (a.rawReads !== undefined || b.rawReads !== undefined || ma !== undefined || mb !== undefined) {
    d.add('state', `${label}: reads = ${describeRangeReads(a)} vs ${describeRangeReads(b)}`);
  }
}

function describeRange(info: RangeQueryInfo | undefined): string {
  if (info === undefined) return '(not run)';
  return `${describeRangeReads(info)}, iterator ${info.itrExhausted ? 'exhausted' : 'not exhausted'}`;
}

function describeRangeReads(info: RangeQueryInfo): string {
  if (info.rawReads !== undefined) return `${info.rawReads.length} raw read${info.rawReads.length === 1 ? '' : 's'}`;
  const m = info.readsMerkleHashes;
  if (m !== undefined) return `merkle summary (max degree ${m.maxDegree}, max level ${m.maxLevel}, ${m.maxLevelHashes.length} hashes)`;
  return 'no reads info';
}

/** KVMetadataWrite: the key's whole new metadata, e.g. VALIDATION_PARAMETER (a key-level endorsement policy). */
function compareMetadata(label: string, a: ReadonlyMap<string, Uint8Array> | undefined, b: ReadonlyMap<string, Uint8Array> | undefined, d: Differences): void {
  if (a === undefined || b === undefined) {
    d.add('computation', `${label} = ${describeMetadata(a)} vs ${describeMetadata(b)}`);
    return;
  }
  for (const name of sortedUnion(a.keys(), b.keys())) {
    const va = a.get(name);
    const vb = b.get(name);
    if (va !== undefined && vb !== undefined && bytesEqual(va, vb)) continue;
    const [fa, fb] =
      va !== undefined && vb !== undefined && formatPolicy(name, va) === undefined && formatPolicy(name, vb) === undefined
        ? formatBytesPair(va, vb)
        : [describeMetadataValue(name, va), describeMetadataValue(name, vb)];
    d.add('computation', `${label} ${formatKey(name)} = ${fa} vs ${fb}`);
  }
}

function describeMetadata(entries: ReadonlyMap<string, Uint8Array> | undefined): string {
  if (entries === undefined) return '(no metadata write)';
  if (entries.size === 0) return '(all metadata deleted)';
  return sortedUnion(entries.keys(), []).map((name) => `${formatKey(name)}: ${describeMetadataValue(name, entries.get(name))}`).join(', ');
}

function describeMetadataValue(name: string, value: Uint8Array | undefined): string {
  if (value === undefined) return '(no entry)';
  return formatPolicy(name, value) ?? formatBytes(value);
}

/** A VALIDATION_PARAMETER entry holds a SignaturePolicyEnvelope: shown in the policy language when it decodes. */
function formatPolicy(name: string, value: Uint8Array): string | undefined {
  if (name !== 'VALIDATION_PARAMETER') return undefined;
  const policy = attempt(() => parseSignaturePolicyEnvelope(value));
  return policy.ok ? `policy ${formatSignaturePolicy(policy.value)}` : undefined;
}

function sameWrite(a: KvWrite | undefined, b: KvWrite | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  // A delete's value is ignored (the committer removes the key whatever it holds).
  return a.isDelete === b.isDelete && (a.isDelete || bytesEqual(a.value, b.value));
}

function describeWrite(write: KvWrite | undefined): string {
  if (write === undefined) return '(no write)';
  return write.isDelete ? '(delete)' : formatBytes(write.value);
}

function sameVersion(a: KvVersion | undefined, b: KvVersion | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.blockNum === b.blockNum && a.txNum === b.txNum;
}

/** A read's version is the height (block, tx) of the committed write it saw; none = the key did not exist. */
function describeVersion(version: KvVersion | undefined): string {
  return version === undefined ? '(key did not exist)' : `version block ${version.blockNum} tx ${version.txNum}`;
}

function sortedUnion(a: Iterable<string>, b: Iterable<string>): string[] {
  return [...new Set([...a, ...b])].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
}

// ---- Showing keys and values -------------------------------------------------------------------

/** A key as written: bare when it is plain printable ASCII, else JSON-quoted (composite keys hold U+0000). */
function formatKey(key: string): string {
  return /^[\x21-\x7e]+$/.test(key) && !key.includes('"') ? key : JSON.stringify(key);
}

function formatText(text: string): string {
  return formatBytes(utf8(text));
}

/** How a value is shown: as text (code points) when it is printable UTF-8, else as bytes in hex. */
interface Shown {
  readonly kind: 'text' | 'hex';
  /** Code points of the text, or two hex digits per byte. */
  readonly units: readonly string[];
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
// C0 and C1 control characters other than tab, newline and carriage return (those are escaped).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

function shown(bytes: Uint8Array): Shown {
  let text: string | undefined;
  try {
    text = decoder.decode(bytes);
  } catch {
    text = undefined;
  }
  if (text !== undefined && !CONTROL.test(text)) return { kind: 'text', units: Array.from(text) };
  return { kind: 'hex', units: Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')) };
}

/** Units (characters, or bytes) shown at most, and kept before the first difference when a pair is windowed. */
function windowOf(kind: Shown['kind']): { readonly size: number; readonly context: number } {
  return kind === 'text' ? { size: MAX_VALUE_CHARS, context: 20 } : { size: MAX_VALUE_CHARS / 2, context: 10 };
}

/** One value: `(empty)`, its text, or `0x…` hex; a long one is cut after MAX_VALUE_CHARS with its size. */
function formatBytes(bytes: Uint8Array): string {
  return render(bytes, shown(bytes), 0);
}

/**
 * Two values that differ. When both are long and agree on a long prefix (e.g. JSON assets that
 * differ in their last field), both are shown from shortly before the first difference, so the
 * ellipsis never hides what differs.
 */
function formatBytesPair(a: Uint8Array, b: Uint8Array): [string, string] {
  const sa = shown(a);
  const sb = shown(b);
  let start = 0;
  if (sa.kind === sb.kind) {
    const { size, context } = windowOf(sa.kind);
    let common = 0;
    while (common < sa.units.length && common < sb.units.length && sa.units[common] === sb.units[common]) common++;
    const longest = Math.max(sa.units.length, sb.units.length);
    if (longest > size && common + context > size) start = common - context;
  }
  return [render(a, sa, start), render(b, sb, start)];
}

function render(bytes: Uint8Array, s: Shown, start: number): string {
  if (bytes.length === 0) return '(empty)';
  const { size } = windowOf(s.kind);
  const window = s.units.slice(start, start + size).join('');
  const lead = start > 0 ? '…' : '';
  const tail = start + size < s.units.length ? '…' : '';
  const body = s.kind === 'text' ? `${lead}${escapeText(window)}${tail}` : `0x${lead}${window}${tail}`;
  return lead === '' && tail === '' ? body : `${body} (${bytes.length} bytes)`;
}

/** Keeps a message on one line. */
function escapeText(text: string): string {
  return text.replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
}
