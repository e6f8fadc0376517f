import { orderer } from '@hyperledger/fabric-protos';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { Clock } from '../../core/clock.js';
import { messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { verifyEcdsaInThreadPool, type AsyncSignatureVerifier } from '../../msp/ecdsa.js';
import { filterBroadcastAsync, type BroadcastVerdict } from '../../orderer/broadcast-filter.js';
import type { ChannelRegistry } from '../../common/channel-resources.js';
import { deliverBlocks, type BlockSource } from '../../common/deliver-handler.js';
import { planDeliver } from '../../common/deliver-seek.js';
import type { OrderResult } from '../../orderer/order-result.js';
import { buildBroadcastResponse, buildDeliverResponse, type StatusName } from '../../protos/seek-info.js';
import type { GrpcService } from './grpc-server.js';
import { rawBytesService } from './raw-service.js';
import { writeWithBackpressure } from './stream-write.js';

/** One channel as the AtomicBroadcast service sees it: RaftChain satisfies it. */
export interface ServedChain {
  order(envelope: Uint8Array): Promise<OrderResult>;
  readonly blocks: BlockSource;
}

/** The channels an orderer serves: their resources (policies, MSPs) and their chains. */
export interface ServedChannels {
  readonly registry: ChannelRegistry;
  chainOf(channelId: string): ServedChain | undefined;
}

export interface AtomicBroadcastOptions {
  readonly channels: ServedChannels;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Verifies Broadcast signatures; default: on libuv's thread pool. */
  readonly verify?: AsyncSignatureVerifier;
}

type Stream = ServerDuplexStream<Uint8Array, Uint8Array>;

/**
 * `orderer.AtomicBroadcast` (orderer/ab.proto), Fabric's client-facing ordering service:
 *
 * - Broadcast: every Envelope is checked (filterBroadcastAsync) and, if it passes, handed to its
 *   channel's chain; the answer is one BroadcastResponse per envelope, in the order the envelopes
 *   came. A rejection does not end the stream (as Fabric's broadcast handler). Envelopes are
 *   checked concurrently but handed to the chain in arrival order while earlier answers are still
 *   pending (pipelining).
 * - Deliver: each request Envelope (a signed SeekInfo) is planned (planDeliver) and served
 *   (deliverBlocks) from the chain's block store, one request after the other; the stream ends when
 *   the client has closed its side and the last request is served. A cancelled stream stops at once.
 */
export function atomicBroadcastService(o: AtomicBroadcastOptions): GrpcService {
  return {
    definition: rawBytesService(orderer.AtomicBroadcastService),
    implementation: {
      broadcast: (call: Stream) => serveBroadcast(call, o),
      deliver: (call: Stream) => serveDeliver(call, o),
    },
  };
}

/** Envelopes a Broadcast stream may have received and not yet answered before it stops reading (gRPC flow control then holds the client). */
const MAX_PENDING_PER_STREAM = 256;

function serveBroadcast(call: Stream, o: AtomicBroadcastOptions): void {
  let handedOver: Promise<void> = Promise.resolve();
  let answers: Promise<void> = Promise.resolve();
  let unanswered = 0;
  let paused = false;
  let ended = false;
  const finishIfDone = (): void => {
    if (ended && unanswered === 0) call.end();
  };
  call.on('data', (envelope: Uint8Array) => {
    unanswered++;
    if (!paused && unanswered > MAX_PENDING_PER_STREAM) {
      paused = true;
      call.pause();
    }
    // Checks run concurrently (signatures on the thread pool); envelopes reach the chain, and
    // answers reach the client, in arrival order.
    const verdict = filterBroadcastAsync(envelope, o.channels.registry, o.clock, o.verify ?? verifyEcdsaInThreadPool);
    const handed = handedOver.then(() => verdict).then((v) => ({ answer: handToChain(v, o) }));
    handedOver = handed.then(
      () => undefined,
      () => undefined,
    );
    answers = answers
      .then(async () => {
        const response = await (await handed).answer;
        if (!call.cancelled) await writeWithBackpressure(call, buildBroadcastResponse(response));
      })
      .catch((err: unknown) => o.logger.warn('broadcast answer not written', { error: messageOf(err) }))
      .finally(() => {
        unanswered--;
        if (paused && unanswered <= MAX_PENDING_PER_STREAM / 2) {
          paused = false;
          call.resume();
        }
        finishIfDone();
      });
  });
  call.on('end', () => {
    ended = true;
    finishIfDone();
  });
  call.on('error', () => undefined); // a client that went away: nothing left to answer
}

/** Hands a checked envelope to its chain (synchronously, so arrival order is kept) and resolves with the answer. */
async function handToChain(verdict: BroadcastVerdict, o: AtomicBroadcastOptions): Promise<{ status: StatusName; info: string }> {
  if (!verdict.ok) return { status: verdict.status, info: verdict.info };
  const chain = o.channels.chainOf(verdict.channelId);
  if (chain === undefined) return { status: 'SERVICE_UNAVAILABLE', info: `channel ${verdict.channelId} has no running chain on this orderer; retry, or send to another orderer` };
  try {
    const result = await chain.order(verdict.envelope);
    return result.status === 'SUCCESS' ? { status: 'SUCCESS', info: '' } : result;
  } catch (err) {
    return { status: 'INTERNAL_SERVER_ERROR', info: `ordering failed on this orderer: ${messageOf(err)}; retry with another orderer` };
  }
}

function serveDeliver(call: Stream, o: AtomicBroadcastOptions): void {
  const abort = new AbortController();
  const requests: Uint8Array[] = [];
  let serving = false;
  let ended = false;
  const stop = (): void => abort.abort();
  call.on('cancelled', stop);
  call.on('close', stop);
  call.on('error', stop);
  const next = async (): Promise<void> => {
    if (serving) return;
    serving = true;
    try {
      for (let request = requests.shift(); request !== undefined && !abort.signal.aborted; request = requests.shift()) await serveOneSeek(call, request, o, abort.signal);
    } catch (err) {
      o.logger.warn('deliver stream failed', { error: messageOf(err) });
      abort.abort();
    } finally {
      serving = false;
    }
    if (abort.signal.aborted) return;
    if (requests.length > 0) void next();
    else if (ended) call.end();
  };
  call.on('data', (request: Uint8Array) => {
    requests.push(request);
    void next();
  });
  call.on('end', () => {
    ended = true;
    if (!serving && requests.length === 0) call.end();
  });
}

async function serveOneSeek(call: Stream, request: Uint8Array, o: AtomicBroadcastOptions, signal: AbortSignal): Promise<void> {
  const { registry } = o.channels;
  const plan = planDeliver(request, { registry, clock: o.clock, heightOf: (id) => o.channels.chainOf(id)?.blocks.height ?? 0 });
  if (!plan.ok) {
    o.logger.info('deliver refused', { channel: plan.channelId, status: plan.status, info: plan.info });
    await writeWithBackpressure(call, buildDeliverResponse({ kind: 'status', status: plan.status }));
    return;
  }
  const chain = o.channels.chainOf(plan.channelId);
  if (chain === undefined) {
    await writeWithBackpressure(call, buildDeliverResponse({ kind: 'status', status: 'SERVICE_UNAVAILABLE' }));
    return;
  }
  for await (const item of deliverBlocks(plan, chain.blocks, signal)) {
    if (signal.aborted) return;
    await writeWithBackpressure(call, buildDeliverResponse(item.kind === 'block' ? { kind: 'block', block: item.block } : { kind: 'status', status: item.status }));
  }
}
