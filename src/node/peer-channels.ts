import { toHex } from '../core/bytes.js';
import type { Clock } from '../core/clock.js';
import { isFabsimError, messageOf } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { channelResourcesFromBlock, MapChannelRegistry, type ChannelResources } from '../common/channel-resources.js';
import { PeerLedger } from '../ledger/peer-ledger.js';
import type { AsyncSignatureVerifier } from '../msp/ecdsa.js';
import type { SigningIdentity } from '../msp/signing-identity.js';
import type { Scheduler } from '../orderer/scheduler.js';
import { BlockDeliverer, type OrdererDeliverConnector } from '../peer/block-deliverer.js';
import { Committer } from '../peer/committer.js';
import type { ChaincodeDefinitions } from '../peer/validation/chaincode-definition.js';
import { parseConfigBlock } from '../protos/config-block.js';
import type { KvStore } from '../storage/kv-store.js';
import { deleteAll } from '../storage/delete-all.js';
import { prefixed } from '../storage/prefixed-kv-store.js';
import { ParticipationError, type ChannelInfo, type ChannelParticipation } from '../transport/http/participation-api.js';

const enc = new TextEncoder();
const JOINED_PREFIX = 'joined/';
const joinedKey = (channel: string): Uint8Array => enc.encode(`${JOINED_PREFIX}${channel}`);
const ledgerPrefix = (channel: string): Uint8Array => enc.encode(`ledger/${channel}/`);

interface JoinedChannel {
  /** Hex state hash at the ledger's height (updated after each commit). */
  stateHash: string;
  readonly resources: ChannelResources;
  readonly ledger: PeerLedger;
  readonly committer: Committer;
  readonly deliverer: BlockDeliverer;
}

export interface PeerChannelsOptions {
  readonly store: KvStore;
  readonly signer: SigningIdentity;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly verify: AsyncSignatureVerifier;
  /** The chaincodes defined on a channel (from the network file, until the lifecycle exists). */
  readonly chaincodes: (channelId: string) => ChaincodeDefinitions;
  readonly connector: OrdererDeliverConnector;
}

/**
 * The channels one peer has joined (Fabric's peer.Peer with its channels): for each one its
 * resources (from the genesis block), its ledger in its own part of the node's store, the committer,
 * and the deliver client that pulls blocks from the ordering service. Joined channels are
 * remembered (their genesis block under `joined/<channel>`) and reopened at start, resuming
 * delivery from the ledger's height.
 */
export class PeerChannels implements ChannelParticipation {
  readonly registry = new MapChannelRegistry();
  private readonly channels = new Map<string, JoinedChannel>();
  /** Channels whose join is under way: reserved before the first await, so a second join is refused. */
  private readonly joining = new Set<string>();

  constructor(private readonly o: PeerChannelsOptions) {}

  async reopen(): Promise<void> {
    const blocks: Uint8Array[] = [];
    for await (const [, block] of this.o.store.iterate({ gte: enc.encode(JOINED_PREFIX), lt: enc.encode(`${JOINED_PREFIX}\u00ff`) })) blocks.push(block);
    for (const block of blocks) await this.open(block);
  }

  ledgerOf(channelId: string): PeerLedger | undefined {
    return this.channels.get(channelId)?.ledger;
  }

  committerOf(channelId: string): Committer | undefined {
    return this.channels.get(channelId)?.committer;
  }

  list(): string[] {
    return [...this.channels.keys()].sort();
  }

  info(channel: string): ChannelInfo | undefined {
    const c = this.channels.get(channel);
    if (c === undefined) return undefined;
    return { name: channel, height: c.ledger.height, stateHash: c.stateHash, status: 'active', orderer: c.deliverer.currentEndpoint ?? 'connecting' };
  }

  async join(configBlock: Uint8Array): Promise<ChannelInfo> {
    let channelId: string;
    let txId: string;
    try {
      const parsed = parseConfigBlock(configBlock);
      channelId = parsed.channelHeader.channelId;
      txId = parsed.channelHeader.txId;
      if (parsed.block.header.number !== 0) throw new ParticipationError('PARTICIPATION_BAD_BLOCK', `block ${parsed.block.header.number} is a config block but not a genesis block; join with block 0 of the channel`);
    } catch (err) {
      if (err instanceof ParticipationError || !isFabsimError(err)) throw err;
      throw new ParticipationError('PARTICIPATION_BAD_BLOCK', `the request body is not a channel genesis (config) block: ${err.message}; send the block \`fabsim\` generated for the channel`);
    }
    if (this.channels.has(channelId) || this.joining.has(channelId)) {
      throw new ParticipationError('PARTICIPATION_ALREADY_JOINED', `this peer has already joined channel ${channelId}`);
    }
    this.joining.add(channelId);
    try {
      const channel = await this.open(configBlock, { start: false });
      try {
        if (channel.ledger.height === 0) await channel.committer.commitGenesis(configBlock, txId);
        await this.o.store.put(joinedKey(channelId), configBlock, { sync: true });
      } catch (err) {
        this.channels.delete(channelId);
        this.registry.delete(channelId);
        throw err;
      }
      channel.deliverer.start();
      return this.info(channelId)!;
    } finally {
      this.joining.delete(channelId);
    }
  }

  async remove(channel: string): Promise<void> {
    const c = this.channels.get(channel);
    if (c === undefined) {
      throw new ParticipationError('PARTICIPATION_UNKNOWN_CHANNEL', `this peer has not joined channel "${channel}" (its channels: ${this.list().join(', ') || 'none'})`);
    }
    this.channels.delete(channel);
    this.registry.delete(channel);
    await c.deliverer.stop();
    await this.o.store.del(joinedKey(channel), { sync: true });
    await deleteAll(prefixed(this.o.store, ledgerPrefix(channel)));
  }

  async closeAll(): Promise<void> {
    for (const c of this.channels.values()) await c.deliverer.stop();
    this.channels.clear();
  }

  private async open(configBlock: Uint8Array, o: { start: boolean } = { start: true }): Promise<JoinedChannel> {
    let resources: ChannelResources;
    try {
      resources = await channelResourcesFromBlock(configBlock, this.o.clock);
    } catch (err) {
      if (!isFabsimError(err)) throw err;
      throw new ParticipationError('PARTICIPATION_BAD_BLOCK', `the channel config block cannot be used: ${messageOf(err)}`);
    }
    const channelId = resources.channelId;
    const ledger = await PeerLedger.open(prefixed(this.o.store, ledgerPrefix(channelId)));
    const committer = new Committer({
      channelId,
      ledger,
      resources: () => resources,
      chaincodes: this.o.chaincodes(channelId),
      verify: this.o.verify,
      clock: this.o.clock,
      logger: this.o.logger,
    });
    const deliverer = new BlockDeliverer({
      channelId,
      signer: this.o.signer,
      endpoints: () => resources.config.spec.orderer.organizations.flatMap((org) => org.endpoints),
      height: () => ledger.height,
      onBlock: async (bytes) => {
        await committer.commit(bytes);
      },
      connector: this.o.connector,
      // Hand the committer up to 3 blocks ahead: the next blocks' signatures verify while one commits.
      blocksAhead: 3,
      scheduler: this.o.scheduler,
      clock: this.o.clock,
      logger: this.o.logger,
    });
    const stateHash = await ledger.stateHashAt(ledger.height);
    const channel: JoinedChannel = { stateHash: stateHash === undefined ? '' : toHex(stateHash), resources, ledger, committer, deliverer };
    committer.onCommitted((block) => {
      channel.stateHash = block.stateHash;
    });
    this.registry.set(resources);
    this.channels.set(channelId, channel);
    if (o.start) deliverer.start();
    return channel;
  }
}
