import { bytesEqual, toHex } from '../core/bytes.js';
import { FabsimError } from '../core/errors.js';
import { buildEnvelope, buildPayload } from '../protos/envelope.js';
import { parseProposal, parseProposalHeader, type ProposalResponse, type ProposalSigner } from '../protos/proposal.js';
import { parseSignatureHeader } from '../protos/signature-header.js';
import { buildChaincodeActionPayload, buildChaincodeProposalPayload, buildTransaction, parseChaincodeProposalPayload, type Endorsement } from '../protos/transaction.js';

/**
 * The endorser transaction built from a proposal and its endorsed responses, as Fabric's
 * protoutil.CreateTx / CreateSignedTx build it (what the Gateway's Endorse prepares and the client
 * signs, and what the SDKs assembled before the Gateway):
 *
 *   Envelope { Payload { the proposal's header (channel header and signature header bytes unchanged),
 *     Transaction { [TransactionAction { header = the signature header bytes,
 *       ChaincodeActionPayload { the proposal's ChaincodeProposalPayload without its transient map,
 *         ChaincodeEndorsedAction { the one ProposalResponsePayload, the endorsements } } }] } },
 *     the creator's signature over the payload }
 *
 * Checks, as Fabric's: at least one response; every response has status 200..399; every
 * response's payload is byte-identical to the first ("ProposalResponsePayloads do not match");
 * endorsements are taken once per endorser identity, in order; at least one endorsement.
 */

export type TransactionAssemblyErrorCode =
  /** No responses, or none of them endorsed. */
  | 'TX_NO_ENDORSEMENTS'
  /** A response with status outside 200..399. */
  | 'TX_RESPONSE_NOT_SUCCESSFUL'
  /** Two endorsers simulated different results. */
  | 'TX_PAYLOADS_DIFFER'
  /** The signer is not the proposal's creator. */
  | 'TX_WRONG_SIGNER';

export class TransactionAssemblyError extends FabsimError<TransactionAssemblyErrorCode> {}

/** The Envelope.payload bytes (common.Payload) for the client to sign; throws TransactionAssemblyError, or ProtoDecodeError for a proposal that does not decode. */
export function createTransactionPayload(proposalBytes: Uint8Array, responses: readonly ProposalResponse[]): Uint8Array {
  const proposal = parseProposal(proposalBytes);
  const header = parseProposalHeader(proposal.header);
  const proposalPayload = parseChaincodeProposalPayload(proposal.payload);
  const first = responses[0];
  if (first === undefined) throw new TransactionAssemblyError('TX_NO_ENDORSEMENTS', 'at least one proposal response is required: send the proposal to the endorsing peers first');
  for (const [index, r] of responses.entries()) {
    const { status, message } = r.response;
    if (status < 200 || status >= 400) {
      throw new TransactionAssemblyError('TX_RESPONSE_NOT_SUCCESSFUL', `proposal response ${index} was not successful, error code ${status}, msg ${message}: only successful (endorsed) responses go into a transaction`);
    }
    if (!bytesEqual(r.payload, first.payload)) {
      throw new TransactionAssemblyError(
        'TX_PAYLOADS_DIFFER',
        `ProposalResponsePayloads do not match: response ${index} differs from response 0 (${r.payload.length} vs ${first.payload.length} bytes); ` +
          'the endorsers simulated different results (different world state, or non-deterministic chaincode), so their endorsements cannot be combined',
      );
    }
  }
  const seen = new Set<string>();
  const endorsements: Endorsement[] = [];
  for (const r of responses) {
    if (r.endorsement === undefined) continue;
    const key = toHex(r.endorsement.endorser);
    if (seen.has(key)) continue;
    seen.add(key);
    endorsements.push(r.endorsement);
  }
  if (endorsements.length === 0) throw new TransactionAssemblyError('TX_NO_ENDORSEMENTS', 'no endorsements: none of the proposal responses is endorsed');
  const chaincodeProposalPayload = buildChaincodeProposalPayload({ input: proposalPayload.input, transientMap: new Map() });
  const actionPayload = buildChaincodeActionPayload({ chaincodeProposalPayload, action: { proposalResponsePayload: first.payload, endorsements } });
  const transaction = buildTransaction({ actions: [{ header: header.signatureHeader, payload: actionPayload }] });
  return buildPayload({ header, data: transaction });
}

/** createTransactionPayload, signed by the proposal's creator: the Envelope bytes to broadcast. */
export function createSignedTransaction(proposalBytes: Uint8Array, responses: readonly ProposalResponse[], signer: ProposalSigner): Uint8Array {
  const header = parseProposalHeader(parseProposal(proposalBytes).header);
  if (!bytesEqual(parseSignatureHeader(header.signatureHeader, { allowEmptyCreator: true }).creator, signer.serialized)) {
    throw new TransactionAssemblyError('TX_WRONG_SIGNER', "signer must be the same as the one referenced in the header: the transaction is signed by the proposal's creator");
  }
  const payload = createTransactionPayload(proposalBytes, responses);
  return buildEnvelope({ payload, signature: signer.sign(payload) });
}
