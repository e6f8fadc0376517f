import { parseBlock, type Block } from '../protos/block.js';
import { MemoryRaftStorage } from '../raft/memory-raft-storage.js';
import { RawNode } from '../raft/raw-node.js';
import { DurableRaftLog } from '../storage/durable-raft-log.js';
import type { ChainLedger } from './chain-ledger.js';
import { DEFAULT_MAX_ENTRIES_PER_MSG, type RaftChainOptions } from './raft-chain-options.js';

export interface ChainRaftState {
  readonly log: DurableRaftLog;
  readonly storage: MemoryRaftStorage;
  readonly raw: RawNode;
  /** Where applying resumes: the last block's raft_index (or the snapshot's index, if later). */
  readonly applied: number;
  readonly snapshotIndex: number;
  /** The stored snapshot's block when the ledger does not have it yet (a crash during a catch-up). */
  readonly catchUpTarget: Block | undefined;
}

/**
 * Restores a channel's Raft node from its DurableRaftLog (bootstrapping a new one with the
 * consenters as voters). The applied index comes from the ledger, as in Fabric: the raft_index of
 * the last written block (never past the persisted commit index, never before the snapshot).
 */
export async function openChainRaftState(o: RaftChainOptions, ledger: ChainLedger): Promise<ChainRaftState> {
  const log = await DurableRaftLog.open(o.store, o.channelId);
  if (log.load().snapshot === undefined) await log.save({ snapshot: MemoryRaftStorage.bootstrap(o.consenterIds).snapshot(), entries: [] });
  const persisted = log.load();
  const snapshot = persisted.snapshot!;
  const snapshotIndex = snapshot.metadata.index;
  const storage = new MemoryRaftStorage(persisted);
  const applied = Math.max(snapshotIndex, Math.min(ledger.openedAtRaftIndex, persisted.hardState.commit));
  const raw = new RawNode({
    id: o.self,
    electionTicks: o.raft.electionTicks,
    heartbeatTicks: o.raft.heartbeatTicks,
    storage,
    applied,
    maxInflightMsgs: o.raft.maxInflightBlocks,
    maxEntriesPerMsg: o.raft.maxEntriesPerMsg ?? DEFAULT_MAX_ENTRIES_PER_MSG,
    preVote: o.raft.preVote ?? true,
    checkQuorum: o.raft.checkQuorum ?? true,
    rng: o.rng,
    logger: o.logger,
  });
  const block = snapshot.data.length > 0 ? parseBlock(snapshot.data) : undefined;
  const catchUpTarget = block !== undefined && block.header.number >= ledger.height ? block : undefined;
  return { log, storage, raw, applied, snapshotIndex, catchUpTarget };
}
