import { orderer } from '@hyperledger/fabric-protos';
import type { Client, ClientDuplexStream } from '@grpc/grpc-js';
import { parseBroadcastResponse, parseDeliverResponse, type BroadcastResponse, type DeliverResponse } from '../../protos/seek-info.js';
import { rawBytesClient } from './raw-service.js';
import { clientCredentials, type ClientTlsMaterial } from './tls-credentials.js';

const AtomicBroadcastClient = rawBytesClient(orderer.AtomicBroadcastService, 'AtomicBroadcast');

type Duplex = ClientDuplexStream<Uint8Array, Uint8Array>;

/**
 * A client of an orderer's `orderer.AtomicBroadcast` over TLS, on raw bytes: what a peer's deliver
 * client, the BlockPuller and the tests use.
 */
export class AtomicBroadcastConnection {
  private readonly client: Client;

  constructor(
    readonly address: string,
    tls: ClientTlsMaterial,
    maxMessageBytes = 100 * 1024 * 1024,
  ) {
    this.client = new AtomicBroadcastClient(address, clientCredentials(tls), {
      'grpc.max_receive_message_length': maxMessageBytes,
      'grpc.max_send_message_length': maxMessageBytes,
    });
  }

  /** Opens a Broadcast stream: `send` an envelope, get its answer (answers come in order). */
  broadcastStream(): BroadcastStream {
    return new BroadcastStream((this.client as unknown as { broadcast(): Duplex }).broadcast());
  }

  /** One Deliver request: the responses (blocks, then a status) until the orderer ends the stream or `signal` aborts. */
  async *deliver(request: Uint8Array, signal?: AbortSignal): AsyncGenerator<DeliverResponse, void, undefined> {
    const stream = (this.client as unknown as { deliver(): Duplex }).deliver();
    const onAbort = (): void => stream.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('error', () => undefined); // surfaced by the iterator below
    stream.write(request);
    stream.end();
    try {
      for await (const bytes of stream as AsyncIterable<Uint8Array>) {
        const response = parseDeliverResponse(bytes);
        yield response;
        if (response.kind === 'status') return;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      stream.cancel();
    }
  }

  close(): void {
    this.client.close();
  }
}

export class BroadcastStream {
  private readonly waiting: Array<{ resolve: (r: BroadcastResponse) => void; reject: (e: Error) => void }> = [];
  private failure: Error | undefined;

  constructor(private readonly stream: Duplex) {
    stream.on('data', (bytes: Uint8Array) => this.waiting.shift()?.resolve(parseBroadcastResponse(bytes)));
    const fail = (err: Error): void => {
      this.failure = err;
      for (const w of this.waiting.splice(0)) w.reject(err);
    };
    stream.on('error', fail);
    stream.on('end', () => fail(new Error('the orderer ended the Broadcast stream')));
  }

  send(envelope: Uint8Array): Promise<BroadcastResponse> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.stream.write(envelope);
    });
  }

  close(): void {
    this.stream.end();
  }
}
