import { common, orderer, peer } from '@hyperledger/fabric-protos';
import { decodeProto, ProtoDecodeError } from './proto-error.js';

/**
 * The typed `ConfigValue`s of a channel config, one pair of functions per message, as Fabric's
 * common/channelconfig defines them (util.go: HashingAlgorithmValue, BatchSizeValue, ...). Each
 * build writes the message exactly as Go marshals it; each parse throws ProtoDecodeError on
 * malformed bytes. Keys are the names Fabric stores them under in `ConfigGroup.values`.
 */
export const ConfigValueKey = {
  /** /Channel: the block hash algorithm, always SHA256. */
  HASHING_ALGORITHM: 'HashingAlgorithm',
  /** /Channel: the Merkle width of the block data hash; MaxUint32 means "one flat SHA-256". */
  BLOCK_DATA_HASHING_STRUCTURE: 'BlockDataHashingStructure',
  /** /Channel: global orderer addresses (Fabric 1.x style; v2.x configs put Endpoints per orderer org). */
  ORDERER_ADDRESSES: 'OrdererAddresses',
  /** /Channel, /Channel/Orderer, /Channel/Application. */
  CAPABILITIES: 'Capabilities',
  /** /Channel/Orderer. */
  BATCH_SIZE: 'BatchSize',
  BATCH_TIMEOUT: 'BatchTimeout',
  CHANNEL_RESTRICTIONS: 'ChannelRestrictions',
  CONSENSUS_TYPE: 'ConsensusType',
  /** Every organization group. */
  MSP: 'MSP',
  /** /Channel/Orderer/<org>: that organization's orderer addresses. */
  ENDPOINTS: 'Endpoints',
  /** /Channel/Application/<org>: the peers other organizations gossip with. */
  ANCHOR_PEERS: 'AnchorPeers',
} as const;

/** configtxgen's only hashing algorithm (bccsp.SHA256). */
export const DEFAULT_HASHING_ALGORITHM = 'SHA256';
/** math.MaxUint32: the only width Fabric accepts. */
export const DEFAULT_BLOCK_DATA_HASHING_WIDTH = 4294967295;

export function buildHashingAlgorithm(name: string): Uint8Array {
  const message = new common.HashingAlgorithm();
  message.setName(name);
  return message.serializeBinary();
}

export function parseHashingAlgorithm(bytes: Uint8Array): string {
  return decodeProto('common.HashingAlgorithm', () => common.HashingAlgorithm.deserializeBinary(bytes)).getName();
}

export function buildBlockDataHashingStructure(width: number): Uint8Array {
  const message = new common.BlockDataHashingStructure();
  message.setWidth(width);
  return message.serializeBinary();
}

export function parseBlockDataHashingStructure(bytes: Uint8Array): number {
  return decodeProto('common.BlockDataHashingStructure', () => common.BlockDataHashingStructure.deserializeBinary(bytes)).getWidth();
}

/** `common.OrdererAddresses`, the message of both OrdererAddresses and an org's Endpoints: "host:port" strings. */
export function buildOrdererAddresses(addresses: readonly string[]): Uint8Array {
  const message = new common.OrdererAddresses();
  message.setAddressesList([...addresses]);
  return message.serializeBinary();
}

export function parseOrdererAddresses(bytes: Uint8Array): string[] {
  return decodeProto('common.OrdererAddresses', () => common.OrdererAddresses.deserializeBinary(bytes)).getAddressesList();
}

/** `common.Capabilities`: a map from capability name (V2_0, V2_5...) to an empty `Capability`. */
export function buildCapabilities(names: readonly string[]): Uint8Array {
  const message = new common.Capabilities();
  for (const name of names) message.getCapabilitiesMap().set(name, new common.Capability());
  return message.serializeBinary();
}

/** The capability names, sorted. */
export function parseCapabilities(bytes: Uint8Array): string[] {
  const message = decodeProto('common.Capabilities', () => common.Capabilities.deserializeBinary(bytes));
  const names: string[] = [];
  message.getCapabilitiesMap().forEach((_: common.Capability, name: string) => names.push(name));
  return names;
}

/** `orderer.BatchSize`: when the block cutter cuts a block (Fabric docs "Ordering service" > "Batch size"). */
export interface BatchSize {
  /** Cut a block once it holds this many envelopes. */
  readonly maxMessageCount: number;
  /** No block's envelopes may total more than this; a larger envelope is refused at Broadcast. */
  readonly absoluteMaxBytes: number;
  /** Cut a block once it would exceed this; a larger envelope gets a block of its own. */
  readonly preferredMaxBytes: number;
}

export function buildBatchSize(size: BatchSize): Uint8Array {
  const message = new orderer.BatchSize();
  message.setMaxMessageCount(size.maxMessageCount);
  message.setAbsoluteMaxBytes(size.absoluteMaxBytes);
  message.setPreferredMaxBytes(size.preferredMaxBytes);
  return message.serializeBinary();
}

export function parseBatchSize(bytes: Uint8Array): BatchSize {
  const message = decodeProto('orderer.BatchSize', () => orderer.BatchSize.deserializeBinary(bytes));
  return { maxMessageCount: message.getMaxMessageCount(), absoluteMaxBytes: message.getAbsoluteMaxBytes(), preferredMaxBytes: message.getPreferredMaxBytes() };
}

/** `orderer.BatchTimeout`: a Go duration string such as "2s" (see src/core/go-duration.ts). */
export function buildBatchTimeout(timeout: string): Uint8Array {
  const message = new orderer.BatchTimeout();
  message.setTimeout(timeout);
  return message.serializeBinary();
}

export function parseBatchTimeout(bytes: Uint8Array): string {
  return decodeProto('orderer.BatchTimeout', () => orderer.BatchTimeout.deserializeBinary(bytes)).getTimeout();
}

/** `orderer.ChannelRestrictions.max_count`: the most channels an orderer may serve; 0 = no limit (configtxgen's default, encoded as empty bytes). */
export function buildChannelRestrictions(maxCount: number): Uint8Array {
  const message = new orderer.ChannelRestrictions();
  message.setMaxCount(maxCount);
  return message.serializeBinary();
}

export function parseChannelRestrictions(bytes: Uint8Array): number {
  return decodeProto('orderer.ChannelRestrictions', () => orderer.ChannelRestrictions.deserializeBinary(bytes)).getMaxCount();
}

/** `orderer.ConsensusType`: the consensus plugin ("etcdraft"), its metadata and the migration state. */
export interface ConsensusType {
  readonly type: string;
  /** For etcdraft, an `etcdraft.ConfigMetadata` (src/protos/etcdraft-metadata.ts). */
  readonly metadata: Uint8Array;
  /** NORMAL, or MAINTENANCE while a consensus-type migration is under way. */
  readonly state: 'NORMAL' | 'MAINTENANCE';
}

export function buildConsensusType(consensus: ConsensusType): Uint8Array {
  const message = new orderer.ConsensusType();
  message.setType(consensus.type);
  message.setMetadata(consensus.metadata);
  message.setState(consensus.state === 'NORMAL' ? orderer.ConsensusType.State.STATE_NORMAL : orderer.ConsensusType.State.STATE_MAINTENANCE);
  return message.serializeBinary();
}

export function parseConsensusType(bytes: Uint8Array): ConsensusType {
  const message = decodeProto('orderer.ConsensusType', () => orderer.ConsensusType.deserializeBinary(bytes));
  const state = message.getState();
  if (state !== orderer.ConsensusType.State.STATE_NORMAL && state !== orderer.ConsensusType.State.STATE_MAINTENANCE) {
    throw new ProtoDecodeError('orderer.ConsensusType', `its state is ${String(state)}, which is neither STATE_NORMAL (0) nor STATE_MAINTENANCE (1)`);
  }
  return { type: message.getType(), metadata: message.getMetadata_asU8(), state: state === orderer.ConsensusType.State.STATE_NORMAL ? 'NORMAL' : 'MAINTENANCE' };
}

/** `peer.AnchorPeer`. */
export interface AnchorPeer {
  readonly host: string;
  readonly port: number;
}

export function buildAnchorPeers(anchorPeers: readonly AnchorPeer[]): Uint8Array {
  const message = new peer.AnchorPeers();
  message.setAnchorPeersList(
    anchorPeers.map((a) => {
      const anchor = new peer.AnchorPeer();
      anchor.setHost(a.host);
      anchor.setPort(a.port);
      return anchor;
    }),
  );
  return message.serializeBinary();
}

export function parseAnchorPeers(bytes: Uint8Array): AnchorPeer[] {
  const message = decodeProto('peer.AnchorPeers', () => peer.AnchorPeers.deserializeBinary(bytes));
  return message.getAnchorPeersList().map((a) => ({ host: a.getHost(), port: a.getPort() }));
}
