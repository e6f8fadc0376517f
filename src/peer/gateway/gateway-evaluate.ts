import { isFabsimError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { ErrorDetail, EvaluateResponse } from '../../protos/gateway.js';
import type { ProposalResponse } from '../../protos/proposal.js';
import { parseChaincodeAction, parseProposalResponsePayload } from '../../protos/transaction.js';
import { errorDetail, judgeEndorserAnswer, type GatewayEndorser } from './gateway-endpoints.js';
import { gatewayFailure, gatewaySuccess, type GatewayResult } from './gateway-failure.js';

/**
 * The Gateway's Evaluate (Fabric internal/pkg/gateway/evaluate.go): run the proposal on one peer
 * and return the chaincode's response, without ordering anything.
 *
 * Which peers, in order (Fabric asks discovery for the chaincode's endorsers and sorts them by
 * ledger height, the local peer first): the target organizations' peers when the client names
 * some; otherwise this gateway's own peer, then the other peers of its organization, then the rest.
 * With transient data and no target, only the gateway's organization (Fabric protects private
 * data that way: "no endorsers found in the gateway's organization; retry specifying target
 * organization(s) to protect transient data").
 *
 * Failures (see judgeEndorserAnswer): an unreachable peer or a peer-side error moves on to the
 * next peer, collecting ErrorDetails; a chaincode error or a refused proposal ends it at once
 * ("evaluate call to endorser returned error: ..."); no peer left → "failed to evaluate
 * transaction, see attached details for more info".
 *
 * The result's payload is the ChaincodeAction's response payload from the ProposalResponsePayload
 * (Fabric's getResultFromProposalResponse), which is the transaction's result even when the
 * chaincode's Response.payload is not.
 */
export interface EvaluateOptions {
  readonly channelId: string;
  readonly txId: string;
  /** Every endorsing peer of the channel that this gateway knows, the local one included. */
  readonly endorsers: readonly GatewayEndorser[];
  readonly localMspId: string;
  readonly targetOrganizations: readonly string[];
  readonly hasTransientData: boolean;
  readonly logger: Logger;
}

export async function evaluateProposal(signedProposal: Uint8Array, o: EvaluateOptions): Promise<GatewayResult<EvaluateResponse>> {
  const candidates = evaluationOrder(o);
  if (candidates.length === 0) {
    const orgs = o.targetOrganizations.length > 0 ? o.targetOrganizations : [o.localMspId];
    const why = `no peers of ${orgs.join(', ')} are known to this gateway on channel ${o.channelId} (known: ${describePeers(o.endorsers)})`;
    return gatewayFailure(
      'failed-precondition',
      o.hasTransientData && o.targetOrganizations.length === 0 ? `no endorsers found in the gateway's organization; retry specifying target organization(s) to protect transient data: ${why}` : why,
    );
  }
  const details: ErrorDetail[] = [];
  for (const endorser of candidates) {
    const verdict = judgeEndorserAnswer(await endorser.processProposal(signedProposal));
    if (verdict.ok) return gatewaySuccess({ result: resultOf(verdict.response, o.logger) });
    o.logger.info('evaluate call to endorser failed', { txId: o.txId, channel: o.channelId, endorser: endorser.address, error: verdict.message });
    details.push(errorDetail(endorser, verdict.message));
    if (!verdict.retry) return gatewayFailure(verdict.kind, `evaluate call to endorser returned error: ${verdict.message}`, details);
  }
  return gatewayFailure('aborted', 'failed to evaluate transaction, see attached details for more info', details);
}

function evaluationOrder(o: EvaluateOptions): GatewayEndorser[] {
  const orgs = o.targetOrganizations.length > 0 ? new Set(o.targetOrganizations) : o.hasTransientData ? new Set([o.localMspId]) : undefined;
  const rank = (e: GatewayEndorser): number => (e.local ? 0 : e.mspId === o.localMspId ? 1 : 2);
  return o.endorsers.filter((e) => orgs === undefined || orgs.has(e.mspId)).sort((a, b) => rank(a) - rank(b) || a.address.localeCompare(b.address));
}

/** The response with the transaction result as its payload (see the module comment). */
function resultOf(response: ProposalResponse, logger: Logger): ProposalResponse['response'] {
  try {
    const action = parseChaincodeAction(parseProposalResponsePayload(response.payload).extension);
    return { ...response.response, payload: action.response.payload };
  } catch (err) {
    if (!isFabsimError(err, 'PROTO_MALFORMED')) throw err;
    logger.warn('successful proposal response contained no transaction result', { error: err.message });
    return response.response;
  }
}

export function describePeers(endorsers: readonly GatewayEndorser[]): string {
  return endorsers.length === 0 ? 'none' : endorsers.map((e) => `${e.address} (${e.mspId})`).join(', ');
}
