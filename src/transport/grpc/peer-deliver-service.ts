import { peer } from '@hyperledger/fabric-protos';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { ChannelRegistry } from '../../common/channel-resources.js';
import { peerReadersPolicy } from '../../common/deliver-access.js';
import type { BlockSource } from '../../common/deliver-handler.js';
import { buildPeerDeliverResponse, filteredBlockOf } from '../../protos/filtered-block.js';
import { serveDeliverStream, type DeliverCall, type DeliverStreamOptions } from './deliver-stream.js';
import type { GrpcService } from './grpc-server.js';
import { rawBytesService } from './raw-service.js';

export interface PeerDeliverOptions {
  /** The channels this peer has joined: their resources (MSPs, policies). */
  readonly registry: ChannelRegistry;
  /** The channel's committed blocks (the peer's ledger); undefined answers SERVICE_UNAVAILABLE. */
  readonly blocksOf: (channelId: string) => BlockSource | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * The peer's `protos.Deliver` service (fabric-protos peer/events.proto; Fabric core/peer/
 * deliverevents.go): block events from the peer's ledger, i.e. blocks as committed, with the
 * TRANSACTIONS_FILTER holding each transaction's validation code.
 *
 * - Deliver: DeliverResponse.block, the stored block.
 * - DeliverFiltered: DeliverResponse.filtered_block (filteredBlockOf): tx IDs, types, validation
 *   codes and chaincode events without payloads.
 * - DeliverWithPrivateData: DeliverResponse.block_and_private_data, the block with an empty private
 *   data map (fabsim has no private data collections).
 *
 * Requests are served as the orderer serves its Deliver (serveDeliverStream: planDeliver's checks,
 * deliverBlocks' loop, the final status), except that the requester must satisfy
 * /Channel/Application/Readers: Fabric's ACLs event/Block and event/FilteredBlock.
 */
export function peerDeliverService(o: PeerDeliverOptions): GrpcService {
  const common: Omit<DeliverStreamOptions, 'blockResponse'> = {
    registry: o.registry,
    blocksOf: o.blocksOf,
    clock: o.clock,
    logger: o.logger,
    readersPolicy: peerReadersPolicy,
    servedBy: 'peer',
    statusResponse: (status) => buildPeerDeliverResponse({ kind: 'status', status }),
  };
  const serve = (blockResponse: DeliverStreamOptions['blockResponse']) => (call: DeliverCall) => serveDeliverStream(call, { ...common, blockResponse });
  return {
    definition: rawBytesService(peer.DeliverService),
    implementation: {
      deliver: serve((block) => buildPeerDeliverResponse({ kind: 'block', block })),
      deliverFiltered: serve((block) => buildPeerDeliverResponse({ kind: 'filteredBlock', filteredBlock: filteredBlockOf(block) })),
      deliverWithPrivateData: serve((block) => buildPeerDeliverResponse({ kind: 'blockAndPrivateData', block })),
    },
  };
}
