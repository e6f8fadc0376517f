import { FabsimError } from '../core/errors.js';
import type { NodeId } from '../raft/raft-types.js';
import type { ClusterEndpoint, ClusterTransport } from './cluster-transport.js';

/** Why a forwarded envelope did not reach the leader. */
export class ClusterError extends FabsimError<'CLUSTER_UNREACHABLE'> {}

const endpointKey = (channel: string, node: NodeId): string => `${channel}\u0000${node}`;
const linkKey = (from: NodeId, to: NodeId): string => `${from}->${to}`;

/**
 * The cluster service between orderers of one process (tests, simulation). Consensus messages are
 * delivered asynchronously (on a microtask, as a network would, never re-entering the sender), in
 * send order per link. Links can be cut one way or both ways; a message over a cut link, or to a node
 * that is not registered (killed), is dropped and the sender is told its peer is unreachable.
 */
export class InMemoryClusterNetwork {
  private readonly endpoints = new Map<string, ClusterEndpoint>();
  private readonly cutLinks = new Set<string>();
  /** Counters for tests: messages delivered and dropped. */
  delivered = 0;
  dropped = 0;

  /** Registers the chain of `node` for `channel` (replacing an earlier one, e.g. after a restart). */
  register(channel: string, node: NodeId, endpoint: ClusterEndpoint): void {
    this.endpoints.set(endpointKey(channel, node), endpoint);
  }

  /** Removes a node's chain: it is gone (killed); messages to it are dropped. */
  unregister(channel: string, node: NodeId): void {
    this.endpoints.delete(endpointKey(channel, node));
  }

  /** Cuts the link from `from` to `to` (and back, unless `oneWay`). */
  cut(from: NodeId, to: NodeId, options: { oneWay?: boolean } = {}): void {
    this.cutLinks.add(linkKey(from, to));
    if (options.oneWay !== true) this.cutLinks.add(linkKey(to, from));
  }

  /** Cuts every link between `node` and `others`. */
  isolate(node: NodeId, others: readonly NodeId[]): void {
    for (const other of others) if (other !== node) this.cut(node, other);
  }

  /** Restores every link. */
  heal(): void {
    this.cutLinks.clear();
  }

  isReachable(from: NodeId, to: NodeId): boolean {
    return !this.cutLinks.has(linkKey(from, to));
  }

  /** The transport `node` uses to send. */
  transportFor(node: NodeId): ClusterTransport {
    return {
      sendConsensus: (channel, to, message) => this.send(channel, node, to, message),
      submit: (channel, to, envelope) => this.submit(channel, node, to, envelope),
    };
  }

  private send(channel: string, from: NodeId, to: NodeId, message: Uint8Array): void {
    const target = this.isReachable(from, to) ? this.endpoints.get(endpointKey(channel, to)) : undefined;
    const copy = message.slice();
    queueMicrotask(() => {
      if (target === undefined) {
        this.dropped++;
        this.endpoints.get(endpointKey(channel, from))?.reportUnreachable(to);
        return;
      }
      this.delivered++;
      target.handleConsensus(from, copy);
    });
  }

  private async submit(channel: string, from: NodeId, to: NodeId, envelope: Uint8Array): Promise<void> {
    await Promise.resolve();
    const target = this.isReachable(from, to) ? this.endpoints.get(endpointKey(channel, to)) : undefined;
    if (target === undefined) {
      throw new ClusterError('CLUSTER_UNREACHABLE', `orderer ${to} of channel ${channel} is unreachable from orderer ${from} (link cut or node down); the envelope was not forwarded`, {
        context: { channel, from, to },
      });
    }
    await target.handleSubmit(from, envelope.slice());
  }
}
