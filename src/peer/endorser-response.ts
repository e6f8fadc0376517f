import type { ProposalResponse } from '../protos/proposal.js';
import {
  buildChaincodeAction,
  buildProposalResponsePayload,
  endorsementMessage,
  type ChaincodeId,
  type ChaincodeResponse,
  type Endorsement,
} from '../protos/transaction.js';

/**
 * How Fabric's endorser turns a chaincode's answer into a ProposalResponse
 * (core/endorser/endorser.go ProcessProposalSuccessfullyOrError, protoutil.GetBytesProposalResponsePayload,
 * and the default endorsement plugin "escc", core/handlers/endorsement/builtin):
 *
 *   payload     = ProposalResponsePayload { proposal_hash, extension = ChaincodeAction { results, events, response, chaincode_id } }
 *   endorsement = { endorser: the peer's SerializedIdentity, signature: sign(payload ‖ endorser) }
 *
 * By status: < 400 endorsed (version 1); 400..499 the response alone; >= 500 the response and the
 * payload, unendorsed.
 */

/** The peer's own signer (a SigningIdentity satisfies it). */
export interface EndorsementSigner {
  readonly serialized: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/** Fabric's shim.ERRORTHRESHOLD and shim.ERROR. */
const ERROR_THRESHOLD = 400;
const ERROR = 500;

export interface ChaincodeOutcome {
  readonly proposalHash: Uint8Array;
  readonly response: ChaincodeResponse;
  /** The simulation's TxReadWriteSet bytes; empty for qscc and cscc, which Fabric runs without a simulator. */
  readonly results: Uint8Array;
  /** A serialized ChaincodeEvent, or empty. */
  readonly events: Uint8Array;
  /** Name and version; system chaincodes have version "syscc" (Fabric's scc.SysCCVersion). */
  readonly chaincodeId: ChaincodeId;
}

/** Signs a ProposalResponsePayload as escc does. */
export function endorse(proposalResponsePayload: Uint8Array, signer: EndorsementSigner): Endorsement {
  return { endorser: signer.serialized, signature: signer.sign(endorsementMessage(proposalResponsePayload, signer.serialized)) };
}

/** The ProposalResponse for a chaincode outcome, endorsed when the status is below 400. */
export function chaincodeProposalResponse(outcome: ChaincodeOutcome, signer: EndorsementSigner): ProposalResponse {
  const { response } = outcome;
  if (response.status >= ERROR_THRESHOLD && response.status < ERROR) return errorResponse(response);
  const action = buildChaincodeAction({ results: outcome.results, events: outcome.events, response, chaincodeId: outcome.chaincodeId });
  const payload = buildProposalResponsePayload({ proposalHash: outcome.proposalHash, extension: action });
  if (response.status >= ERROR) return { version: 0, timestampMs: undefined, response, payload, endorsement: undefined };
  return { version: 1, timestampMs: undefined, response, payload, endorsement: endorse(payload, signer) };
}

/** A response with only status and message, as Fabric answers a proposal it could not process. */
export function errorProposalResponse(message: string, status = ERROR): ProposalResponse {
  return errorResponse({ status, message, payload: new Uint8Array() });
}

function errorResponse(response: ChaincodeResponse): ProposalResponse {
  return { version: 0, timestampMs: undefined, response, payload: new Uint8Array(), endorsement: undefined };
}
