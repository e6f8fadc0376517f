/**
 * Majority arithmetic over the current voters (§5.2 elections, §5.3/§5.4.2 commitment).
 * With single-server membership changes (§6, thesis §4.1) there is one configuration at a time, so
 * a quorum is simply a majority of its voters.
 */
import type { NodeId } from './raft-types.js';

export function majority(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The highest index stored on a majority: sort the voters' match indexes in decreasing order and take
 * the majority-th one (§5.3). An empty configuration has no majority: 0.
 */
export function committedIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => number): number {
  if (voters.length === 0) return 0;
  const matches = voters.map(matchOf).sort((a, b) => b - a);
  return matches[majority(voters.length) - 1]!;
}

export type VoteResult = 'won' | 'lost' | 'pending';

/** Tallies an election (§5.2): won with a majority of granted votes, lost once a majority rejected. */
export function voteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === true) granted++;
    else if (v === false) rejected++;
  }
  const q = majority(voters.length);
  if (granted >= q) return 'won';
  if (rejected >= q) return 'lost';
  return 'pending';
}
