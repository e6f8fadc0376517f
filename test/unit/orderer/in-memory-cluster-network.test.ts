import { describe, expect, it } from 'vitest';
import type { ClusterEndpoint } from '../../../src/orderer/cluster-transport.js';
import { InMemoryClusterNetwork } from '../../../src/orderer/in-memory-cluster-network.js';

function endpoint(log: string[], name: string): ClusterEndpoint {
  return {
    handleConsensus: (from, m) => void log.push(`${name} got ${m[0]} from ${from}`),
    handleSubmit: async (from, e) => void log.push(`${name} submit ${e[0]} from ${from}`),
    reportUnreachable: (to) => void log.push(`${name}: ${to} unreachable`),
  };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('InMemoryClusterNetwork: the cluster service between chains of one process', () => {
  it('delivers asynchronously, in order; drops over a cut link or to a missing node and reports it unreachable', async () => {
    const net = new InMemoryClusterNetwork();
    const log: string[] = [];
    net.register('ch', 1, endpoint(log, 'n1'));
    net.register('ch', 2, endpoint(log, 'n2'));
    const t1 = net.transportFor(1);
    t1.sendConsensus('ch', 2, Uint8Array.of(7));
    t1.sendConsensus('ch', 2, Uint8Array.of(8));
    expect(log).toEqual([]); // never re-enters the sender
    await settle();
    expect(log).toEqual(['n2 got 7 from 1', 'n2 got 8 from 1']);
    net.cut(1, 2, { oneWay: true });
    t1.sendConsensus('ch', 2, Uint8Array.of(9));
    net.transportFor(2).sendConsensus('ch', 1, Uint8Array.of(10));
    t1.sendConsensus('ch', 3, Uint8Array.of(11));
    await settle();
    expect(log.slice(2)).toEqual(['n1: 2 unreachable', 'n1 got 10 from 2', 'n1: 3 unreachable']);
    expect(net.dropped).toBe(2);
  });

  it('forwards a submit, and rejects it, saying so, when the leader is unreachable', async () => {
    const net = new InMemoryClusterNetwork();
    const log: string[] = [];
    net.register('ch', 1, endpoint(log, 'n1'));
    net.register('ch', 2, endpoint(log, 'n2'));
    await net.transportFor(1).submit('ch', 2, Uint8Array.of(5));
    expect(log).toEqual(['n2 submit 5 from 1']);
    net.unregister('ch', 2);
    await expect(net.transportFor(1).submit('ch', 2, Uint8Array.of(6))).rejects.toThrow(/orderer 2 of channel ch is unreachable from orderer 1 \(link cut or node down\); the envelope was not forwarded/);
  });
});
