import { FabsimError } from '../core/errors.js';
import type { BlockStore } from '../ledger/block-store.js';
import type { NodeId } from '../raft/raft-types.js';

/**
 * How a lagging orderer fetches blocks it missed from another consenter (Fabric's BlockPuller, used
 * when a Raft snapshot says the chain is ahead of the local ledger). The node implements it over
 * Deliver; tests use InMemoryBlockPuller.
 */
export interface BlockPuller {
  /**
   * Blocks `startNumber..endNumber` (inclusive) of `channel` from orderer `fromOrderer`, in order, as
   * stored `common.Block` bytes. Throws (or the iteration throws) when that orderer is unreachable or
   * does not have them; the caller verifies the hash chain.
   */
  pull(channel: string, fromOrderer: NodeId, startNumber: number, endNumber: number): AsyncIterable<Uint8Array>;
}

export class BlockPullError extends FabsimError<'BLOCK_PULL_FAILED'> {}

/**
 * Reads blocks straight from other chains' BlockStores of the same process. `blockStoreOf` returns
 * undefined for a node that is down; `reachable` (e.g. InMemoryClusterNetwork.isReachable bound to
 * the puller's own node) models cut links.
 */
export class InMemoryBlockPuller implements BlockPuller {
  constructor(
    private readonly blockStoreOf: (channel: string, node: NodeId) => BlockStore | undefined,
    private readonly reachable: (node: NodeId) => boolean = () => true,
  ) {}

  async *pull(channel: string, fromOrderer: NodeId, startNumber: number, endNumber: number): AsyncIterable<Uint8Array> {
    for (let n = startNumber; n <= endNumber; n++) {
      const store = this.reachable(fromOrderer) ? this.blockStoreOf(channel, fromOrderer) : undefined;
      if (store === undefined) {
        throw new BlockPullError('BLOCK_PULL_FAILED', `cannot pull block ${n} of channel ${channel} from orderer ${fromOrderer}: it is unreachable or down`, {
          context: { channel, node: fromOrderer, number: n },
        });
      }
      const bytes = await store.getBlock(n);
      if (bytes === undefined) {
        throw new BlockPullError('BLOCK_PULL_FAILED', `orderer ${fromOrderer} does not have block ${n} of channel ${channel} (its height is ${store.height})`, {
          context: { channel, node: fromOrderer, number: n },
        });
      }
      yield bytes;
    }
  }
}
