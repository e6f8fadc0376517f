import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNetworkConfig } from '../../../src/config/load-network-config.js';
import { expect } from 'vitest';
import { bytesEqual, toHex } from '../../../src/core/bytes.js';
import type { Logger, LogFields } from '../../../src/core/logger.js';
import { SeededRng } from '../../../src/core/rng.js';
import { loadSigningIdentity, type SigningIdentity } from '../../../src/msp/signing-identity.js';
import { generateCrypto } from '../../../src/net/generate-crypto.js';
import { generateGenesisBlocks } from '../../../src/net/genesis-block.js';
import { InMemoryBlockPuller } from '../../../src/orderer/block-puller.js';
import { chainConfigFromBlock, type ChainConfig } from '../../../src/orderer/chain-config.js';
import { InMemoryClusterNetwork } from '../../../src/orderer/in-memory-cluster-network.js';
import type { OrderResult } from '../../../src/orderer/order-result.js';
import { RaftChain } from '../../../src/orderer/raft-chain.js';
import type { ChainSnapshotOptions, RaftChainOptions } from '../../../src/orderer/raft-chain-options.js';
import { ManualScheduler } from '../../../src/orderer/scheduler.js';
import { blockDataHash, blockHeaderHash, parseBlock, type Block } from '../../../src/protos/block.js';
import { buildChannelHeader, buildEnvelope, buildPayload, computeTxId, HeaderType } from '../../../src/protos/envelope.js';
import { buildSignatureHeader } from '../../../src/protos/signature-header.js';
import type { NodeId } from '../../../src/raft/raft-types.js';
import type { KvStore } from '../../../src/storage/kv-store.js';
import { MemoryKvStore } from '../../../src/storage/memory-kv-store.js';
import { makeTempDir, REPO_ROOT } from '../../helpers/repo.js';

/**
 * Three (or more) RaftChains of one channel in one process: a ManualScheduler for time, an
 * InMemoryClusterNetwork between them, a MemoryKvStore each (kept across kills, so a chain can be
 * restarted from it), real orderer identities and the real genesis block of the default network
 * (generateCrypto + generateGenesisBlocks in a temp dir).
 */

export const NOW = Date.UTC(2026, 5, 1, 9, 30, 0);
export const TICK_MS = 100;

export interface RealNetwork {
  readonly genesisBlock: Uint8Array;
  readonly config: ChainConfig;
  /** orderer, orderer2, orderer3 of example.com: Raft ids 1, 2, 3. */
  readonly signers: readonly SigningIdentity[];
  cleanup(): void;
}

export async function makeRealNetwork(prefix: string): Promise<RealNetwork> {
  const temp = makeTempDir(prefix);
  const cryptoDir = join(temp.dir, 'organizations');
  const config = parseNetworkConfig(readFileSync(join(REPO_ROOT, 'config/network.yaml'), 'utf8'), 'network.yaml');
  await generateCrypto(config, cryptoDir, { force: false, nowMs: NOW });
  const [genesis] = await generateGenesisBlocks(config, cryptoDir, { nowMs: NOW, randomBytes: (n) => new Uint8Array(n).fill(7) });
  const ordererMsp = (name: string): string => join(cryptoDir, 'ordererOrganizations', 'example.com', 'orderers', `${name}.example.com`, 'msp');
  const signers = await Promise.all(['orderer', 'orderer2', 'orderer3'].map((n) => loadSigningIdentity(ordererMsp(n), 'OrdererMSP')));
  return { genesisBlock: genesis!.block, config: chainConfigFromBlock(genesis!.block), signers, cleanup: temp.cleanup };
}

/** Collects log events (for assertions) without printing. */
export class RecordingLogger implements Logger {
  readonly events: Array<{ level: string; event: string; fields: LogFields }> = [];
  debug = (event: string, fields: LogFields = {}): void => void this.events.push({ level: 'debug', event, fields });
  info = (event: string, fields: LogFields = {}): void => void this.events.push({ level: 'info', event, fields });
  warn = (event: string, fields: LogFields = {}): void => void this.events.push({ level: 'warn', event, fields });
  error = (event: string, fields: LogFields = {}): void => void this.events.push({ level: 'error', event, fields });
  count(event: string, node?: NodeId): number {
    return this.events.filter((e) => e.event === event && (node === undefined || e.fields['node'] === node)).length;
  }
}

export interface ClusterSettings {
  readonly maxMessageCount: number;
  readonly batchTimeoutMs: number;
  readonly maxInflightBlocks?: number;
  readonly snapshot?: ChainSnapshotOptions;
  readonly seed?: number;
}

export class ChainCluster {
  readonly scheduler = new ManualScheduler();
  readonly network = new InMemoryClusterNetwork();
  readonly logger = new RecordingLogger();
  readonly stores = new Map<NodeId, MemoryKvStore>();
  readonly chains = new Map<NodeId, RaftChain>();
  /** Nodes whose block pulling fails (their Raft messages still pass). */
  readonly pullBlocked = new Set<NodeId>();
  /** Wraps the store a node is started over (fault injection). */
  wrapStore: (id: NodeId, store: KvStore) => KvStore = (_id, store) => store;
  readonly ids: readonly NodeId[];
  private readonly rng: SeededRng;

  constructor(
    readonly real: RealNetwork,
    readonly settings: ClusterSettings,
  ) {
    this.ids = real.config.consenterIds;
    this.rng = new SeededRng(settings.seed ?? 1);
  }

  get channelId(): string {
    return this.real.config.channelId;
  }

  chain(id: NodeId): RaftChain {
    const c = this.chains.get(id);
    if (c === undefined) throw new Error(`chain ${id} is not running`);
    return c;
  }

  async startAll(): Promise<void> {
    for (const id of this.ids) await this.start(id);
  }

  /** Starts node `id` over its store (a fresh store the first time: it joins with the genesis block). */
  async start(id: NodeId): Promise<RaftChain> {
    let store = this.stores.get(id);
    if (store === undefined) {
      store = new MemoryKvStore();
      this.stores.set(id, store);
    }
    const { config } = this.real;
    const options: RaftChainOptions = {
      channelId: config.channelId,
      self: id,
      consenterIds: config.consenterIds,
      raft: { tickIntervalMs: TICK_MS, electionTicks: 10, heartbeatTicks: 1, maxInflightBlocks: this.settings.maxInflightBlocks ?? 5 },
      batchSize: { ...config.batchSize, maxMessageCount: this.settings.maxMessageCount },
      batchTimeoutMs: this.settings.batchTimeoutMs,
      snapshot: this.settings.snapshot ?? { intervalBytes: 0 },
      store: this.wrapStore(id, store),
      genesisBlock: this.real.genesisBlock,
      transport: this.network.transportFor(id),
      puller: new InMemoryBlockPuller(
        (_channel, node) => this.chains.get(node)?.blocks,
        (node) => !this.pullBlocked.has(id) && this.network.isReachable(id, node),
      ),
      scheduler: this.scheduler,
      rng: this.rng.fork(),
      signer: this.real.signers[id - 1]!,
      logger: this.logger,
    };
    const chain = await RaftChain.create(options);
    this.chains.set(id, chain);
    this.network.register(config.channelId, id, chain);
    return chain;
  }

  /** The process dies: the chain object is dropped, its store is kept. */
  async kill(id: NodeId): Promise<void> {
    const chain = this.chain(id);
    this.network.unregister(this.channelId, id);
    this.chains.delete(id);
    await chain.close();
  }

  /** Lets every pending promise and message run (no time passes). */
  async settle(): Promise<void> {
    for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Advances virtual time by `ms`, one tick at a time, settling after each. */
  async run(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += TICK_MS) {
      this.scheduler.advance(Math.min(TICK_MS, ms - t));
      await this.settle();
    }
  }

  /** Runs until `condition` holds; fails after `maxMs` of virtual time. */
  async runUntil(what: string, condition: () => boolean, maxMs = 30_000): Promise<void> {
    await this.settle();
    for (let t = 0; !condition(); t += TICK_MS) {
      if (t > maxMs) throw new Error(`after ${maxMs} ms of virtual time: ${what} did not happen; ${this.describe()}`);
      await this.run(TICK_MS);
    }
  }

  /** The one running leader that every running chain agrees on, if any. */
  leader(): NodeId | undefined {
    const leaders = [...this.chains.entries()].filter(([, c]) => c.status().role === 'leader').map(([id]) => id);
    if (leaders.length !== 1) return undefined;
    const l = leaders[0]!;
    return [...this.chains.values()].every((c) => c.status().leader === l) ? l : undefined;
  }

  async electLeader(): Promise<NodeId> {
    await this.runUntil('a leader elected', () => this.leader() !== undefined);
    await this.settle();
    return this.leader()!;
  }

  /** Orders through node `id`, letting virtual time pass (tick by tick) until it answers. */
  async order(id: NodeId, envelope: Uint8Array, maxMs = 30_000): Promise<OrderResult> {
    let result: OrderResult | undefined;
    void this.chain(id)
      .order(envelope)
      .then((r) => (result = r));
    await this.runUntil(`an answer from orderer ${id}`, () => result !== undefined, maxMs);
    return result!;
  }

  /** Waits until every running chain holds at least `height` blocks. */
  async waitForHeight(height: number, nodes: readonly NodeId[] = [...this.chains.keys()], maxMs?: number): Promise<void> {
    await this.runUntil(`height ${height} on ${nodes.join(',')}`, () => nodes.every((id) => this.chain(id).blocks.height >= height), maxMs);
  }

  /** Every block of node `id`, parsed. */
  async blocksOf(id: NodeId): Promise<Block[]> {
    const store = this.chain(id).blocks;
    const out: Block[] = [];
    for (let n = 0; n < store.height; n++) out.push(parseBlock((await store.getBlock(n))!));
    return out;
  }

  describe(): string {
    return [...this.chains.entries()].map(([id, c]) => `${id}: ${JSON.stringify(c.status())}`).join('; ');
  }

  async closeAll(): Promise<void> {
    for (const id of [...this.chains.keys()]) await this.kill(id);
  }
}

let counter = 0;

/** A distinct, well-formed ENDORSER_TRANSACTION envelope (its contents do not matter to ordering). */
export function testEnvelope(channelId: string, label = `tx-${++counter}`): Uint8Array {
  const creator = new TextEncoder().encode('client');
  const nonce = new TextEncoder().encode(label);
  const channelHeader = buildChannelHeader({ type: HeaderType.ENDORSER_TRANSACTION, channelId, txId: computeTxId(nonce, creator), timestampMs: NOW });
  const payload = buildPayload({ header: { channelHeader, signatureHeader: buildSignatureHeader({ creator, nonce }) }, data: new TextEncoder().encode(label) });
  return buildEnvelope({ payload, signature: new Uint8Array([1, 2, 3]) });
}

/** Header hashes per height, for comparing chains. */
export function headerHashes(blocks: readonly Block[]): string[] {
  return blocks.map((b) => toHex(blockHeaderHash(b.header)));
}

/** Every chain of the cluster holds the same blocks: same header hash at every height, no gap, a valid hash chain, no envelope twice. */
export async function expectIdenticalChains(cluster: ChainCluster, nodes = [...cluster.chains.keys()]): Promise<Block[]> {
  expect(cluster.logger.events.filter((e) => e.level === 'error')).toEqual([]);
  const chains = await Promise.all(nodes.map((id) => cluster.blocksOf(id)));
  const reference = chains[0]!;
  for (const [i, blocks] of chains.entries()) expect(headerHashes(blocks), `node ${nodes[i]} vs node ${nodes[0]}`).toEqual(headerHashes(reference));
  reference.forEach((b, n) => {
    expect(b.header.number).toBe(n);
    expect(bytesEqual(b.header.dataHash, blockDataHash(b.data))).toBe(true);
    if (n > 0) expect(toHex(b.header.previousHash)).toBe(toHex(blockHeaderHash(reference[n - 1]!.header)));
  });
  const envelopes = reference.slice(1).flatMap((b) => b.data.map(toHex));
  expect(new Set(envelopes).size).toBe(envelopes.length);
  return reference;
}

