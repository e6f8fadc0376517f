import type { ChannelRegistry } from '../common/channel-resources.js';
import { isFabsimError, messageOf } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { AsyncSignatureVerifier } from '../msp/ecdsa.js';
import type { ProposalHandler } from '../peer/endorser.js';
import type { EndorserAnswer, GatewayEndorser, GatewayOrderer } from '../peer/gateway/gateway-endpoints.js';
import { Gateway } from '../peer/gateway/gateway.js';
import type { ChaincodeDefinitions } from '../peer/validation/chaincode-definition.js';
import { EndorserConnection } from '../transport/grpc/endorser-client.js';
import { OrdererBroadcaster } from '../transport/grpc/orderer-broadcaster.js';
import type { ClientTlsMaterial } from '../transport/grpc/tls-credentials.js';
import type { PeerChannels } from './peer-channels.js';

/**
 * The peer's Gateway with its endpoints (Fabric's gateway registry): this peer's own endorser
 * in-process, the other peers of the channel's organizations (from the network file, as Fabric's
 * discovery would find them) over long-lived gRPC+TLS Endorser connections, and the channel's
 * orderers (from the channel config's orderer endpoints) over long-lived Broadcast streams.
 */

/** A peer of the network file that may endorse on a channel. */
export interface ChannelPeer {
  /** Its host name, e.g. peer0.org2.example.com. */
  readonly host: string;
  /** Where to dial it, e.g. 127.0.0.1:9051. */
  readonly dialAddress: string;
  readonly port: number;
  readonly mspId: string;
}

export interface PeerGatewayOptions {
  readonly selfHost: string;
  readonly mspId: string;
  readonly channels: PeerChannels;
  readonly registry: ChannelRegistry;
  readonly proposals: ProposalHandler;
  /** The peers of each channel's organizations, this one included. */
  readonly peersOf: (channelId: string) => readonly ChannelPeer[];
  readonly definitionsOf: (channelId: string) => ChaincodeDefinitions | undefined;
  /** TLS to other peers and to orderers: the CAs of every organization, and this peer's TLS cert and key. */
  readonly tls: ClientTlsMaterial;
  readonly verify: AsyncSignatureVerifier;
  readonly logger: Logger;
}

export interface PeerGateway {
  readonly gateway: Gateway;
  close(): void;
}

export function createPeerGateway(o: PeerGatewayOptions): PeerGateway {
  const endorserConnections = new Map<string, EndorserConnection>();
  const broadcasters = new Map<string, OrdererBroadcaster>();
  const local: GatewayEndorser = {
    address: o.selfHost,
    mspId: o.mspId,
    local: true,
    processProposal: async (signedProposal): Promise<EndorserAnswer> => {
      const outcome = await o.proposals.process(signedProposal);
      return outcome.refusal === undefined ? { kind: 'response', response: outcome.response } : { kind: 'refused', message: outcome.refusal.message };
    },
  };
  const remote = (peer: ChannelPeer): GatewayEndorser => {
    let connection = endorserConnections.get(peer.dialAddress);
    if (connection === undefined) {
      connection = new EndorserConnection(peer.dialAddress, o.tls, { serverNameOverride: peer.host });
      endorserConnections.set(peer.dialAddress, connection);
    }
    const c = connection;
    return {
      address: `${peer.host}:${peer.port}`,
      mspId: peer.mspId,
      local: false,
      processProposal: async (signedProposal): Promise<EndorserAnswer> => {
        try {
          return { kind: 'response', response: await c.processProposal(signedProposal) };
        } catch (err) {
          if (isFabsimError(err, 'PROPOSAL_REFUSED')) return { kind: 'refused', message: err.message };
          return { kind: 'unreachable', message: messageOf(err) };
        }
      },
    };
  };
  const endorsersOf = (channelId: string): GatewayEndorser[] =>
    o.peersOf(channelId).map((peer) => (peer.host === o.selfHost ? { ...local, address: `${peer.host}:${peer.port}` } : remote(peer)));
  const orderersOf = (channelId: string): GatewayOrderer[] => {
    const resources = o.registry.get(channelId);
    if (resources === undefined) return [];
    return resources.config.spec.orderer.organizations.flatMap((org) =>
      org.endpoints.map((address) => {
        let broadcaster = broadcasters.get(address);
        if (broadcaster === undefined) {
          broadcaster = new OrdererBroadcaster(address, o.tls);
          broadcasters.set(address, broadcaster);
        }
        const b = broadcaster;
        return { address, mspId: org.msp.mspId, broadcast: (envelope: Uint8Array) => b.broadcast(envelope) };
      }),
    );
  };
  const gateway = new Gateway({
    registry: o.registry,
    localMspId: o.mspId,
    endorsersOf,
    orderersOf,
    definitionsOf: o.definitionsOf,
    commitsOf: (channelId) => {
      const ledger = o.channels.ledgerOf(channelId);
      const committer = o.channels.committerOf(channelId);
      return ledger === undefined || committer === undefined ? undefined : { ledger, onCommitted: (listener) => committer.onCommitted(listener) };
    },
    eventsOf: (channelId) => o.channels.ledgerOf(channelId),
    verify: o.verify,
    logger: o.logger,
  });
  return {
    gateway,
    close: () => {
      for (const c of endorserConnections.values()) c.close();
      for (const b of broadcasters.values()) b.close();
    },
  };
}
