import { orderer } from '@hyperledger/fabric-protos';
import { decodeProto } from './proto-error.js';

/**
 * `orderer.etcdraft.BlockMetadata` (orderer/etcdraft/metadata.proto): what a Raft orderer records in
 * every block's OrdererBlockMetadata.consenter_metadata. `raftIndex` is the Raft log index of the
 * entry that carried the block: on restart an orderer reads it from its last block and resumes
 * applying after it, so a block is never written twice (Fabric's etcdraft chain does the same).
 */
export interface EtcdRaftBlockMetadata {
  /** The Raft node ids of the consenters, in consenter order. */
  readonly consenterIds: readonly number[];
  /** The id the next added consenter gets. */
  readonly nextConsenterId: number;
  /** Index of the Raft entry that carried this block (0 before any). */
  readonly raftIndex: number;
}

export function buildEtcdRaftBlockMetadata(m: EtcdRaftBlockMetadata): Uint8Array {
  const message = new orderer.etcdraft.BlockMetadata();
  message.setConsenterIdsList([...m.consenterIds]);
  message.setNextConsenterId(m.nextConsenterId);
  message.setRaftIndex(m.raftIndex);
  return message.serializeBinary();
}

export function parseEtcdRaftBlockMetadata(bytes: Uint8Array): EtcdRaftBlockMetadata {
  const message = decodeProto('etcdraft.BlockMetadata', () => orderer.etcdraft.BlockMetadata.deserializeBinary(bytes));
  return { consenterIds: message.getConsenterIdsList(), nextConsenterId: message.getNextConsenterId(), raftIndex: message.getRaftIndex() };
}
