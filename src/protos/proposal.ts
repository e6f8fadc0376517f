import { randomBytes } from 'node:crypto';
import { common, peer } from '@hyperledger/fabric-protos';
import { buildChannelHeader, computeTxId, HeaderType, type PayloadHeader } from './envelope.js';
import { decodeProto, ProtoDecodeError } from './proto-error.js';
import { buildSignatureHeader } from './signature-header.js';
import { buildTimestamp, timestampMs, type TimestampMessage } from './timestamp.js';
import {
  buildChaincodeHeaderExtension,
  buildChaincodeInvocationSpec,
  buildChaincodeProposalPayload,
  type ChaincodeResponse,
  type Endorsement,
} from './transaction.js';

/**
 * Fabric's proposal messages (peer/proposal.proto, peer/proposal_response.proto): what a client
 * sends to a peer's `protos.Endorser/ProcessProposal` and what the peer answers.
 *
 *   SignedProposal { proposal_bytes: bytes(Proposal), signature }   the creator signs proposal_bytes
 *   Proposal { header: bytes(common.Header), payload: bytes(ChaincodeProposalPayload), extension }
 *   ProposalResponse { version, timestamp, response: Response, payload: bytes(ProposalResponsePayload), endorsement }
 *
 * As with envelopes, nested messages travel as the bytes that were signed or hashed, so parse
 * functions return those bytes. Malformed bytes throw ProtoDecodeError ('PROTO_MALFORMED').
 */

/** `protos.Proposal`. */
export interface Proposal {
  /** A serialized `common.Header` (channel header and signature header bytes); see parseProposalHeader. */
  readonly header: Uint8Array;
  /** For chaincode proposals, a serialized ChaincodeProposalPayload. */
  readonly payload: Uint8Array;
  /** Optional; Fabric's clients leave it empty. */
  readonly extension: Uint8Array;
}

export function buildProposal(p: Proposal): Uint8Array {
  const message = new peer.Proposal();
  message.setHeader(p.header);
  message.setPayload(p.payload);
  message.setExtension$(p.extension);
  return message.serializeBinary();
}

/** Reads a Proposal; one without a header is refused (Fabric cannot unpack it either). */
export function parseProposal(bytes: Uint8Array): Proposal {
  const message = decodeProto('protos.Proposal', () => peer.Proposal.deserializeBinary(bytes));
  const header = message.getHeader_asU8();
  if (header.length === 0) throw new ProtoDecodeError('protos.Proposal', 'its header is empty');
  return { header, payload: message.getPayload_asU8(), extension: message.getExtension_asU8() };
}

/** `common.Header` as a proposal carries it (the same message as an envelope payload's header, but as bytes). */
export function buildProposalHeader(h: PayloadHeader): Uint8Array {
  const message = new common.Header();
  message.setChannelHeader(h.channelHeader);
  message.setSignatureHeader(h.signatureHeader);
  return message.serializeBinary();
}

/** Reads a proposal's `common.Header`; both inner headers must be present. */
export function parseProposalHeader(bytes: Uint8Array): PayloadHeader {
  const message = decodeProto('common.Header', () => common.Header.deserializeBinary(bytes));
  const channelHeader = message.getChannelHeader_asU8();
  const signatureHeader = message.getSignatureHeader_asU8();
  if (channelHeader.length === 0) throw new ProtoDecodeError('common.Header', 'its channel_header is empty');
  if (signatureHeader.length === 0) throw new ProtoDecodeError('common.Header', 'its signature_header is empty');
  return { channelHeader, signatureHeader };
}

/** `protos.SignedProposal`: the proposal bytes and the creator's signature over exactly those bytes. */
export interface SignedProposal {
  readonly proposalBytes: Uint8Array;
  readonly signature: Uint8Array;
}

/** Serializes a SignedProposal message (for the client-side builder, see buildSignedProposal). */
export function buildSignedProposalMessage(sp: SignedProposal): Uint8Array {
  const message = new peer.SignedProposal();
  message.setProposalBytes(sp.proposalBytes);
  message.setSignature(sp.signature);
  return message.serializeBinary();
}

/** Reads a SignedProposal; empty proposal bytes are refused. An empty signature is left to the endorser's checks. */
export function parseSignedProposal(bytes: Uint8Array): SignedProposal {
  const message = decodeProto('protos.SignedProposal', () => peer.SignedProposal.deserializeBinary(bytes));
  const proposalBytes = message.getProposalBytes_asU8();
  if (proposalBytes.length === 0) throw new ProtoDecodeError('protos.SignedProposal', 'its proposal_bytes are empty');
  return { proposalBytes, signature: message.getSignature_asU8() };
}

/** `protos.ProposalResponse`: what an endorser answers. */
export interface ProposalResponse {
  /** 1 for an endorsed response; 0 when Fabric leaves it unset (error responses). */
  readonly version: number;
  /** Fabric's endorser leaves it unset. Whole milliseconds. */
  readonly timestampMs: number | undefined;
  /** The chaincode's (or the endorser's) status, message and payload: 200 OK, 500 error. */
  readonly response: ChaincodeResponse;
  /** A serialized ProposalResponsePayload (proposal hash + ChaincodeAction); empty on most errors. */
  readonly payload: Uint8Array;
  /** The endorser's identity and signature over endorsementMessage(payload, endorser); undefined when not endorsed. */
  readonly endorsement: Endorsement | undefined;
}

export type ProposalResponseInput = Pick<ProposalResponse, 'response'> & Partial<Omit<ProposalResponse, 'response'>>;

export function buildProposalResponse(r: ProposalResponseInput): Uint8Array {
  const message = new peer.ProposalResponse();
  message.setVersion(r.version ?? 0);
  if (r.timestampMs !== undefined) message.setTimestamp(buildTimestamp(r.timestampMs));
  const response = new peer.Response();
  response.setStatus(r.response.status);
  response.setMessage(r.response.message);
  response.setPayload(r.response.payload);
  message.setResponse(response);
  message.setPayload(r.payload ?? new Uint8Array());
  if (r.endorsement !== undefined) {
    const endorsement = new peer.Endorsement();
    endorsement.setEndorser(r.endorsement.endorser);
    endorsement.setSignature(r.endorsement.signature);
    message.setEndorsement(endorsement);
  }
  return message.serializeBinary();
}

/** Reads a ProposalResponse. A missing `response` reads as status 0 with an empty message (Go's zero value). */
export function parseProposalResponse(bytes: Uint8Array): ProposalResponse {
  const message = decodeProto('protos.ProposalResponse', () => peer.ProposalResponse.deserializeBinary(bytes));
  const timestamp = message.getTimestamp() as TimestampMessage | undefined;
  const response = message.getResponse();
  const endorsement = message.getEndorsement();
  return {
    version: message.getVersion(),
    timestampMs: timestamp === undefined ? undefined : timestampMs(timestamp),
    response: {
      status: response?.getStatus() ?? 0,
      message: response?.getMessage() ?? '',
      payload: response?.getPayload_asU8() ?? new Uint8Array(),
    },
    payload: message.getPayload_asU8(),
    endorsement: endorsement === undefined ? undefined : { endorser: endorsement.getEndorser_asU8(), signature: endorsement.getSignature_asU8() },
  };
}

/** Who signs a proposal: a SigningIdentity satisfies it. */
export interface ProposalSigner {
  /** The signer's msp.SerializedIdentity bytes (the signature header's creator). */
  readonly serialized: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

export interface ProposalInput {
  readonly channelId: string;
  /** The chaincode name, e.g. `qscc` or `basic`. */
  readonly chaincode: string;
  /** The chaincode input: the function name first, then its arguments (strings are UTF-8 encoded). */
  readonly args: readonly (string | Uint8Array)[];
  readonly signer: ProposalSigner;
  /** 24 random bytes when omitted (as fabric-gateway). */
  readonly nonce?: Uint8Array;
  /** The channel header timestamp. */
  readonly timestampMs: number;
  /** Private data for the chaincode, not recorded on the ledger. */
  readonly transientMap?: ReadonlyMap<string, Uint8Array>;
}

export interface BuiltProposal {
  /** The serialized SignedProposal, ready for ProcessProposal. */
  readonly signedProposal: Uint8Array;
  /** The proposal bytes that were signed. */
  readonly proposal: Uint8Array;
  /** hex SHA-256(nonce ‖ creator). */
  readonly txId: string;
}

/**
 * A signed chaincode proposal, made the way fabric-gateway's ProposalBuilder makes one:
 * ENDORSER_TRANSACTION channel header (epoch 0, timestamp, tx id, ChaincodeHeaderExtension with
 * the chaincode name), SignatureHeader {creator, nonce}, ChaincodeProposalPayload holding a
 * ChaincodeInvocationSpec (type NODE) with the args, and the creator's signature over the Proposal bytes.
 */
export function buildSignedProposal(input: ProposalInput): BuiltProposal {
  const nonce = input.nonce ?? new Uint8Array(randomBytes(24));
  const creator = input.signer.serialized;
  const txId = computeTxId(nonce, creator);
  const chaincodeId = { name: input.chaincode, version: '', path: '' };
  const channelHeader = buildChannelHeader({
    type: HeaderType.ENDORSER_TRANSACTION,
    channelId: input.channelId,
    txId,
    timestampMs: input.timestampMs,
    epoch: 0,
    extension: buildChaincodeHeaderExtension({ chaincodeId }),
  });
  const signatureHeader = buildSignatureHeader({ creator, nonce });
  const encoder = new TextEncoder();
  const args = input.args.map((a) => (typeof a === 'string' ? encoder.encode(a) : a));
  const invocationSpec = buildChaincodeInvocationSpec({ chaincodeId, input: { args, isInit: false } });
  const payload = buildChaincodeProposalPayload({ input: invocationSpec, transientMap: input.transientMap ?? new Map() });
  const proposal = buildProposal({ header: buildProposalHeader({ channelHeader, signatureHeader }), payload, extension: new Uint8Array() });
  const signedProposal = buildSignedProposalMessage({ proposalBytes: proposal, signature: input.signer.sign(proposal) });
  return { signedProposal, proposal, txId };
}
