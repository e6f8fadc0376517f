import { orderer } from '@hyperledger/fabric-protos';
import type { Client, ClientDuplexStream } from '@grpc/grpc-js';
import { FabsimError, messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { ClusterEndpoint, ClusterTransport } from '../../orderer/cluster-transport.js';
import type { NodeId } from '../../raft/raft-types.js';
import { buildConsensusStep, buildSubmitStep, parseSubmitResponse } from './cluster-messages.js';
import { rawBytesClient } from './raw-service.js';
import { clientCredentials, type ClientTlsMaterial } from './tls-credentials.js';

export class ClusterTransportError extends FabsimError<'CLUSTER_UNREACHABLE' | 'CLUSTER_SUBMIT_REFUSED'> {}

/** Where consenter `node` of `channel` listens, and the chain to tell when it is unreachable. */
export interface ClusterDirectory {
  addressOf(channel: string, node: NodeId): string | undefined;
  endpointOf(channel: string): ClusterEndpoint | undefined;
}

export interface GrpcClusterTransportOptions {
  /** This orderer's TLS material: its certificate is the client certificate the others identify it by. */
  readonly tls: ClientTlsMaterial;
  readonly directory: ClusterDirectory;
  readonly logger: Logger;
  readonly maxMessageBytes: number;
  /** A forwarded envelope the leader has not answered after this long fails (default 10 s). */
  readonly submitTimeoutMs?: number;
}

const StepClient = rawBytesClient(orderer.ClusterService, 'Cluster');
const MIN_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 2000;

interface PendingSubmit {
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * The sending side of `orderer.Cluster` Step (Fabric's comm.Comm): one long-lived mutual-TLS stream
 * per remote orderer address, shared by every channel. Sending never blocks the Raft loop: a
 * message is written to the stream's buffer, or dropped when the stream is down (Raft retries), and
 * then the channel's chain is told the node is unreachable. A broken stream is reopened on the next
 * send after a backoff (doubling from 50 ms to 2 s, reset once a stream lived a while).
 * Forwarded envelopes (submit) are answered in order on the stream; a broken stream fails them.
 */
export class GrpcClusterTransport implements ClusterTransport {
  private readonly remotes = new Map<string, RemoteOrderer>();
  private closed = false;

  constructor(private readonly o: GrpcClusterTransportOptions) {}

  sendConsensus(channel: string, to: NodeId, message: Uint8Array): void {
    const remote = this.remote(channel, to);
    if (remote === undefined || !remote.send(buildConsensusStep(channel, message))) this.unreachable(channel, to);
  }

  submit(channel: string, to: NodeId, envelope: Uint8Array): Promise<void> {
    const remote = this.remote(channel, to);
    if (remote === undefined) return Promise.reject(unreachable(channel, to, 'its address is unknown'));
    return remote.submit(buildSubmitStep(channel, envelope), `orderer ${to} of channel ${channel}`).catch((err: unknown) => {
      if (err instanceof ClusterTransportError && err.code === 'CLUSTER_UNREACHABLE') this.unreachable(channel, to);
      throw err;
    });
  }

  close(): void {
    this.closed = true;
    for (const r of this.remotes.values()) r.close();
    this.remotes.clear();
  }

  private remote(channel: string, to: NodeId): RemoteOrderer | undefined {
    if (this.closed) return undefined;
    const address = this.o.directory.addressOf(channel, to);
    if (address === undefined) return undefined;
    let remote = this.remotes.get(address);
    if (remote === undefined) {
      remote = new RemoteOrderer(address, this.o);
      this.remotes.set(address, remote);
    }
    return remote;
  }

  private unreachable(channel: string, to: NodeId): void {
    // Not re-entrant: the chain hears of it after its current Ready.
    setImmediate(() => this.o.directory.endpointOf(channel)?.reportUnreachable(to));
  }
}

function unreachable(channel: string, to: NodeId, why: string): ClusterTransportError {
  return new ClusterTransportError('CLUSTER_UNREACHABLE', `orderer ${to} of channel ${channel} is unreachable: ${why}; the envelope was not forwarded, retry`, { context: { channel, to } });
}

/** One remote orderer: its client and the current Step stream. */
class RemoteOrderer {
  private readonly client: Client;
  private stream: ClientDuplexStream<Uint8Array, Uint8Array> | undefined;
  private pending: PendingSubmit[] = [];
  private openedAtMs = 0;
  private retryAtMs = 0;
  private backoffMs = MIN_BACKOFF_MS;
  private closed = false;

  constructor(
    private readonly address: string,
    private readonly o: GrpcClusterTransportOptions,
  ) {
    this.client = new StepClient(address, clientCredentials(o.tls), {
      'grpc.max_receive_message_length': o.maxMessageBytes,
      'grpc.max_send_message_length': o.maxMessageBytes,
      'grpc.keepalive_time_ms': 5000,
      'grpc.keepalive_timeout_ms': 5000,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 2000,
    });
  }

  /** Writes one step; false when there is no stream (down, or backing off). */
  send(bytes: Uint8Array): boolean {
    const stream = this.open();
    if (stream === undefined) return false;
    stream.write(bytes);
    return true;
  }

  submit(bytes: Uint8Array, who: string): Promise<void> {
    const stream = this.open();
    if (stream === undefined) return Promise.reject(new ClusterTransportError('CLUSTER_UNREACHABLE', `${who} at ${this.address} is unreachable (its cluster stream is down); the envelope was not forwarded, retry`));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        // The answer may still come: then it pairs with this slot, which is why the slot stays.
        reject(new ClusterTransportError('CLUSTER_UNREACHABLE', `${who} at ${this.address} did not answer a forwarded envelope within ${this.o.submitTimeoutMs ?? 10_000} ms; retry`));
      }, this.o.submitTimeoutMs ?? 10_000);
      this.pending.push({ resolve, reject, timer });
      stream.write(bytes);
    });
  }

  close(): void {
    this.closed = true;
    this.fail('the orderer is shutting down');
    this.client.close();
  }

  private open(): ClientDuplexStream<Uint8Array, Uint8Array> | undefined {
    if (this.stream !== undefined) return this.stream;
    if (this.closed || Date.now() < this.retryAtMs) return undefined;
    const stream = (this.client as unknown as { step(): ClientDuplexStream<Uint8Array, Uint8Array> }).step();
    this.stream = stream;
    this.openedAtMs = Date.now();
    stream.on('data', (bytes: Uint8Array) => this.answer(bytes));
    const broken = (why: string): void => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      const livedMs = Date.now() - this.openedAtMs;
      this.backoffMs = livedMs > 2 * MAX_BACKOFF_MS ? MIN_BACKOFF_MS : Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
      this.retryAtMs = Date.now() + this.backoffMs;
      this.fail(why);
      if (!this.closed) this.o.logger.debug('cluster stream down', { to: this.address, error: why, retryInMs: this.backoffMs });
    };
    stream.on('error', (err: Error) => broken(messageOf(err)));
    stream.on('end', () => broken('the remote orderer closed the stream'));
    stream.on('close', () => broken('the stream closed'));
    return stream;
  }

  private answer(bytes: Uint8Array): void {
    let response;
    try {
      response = parseSubmitResponse(bytes);
    } catch {
      return;
    }
    if (response === undefined) return;
    const slot = this.pending.shift();
    if (slot === undefined) return;
    clearTimeout(slot.timer);
    if (response.status === 'SUCCESS') slot.resolve();
    else slot.reject(new ClusterTransportError('CLUSTER_SUBMIT_REFUSED', `orderer at ${this.address} refused the forwarded envelope (${response.status}): ${response.info}`));
  }

  private fail(why: string): void {
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(new ClusterTransportError('CLUSTER_UNREACHABLE', `the cluster stream to ${this.address} broke (${why}) before the leader answered; retry`));
    }
  }
}
