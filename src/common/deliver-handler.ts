import { isFabsimError } from '../core/errors.js';
import { buildBlock, parseBlock } from '../protos/block.js';
import { HeaderType, parseChannelHeader, parseEnvelope, parsePayload } from '../protos/envelope.js';
import type { StatusName } from '../protos/seek-info.js';
import type { DeliverPlan } from './deliver-seek.js';

/**
 * Serves one Deliver plan (from planDeliver): the blocks from `plan.start` to `plan.stop`, then
 * a final status, as Fabric's deliverBlocks loop does:
 *
 * - a block that does not exist yet is waited for (BLOCK_UNTIL_READY) or ends the stream with
 *   NOT_FOUND (FAIL_IF_NOT_READY), even after earlier blocks were sent;
 * - before each block the access control is re-evaluated (Readers again when the channel config
 *   changed, and the requester's expiry): a denial ends the stream with its status (FORBIDDEN);
 * - after the stop block, SUCCESS. With a stop of Infinity (MaxUint64) the stream never ends by
 *   itself;
 * - when `signal` aborts (the client went away, or the orderer stops) the generator returns
 *   without a final status: there is nobody to send it to.
 *
 * HEADER_WITH_SIG sends headers and metadata only, except for config blocks, which go whole.
 * Not modelled: the consenter-error channel (STRICT vs BEST_EFFORT); the Raft chain has no
 * "errored" state to report yet, so both behave as BEST_EFFORT.
 */

/** What Deliver reads blocks from. src/ledger/block-store.ts BlockStore satisfies it. */
export interface BlockSource {
  /** The number of blocks: blocks 0 .. height-1 exist. */
  readonly height: number;
  getBlock(number: number): Promise<Uint8Array | undefined>;
  /** Resolves once height >= `height`, or when `signal` aborts (and then forgets the waiter). */
  waitForHeight(height: number, signal?: AbortSignal): Promise<void>;
}

export type DeliverItem =
  | { readonly kind: 'block'; readonly number: number; readonly block: Uint8Array }
  | { readonly kind: 'status'; readonly status: StatusName; readonly info: string };

export async function* deliverBlocks(plan: DeliverPlan, source: BlockSource, signal: AbortSignal): AsyncGenerator<DeliverItem, void, undefined> {
  for (let number = plan.start; ; number++) {
    if (signal.aborted) return;
    if (number >= source.height) {
      if (plan.behavior === 'FAIL_IF_NOT_READY') {
        yield status('NOT_FOUND', `block ${number} not found: channel ${plan.channelId} has height ${source.height} and the request asked FAIL_IF_NOT_READY`);
        return;
      }
      if (!(await untilAborted(source.waitForHeight(number + 1, signal), signal))) return;
    }
    const denied = plan.access.evaluate();
    if (denied !== undefined) {
      yield status(denied.status, denied.info);
      return;
    }
    const block = await source.getBlock(number);
    if (block === undefined) {
      yield status('INTERNAL_SERVER_ERROR', `block ${number} of channel ${plan.channelId} is below the height ${source.height} but could not be read from the block store`);
      return;
    }
    yield { kind: 'block', number, block: plan.contentType === 'HEADER_WITH_SIG' ? headerWithSignatures(block) : block };
    if (number >= plan.stop) {
      yield status('SUCCESS', `delivered blocks ${plan.start} to ${number} of channel ${plan.channelId}`);
      return;
    }
  }
}

function status(name: StatusName, info: string): DeliverItem {
  return { kind: 'status', status: name, info };
}

/** Resolves true when `promise` settles first, false when `signal` aborts first. */
function untilAborted(promise: Promise<void>, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** The block without its data, unless it is a config block (Fabric's HEADER_WITH_SIG content type). */
function headerWithSignatures(bytes: Uint8Array): Uint8Array {
  const block = parseBlock(bytes);
  if (isConfigBlock(block.data)) return bytes;
  return buildBlock({ header: block.header, data: [], metadata: block.metadata });
}

function isConfigBlock(data: readonly Uint8Array[]): boolean {
  const [first] = data;
  if (first === undefined || data.length !== 1) return false;
  try {
    return parseChannelHeader(parsePayload(parseEnvelope(first).payload).header.channelHeader).type === HeaderType.CONFIG;
  } catch (err) {
    if (isFabsimError(err, 'PROTO_MALFORMED')) return false; // as Fabric's protoutil.IsConfigBlock
    throw err;
  }
}
