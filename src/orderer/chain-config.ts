import { bytesEqual } from '../core/bytes.js';
import { decodeCertificatePem } from '../msp/pem.js';
import type { RaftConsenter, RaftOptions } from '../protos/etcdraft-metadata.js';
import { parseConfigBlock } from '../protos/config-block.js';
import type { NodeId } from '../raft/raft-types.js';
import type { BatchSize } from './block-cutter.js';

/** What a channel's Raft chain takes from the channel config (its genesis or last config block). */
export interface ChainConfig {
  readonly channelId: string;
  /** The etcdraft consenters, in config order; consenter i has Raft node id i + 1 (as Fabric assigns them at genesis). */
  readonly consenters: readonly RaftConsenter[];
  readonly consenterIds: readonly NodeId[];
  readonly raftOptions: RaftOptions;
  readonly batchSize: BatchSize;
  readonly batchTimeoutMs: number;
}

/** Reads the chain settings from a config block (throws ProtoDecodeError when it is not one). */
export function chainConfigFromBlock(configBlock: Uint8Array): ChainConfig {
  const parsed = parseConfigBlock(configBlock);
  const orderer = parsed.config.spec.orderer;
  return {
    channelId: parsed.channelHeader.channelId,
    consenters: orderer.consenters,
    consenterIds: orderer.consenters.map((_, i) => i + 1),
    raftOptions: orderer.raftOptions,
    batchSize: orderer.batchSize,
    batchTimeoutMs: orderer.batchTimeoutMs,
  };
}

/** The Raft node id of the consenter whose TLS server certificate is `serverTlsCertPem`, or undefined. */
export function consenterIdOf(config: ChainConfig, serverTlsCertPem: string): NodeId | undefined {
  // Compare the certificates, not their PEM text (line endings and trailing text may differ).
  const der = decodeCertificatePem(serverTlsCertPem, 'the orderer TLS certificate');
  const i = config.consenters.findIndex((c) => bytesEqual(decodeCertificatePem(c.serverTlsCert, `consenter ${c.host}:${c.port}`), der));
  return i < 0 ? undefined : i + 1;
}
