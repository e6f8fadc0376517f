import type { Clock } from '../core/clock.js';
import { isFabsimError, messageOf } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Rng } from '../core/rng.js';
import { decodeCertificatePem } from '../msp/pem.js';
import type { BlockPuller } from '../orderer/block-puller.js';
import type { BlockSigner } from '../orderer/block-signer.js';
import { chainConfigFromBlock, consenterIdOf, type ChainConfig } from '../orderer/chain-config.js';
import { channelResourcesFromBlock, MapChannelRegistry } from '../common/channel-resources.js';
import type { ClusterEndpoint, ClusterTransport } from '../orderer/cluster-transport.js';
import { RaftChain } from '../orderer/raft-chain.js';
import type { Scheduler } from '../orderer/scheduler.js';
import type { NodeId } from '../raft/raft-types.js';
import type { KvStore } from '../storage/kv-store.js';
import { deleteAll } from '../storage/delete-all.js';
import { prefixed } from '../storage/prefixed-kv-store.js';
import type { ServedChain, ServedChannels } from '../transport/grpc/atomic-broadcast-service.js';
import type { ClusterChannel } from '../transport/grpc/cluster-service.js';
import type { ClusterDirectory } from '../transport/grpc/grpc-cluster-transport.js';
import { ParticipationError, type ChannelInfo, type ChannelParticipation } from '../transport/http/participation-api.js';

const enc = new TextEncoder();
const JOINED_PREFIX = 'joined/';
const joinedKey = (channel: string): Uint8Array => enc.encode(`${JOINED_PREFIX}${channel}`);
const chainPrefix = (channel: string): Uint8Array => enc.encode(`chain/${channel}/`);

interface JoinedChannel {
  readonly config: ChainConfig;
  readonly self: NodeId;
  readonly chain: RaftChain;
  readonly cluster: ClusterChannel;
}

export interface OrdererChannelsOptions {
  readonly store: KvStore;
  /** This orderer's TLS server certificate (PEM): it finds its consenter id by it. */
  readonly tlsCertPem: string;
  readonly signer: BlockSigner;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly rng: () => Rng;
  readonly logger: Logger;
  readonly transport: () => ClusterTransport;
  readonly puller: () => BlockPuller;
}

/**
 * The channels one orderer is a member of (Fabric's multichannel Registrar): for each one its
 * resources (policies, MSPs), its RaftChain over the channel's part of the node's store, and the
 * consenters' addresses and certificates. Joined channels are remembered in the store (their genesis
 * block under `joined/<channel>`) and reopened at start.
 * It is what the gRPC services, the cluster transport and the admin API see.
 */
export class OrdererChannels implements ServedChannels, ClusterDirectory, ChannelParticipation {
  readonly registry = new MapChannelRegistry();
  private readonly channels = new Map<string, JoinedChannel>();

  constructor(private readonly o: OrdererChannelsOptions) {}

  /** Reopens every channel joined before. */
  async reopen(): Promise<void> {
    const from = enc.encode(JOINED_PREFIX);
    const to = enc.encode(`${JOINED_PREFIX}\u00ff`);
    const blocks: Uint8Array[] = [];
    for await (const [, block] of this.o.store.iterate({ gte: from, lt: to })) blocks.push(block);
    for (const block of blocks) await this.open(block);
  }

  chainOf(channelId: string): ServedChain | undefined {
    return this.channels.get(channelId)?.chain;
  }

  channelOf(channelId: string): ClusterChannel | undefined {
    return this.channels.get(channelId)?.cluster;
  }

  addressOf(channel: string, node: NodeId): string | undefined {
    const c = this.channels.get(channel)?.config.consenters[node - 1];
    return c === undefined ? undefined : `${c.host}:${c.port}`;
  }

  endpointOf(channel: string): ClusterEndpoint | undefined {
    return this.channels.get(channel)?.chain;
  }

  list(): string[] {
    return [...this.channels.keys()].sort();
  }

  info(channel: string): ChannelInfo | undefined {
    const c = this.channels.get(channel);
    if (c === undefined) return undefined;
    const status = c.chain.status();
    return { name: channel, height: status.height, consensusRelation: 'consenter', status: status.halted ? 'halted' : 'active', raftId: c.self, raft: status };
  }

  async join(configBlock: Uint8Array): Promise<ChannelInfo> {
    let config: ChainConfig;
    try {
      config = chainConfigFromBlock(configBlock);
    } catch (err) {
      if (!isFabsimError(err)) throw err;
      throw new ParticipationError('PARTICIPATION_BAD_BLOCK', `the request body is not a channel genesis (config) block: ${err.message}; send the block \`fabsim\` generated for the channel`);
    }
    if (this.channels.has(config.channelId)) {
      throw new ParticipationError('PARTICIPATION_ALREADY_JOINED', `this orderer is already a member of channel ${config.channelId}; remove it first (DELETE) to join again`);
    }
    await this.open(configBlock);
    await this.o.store.put(joinedKey(config.channelId), configBlock, { sync: true });
    return this.info(config.channelId)!;
  }

  async remove(channel: string): Promise<void> {
    const c = this.channels.get(channel);
    if (c === undefined) {
      throw new ParticipationError('PARTICIPATION_UNKNOWN_CHANNEL', `this orderer is not a member of channel "${channel}" (its channels: ${this.list().join(', ') || 'none'})`);
    }
    this.channels.delete(channel);
    this.registry.delete(channel);
    await c.chain.close();
    await this.o.store.del(joinedKey(channel), { sync: true });
    await deleteAll(prefixed(this.o.store, chainPrefix(channel)));
  }

  async closeAll(): Promise<void> {
    for (const c of this.channels.values()) await c.chain.close();
    this.channels.clear();
  }

  private async open(configBlock: Uint8Array): Promise<void> {
    let config: ChainConfig;
    let resources;
    try {
      config = chainConfigFromBlock(configBlock);
      resources = await channelResourcesFromBlock(configBlock, this.o.clock);
    } catch (err) {
      if (!isFabsimError(err)) throw err;
      throw new ParticipationError('PARTICIPATION_BAD_BLOCK', `the channel config block cannot be used: ${messageOf(err)}`);
    }
    const self = consenterIdOf(config, this.o.tlsCertPem);
    if (self === undefined) {
      throw new ParticipationError(
        'PARTICIPATION_BAD_BLOCK',
        `this orderer is not a consenter of channel ${config.channelId}: its TLS certificate is none of the channel's etcdraft consenters (${config.consenters.map((c) => `${c.host}:${c.port}`).join(', ')}); join the orderers the channel names, or regenerate the genesis block from the same crypto material`,
      );
    }
    const r = config.raftOptions;
    const chain = await RaftChain.create({
      channelId: config.channelId,
      self,
      consenterIds: config.consenterIds,
      raft: { tickIntervalMs: r.tickIntervalMs, electionTicks: r.electionTick, heartbeatTicks: r.heartbeatTick, maxInflightBlocks: r.maxInflightBlocks },
      batchSize: config.batchSize,
      batchTimeoutMs: config.batchTimeoutMs,
      snapshot: { intervalBytes: r.snapshotIntervalSizeBytes },
      store: prefixed(this.o.store, chainPrefix(config.channelId)),
      genesisBlock: configBlock,
      transport: this.o.transport(),
      puller: this.o.puller(),
      scheduler: this.o.scheduler,
      rng: this.o.rng(),
      signer: this.o.signer,
      logger: this.o.logger,
    });
    const cluster: ClusterChannel = { consenterClientCertsDer: config.consenters.map((c) => decodeCertificatePem(c.clientTlsCert, `consenter ${c.host}:${c.port}`)), endpoint: chain };
    this.registry.set(resources);
    this.channels.set(config.channelId, { config, self, chain, cluster });
  }
}
