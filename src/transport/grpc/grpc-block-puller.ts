import { randomBytes } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { messageOf } from '../../core/errors.js';
import { BlockPullError, type BlockPuller } from '../../orderer/block-puller.js';
import type { BlockSigner } from '../../orderer/block-signer.js';
import { buildSignedSeekEnvelope, type SeekInfoInput, type SeekSigner } from '../../protos/seek-info.js';
import type { NodeId } from '../../raft/raft-types.js';
import { AtomicBroadcastConnection } from './atomic-broadcast-client.js';
import type { ClientTlsMaterial } from './tls-credentials.js';

/** A signed Deliver request (DELIVER_SEEK_INFO envelope) with a fresh random nonce, as Fabric's clients and BlockPuller make it. */
export function buildSeekEnvelope(signer: SeekSigner, channelId: string, seek: SeekInfoInput, nowMs: number): Uint8Array {
  return buildSignedSeekEnvelope(signer, channelId, seek, nowMs, new Uint8Array(randomBytes(24)));
}

export interface GrpcBlockPullerOptions {
  readonly tls: ClientTlsMaterial;
  readonly addressOf: (channel: string, node: NodeId) => string | undefined;
  /** This orderer's signing identity: the source checks it against the channel's Readers. */
  readonly signer: BlockSigner;
  readonly clock: Clock;
}

/** Fabric's BlockPuller over another orderer's Deliver: blocks start..end, FAIL_IF_NOT_READY. */
export class GrpcBlockPuller implements BlockPuller {
  constructor(private readonly o: GrpcBlockPullerOptions) {}

  async *pull(channel: string, fromOrderer: NodeId, startNumber: number, endNumber: number): AsyncIterable<Uint8Array> {
    const address = this.o.addressOf(channel, fromOrderer);
    const fail = (why: string, cause?: unknown): BlockPullError =>
      new BlockPullError('BLOCK_PULL_FAILED', `cannot pull blocks ${startNumber}..${endNumber} of channel ${channel} from orderer ${fromOrderer}${address ? ` at ${address}` : ''}: ${why}`, {
        cause,
        context: { channel, node: fromOrderer },
      });
    if (address === undefined) throw fail('its address is unknown');
    const connection = new AtomicBroadcastConnection(address, this.o.tls);
    const request = buildSeekEnvelope(this.o.signer, channel, { start: { kind: 'specified', number: startNumber }, stop: { kind: 'specified', number: endNumber }, behavior: 'FAIL_IF_NOT_READY' }, this.o.clock.nowMs());
    try {
      let expected = startNumber;
      try {
        for await (const response of connection.deliver(request)) {
          if (response.kind === 'status') {
            if (response.status !== 'SUCCESS') throw fail(`it answered ${response.status}`);
            break;
          }
          expected++;
          yield response.block;
        }
      } catch (err) {
        if (err instanceof BlockPullError) throw err;
        throw fail(messageOf(err), err);
      }
      if (expected <= endNumber) throw fail(`the stream ended after block ${expected - 1}`);
    } finally {
      connection.close();
    }
  }
}
