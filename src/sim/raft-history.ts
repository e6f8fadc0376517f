import type { Entry, HardState, NodeId, RaftRole } from '../raft/raft-types.js';
import { fnv1a32 } from './derive-rng.js';

/**
 * What the invariant checker sees of a run: a history of observations, each made right after one
 * simulator step. The simulator produces it live; a test can also write one by hand (or record a
 * real run and corrupt it) to prove the checker flags what it should.
 */

/** An entry as the checker compares it: position, term and an exact key of its type and data. */
export interface EntryRecord {
  readonly index: number;
  readonly term: number;
  readonly key: string;
}

export type HistoryEvent =
  /** A node's volatile state right after a step (tick, message, proposal...): election safety. */
  | { readonly kind: 'status'; readonly node: NodeId; readonly term: number; readonly role: RaftRole }
  /** A Ready was persisted: entries appended to the disk log (an entry at i replaces i and all after
   * it), after installing `snapshot` if set, and the hard state if set. */
  | {
      readonly kind: 'persist';
      readonly node: NodeId;
      readonly snapshot?: { readonly index: number; readonly term: number };
      readonly entries: readonly EntryRecord[];
      readonly hardState?: HardState;
    }
  /** The node sent a granted MsgVoteResp: its disk must already say it voted so (§5.2, §5.1 "before
   * responding to RPCs"), and it may grant one candidate per term, across restarts. */
  | { readonly kind: 'grantVote'; readonly node: NodeId; readonly term: number; readonly candidate: NodeId }
  /** The node sent a successful MsgAppResp for `index`: unless its disk has moved to a later term, the
   * disk must already hold the log up to it. */
  | { readonly kind: 'ackAppend'; readonly node: NodeId; readonly term: number; readonly index: number }
  /** The application took a snapshot of its own state at `index` and compacted the disk log. */
  | { readonly kind: 'compact'; readonly node: NodeId; readonly index: number; readonly term: number }
  /** The application applied one committed entry; `stateHash` is its state after doing so. */
  | { readonly kind: 'apply'; readonly node: NodeId; readonly entry: EntryRecord; readonly stateHash: number }
  /** The application replaced its state with a snapshot's (received from the leader). */
  | { readonly kind: 'restoreSnapshot'; readonly node: NodeId; readonly index: number; readonly term: number; readonly stateHash: number }
  /** The node crashed: its RawNode and everything not persisted are gone; its disk survives. */
  | { readonly kind: 'crash'; readonly node: NodeId }
  /** The node restarted from its disk; its application state reflects `appliedIndex`. */
  | { readonly kind: 'restart'; readonly node: NodeId; readonly appliedIndex: number; readonly stateHash: number };

/** The exact identity of an entry's content, for comparisons (normal payloads are printable text). */
const utf8 = new TextDecoder();

export function entryKey(e: Entry): string {
  if (e.type === 'normal') return e.data.length === 0 ? 'noop' : `n:${utf8.decode(e.data)}`;
  return `cc:${Array.from(e.data, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export function entryRecord(e: Entry): EntryRecord {
  return { index: e.index, term: e.term, key: entryKey(e) };
}

/** The state hash of an empty application (before index 1). */
export const EMPTY_STATE_HASH = 0x811c9dc5;

/** The application's state hash after applying `entry` on top of `previous` (a hash chain over the
 * applied log: two nodes with the same hash at an index applied the same entries up to it). */
export function nextStateHash(previous: number, entry: EntryRecord): number {
  return fnv1a32(`${entry.index}|${entry.term}|${entry.key};`, previous);
}
