import { orderer } from '@hyperledger/fabric-protos';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { Clock } from '../../core/clock.js';
import { messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { verifyEcdsaInThreadPool, type AsyncSignatureVerifier } from '../../msp/ecdsa.js';
import { filterBroadcastAsync, type BroadcastVerdict } from '../../orderer/broadcast-filter.js';
import type { ChannelRegistry } from '../../common/channel-resources.js';
import type { BlockSource } from '../../common/deliver-handler.js';
import type { OrderResult } from '../../orderer/order-result.js';
import { buildBroadcastResponse, buildDeliverResponse, type StatusName } from '../../protos/seek-info.js';
import type { GrpcService } from './grpc-server.js';
import { serveDeliverStream } from './deliver-stream.js';
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
 * - Deliver: each request Envelope (a signed SeekInfo) is served from the chain's block store by
 *   serveDeliverStream (deliver-stream.ts, shared with the peer's Deliver service), the requester
 *   checked against /Channel/Readers (/Channel/Orderer/Readers in maintenance mode).
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
  serveDeliverStream(call, {
    registry: o.channels.registry,
    blocksOf: (channelId) => o.channels.chainOf(channelId)?.blocks,
    clock: o.clock,
    logger: o.logger,
    blockResponse: (block) => buildDeliverResponse({ kind: 'block', block }),
    statusResponse: (status) => buildDeliverResponse({ kind: 'status', status }),
  });
}
