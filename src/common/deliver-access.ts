import type { Clock } from '../core/clock.js';
import type { SignedData } from '../msp/signed-data.js';
import type { StatusName } from '../protos/seek-info.js';
import { checkSigner, PolicyPath, summarizeCreator, type ChannelRegistry, type ChannelResources } from './channel-resources.js';

/**
 * Which policy a Deliver requester must satisfy, by the channel's current resources: the
 * orderer's by default (ordererReadersPolicy); a peer passes peerReadersPolicy.
 */
export type ReadersPolicy = (resources: ChannelResources) => string;

/** The orderer's policy checker: /Channel/Readers, or /Channel/Orderer/Readers in maintenance mode. */
export const ordererReadersPolicy: ReadersPolicy = (resources) => (resources.consensusState === 'MAINTENANCE' ? PolicyPath.ORDERER_READERS : PolicyPath.CHANNEL_READERS);

/**
 * The peer's: Fabric's ACL resources event/Block and event/FilteredBlock (core/aclmgmt/resources)
 * map to /Channel/Application/Readers by default.
 */
export const PEER_DELIVER_READERS = '/Channel/Application/Readers';
export const peerReadersPolicy: ReadersPolicy = () => PEER_DELIVER_READERS;

export interface DeliverAccessOptions {
  /** Default: ordererReadersPolicy. */
  readonly readersPolicy?: ReadersPolicy;
  /** How messages name the serving node: `orderer` (default) or `peer`. */
  readonly servedBy?: string;
}

/** Why a Deliver session may not (or may no longer) receive blocks. */
export interface DeliverDenial {
  readonly status: Extract<StatusName, 'FORBIDDEN' | 'NOT_FOUND'>;
  readonly info: string;
}

/**
 * Fabric's deliver SessionAccessControl (common/deliver/acl.go) with the orderer's policy checker
 * (a SigFilter on /Channel/Readers, or /Channel/Orderer/Readers in maintenance mode) or, with
 * `readersPolicy`, another one (the peer's /Channel/Application/Readers): the signer
 * of the Deliver request must be a valid channel member that satisfies Readers. The verdict is
 * kept until the channel's config changes (its registry entry is replaced), and the session ends
 * once the requester's certificate expires. `evaluate` runs before the first block and before
 * every later one.
 */
export class DeliverAccessControl {
  private checkedAgainst: ChannelResources | undefined;
  private readonly who: string;
  private readonly expiresAtMs: number | undefined;

  constructor(
    private readonly registry: ChannelRegistry,
    private readonly channelId: string,
    /** The request envelope as signed data: creator, payload bytes, signature. */
    private readonly request: SignedData,
    private readonly clock: Clock,
    private readonly options: DeliverAccessOptions = {},
  ) {
    const resources = registry.get(channelId);
    const summary = resources ? summarizeCreator(resources, request.identity) : { description: 'the requester', expiresAtMs: undefined };
    this.who = summary.description;
    this.expiresAtMs = summary.expiresAtMs;
  }

  /** Undefined when the requester may receive the next block; otherwise the status that ends the stream. */
  evaluate(): DeliverDenial | undefined {
    const nowMs = this.clock.nowMs();
    if (this.expiresAtMs !== undefined && nowMs > this.expiresAtMs) {
      return {
        status: 'FORBIDDEN',
        info: `deliver client identity expired: the certificate of ${this.who} expired at ${new Date(this.expiresAtMs).toISOString()} and it is now ${new Date(nowMs).toISOString()}; enroll a new identity and seek again`,
      };
    }
    const resources = this.registry.get(this.channelId);
    if (resources === undefined) return { status: 'NOT_FOUND', info: `channel ${this.channelId} is no longer served by this ${this.options.servedBy ?? 'orderer'}; it was removed` };
    if (resources === this.checkedAgainst) return undefined;
    const path = (this.options.readersPolicy ?? ordererReadersPolicy)(resources);
    const check = checkSigner(resources, this.request, path, this.who);
    if (!check.ok) return { status: 'FORBIDDEN', info: `permission denied: ${check.reason}` };
    this.checkedAgainst = resources;
    return undefined;
  }
}
