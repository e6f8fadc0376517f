import { randomBytes } from 'node:crypto';
import type { SigningIdentity } from '../../src/msp/signing-identity.js';
import { buildChannelHeader, buildEnvelope, buildPayload, computeTxId, HeaderType } from '../../src/protos/envelope.js';
import { buildTxRwSet, type KvMetadataWrite, type KvVersion, type RangeQueryInfo } from '../../src/protos/rwset.js';
import { buildSignatureHeader } from '../../src/protos/signature-header.js';
import {
  buildChaincodeAction,
  buildChaincodeActionPayload,
  buildChaincodeEvent,
  buildChaincodeHeaderExtension,
  buildChaincodeInvocationSpec,
  buildChaincodeProposalPayload,
  buildProposalResponsePayload,
  buildTransaction,
  endorsementMessage,
  proposalHash,
  type ChaincodeId,
  type ChaincodeResponse,
  type Endorsement,
} from '../../src/protos/transaction.js';
import { NOW } from './channel-fixture.js';

/**
 * Real, signed Fabric endorser-transaction envelopes for validation, ledger and benchmark tests,
 * built the way a Fabric client (fabric-gateway's proposal builder) and endorsers (the endorser +
 * protoutil.CreateSignedTx) build them:
 *
 *   proposal:  ChannelHeader{ENDORSER_TRANSACTION, channel, tx_id = computeTxId(nonce, creator), epoch 0,
 *                            timestamp, extension = ChaincodeHeaderExtension{chaincode name}}
 *              SignatureHeader{creator, nonce}
 *              ChaincodeProposalPayload{input = ChaincodeInvocationSpec{NODE, chaincode name, args}}
 *   endorsers: ProposalResponsePayload{proposal_hash = proposalHash(...), extension = ChaincodeAction{
 *                results = TxReadWriteSet, events, response, chaincode_id {name, version}}}, each signing
 *              endorsementMessage(prp, endorser)
 *   client:    Envelope{Payload{same headers, data = Transaction{[TransactionAction{SignatureHeader,
 *              ChaincodeActionPayload{proposal payload without transient, {prp, endorsements}}}]}}, creator's signature}
 *
 * Tamper knobs (`spec.tamper`) make every invalid case from real signatures: each replaces one
 * piece and everything downstream is still built and signed over the replaced bytes, so exactly
 * the tampered check fails. Nothing is parsed back; one call costs 1 + endorsers ECDSA signatures.
 */

/** A read; no version = the key did not exist when simulated. */
export interface ReadSpec {
  readonly key: string;
  readonly version?: KvVersion | undefined;
}

/** A write; a string value is UTF-8 encoded; isDelete writes an empty value. */
export interface WriteSpec {
  readonly key: string;
  readonly value?: Uint8Array | string;
  readonly isDelete?: boolean;
}

/** One namespace (chaincode) of the simulated read-write set. */
export interface NsRwSetSpec {
  readonly namespace: string;
  readonly reads?: readonly ReadSpec[];
  readonly rangeQueriesInfo?: readonly RangeQueryInfo[];
  readonly writes?: readonly WriteSpec[];
  readonly metadataWrites?: readonly KvMetadataWrite[];
}

/** What to break. Raw-bytes knobs replace the named message's bytes; signatures are then made over them. */
export interface TransactionTamper {
  /** ChannelHeader.tx_id instead of computeTxId(nonce, creator) → BAD_PROPOSAL_TXID. */
  readonly txId?: string;
  /** SignatureHeader.nonce (the tx id follows it unless `txId` is also given). */
  readonly nonce?: Uint8Array;
  /** The envelope signature is a valid signature by the creator over other bytes → BAD_CREATOR_SIGNATURE. */
  readonly corruptCreatorSignature?: boolean;
  /** Envelope.signature, raw (e.g. empty or non-DER). Wins over corruptCreatorSignature. */
  readonly creatorSignature?: Uint8Array;
  /** Index of an endorsement whose signature is by its endorser over other bytes. */
  readonly corruptEndorsementSignature?: number;
  /** Endorsement `index` names endorsers[index] but is signed by `signer`. */
  readonly endorsementSignedBy?: { readonly index: number; readonly signer: SigningIdentity };
  /** Endorsements appended after the real ones (e.g. a copy of one: `duplicateEndorsement` does that). */
  readonly extraEndorsements?: readonly Endorsement[];
  /** Appends a second copy of endorsement `index`. */
  readonly duplicateEndorsement?: number;
  /** SignatureHeader.creator is empty (tx id is computed over the empty creator; the creator still signs). */
  readonly emptyCreator?: boolean;
  /** SignatureHeader.creator, raw (e.g. an identity of an unknown MSP); the creator identity still signs. */
  readonly creatorBytes?: Uint8Array;
  /** ChannelHeader.type (default ENDORSER_TRANSACTION). */
  readonly headerType?: number;
  /** ChannelHeader.channel_id instead of spec.channelId. */
  readonly channelId?: string;
  /** ChannelHeader.extension, raw (instead of the ChaincodeHeaderExtension) → BAD_HEADER_EXTENSION. */
  readonly headerExtension?: Uint8Array;
  /** Payload.header.channel_header, raw. */
  readonly channelHeader?: Uint8Array;
  /** Payload.header.signature_header (and TransactionAction.header), raw. */
  readonly signatureHeader?: Uint8Array;
  /** TransactionAction.header only, raw. */
  readonly actionHeader?: Uint8Array;
  /** Envelope.payload, raw (the creator signs these bytes) → BAD_PAYLOAD. */
  readonly payload?: Uint8Array;
  /** Payload.data, raw (instead of the Transaction). */
  readonly transaction?: Uint8Array;
  /** TransactionAction.payload, raw (instead of the ChaincodeActionPayload). */
  readonly actionPayload?: Uint8Array;
  /** ProposalResponsePayload bytes, raw (endorsers sign these) → BAD_RESPONSE_PAYLOAD. */
  readonly proposalResponsePayload?: Uint8Array;
  /** ProposalResponsePayload.proposal_hash instead of the real hash. */
  readonly proposalHash?: Uint8Array;
  /** ProposalResponsePayload.extension (ChaincodeAction bytes), raw. */
  readonly chaincodeAction?: Uint8Array;
  /** ChaincodeAction.results (TxReadWriteSet bytes), raw → BAD_RWSET. */
  readonly results?: Uint8Array;
  /** ChaincodeAction.chaincode_id instead of {chaincode.name, chaincode.version}. */
  readonly actionChaincodeId?: ChaincodeId;
}

export interface EndorsedTransactionSpec {
  readonly channelId: string;
  /** The client that submits (signs the proposal header and the envelope). */
  readonly creator: SigningIdentity;
  /** Each signs the one ProposalResponsePayload, in this order (repeat one to duplicate it). */
  readonly endorsers: readonly SigningIdentity[];
  /** version defaults to '1.0'; it goes into ChaincodeAction.chaincode_id (the header extension names only the chaincode). */
  readonly chaincode: { readonly name: string; readonly version?: string };
  readonly rwsets: readonly NsRwSetSpec[];
  /** ChaincodeInput.args; strings are UTF-8 encoded. Default: none. */
  readonly args?: readonly (Uint8Array | string)[];
  /** A chaincode event (ChaincodeAction.events); chaincode id and tx id are filled in. */
  readonly event?: { readonly name: string; readonly payload?: Uint8Array | string };
  /** The chaincode's response; default status 200, empty message and payload. */
  readonly response?: Partial<ChaincodeResponse>;
  /** ChannelHeader timestamp in ms; default channel-fixture's NOW; null leaves it out. */
  readonly timestampMs?: number | null;
  readonly tamper?: TransactionTamper;
}

export interface EndorsedTransaction {
  /** The Envelope bytes, as a block's data.data[i] holds them. */
  readonly envelope: Uint8Array;
  /** The tx id written in the channel header. */
  readonly txId: string;
  /** The Envelope.payload bytes the creator signed. */
  readonly payload: Uint8Array;
  /** The ProposalResponsePayload bytes the endorsers signed. */
  readonly proposalResponsePayload: Uint8Array;
  readonly nonce: Uint8Array;
}

const utf8 = new TextEncoder();
const bytesOf = (value: Uint8Array | string | undefined): Uint8Array => (typeof value === 'string' ? utf8.encode(value) : (value ?? new Uint8Array()));
const EMPTY = new Uint8Array();
/** A fixed prefix makes "over other bytes" signatures differ from any real message. */
const OTHER_BYTES = utf8.encode('fabsim test: not the signed message');

function otherBytes(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(OTHER_BYTES.length + message.length);
  out.set(OTHER_BYTES, 0);
  out.set(message, OTHER_BYTES.length);
  return out;
}

/** The TxReadWriteSet bytes of `rwsets`, as ChaincodeAction.results carries them. */
export function rwsetBytes(rwsets: readonly NsRwSetSpec[]): Uint8Array {
  return buildTxRwSet({
    nsRwsets: rwsets.map((ns) => ({
      namespace: ns.namespace,
      collectionHashedRwsetCount: 0,
      rwset: {
        reads: (ns.reads ?? []).map((read) => ({ key: read.key, version: read.version })),
        rangeQueriesInfo: ns.rangeQueriesInfo ?? [],
        writes: (ns.writes ?? []).map((write) => ({ key: write.key, isDelete: write.isDelete ?? false, value: write.isDelete === true ? EMPTY : bytesOf(write.value) })),
        metadataWrites: ns.metadataWrites ?? [],
      },
    })),
  });
}

/** Builds and signs one endorser transaction envelope (see the module comment). */
export function buildEndorsedTransaction(spec: EndorsedTransactionSpec): EndorsedTransaction {
  const tamper = spec.tamper ?? {};
  const nonce = tamper.nonce ?? new Uint8Array(randomBytes(24));
  const creator = tamper.creatorBytes ?? (tamper.emptyCreator === true ? EMPTY : spec.creator.serialized);
  const txId = tamper.txId ?? computeTxId(nonce, creator);
  const chaincodeName = spec.chaincode.name;
  const timestampMs = spec.timestampMs === null ? undefined : (spec.timestampMs ?? NOW);

  // The client's proposal headers, reused unchanged by the transaction payload.
  const channelHeader =
    tamper.channelHeader ??
    buildChannelHeader({
      type: tamper.headerType ?? HeaderType.ENDORSER_TRANSACTION,
      channelId: tamper.channelId ?? spec.channelId,
      txId,
      epoch: 0,
      ...(timestampMs === undefined ? {} : { timestampMs }),
      extension: tamper.headerExtension ?? buildChaincodeHeaderExtension({ chaincodeId: { name: chaincodeName, version: '', path: '' } }),
    });
  const signatureHeader = tamper.signatureHeader ?? buildSignatureHeader({ creator, nonce });
  // The proposal payload without a transient map: what the endorser hashes and the transaction carries.
  const chaincodeProposalPayload = buildChaincodeProposalPayload({
    input: buildChaincodeInvocationSpec({ chaincodeId: { name: chaincodeName, version: '', path: '' }, input: { args: (spec.args ?? []).map(bytesOf), isInit: false } }),
    transientMap: new Map(),
  });

  // The endorsers' simulation result, signed by each.
  const chaincodeId = tamper.actionChaincodeId ?? { name: chaincodeName, version: spec.chaincode.version ?? '1.0', path: '' };
  const events = spec.event === undefined ? EMPTY : buildChaincodeEvent({ chaincodeId: chaincodeName, txId, eventName: spec.event.name, payload: bytesOf(spec.event.payload) });
  const chaincodeAction =
    tamper.chaincodeAction ??
    buildChaincodeAction({
      results: tamper.results ?? rwsetBytes(spec.rwsets),
      events,
      response: { status: spec.response?.status ?? 200, message: spec.response?.message ?? '', payload: spec.response?.payload ?? EMPTY },
      chaincodeId,
    });
  const proposalResponsePayload =
    tamper.proposalResponsePayload ??
    buildProposalResponsePayload({ proposalHash: tamper.proposalHash ?? proposalHash(channelHeader, signatureHeader, chaincodeProposalPayload), extension: chaincodeAction });
  const endorsements: Endorsement[] = spec.endorsers.map((endorser, index) => {
    const message = endorsementMessage(proposalResponsePayload, endorser.serialized);
    const signer = tamper.endorsementSignedBy?.index === index ? tamper.endorsementSignedBy.signer : endorser;
    const signed = tamper.corruptEndorsementSignature === index ? otherBytes(message) : message;
    return { endorser: endorser.serialized, signature: signer.sign(signed) };
  });
  if (tamper.duplicateEndorsement !== undefined) {
    const original = endorsements[tamper.duplicateEndorsement];
    if (original === undefined) throw new Error(`tamper.duplicateEndorsement ${tamper.duplicateEndorsement} is out of range: there are ${endorsements.length} endorsements`);
    endorsements.push(original);
  }
  endorsements.push(...(tamper.extraEndorsements ?? []));

  // The client's transaction (protoutil.CreateSignedTx), signed by the creator.
  const actionPayload = tamper.actionPayload ?? buildChaincodeActionPayload({ chaincodeProposalPayload, action: { proposalResponsePayload, endorsements } });
  const data = tamper.transaction ?? buildTransaction({ actions: [{ header: tamper.actionHeader ?? signatureHeader, payload: actionPayload }] });
  const payload = tamper.payload ?? buildPayload({ header: { channelHeader, signatureHeader }, data });
  const signature = tamper.creatorSignature ?? spec.creator.sign(tamper.corruptCreatorSignature === true ? otherBytes(payload) : payload);
  return { envelope: buildEnvelope({ payload, signature }), txId, payload, proposalResponsePayload, nonce };
}
