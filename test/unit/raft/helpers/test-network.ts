/**
 * A synchronous test network for Raft (like etcd's `network` in raft_test.go): every node is a RawNode
 * over a MemoryRaftStorage, driven exactly by the Ready contract:
 *   persist (snapshot, entries, hard state) → send (enqueue) → apply (snapshot, committed entries) → advance.
 * Messages wait in one FIFO queue; deliverAll() runs until the network is quiet. Links can be cut,
 * nodes isolated, and individual messages dropped or delivered selectively, so a test can script
 * any interleaving (the paper's Figure 8, partitions, lost snapshots...).
 *
 * The application of each node is a list of strings (the data of applied normal entries); its
 * snapshots are that list as JSON. Applying checks the Ready contract: committed entries arrive
 * once each, in index order, with no gap.
 */
import { expect } from 'vitest';
import { SeededRng } from '../../../../src/core/rng.js';
import {
  decodeConfChange,
  MemoryRaftStorage,
  RawNode,
  type ConfState,
  type Entry,
  type Message,
  type MessageType,
  type NodeId,
  type RaftConfig,
  type Ready,
} from '../../../../src/raft/index.js';

export interface TestOptions {
  electionTicks?: number;
  heartbeatTicks?: number;
  maxInflightMsgs?: number;
  maxEntriesPerMsg?: number;
  preVote?: boolean;
  checkQuorum?: boolean;
  seed?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
export const bytes = (s: string): Uint8Array => encoder.encode(s);
export const text = (b: Uint8Array): string => decoder.decode(b);

export function configFor(id: NodeId, storage: MemoryRaftStorage, opts: TestOptions = {}, applied?: number): RaftConfig {
  return {
    id,
    electionTicks: opts.electionTicks ?? 10,
    heartbeatTicks: opts.heartbeatTicks ?? 1,
    storage,
    ...(applied === undefined ? {} : { applied }),
    maxInflightMsgs: opts.maxInflightMsgs ?? 256,
    maxEntriesPerMsg: opts.maxEntriesPerMsg ?? 100,
    preVote: opts.preVote ?? false,
    checkQuorum: opts.checkQuorum ?? false,
    rng: new SeededRng((opts.seed ?? 1) * 1000 + id),
  };
}

/** One node and its application. */
export class TestNode {
  node: RawNode;
  /** Data of the applied normal entries (the no-op entries of new leaders are skipped). */
  appliedData: string[] = [];
  appliedIndex: number;
  confState: ConfState;
  /** Every Ready this node produced (for assertions on the contract). */
  readonly readies: Ready[] = [];

  constructor(
    readonly id: NodeId,
    public storage: MemoryRaftStorage,
    readonly opts: TestOptions,
  ) {
    this.node = new RawNode(configFor(id, storage, opts));
    this.appliedIndex = storage.snapshot().metadata.index;
    this.confState = storage.initialState().confState;
    if (storage.snapshot().metadata.index > 0) this.appliedData = JSON.parse(text(storage.snapshot().data)) as string[];
  }

  /** Handles every pending Ready by the contract; returns the messages to send. */
  processReady(): Message[] {
    const out: Message[] = [];
    while (this.node.hasReady()) {
      const rd = this.node.ready();
      this.readies.push(rd);
      // 1. persist
      if (rd.snapshot !== undefined) this.storage.applySnapshot(rd.snapshot);
      this.storage.append(rd.entries);
      if (rd.hardState !== undefined) this.storage.setHardState(rd.hardState);
      // 2. send
      out.push(...rd.messages);
      // 3. apply
      if (rd.snapshot !== undefined) {
        this.appliedData = JSON.parse(text(rd.snapshot.data)) as string[];
        this.appliedIndex = rd.snapshot.metadata.index;
        this.confState = rd.snapshot.metadata.confState;
      }
      for (const e of rd.committedEntries) this.apply(e);
      // 4. advance
      this.node.advance();
    }
    return out;
  }

  private apply(e: Entry): void {
    // The Ready contract: committed entries arrive in order, once each, without gaps.
    if (e.index !== this.appliedIndex + 1) {
      throw new Error(`node ${this.id}: committed entry ${e.index} handed out after ${this.appliedIndex}`);
    }
    this.appliedIndex = e.index;
    if (e.type === 'confChange') this.confState = this.node.applyConfChange(decodeConfChange(e.data));
    else if (e.data.length > 0) this.appliedData.push(text(e.data));
  }

  /** The application takes a snapshot of what it applied and compacts the log up to it (§7). */
  snapshotAndCompact(compactTo: number = this.appliedIndex): void {
    this.storage.createSnapshot(this.appliedIndex, this.confState, bytes(JSON.stringify(this.appliedData)));
    this.storage.compact(compactTo);
  }

  /** Crash and restart: unpersisted state is lost; the application state is rebuilt from the snapshot. */
  restart(): void {
    const snap = this.storage.snapshot();
    this.appliedIndex = snap.metadata.index;
    this.appliedData = snap.metadata.index > 0 ? (JSON.parse(text(snap.data)) as string[]) : [];
    this.confState = snap.metadata.confState;
    this.node = new RawNode(configFor(this.id, this.storage, this.opts));
  }

  /** The persisted log (entries after the compaction point). */
  logEntries(): Entry[] {
    return this.storage.entries(this.storage.firstIndex(), this.storage.lastIndex() + 1);
  }

  logTerms(): number[] {
    return this.logEntries().map((e) => e.term);
  }
}

export type MessageFilter = (m: Message) => boolean;

export class TestNetwork {
  readonly nodes = new Map<NodeId, TestNode>();
  /** In flight, in send order. */
  queue: Message[] = [];
  /** Links that drop everything: "from->to". */
  private readonly cutLinks = new Set<string>();
  /** Message types dropped everywhere. */
  private readonly droppedTypes = new Set<MessageType>();
  /** Every message delivered so far (for assertions). */
  readonly delivered: Message[] = [];

  constructor(readonly opts: TestOptions = {}) {}

  /** A brand-new cluster of `ids` (all voters). */
  static create(ids: NodeId[], opts: TestOptions = {}): TestNetwork {
    const net = new TestNetwork(opts);
    for (const id of ids) net.addNode(id, MemoryRaftStorage.bootstrap(ids));
    return net;
  }

  addNode(id: NodeId, storage: MemoryRaftStorage, opts: TestOptions = this.opts): TestNode {
    const n = new TestNode(id, storage, opts);
    this.nodes.set(id, n);
    return n;
  }

  node(id: NodeId): TestNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  raw(id: NodeId): RawNode {
    return this.node(id).node;
  }

  // ---- faults ----

  cut(a: NodeId, b: NodeId): void {
    this.cutLinks.add(`${a}->${b}`);
    this.cutLinks.add(`${b}->${a}`);
  }

  /** Cuts every link between `id` and the other nodes. */
  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) if (other !== id) this.cut(id, other);
  }

  /** Two groups that cannot talk to each other. */
  partition(groupA: NodeId[], groupB: NodeId[]): void {
    for (const a of groupA) for (const b of groupB) this.cut(a, b);
  }

  heal(): void {
    this.cutLinks.clear();
    this.droppedTypes.clear();
  }

  dropType(type: MessageType): void {
    this.droppedTypes.add(type);
  }

  private passes(m: Message): boolean {
    return !this.cutLinks.has(`${m.from}->${m.to}`) && !this.droppedTypes.has(m.type) && this.nodes.has(m.to);
  }

  // ---- driving ----

  /** Collects the Readies of every node (or one) into the queue. */
  flush(id?: NodeId): void {
    const ids = id === undefined ? [...this.nodes.keys()] : [id];
    for (const i of ids) {
      for (const m of this.node(i).processReady()) if (this.passes(m)) this.queue.push(m);
    }
  }

  tick(id: NodeId, times = 1): void {
    for (let i = 0; i < times; i++) {
      this.raw(id).tick();
      this.flush(id);
    }
  }

  tickAll(times = 1): void {
    for (let i = 0; i < times; i++) for (const id of this.nodes.keys()) this.tick(id);
  }

  campaign(id: NodeId): void {
    this.raw(id).campaign();
    this.flush(id);
  }

  propose(id: NodeId, data: string): boolean {
    const ok = this.raw(id).propose(bytes(data));
    this.flush(id);
    return ok;
  }

  /** Delivers one message (it may be dropped by a cut link at send time already) and handles the resulting Ready. */
  deliver(m: Message): void {
    this.delivered.push(m);
    const target = this.nodes.get(m.to);
    if (target === undefined) return;
    target.node.step(m);
    this.flush(m.to);
  }

  /** Delivers queued messages (those matching `filter`, others stay queued) until none is left. */
  deliverAll(filter: MessageFilter = () => true, limit = 100_000): void {
    for (let steps = 0; ; steps++) {
      if (steps > limit) throw new Error('deliverAll: the network does not quiesce');
      const i = this.queue.findIndex(filter);
      if (i < 0) return;
      const [m] = this.queue.splice(i, 1);
      this.deliver(m!);
    }
  }

  /** Removes and returns the queued messages matching `filter`. */
  take(filter: MessageFilter): Message[] {
    const taken = this.queue.filter(filter);
    this.queue = this.queue.filter((m) => !filter(m));
    return taken;
  }

  /** Drops every queued message. */
  clearQueue(): void {
    this.queue = [];
  }

  /** Campaigns `id` and delivers everything; returns the id for chaining. */
  elect(id: NodeId): NodeId {
    this.campaign(id);
    this.deliverAll();
    expect(this.raw(id).status().role, `node ${id} should have won the election`).toBe('leader');
    return id;
  }

  /** Ticks the leader once (heartbeats) and delivers everything: followers catch up on commit. */
  heartbeat(leader: NodeId): void {
    this.tick(leader, this.opts.heartbeatTicks ?? 1);
    this.deliverAll();
  }

  leaders(): NodeId[] {
    return [...this.nodes.keys()].filter((id) => this.raw(id).status().role === 'leader');
  }
}

/** Shorthand for a message in tests that step nodes directly. */
export function msg(fields: Partial<Message> & { type: MessageType; from: NodeId; to: NodeId }): Message {
  return { term: 0, logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0, ...fields };
}

/** A log entry in tests. */
export function entry(index: number, term: number, data = ''): Entry {
  return { index, term, type: 'normal', data: bytes(data) };
}

/** A storage whose log has the given terms at indexes 1..n (a node that lived through earlier terms). */
export function storageWithLog(voters: NodeId[], terms: number[], hardState?: { term?: number; vote?: NodeId; commit?: number }): MemoryRaftStorage {
  const lastTerm = terms[terms.length - 1] ?? 0;
  return new MemoryRaftStorage({
    snapshot: { metadata: { index: 0, term: 0, confState: { voters } }, data: bytes('[]') },
    entries: terms.map((t, i) => entry(i + 1, t, `e${i + 1}t${t}`)),
    hardState: { term: hardState?.term ?? lastTerm, vote: hardState?.vote ?? 0, commit: hardState?.commit ?? 0 },
  });
}

/** A lone node (no network) for tests that step messages by hand, as etcd's raft_paper_test does. */
export function loneNode(id: NodeId, voters: NodeId[], opts: TestOptions = {}, terms: number[] = [], hardState?: { term?: number; vote?: NodeId; commit?: number }): TestNode {
  return new TestNode(id, storageWithLog(voters, terms, hardState), opts);
}
