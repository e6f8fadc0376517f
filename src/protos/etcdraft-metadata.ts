import { orderer } from '@hyperledger/fabric-protos';
import { formatGoDuration, parseGoDuration } from '../core/go-duration.js';
import { decodeProto, ProtoDecodeError } from './proto-error.js';

/**
 * `etcdraft.ConfigMetadata` (orderer/etcdraft/configuration.proto), the metadata of an
 * `etcdraft` ConsensusType: who the Raft consenters of the channel are and the Raft options
 * (Fabric docs "Configuring and operating a Raft ordering service").
 */

/** One Raft node of the channel, identified by its TLS certificates (Fabric matches consenters by TLS cert). */
export interface RaftConsenter {
  readonly host: string;
  readonly port: number;
  /** PEM: the certificate the consenter presents as a TLS client to other consenters. */
  readonly clientTlsCert: string;
  /** PEM: the certificate of its TLS server. */
  readonly serverTlsCert: string;
}

/** `etcdraft.Options`, with durations as milliseconds (tick_interval is Go duration text on the wire). */
export interface RaftOptions {
  /** Time between two Raft ticks. */
  readonly tickIntervalMs: number;
  /** Ticks without a leader's message before a follower starts an election; must exceed heartbeatTick. */
  readonly electionTick: number;
  /** Ticks between a leader's heartbeats. */
  readonly heartbeatTick: number;
  /** Append messages in flight per follower during optimistic replication. */
  readonly maxInflightBlocks: number;
  /** Bytes of blocks after which the orderer takes a Raft snapshot. */
  readonly snapshotIntervalSizeBytes: number;
}

export interface EtcdRaftMetadata {
  readonly consenters: readonly RaftConsenter[];
  readonly options: RaftOptions;
}

/** Writes tick_interval as Go's Duration.String() does ("500ms"), as configtx.yaml's usual value reads. */
export function buildEtcdRaftMetadata(metadata: EtcdRaftMetadata): Uint8Array {
  const encoder = new TextEncoder();
  const message = new orderer.etcdraft.ConfigMetadata();
  message.setConsentersList(
    metadata.consenters.map((c) => {
      const consenter = new orderer.etcdraft.Consenter();
      consenter.setHost(c.host);
      consenter.setPort(c.port);
      consenter.setClientTlsCert(encoder.encode(c.clientTlsCert));
      consenter.setServerTlsCert(encoder.encode(c.serverTlsCert));
      return consenter;
    }),
  );
  const options = new orderer.etcdraft.Options();
  options.setTickInterval(formatGoDuration(metadata.options.tickIntervalMs));
  options.setElectionTick(metadata.options.electionTick);
  options.setHeartbeatTick(metadata.options.heartbeatTick);
  options.setMaxInflightBlocks(metadata.options.maxInflightBlocks);
  options.setSnapshotIntervalSize(metadata.options.snapshotIntervalSizeBytes);
  message.setOptions(options);
  return message.serializeBinary();
}

/**
 * Reads the metadata. Options are required and tick_interval must be Go duration text, as
 * Fabric's orderer requires ("nil Raft config metadata options", "failed to parse TickInterval").
 */
export function parseEtcdRaftMetadata(bytes: Uint8Array): EtcdRaftMetadata {
  const message = decodeProto('etcdraft.ConfigMetadata', () => orderer.etcdraft.ConfigMetadata.deserializeBinary(bytes));
  const options = message.getOptions();
  if (options === undefined) throw new ProtoDecodeError('etcdraft.ConfigMetadata', 'it has no options (tick interval, election and heartbeat ticks)');
  const tickIntervalMs = parseGoDuration(options.getTickInterval());
  if (tickIntervalMs === undefined) {
    throw new ProtoDecodeError('etcdraft.ConfigMetadata', `its options.tick_interval "${options.getTickInterval()}" is not a Go duration such as "500ms"`);
  }
  const decoder = new TextDecoder();
  return {
    consenters: message.getConsentersList().map((c) => ({
      host: c.getHost(),
      port: c.getPort(),
      clientTlsCert: decoder.decode(c.getClientTlsCert_asU8()),
      serverTlsCert: decoder.decode(c.getServerTlsCert_asU8()),
    })),
    options: {
      tickIntervalMs,
      electionTick: options.getElectionTick(),
      heartbeatTick: options.getHeartbeatTick(),
      maxInflightBlocks: options.getMaxInflightBlocks(),
      snapshotIntervalSizeBytes: options.getSnapshotIntervalSize(),
    },
  };
}
