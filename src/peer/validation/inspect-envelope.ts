import type { ChannelResources } from '../../common/channel-resources.js';
import { bytesEqual, bytesKey } from '../../core/bytes.js';
import { isFabsimError, type FabsimError } from '../../core/errors.js';
import type { PolicyIdentity } from '../../policy/index.js';
import { computeTxId, describeHeaderType, HeaderType, parseChannelHeader, parseEnvelope, parsePayload, type ChannelHeader, type Envelope, type Payload } from '../../protos/envelope.js';
import { parseChannelConfig } from '../../protos/channel-config.js';
import { parseTxRwSet, type TxRwSet } from '../../protos/rwset.js';
import { parseSignatureHeader, type SignatureHeader } from '../../protos/signature-header.js';
import {
  endorsementMessage,
  parseChaincodeAction,
  parseChaincodeActionPayload,
  parseChaincodeEvent,
  parseChaincodeHeaderExtension,
  parseProposalResponsePayload,
  parseTransaction,
  proposalHash,
  type ChaincodeAction,
  type ChaincodeActionPayload,
  type Endorsement,
  type ProposalResponsePayload,
} from '../../protos/transaction.js';
import type { ChaincodeDefinition, ChaincodeDefinitions } from './chaincode-definition.js';
import type { ChannelMembers } from './channel-member.js';
import type { SignatureBatch } from './signature-batch.js';
import type { TxValidationCodeName } from '../../protos/tx-validation-code.js';
import { listSome, outcome, type TxOutcome } from './tx-outcome.js';

/**
 * The first, synchronous pass over one transaction of a block: everything that needs no signature
 * verdict and no ledger read. It decodes the envelope level by level as Fabric's committer does
 * (core/common/validation/msgvalidation.go ValidateTransaction, then the v20 plugin dispatcher
 * core/committer/txvalidator/v20/plugindispatcher/dispatcher.go), records the creator's and the
 * endorsers' signature checks in the block's SignatureBatch, and keeps every later verdict in the
 * order Fabric reaches it, so that validate-block.ts can decide once the signatures are verified.
 *
 * Where fabsim gives a different code than Fabric 2.5 would, or a code Fabric cannot reach, the
 * comment at that check says so.
 */

/** Everything the first pass needs. */
export interface InspectionContext {
  readonly channelId: string;
  readonly blockNumber: number;
  readonly resources: ChannelResources;
  readonly chaincodes: ChaincodeDefinitions;
  readonly nowMs: number;
  readonly batch: SignatureBatch;
  /** Membership checks at `nowMs` against `resources`, shared by the block's transactions. */
  readonly members: ChannelMembers;
}

/** The first pass's result for one transaction. */
export type Inspection =
  /** Decided without any signature (a decoding or header failure, or an invalid creator identity). */
  | { readonly kind: 'decided'; readonly outcome: TxOutcome }
  /** The creator's signature is in the batch; `next` applies only if it verifies. */
  | { readonly kind: 'signed'; readonly txId: string; readonly creator: string; readonly creatorHandle: number; readonly next: AfterCreator };

/** What follows a verified creator signature, in Fabric's order. */
export type AfterCreator =
  | { readonly kind: 'decided'; readonly outcome: TxOutcome }
  | { readonly kind: 'config'; readonly outcome: TxOutcome }
  /** An endorser transaction: the ledger duplicate check comes next, then `dispatch`. */
  | { readonly kind: 'endorser'; readonly dispatch: DispatchResult };

export type DispatchResult = { readonly kind: 'decided'; readonly outcome: TxOutcome } | EndorsedAction;

/** An endorser transaction whose structure is sound: what the endorsement policy check and MVCC need. */
export interface EndorsedAction {
  readonly kind: 'action';
  readonly txId: string;
  /** The invoked chaincode (from the header extension) and its definition. */
  readonly chaincode: ChaincodeDefinition;
  /**
   * Every namespace whose endorsement policy must be satisfied, with its definition: the invoked
   * chaincode first, then each other namespace the transaction writes (Fabric's wrNamespace).
   */
  readonly policyNamespaces: ReadonlyArray<{ readonly namespace: string; readonly definition: ChaincodeDefinition }>;
  readonly rwset: TxRwSet;
  readonly endorsements: readonly EndorsementCheck[];
}

/** One endorsement: its signer, and either why it is left out already or its signature check handle. */
export type EndorsementCheck =
  | { readonly index: number; readonly who: string; readonly ok: false; readonly reason: string }
  | { readonly index: number; readonly who: string; readonly ok: true; readonly identity: PolicyIdentity; readonly handle: number };

/** The header types msgvalidation.go's validateChannelHeader admits; every other type is BAD_COMMON_HEADER. */
const ADMITTED_TYPES: ReadonlySet<number> = new Set([HeaderType.ENDORSER_TRANSACTION, HeaderType.CONFIG_UPDATE, HeaderType.CONFIG]);

export function inspectTransaction(bytes: Uint8Array, ctx: InspectionContext): Inspection {
  const decided = (txId: string, code: TxValidationCodeName, detail: string): Inspection => ({ kind: 'decided', outcome: outcome(txId, code, detail) });

  // A zero-length entry is what a nil envelope becomes on the wire (Fabric's NIL_ENVELOPE).
  if (bytes.length === 0) return decided('', 'NIL_ENVELOPE', 'the block holds an empty entry where a transaction envelope should be');

  // Fabric's GetEnvelopeFromBlock failing: INVALID_OTHER_REASON. An envelope whose payload is empty
  // decodes in Go as one without a header, which Fabric reports as BAD_COMMON_HEADER.
  let envelope: Envelope;
  try {
    envelope = parseEnvelope(bytes);
  } catch (err) {
    const e = fabsimError(err);
    if (e.message.includes('its payload is empty')) return decided('', 'BAD_COMMON_HEADER', 'the envelope has an empty payload, so it has no header');
    return decided('', 'INVALID_OTHER_REASON', `the block entry is not a common.Envelope: ${e.message}`);
  }

  let payload: Payload;
  try {
    payload = parsePayload(envelope.payload);
  } catch (err) {
    const e = fabsimError(err);
    if (e.message.includes('it has no header')) return decided('', 'BAD_COMMON_HEADER', 'the payload has no header');
    return decided('', 'BAD_PAYLOAD', `the envelope's payload is not a common.Payload: ${e.message}`);
  }

  // msgvalidation.go validateCommonHeader: both headers decode, the type is admitted, epoch 0, nonce and creator present.
  let channelHeader: ChannelHeader;
  let signatureHeader: SignatureHeader;
  try {
    channelHeader = parseChannelHeader(payload.header.channelHeader);
  } catch (err) {
    return decided('', 'BAD_COMMON_HEADER', `the channel header does not decode: ${fabsimError(err).message}`);
  }
  const txId = channelHeader.txId;
  try {
    signatureHeader = parseSignatureHeader(payload.header.signatureHeader);
  } catch (err) {
    return decided(txId, 'BAD_COMMON_HEADER', `the signature header does not decode or has no creator: ${fabsimError(err).message}`);
  }
  // Fabric 2.5 refuses unknown header types here, with BAD_COMMON_HEADER; its UNKNOWN_TX_TYPE
  // (validator.go) is unreachable behind this check, and so it is in fabsim.
  if (!ADMITTED_TYPES.has(channelHeader.type)) {
    return decided(
      txId,
      'BAD_COMMON_HEADER',
      `the channel header's type ${describeHeaderType(channelHeader.type)} is not one a block may carry (ENDORSER_TRANSACTION, CONFIG; CONFIG_UPDATE is refused later); Fabric reports BAD_COMMON_HEADER here, not UNKNOWN_TX_TYPE`,
    );
  }
  if (channelHeader.epoch !== 0) return decided(txId, 'BAD_COMMON_HEADER', `the channel header's epoch is ${channelHeader.epoch}; Fabric requires 0`);
  if (signatureHeader.nonce.length === 0) return decided(txId, 'BAD_COMMON_HEADER', 'the signature header has an empty nonce');

  // checkSignatureFromCreator: the creator is valid in a channel MSP, then its signature over the payload verifies.
  const creator = ctx.members.check(signatureHeader.creator);
  if (!creator.ok) {
    return decided(txId, 'BAD_CREATOR_SIGNATURE', `the creator ${creator.who} is not a valid member of channel ${ctx.channelId}: ${creator.reason}`);
  }
  const creatorHandle = ctx.batch.add(creator.identity.certificate.publicKey, envelope.payload, envelope.signature);
  const signed = (next: AfterCreator): Inspection => ({ kind: 'signed', txId, creator: creator.who, creatorHandle, next });
  const after = (code: TxValidationCodeName, detail: string): AfterCreator => ({ kind: 'decided', outcome: outcome(txId, code, detail) });

  switch (channelHeader.type) {
    case HeaderType.ENDORSER_TRANSACTION: {
      // protoutil.CheckTxID: the tx id must be SHA-256(nonce ‖ creator), or the ledger's duplicate check could be dodged.
      const expected = computeTxId(signatureHeader.nonce, signatureHeader.creator);
      if (txId !== expected) {
        return signed(after('BAD_PROPOSAL_TXID', `the channel header's tx_id ${JSON.stringify(txId)} is not SHA-256(nonce ‖ creator) = ${expected}; the client must compute the tx id from the nonce and creator it signs with`));
      }
      const structure = checkEndorserTransaction(payload);
      if (!structure.ok) return signed(after('INVALID_ENDORSER_TRANSACTION', structure.reason));
      if (channelHeader.channelId !== ctx.channelId) return signed(after('TARGET_CHAIN_NOT_FOUND', targetChainNotFound(channelHeader, ctx)));
      return signed({ kind: 'endorser', dispatch: dispatch(structure, channelHeader, ctx) });
    }
    case HeaderType.CONFIG: {
      if (channelHeader.channelId !== ctx.channelId) return signed(after('TARGET_CHAIN_NOT_FOUND', targetChainNotFound(channelHeader, ctx)));
      return signed(inspectConfig(txId, payload, ctx));
    }
    default:
      // CONFIG_UPDATE: msgvalidation.go admits the header, then has no validation for the payload type.
      return signed(after('UNSUPPORTED_TX_PAYLOAD', `a ${describeHeaderType(channelHeader.type)} envelope is a request to the orderer, not a transaction a block may carry; the orderer turns it into a CONFIG transaction`));
  }
}

/**
 * Fabric's validator.go `chainExists` is a TODO that always answers yes (a wrong channel there
 * shows up as BAD_CREATOR_SIGNATURE when the MSPs of that channel are unknown). fabsim checks it,
 * at the same place, with Fabric's code for it.
 */
function targetChainNotFound(channelHeader: ChannelHeader, ctx: InspectionContext): string {
  return `the transaction is for channel ${JSON.stringify(channelHeader.channelId)}, but this block is of channel ${ctx.channelId}`;
}

/**
 * A CONFIG transaction in a block after the genesis block. Fabric's committer applies it to the
 * channel resources (configtx validation of the update's signatures against the channel's
 * policies) and fails the whole block if that fails; the orderer has already validated it.
 * fabsim applies no config updates yet: it checks that the ConfigEnvelope decodes and has the next
 * sequence, marks it VALID and says that the channel keeps its current config.
 */
function inspectConfig(txId: string, payload: Payload, ctx: InspectionContext): AfterCreator {
  if (payload.data.length === 0) return { kind: 'decided', outcome: outcome(txId, 'INVALID_CONFIG_TRANSACTION', 'the CONFIG transaction carries no ConfigEnvelope') };
  let sequence: number;
  try {
    sequence = parseChannelConfig(payload.data).spec.sequence;
  } catch (err) {
    return { kind: 'decided', outcome: outcome(txId, 'INVALID_CONFIG_TRANSACTION', `the CONFIG transaction's ConfigEnvelope does not decode: ${fabsimError(err).message}`) };
  }
  const current = ctx.resources.sequence;
  if (sequence !== current + 1) {
    return {
      kind: 'decided',
      outcome: outcome(txId, 'INVALID_CONFIG_TRANSACTION', `the config has sequence ${sequence}, but the channel is at sequence ${current}, so the next config must be ${current + 1} (Fabric's peer would refuse to commit this block)`),
    };
  }
  return {
    kind: 'config',
    outcome: outcome(txId, 'VALID', `config transaction to sequence ${sequence} of channel ${ctx.channelId}; fabsim does not apply config updates yet, so the channel keeps config sequence ${current}`),
  };
}

/** The decoded parts of a sound endorser transaction that the dispatcher reads on. */
interface EndorserStructure {
  readonly ok: true;
  readonly actionPayload: ChaincodeActionPayload;
  readonly proposalResponsePayload: ProposalResponsePayload;
}

/**
 * msgvalidation.go validateEndorserTransaction: exactly one action; its signature header decodes
 * with nonce and creator; the ChaincodeActionPayload and ProposalResponsePayload decode; and the
 * proposal hash the endorsers signed is the hash of this transaction's headers and proposal
 * payload (binding the endorsements to this proposal). Returns why not, or what it decoded (so
 * the dispatcher does not decode it again).
 */
function checkEndorserTransaction(payload: Payload): EndorserStructure | { readonly ok: false; readonly reason: string } {
  const refuse = (reason: string) => ({ ok: false, reason }) as const;
  try {
    const tx = parseTransaction(payload.data);
    if (tx.actions.length !== 1) return refuse(`the transaction has ${tx.actions.length} actions; Fabric supports exactly one action per transaction`);
    const action = tx.actions[0]!;
    const actionHeader = parseSignatureHeader(action.header);
    if (actionHeader.nonce.length === 0) return refuse("the action's signature header has an empty nonce");
    const actionPayload = parseChaincodeActionPayload(action.payload);
    const prp = parseProposalResponsePayload(actionPayload.action.proposalResponsePayload);
    const expected = proposalHash(payload.header.channelHeader, action.header, actionPayload.chaincodeProposalPayload);
    if (!bytesEqual(expected, prp.proposalHash)) {
      return refuse('the proposal hash in the endorsed response does not match this transaction\'s headers and proposal payload: the endorsements were given for another proposal');
    }
    return { ok: true, actionPayload, proposalResponsePayload: prp };
  } catch (err) {
    return refuse(`the transaction does not decode: ${fabsimError(err).message}`);
  }
}

/**
 * The v20 plugin dispatcher: decodes what the validation plugin needs and decides which
 * namespaces' endorsement policies apply. Its codes, in its order:
 * - BAD_HEADER_EXTENSION: the channel header's ChaincodeHeaderExtension does not decode (fabsim
 *   also when it names no chaincode, where Fabric says INVALID_OTHER_REASON);
 * - BAD_RESPONSE_PAYLOAD: the ChaincodeAction (ProposalResponsePayload.extension) does not decode
 *   (fabsim also when it names no chaincode, where Fabric says INVALID_OTHER_REASON);
 * - BAD_RWSET: ChaincodeAction.results is not a TxReadWriteSet;
 * - INVALID_CHAINCODE: empty chaincode name, names that differ between header and action, empty version;
 * - INVALID_OTHER_REASON: a chaincode event that does not decode or names another chaincode;
 * - ILLEGAL_WRITESET: a namespace appears twice in the rwset. This is the only place Fabric 2.5
 *   uses ILLEGAL_WRITESET: writing another chaincode's namespace is not illegal, it makes that
 *   chaincode's endorsement policy apply too;
 * - INVALID_CHAINCODE: the invoked chaincode, or a namespace the transaction writes, is not a
 *   chaincode defined on the channel. fabsim also gives INVALID_CHAINCODE when the action's version
 *   is not the defined one: Fabric 2.x catches an upgraded definition through the MVCC check of the
 *   definition the endorser read from `_lifecycle`, which fabsim keeps outside the world state.
 * fabsim has no private data: a namespace with collection rwsets is INVALID_OTHER_REASON.
 */
function dispatch(structure: EndorserStructure, channelHeader: ChannelHeader, ctx: InspectionContext): DispatchResult {
  const txId = channelHeader.txId;
  const decided = (code: TxValidationCodeName, detail: string): DispatchResult => ({ kind: 'decided', outcome: outcome(txId, code, detail) });

  let invoked: { name: string; version: string };
  try {
    invoked = parseChaincodeHeaderExtension(channelHeader.extension).chaincodeId;
  } catch (err) {
    return decided('BAD_HEADER_EXTENSION', `the channel header's extension is not a ChaincodeHeaderExtension naming the chaincode: ${fabsimError(err).message}`);
  }
  // The structure decoded in checkEndorserTransaction; decode the parts the dispatcher reads.
  const { actionPayload } = structure;
  const prpBytes = actionPayload.action.proposalResponsePayload;
  let action: ChaincodeAction;
  try {
    action = parseChaincodeAction(structure.proposalResponsePayload.extension);
  } catch (err) {
    return decided('BAD_RESPONSE_PAYLOAD', `the proposal response payload's extension is not a ChaincodeAction: ${fabsimError(err).message}`);
  }
  let rwset: TxRwSet;
  try {
    rwset = parseTxRwSet(action.results);
  } catch (err) {
    return decided('BAD_RWSET', `the chaincode action's results are not a read-write set: ${fabsimError(err).message}`);
  }
  if (invoked.name === '') return decided('INVALID_CHAINCODE', "the header extension's chaincode name is empty");
  if (invoked.name !== action.chaincodeId.name) {
    return decided('INVALID_CHAINCODE', `the header invokes chaincode ${JSON.stringify(invoked.name)}, but the endorsed action is of ${JSON.stringify(action.chaincodeId.name)}`);
  }
  if (action.chaincodeId.version === '') return decided('INVALID_CHAINCODE', `the endorsed action of ${invoked.name} has an empty chaincode version`);
  if (action.events.length > 0) {
    let eventChaincode: string;
    try {
      eventChaincode = parseChaincodeEvent(action.events).chaincodeId;
    } catch (err) {
      return decided('INVALID_OTHER_REASON', `the chaincode event does not decode: ${fabsimError(err).message}`);
    }
    if (eventChaincode !== invoked.name) return decided('INVALID_OTHER_REASON', `the chaincode event names chaincode ${JSON.stringify(eventChaincode)}, not the invoked ${invoked.name}`);
  }

  const seen = new Set<string>();
  const written: string[] = [];
  for (const ns of rwset.nsRwsets) {
    if (seen.has(ns.namespace)) return decided('ILLEGAL_WRITESET', `the read-write set lists namespace ${JSON.stringify(ns.namespace)} twice`);
    seen.add(ns.namespace);
    if (ns.collectionHashedRwsetCount > 0) {
      return decided('INVALID_OTHER_REASON', `namespace ${ns.namespace} carries private data collection rwsets, which fabsim does not support`);
    }
    if (ns.namespace !== invoked.name && (ns.rwset.writes.length > 0 || ns.rwset.metadataWrites.length > 0)) written.push(ns.namespace);
  }

  const defined = (): string => listSome(ctx.chaincodes.names()) || 'none';
  const chaincode = ctx.chaincodes.get(invoked.name);
  if (chaincode === undefined) {
    return decided('INVALID_CHAINCODE', `chaincode ${invoked.name} is not defined on channel ${ctx.channelId} (defined: ${defined()}); commit its definition before invoking it`);
  }
  if (action.chaincodeId.version !== chaincode.version) {
    return decided(
      'INVALID_CHAINCODE',
      `the transaction was endorsed by version ${action.chaincodeId.version} of chaincode ${invoked.name}, but the channel defines version ${chaincode.version} (sequence ${chaincode.sequence}); endorse it again on peers that run the defined version`,
    );
  }
  const policyNamespaces = [{ namespace: invoked.name, definition: chaincode }];
  for (const namespace of written) {
    const definition = ctx.chaincodes.get(namespace);
    if (definition === undefined) {
      return decided('INVALID_CHAINCODE', `the transaction of ${invoked.name} writes namespace ${namespace}, which is not a chaincode defined on channel ${ctx.channelId} (defined: ${defined()})`);
    }
    policyNamespaces.push({ namespace, definition });
  }
  return { kind: 'action', txId, chaincode, policyNamespaces, rwset, endorsements: endorsementChecks(actionPayload.action.endorsements, prpBytes, ctx) };
}

/**
 * The endorsements' signed data (Fabric: ProposalResponsePayload ‖ endorser) into the batch. An
 * endorser that is not a valid channel member is left out now; the same endorser with the same
 * signature shares one verification (Fabric deduplicates identities before verifying, so that a
 * transaction cannot make the peer verify one signature thousands of times).
 */
function endorsementChecks(endorsements: readonly Endorsement[], prpBytes: Uint8Array, ctx: InspectionContext): EndorsementCheck[] {
  const shared = new Map<string, number>();
  return endorsements.map((e, index): EndorsementCheck => {
    const member = ctx.members.check(e.endorser);
    if (!member.ok) return { index, who: member.who, ok: false, reason: `not a valid member of channel ${ctx.channelId}: ${member.reason}` };
    const key = `${member.policyIdentity.key}\u0000${bytesKey(e.signature)}`;
    let handle = shared.get(key);
    if (handle === undefined) {
      handle = ctx.batch.add(member.identity.certificate.publicKey, endorsementMessage(prpBytes, e.endorser), e.signature);
      shared.set(key, handle);
    }
    return { index, who: member.who, ok: true, identity: member.policyIdentity, handle };
  });
}

function fabsimError(err: unknown): FabsimError {
  if (!isFabsimError(err)) throw err;
  return err;
}
