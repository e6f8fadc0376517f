import { status as grpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';
import type { Clock } from '../../core/clock.js';
import { messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { ChannelRegistry } from '../../common/channel-resources.js';
import type { DeliverAccessOptions } from '../../common/deliver-access.js';
import { deliverBlocks, type BlockSource } from '../../common/deliver-handler.js';
import { planDeliver } from '../../common/deliver-seek.js';
import type { StatusName } from '../../protos/seek-info.js';
import { writeWithBackpressure } from './stream-write.js';

export type DeliverCall = ServerDuplexStream<Uint8Array, Uint8Array>;

/**
 * What one Deliver-style RPC needs: the orderer's `AtomicBroadcast.Deliver` and the peer's
 * `Deliver`, `DeliverFiltered` and `DeliverWithPrivateData` differ only in where blocks come from,
 * which Readers policy admits the requester, and how a block goes on the wire.
 */
export interface DeliverStreamOptions extends DeliverAccessOptions {
  readonly registry: ChannelRegistry;
  /** The channel's blocks; undefined answers SERVICE_UNAVAILABLE (a channel without a running chain or ledger). */
  readonly blocksOf: (channelId: string) => BlockSource | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The response message (a DeliverResponse's bytes) for one block of the plan, as stored. */
  readonly blockResponse: (block: Uint8Array) => Uint8Array;
  readonly statusResponse: (status: StatusName) => Uint8Array;
}

/**
 * Fabric's deliver Handler.Handle (common/deliver/deliver.go) over one gRPC stream: each request
 * Envelope (a signed SeekInfo) is planned (planDeliver) and served (deliverBlocks), one request
 * after the other; the stream ends when the client has closed its side and the last request is
 * served. A cancelled stream stops at once. A failure while serving (a block that cannot be read
 * or encoded) ends the stream with gRPC INTERNAL.
 */
export function serveDeliverStream(call: DeliverCall, o: DeliverStreamOptions): void {
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
      if (!abort.signal.aborted) call.emit('error', { code: grpcStatus.INTERNAL, details: `the deliver stream failed: ${messageOf(err)}` });
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

async function serveOneSeek(call: DeliverCall, request: Uint8Array, o: DeliverStreamOptions, signal: AbortSignal): Promise<void> {
  const plan = planDeliver(request, {
    registry: o.registry,
    clock: o.clock,
    heightOf: (id) => o.blocksOf(id)?.height ?? 0,
    readersPolicy: o.readersPolicy,
    servedBy: o.servedBy,
  });
  if (!plan.ok) {
    o.logger.info('deliver refused', { channel: plan.channelId, status: plan.status, info: plan.info });
    await writeWithBackpressure(call, o.statusResponse(plan.status));
    return;
  }
  const blocks = o.blocksOf(plan.channelId);
  if (blocks === undefined) {
    await writeWithBackpressure(call, o.statusResponse('SERVICE_UNAVAILABLE'));
    return;
  }
  for await (const item of deliverBlocks(plan, blocks, signal)) {
    if (signal.aborted) return;
    await writeWithBackpressure(call, item.kind === 'block' ? o.blockResponse(item.block) : o.statusResponse(item.status));
  }
}
