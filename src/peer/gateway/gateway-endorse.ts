import type { ChannelResources } from '../../common/channel-resources.js';
import { isFabsimError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Envelope } from '../../protos/envelope.js';
import type { ErrorDetail } from '../../protos/gateway.js';
import type { ProposalResponse } from '../../protos/proposal.js';
import type { UnpackedProposal } from '../proposal-unpack.js';
import { createTransactionPayload } from '../endorser-transaction.js';
import { DEFAULT_ENDORSEMENT_POLICY_PATH, type ChaincodeDefinition, type EndorsementPolicy } from '../validation/chaincode-definition.js';
import { EndorsementCollector, planEndorsement, type EndorsingPeerInfo } from './endorsement-plan.js';
import { errorDetail, judgeEndorserAnswer, type GatewayEndorser } from './gateway-endpoints.js';
import { describePeers } from './gateway-evaluate.js';
import { gatewayFailure, gatewaySuccess, type GatewayResult } from './gateway-failure.js';
import { describePayloadMismatch } from './proposal-response-diff.js';

/**
 * The Gateway's Endorse (Fabric internal/pkg/gateway/endorse.go): collect enough endorsements to
 * satisfy the chaincode's endorsement policy, then assemble the transaction for the client to sign.
 *
 * 1. The first endorsement comes from this gateway's own organization (Fabric's
 *    planFromFirstEndorser): its peer runs the chaincode once; a chaincode error ends here
 *    ("failed to endorse transaction, see attached details for more info"), an unreachable peer
 *    moves on to the next peer of the organization. When the client names endorsing
 *    organizations, exactly those are asked instead.
 * 2. The endorsement plan (endorsement-plan.ts: the fewest peers whose organizations satisfy the
 *    policy, Fabric's discovery layouts) says which other peers to ask; they are asked in parallel,
 *    a failed peer replaced by another of its organization, a failed layout by the next one.
 * 3. Every endorsement's ProposalResponsePayload must be byte-identical to the first one's. One
 *    that is not is a failure of that peer, and its ErrorDetail names the keys and values that
 *    differ (proposal-response-diff.ts) where Fabric's says only "ProposalResponsePayloads do not
 *    match".
 * 4. Not enough endorsements → aborted "failed to collect enough transaction endorsements, see
 *    attached details for more info", one ErrorDetail per failure.
 * 5. The prepared transaction (protoutil.CreateTx, endorser-transaction.ts) is returned unsigned.
 *
 * A chaincode that is not defined on the channel has no policy: the local peer's answer (an error
 * naming the defined chaincodes) is what the client gets.
 */
export interface EndorseOptions {
  readonly endorsers: readonly GatewayEndorser[];
  readonly localMspId: string;
  readonly endorsingOrganizations: readonly string[];
  readonly definition: ChaincodeDefinition | undefined;
  readonly resources: ChannelResources;
  readonly logger: Logger;
}

const DEFAULT_POLICY: EndorsementPolicy = { kind: 'reference', path: DEFAULT_ENDORSEMENT_POLICY_PATH };

export async function endorseProposal(signedProposal: Uint8Array, proposal: UnpackedProposal, o: EndorseOptions): Promise<GatewayResult<Envelope>> {
  const { channelId, txId } = proposal.channelHeader;
  const byAddress = new Map(o.endorsers.map((e) => [e.address, e]));
  const peers: EndorsingPeerInfo[] = o.endorsers.map((e) => ({ endpoint: e.address, mspId: e.mspId, local: e.local }));
  const planned = planEndorsement({
    policy: o.definition?.endorsementPolicy ?? DEFAULT_POLICY,
    resources: o.resources,
    peers,
    localMspId: o.localMspId,
    ...(o.endorsingOrganizations.length > 0 ? { requiredOrgs: o.endorsingOrganizations } : {}),
  });
  if (!planned.ok) {
    return gatewayFailure('unavailable', `cannot endorse chaincode ${proposal.chaincodeName} on channel ${channelId}: ${planned.reason} (peers known to this gateway: ${describePeers(o.endorsers)})`);
  }
  const collector = new EndorsementCollector(planned.plan);
  const details: ErrorDetail[] = [];
  const accepted = new Map<string, ProposalResponse>();
  let first: { readonly endorser: GatewayEndorser; readonly response: ProposalResponse } | undefined;

  const ask = async (peer: EndorsingPeerInfo): Promise<'ok' | 'failed' | 'fatal'> => {
    const endorser = byAddress.get(peer.endpoint)!;
    const verdict = judgeEndorserAnswer(await endorser.processProposal(signedProposal));
    if (!verdict.ok) {
      o.logger.info('endorse call to endorser failed', { txId, channel: channelId, endorser: endorser.address, error: verdict.message });
      details.push(errorDetail(endorser, verdict.message));
      collector.failed(peer.endpoint);
      return verdict.retry ? 'failed' : 'fatal';
    }
    if (first === undefined) {
      first = { endorser, response: verdict.response };
    } else {
      const mismatch = describePayloadMismatch(
        { endpoint: first.endorser.address, mspId: first.endorser.mspId, payload: first.response.payload },
        { endpoint: endorser.address, mspId: endorser.mspId, payload: verdict.response.payload },
      );
      if (mismatch !== undefined) {
        o.logger.warn('ProposalResponsePayloads do not match', { txId, channel: channelId, endorser: endorser.address, first: first.endorser.address });
        details.push(errorDetail(endorser, mismatch));
        collector.failed(peer.endpoint);
        return 'failed';
      }
    }
    accepted.set(peer.endpoint, verdict.response);
    collector.succeeded(peer.endpoint);
    return 'ok';
  };

  // Step 1: one endorsement first, preferably from this gateway's organization (the plan orders it first).
  while (first === undefined && collector.done === 'pending') {
    const [peer] = collector.next();
    if (peer === undefined) break;
    if ((await ask(peer)) === 'fatal') return gatewayFailure('aborted', 'failed to endorse transaction, see attached details for more info', details);
  }
  if (first === undefined) return gatewayFailure('aborted', 'failed to endorse transaction, see attached details for more info', details);

  // Step 2: the rest of the plan, in parallel rounds.
  while (collector.done === 'pending') {
    const round = collector.next();
    if (round.length === 0) break;
    await Promise.all(round.map((peer: EndorsingPeerInfo) => ask(peer)));
  }
  if (collector.done !== 'satisfied') return gatewayFailure('aborted', 'failed to collect enough transaction endorsements, see attached details for more info', details);

  // Only the endorsements of the satisfied layout go into the transaction, as in Fabric.
  const endorsements = collector.satisfyingEndorsers().map((endpoint) => accepted.get(endpoint)!);
  try {
    return gatewaySuccess({ payload: createTransactionPayload(proposal.signedProposal.proposalBytes, endorsements), signature: new Uint8Array() });
  } catch (err) {
    if (!isFabsimError(err)) throw err;
    return gatewayFailure('aborted', `failed to assemble transaction: ${err.message}`);
  }
}
