import { orderer } from '@hyperledger/fabric-protos';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { bytesEqual } from '../../core/bytes.js';
import { messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { ClusterEndpoint } from '../../orderer/cluster-transport.js';
import type { NodeId } from '../../raft/raft-types.js';
import { buildSubmitResponse, parseStepRequest } from './cluster-messages.js';
import type { GrpcService } from './grpc-server.js';
import { rawBytesService } from './raw-service.js';
import { writeWithBackpressure } from './stream-write.js';

/** A channel as the cluster service sees it: the DER of each consenter's client TLS certificate (Raft id = position + 1), and its chain. */
export interface ClusterChannel {
  readonly consenterClientCertsDer: readonly Uint8Array[];
  readonly endpoint: ClusterEndpoint;
}

export interface ClusterServiceOptions {
  channelOf(channel: string): ClusterChannel | undefined;
  readonly logger: Logger;
}

type Stream = ServerDuplexStream<Uint8Array, Uint8Array>;

/**
 * The receiving side of `orderer.Cluster` Step between orderers (Fabric's comm.Service). The
 * stream must come over mutual TLS: the sender is identified by the client TLS certificate it
 * presented, matched against the channel's consenters (as Fabric's cluster authentication does),
 * so a consenter cannot speak for another. ConsensusRequests go to the chain at once; SubmitRequests
 * are handed to the chain in arrival order and answered, in the same order, with a SubmitResponse
 * (the sender pairs answers to requests by that order).
 */
export function clusterService(o: ClusterServiceOptions): GrpcService {
  return { definition: rawBytesService(orderer.ClusterService), implementation: { step: (call: Stream) => serveStep(call, o) } };
}

function serveStep(call: Stream, o: ClusterServiceOptions): void {
  const peerCert = call.getAuthContext()?.sslPeerCertificate?.raw;
  const senders = new Map<string, NodeId | undefined>();
  const senderIn = (channel: string, c: ClusterChannel): NodeId | undefined => {
    if (!senders.has(channel)) {
      const i = peerCert === undefined ? -1 : c.consenterClientCertsDer.findIndex((der) => bytesEqual(der, peerCert));
      senders.set(channel, i < 0 ? undefined : i + 1);
    }
    return senders.get(channel);
  };
  const warned = new Set<string>(); // one warning per stream, channel and reason (heartbeats come 10 times a second)
  let answers: Promise<void> = Promise.resolve();
  call.on('error', () => undefined);
  call.on('end', () => void answers.then(() => call.end()));
  call.on('data', (bytes: Uint8Array) => {
    let request;
    try {
      request = parseStepRequest(bytes);
    } catch (err) {
      o.logger.warn('malformed cluster step dropped', { error: messageOf(err) });
      return;
    }
    if (request.kind === 'none') return;
    const channel = o.channelOf(request.channel);
    const from = channel === undefined ? undefined : senderIn(request.channel, channel);
    if (request.kind === 'consensus') {
      if (channel !== undefined && from !== undefined) channel.endpoint.handleConsensus(from, request.payload);
      else {
        const reason = channel === undefined ? 'channel not served here (yet): join this orderer to the channel' : 'sender is not a consenter (client TLS certificate)';
        if (!warned.has(`${request.channel}\u0000${reason}`)) o.logger.warn('cluster messages dropped', { channel: request.channel, reason, note: 'logged once per stream' });
        warned.add(`${request.channel}\u0000${reason}`);
      }
      return;
    }
    const answer: Promise<{ status: 'SUCCESS' | 'FORBIDDEN' | 'NOT_FOUND' | 'SERVICE_UNAVAILABLE'; info: string }> =
      channel === undefined
        ? Promise.resolve({ status: 'NOT_FOUND', info: `channel ${request.channel} is not served by this orderer` })
        : from === undefined
          ? Promise.resolve({ status: 'FORBIDDEN', info: `the sender's client TLS certificate is not one of channel ${request.channel}'s consenters` })
          : channel.endpoint.handleSubmit(from, request.envelope).then(
              () => ({ status: 'SUCCESS', info: '' }),
              (err: unknown) => ({ status: 'SERVICE_UNAVAILABLE', info: messageOf(err) }),
            );
    const channelId = request.channel;
    answers = answers.then(async () => {
      const r = await answer;
      if (!call.cancelled) await writeWithBackpressure(call, buildSubmitResponse({ channel: channelId, ...r }));
    });
  });
}
