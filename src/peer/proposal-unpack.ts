import { parseChannelHeader, type ChannelHeader } from '../protos/envelope.js';
import { ProtoDecodeError } from '../protos/proto-error.js';
import { parseProposal, parseProposalHeader, parseSignedProposal, type Proposal, type SignedProposal } from '../protos/proposal.js';
import { parseSignatureHeader, type SignatureHeader } from '../protos/signature-header.js';
import {
  buildChaincodeProposalPayload,
  parseChaincodeHeaderExtension,
  parseChaincodeInvocationSpec,
  parseChaincodeProposalPayload,
  proposalHash,
  type ChaincodeInput,
} from '../protos/transaction.js';

/**
 * Fabric's endorser.UnpackProposal (core/endorser/msgvalidation.go): a SignedProposal decoded down
 * to what the endorser needs, with every level present, and the proposal hash that the response
 * payload commits to. Decoding only; the checks (header type, tx id, creator, signature) are the
 * endorser's (see endorser.ts).
 */
export interface UnpackedProposal {
  readonly signedProposal: SignedProposal;
  readonly proposal: Proposal;
  /** The header bytes exactly as signed and hashed. */
  readonly channelHeaderBytes: Uint8Array;
  readonly signatureHeaderBytes: Uint8Array;
  readonly channelHeader: ChannelHeader;
  /** The creator may be empty here; the endorser refuses that ("creator is empty"). */
  readonly signatureHeader: SignatureHeader;
  /** From the channel header's ChaincodeHeaderExtension. */
  readonly chaincodeName: string;
  /** The ChaincodeInvocationSpec's input: args[0] is the function. */
  readonly input: ChaincodeInput;
  /** SHA-256(channel header ‖ signature header ‖ ChaincodeProposalPayload without its transient map). */
  readonly proposalHash: Uint8Array;
  /** The transient map (private data for the chaincode, never in the transaction). */
  readonly transientMap: ReadonlyMap<string, Uint8Array>;
}

/** Throws ProtoDecodeError for bytes that are not a complete chaincode SignedProposal. */
export function unpackProposal(signedProposalBytes: Uint8Array): UnpackedProposal {
  const signedProposal = parseSignedProposal(signedProposalBytes);
  const proposal = parseProposal(signedProposal.proposalBytes);
  const header = parseProposalHeader(proposal.header);
  const channelHeader = parseChannelHeader(header.channelHeader);
  const signatureHeader = parseSignatureHeader(header.signatureHeader, { allowEmptyCreator: true });
  const extension = parseChaincodeHeaderExtension(channelHeader.extension);
  if (extension.chaincodeId.name === '') {
    throw new ProtoDecodeError('protos.ChaincodeHeaderExtension', 'ChaincodeHeaderExtension.ChaincodeId.Name is empty: the channel header must name the chaincode');
  }
  const payload = parseChaincodeProposalPayload(proposal.payload);
  const invocation = parseChaincodeInvocationSpec(payload.input);
  // Fabric hashes the payload re-marshalled without the transient map, so that the hash (and the
  // endorsement) covers only what will go into the transaction.
  const withoutTransient = buildChaincodeProposalPayload({ input: payload.input, transientMap: new Map() });
  return {
    signedProposal,
    proposal,
    channelHeaderBytes: header.channelHeader,
    signatureHeaderBytes: header.signatureHeader,
    channelHeader,
    signatureHeader,
    chaincodeName: extension.chaincodeId.name,
    input: invocation.input,
    proposalHash: proposalHash(header.channelHeader, header.signatureHeader, withoutTransient),
    transientMap: payload.transientMap,
  };
}
