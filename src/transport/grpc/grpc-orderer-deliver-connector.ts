import type { OrdererDeliverConnector } from '../../peer/block-deliverer.js';
import type { DeliverResponse } from '../../protos/seek-info.js';
import { AtomicBroadcastConnection } from './atomic-broadcast-client.js';
import type { ClientTlsMaterial } from './tls-credentials.js';

export interface GrpcOrdererDeliverConnectorOptions {
  /** The orderers' TLS CAs, and the peer's TLS client certificate and key (orderers may require mutual TLS). */
  readonly tls: ClientTlsMaterial;
  readonly maxMessageBytes?: number;
}

/**
 * The peer's deliver client transport (BlockDeliverer's OrdererDeliverConnector) over gRPC+TLS, on
 * orderer.AtomicBroadcast.Deliver. One gRPC channel per orderer address, shared by the streams to it
 * (grpc-js reconnects a channel by itself); `close` closes them all.
 */
export class GrpcOrdererDeliverConnector implements OrdererDeliverConnector {
  private readonly connections = new Map<string, AtomicBroadcastConnection>();
  private closed = false;

  constructor(private readonly o: GrpcOrdererDeliverConnectorOptions) {}

  async *deliver(address: string, envelope: Uint8Array, signal: AbortSignal): AsyncIterable<DeliverResponse> {
    if (signal.aborted) return;
    if (this.closed) throw new Error(`cannot open a Deliver stream to ${address}: the connector is closed`);
    let connection = this.connections.get(address);
    if (connection === undefined) {
      connection = new AtomicBroadcastConnection(address, this.o.tls, this.o.maxMessageBytes);
      this.connections.set(address, connection);
    }
    yield* connection.deliver(envelope, signal);
  }

  /** Closes every connection (streams still open on them fail). */
  close(): void {
    this.closed = true;
    for (const connection of this.connections.values()) connection.close();
    this.connections.clear();
  }
}
