import type { BroadcastResponse } from '../../protos/seek-info.js';
import { AtomicBroadcastConnection, type BroadcastStream } from './atomic-broadcast-client.js';
import type { ClientTlsMaterial } from './tls-credentials.js';

/**
 * One long-lived orderer.AtomicBroadcast/Broadcast stream to an orderer, for the Gateway's Submit
 * (Fabric's gateway keeps a broadcast client per orderer). Envelopes sent on it are answered in
 * order. When the stream fails (the orderer died, the connection broke), the envelopes waiting on
 * it are rejected and the next `broadcast` opens a new stream; grpc-js reconnects the channel.
 * An answer that does not come within `timeoutMs` rejects that envelope and drops the stream.
 */
export class OrdererBroadcaster {
  private readonly connection: AtomicBroadcastConnection;
  private stream: BroadcastStream | undefined;

  constructor(
    readonly address: string,
    tls: ClientTlsMaterial,
    private readonly timeoutMs = 10_000,
  ) {
    this.connection = new AtomicBroadcastConnection(address, tls);
  }

  async broadcast(envelope: Uint8Array): Promise<BroadcastResponse> {
    const stream = (this.stream ??= this.connection.broadcastStream());
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`orderer ${this.address} did not answer the broadcast within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      return await Promise.race([stream.send(envelope), timeout]);
    } catch (err) {
      if (this.stream === stream) {
        this.stream = undefined;
        stream.close();
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.stream?.close();
    this.stream = undefined;
    this.connection.close();
  }
}
