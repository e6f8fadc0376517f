import { checkSigner, checkSignerAsync, summarizeCreator, type ChannelRegistry } from '../../common/channel-resources.js';
import type { AsyncSignatureVerifier } from '../../msp/ecdsa.js';
import type { PolicyIdentity } from '../../policy/index.js';

/**
 * The access check Fabric's Gateway runs on its signed requests (CommitStatus, ChaincodeEvents):
 * `policy.CheckACL(resource, channel, SignedData{request bytes, request.identity, signature})`.
 * Fabric's default ACLs map both `gateway/CommitStatus` and `gateway/ChaincodeEvents` to
 * /Channel/Application/Readers (core/aclmgmt/resources, defaultaclprovider.go): the identity named
 * in the request must be a valid member of the channel, the signature over the request bytes must
 * verify with that identity's key (so the identity in the request is the one that signed), and
 * the identity must satisfy Readers. Fabric answers every failure with PermissionDenied.
 */

/** The ACL policy of the Gateway's CommitStatus and ChaincodeEvents (Fabric's default ACL). */
export const GATEWAY_READERS_POLICY = '/Channel/Application/Readers';

/**
 * Why the Gateway refuses a request, as the gRPC code Fabric answers with (the transport maps it):
 * invalid-argument = InvalidArgument, permission-denied = PermissionDenied, not-found = NotFound.
 */
export interface GatewayRefusal {
  readonly kind: 'invalid-argument' | 'permission-denied' | 'not-found';
  readonly message: string;
}

export type GatewayAccess = { readonly ok: true; readonly identity: PolicyIdentity } | { readonly ok: false; readonly refusal: GatewayRefusal };

export interface GatewayAccessRequest {
  readonly channelId: string;
  /** The serialized inner request: the bytes that were signed. */
  readonly request: Uint8Array;
  readonly signature: Uint8Array;
  /** The msp.SerializedIdentity the request names as its requester. */
  readonly identity: Uint8Array;
  /** For messages: `commit status`, `chaincode events`. */
  readonly what: string;
}

/**
 * Checks `r` against the channel's Readers (see the module comment). A channel this peer has not
 * joined is refused as permission-denied, as Fabric's ACL check fails for it. With `verify`, the
 * signature is verified by it (e.g. on the thread pool).
 */
export async function checkGatewayAccess(channels: ChannelRegistry, r: GatewayAccessRequest, verify?: AsyncSignatureVerifier): Promise<GatewayAccess> {
  const resources = channels.get(r.channelId);
  if (resources === undefined) {
    return denied(`the ${r.what} request names channel ${JSON.stringify(r.channelId)}, which this peer has not joined; ask a peer of that channel or join this peer to it`);
  }
  if (r.identity.length === 0) {
    return denied(`access denied for the ${r.what} request on channel ${r.channelId}: the request names no identity; set its identity to the signer's serialized identity (msp.SerializedIdentity)`);
  }
  const who = summarizeCreator(resources, r.identity).description;
  const signed = { identity: r.identity, data: r.request, signature: r.signature };
  const check = verify === undefined ? checkSigner(resources, signed, GATEWAY_READERS_POLICY, who) : await checkSignerAsync(resources, signed, GATEWAY_READERS_POLICY, who, verify);
  if (check.ok) return check;
  // checkSigner words its reasons for envelopes; here the signed message is the Gateway request.
  const reason = check.refusal === 'signature-invalid' ? `${check.reason.replace(/^the envelope's signature/, `the ${r.what} request's signature`)} (the request must be signed by the identity it names)` : check.reason;
  return denied(`access denied for the ${r.what} request on channel ${r.channelId}: ${reason}`);
}

function denied(message: string): GatewayAccess {
  return { ok: false, refusal: { kind: 'permission-denied', message } };
}
