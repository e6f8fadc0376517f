import { checkSigner, checkSignerAsync, summarizeCreator, type ChannelRegistry, type ChannelResources, type SignerCheck } from '../common/channel-resources.js';
import type { Clock } from '../core/clock.js';
import { isFabsimError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { LedgerQueries } from '../ledger/ledger-types.js';
import type { AsyncSignatureVerifier } from '../msp/ecdsa.js';
import { computeTxId, describeHeaderType, HeaderType } from '../protos/envelope.js';
import type { ProposalResponse } from '../protos/proposal.js';
import type { EndorserChaincodeSupport } from './endorser-chaincode.js';
import { chaincodeProposalResponse, errorProposalResponse, type EndorsementSigner } from './endorser-response.js';
import { simulateAndEndorse } from './endorser-simulation.js';
import { unpackProposal, type UnpackedProposal } from './proposal-unpack.js';
import { invokeQscc, QSCC_ACL_POLICY, QSCC_NAME } from './qscc.js';

/**
 * The peer's handling of `protos.Endorser/ProcessProposal` (Fabric's core/endorser/endorser.go):
 * the query system chaincode qscc, and user chaincode simulated and endorsed (endorser-simulation.ts).
 *
 * Steps, in Fabric's order:
 * 1. UnpackProposal: SignedProposal → Proposal → Header → ChannelHeader, SignatureHeader,
 *    ChaincodeHeaderExtension, ChaincodeProposalPayload → ChaincodeInvocationSpec.
 * 2. The channel must be one this peer has joined ("channel 'x' not found").
 * 3. Validate (msgvalidation.go): header type ENDORSER_TRANSACTION (or CONFIG, which Fabric lets
 *    through), epoch 0, a nonce and a creator, tx id = SHA-256(nonce ‖ creator), the creator valid in
 *    a channel MSP and its signature over the proposal bytes valid. (Fabric does not check the
 *    proposal's timestamp; neither does fabsim.)
 * 4. The tx id must not be committed already (replay protection).
 * 5. ACL: for user chaincode, /Channel/Application/Writers (Fabric's peer/Propose) here; for qscc,
 *    /Channel/Application/Readers inside qscc (qscc/<function>).
 * 6. For user chaincode (Fabric's ChaincodeEndorsementInfo, then ChaincodeSupport.Execute): the
 *    chaincode must be defined on the channel ("make sure the chaincode basic has been successfully
 *    defined on channel mychannel and try again: ...", naming the defined ones) and running here
 *    ("chaincode basic is not running on this peer: ..."; Fabric would say it is not installed, or
 *    launch it); then simulate and endorse (endorser-simulation.ts).
 *    For qscc: run it without a simulator. Other system chaincodes (cscc, lscc, _lifecycle) are
 *    not served.
 * 7. Build the ProposalResponse (endorser-response.ts).
 *
 * Fabric answers failures of 1, 3, 4 and 5-for-user-chaincode with an error (a gRPC error on the
 * wire; the response it also builds is dropped), and failures of 2, 5-for-qscc, 6 and 7 with a
 * ProposalResponse of status 500. ProposalOutcome keeps both, so the gRPC service and the Gateway
 * can each answer as Fabric does.
 *
 * Simplification: fabsim's chaincode definitions come from the network file, not the `_lifecycle`
 * namespace, so a simulation does not read `_lifecycle` (Fabric's rwsets carry a read of
 * `namespaces/fields/<name>/Sequence` there). A simulation reads committed state without holding
 * off commits (Fabric's txsim holds a read lock); a commit in between shows as an MVCC conflict
 * at validation, never as a wrong commit.
 */

/** Fabric's peer/Propose ACL default (configtx.yaml): who may send proposals for application chaincode. */
export const PROPOSE_ACL_POLICY = '/Channel/Application/Writers';

/** Fabric's scc.SysCCVersion: the chaincode version in a system chaincode's ChaincodeAction. */
export const SYSTEM_CHAINCODE_VERSION = 'syscc';

export interface ProposalHandlerOptions {
  /** The channels this peer has joined, with their MSPs and policies. */
  readonly registry: ChannelRegistry;
  /** The ledger of a joined channel. */
  readonly ledgerOf: (channelId: string) => LedgerQueries | undefined;
  /** The peer's signing identity, for endorsements. */
  readonly signer: EndorsementSigner;
  /** Verifies the creator's signature (e.g. on the thread pool); default: synchronously. */
  readonly verify?: AsyncSignatureVerifier;
  /** Definitions, state and chaincode processes for user chaincode; without it the peer serves qscc only. */
  readonly chaincodes?: EndorserChaincodeSupport;
  readonly logger?: Logger;
  /**
   * Not read: Fabric does not check a proposal's timestamp, and MSP validation uses the clock of the
   * channel resources. Accepted so that composition roots can hand every component the peer's clock.
   */
  readonly clock?: Clock;
}

/** Why Fabric's ProcessProposal returned an error: the bytes do not unpack, or a check of the proposal failed. */
export interface ProposalRefusal {
  readonly kind: 'malformed' | 'invalid';
  readonly message: string;
}

export interface ProposalOutcome {
  /** The ProposalResponse Fabric builds (for a refusal: status 500 and the refusal's message). */
  readonly response: ProposalResponse;
  /** Set when Fabric returns an error alongside the response: the gRPC service answers with this error instead. */
  readonly refusal?: ProposalRefusal;
  /** What the proposal was, when it could be unpacked (for logs and the Gateway). */
  readonly txId?: string;
  readonly channelId?: string;
  readonly chaincodeName?: string;
}

const SYSTEM_CHAINCODES = new Set([QSCC_NAME, 'cscc', 'lscc', '_lifecycle']);

export class ProposalHandler {
  private readonly logger: Logger;

  constructor(private readonly options: ProposalHandlerOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  /** Processes one serialized SignedProposal. Never throws for bad input; rethrows only broken invariants. */
  async process(signedProposalBytes: Uint8Array): Promise<ProposalOutcome> {
    let up: UnpackedProposal;
    try {
      up = unpackProposal(signedProposalBytes);
    } catch (err) {
      if (!isFabsimError(err)) throw err;
      this.logger.warn('proposal refused: cannot unpack', { error: err.message });
      return refused('malformed', err.message);
    }
    const { channelId, txId } = up.channelHeader;
    const about = { txId, channelId, chaincodeName: up.chaincodeName };

    if (channelId === '') {
      return { ...about, response: errorProposalResponse('the proposal names no channel: fabsim peers answer only proposals for a channel they have joined; set the channel header\'s channel_id') };
    }
    const resources = this.options.registry.get(channelId);
    if (resources === undefined) {
      const joined = this.options.registry.channelIds();
      return { ...about, response: errorProposalResponse(`channel '${channelId}' not found: this peer has not joined it (its channels: ${joined.join(', ') || 'none'})`) };
    }

    const isSystem = SYSTEM_CHAINCODES.has(up.chaincodeName);
    const aclPath = up.chaincodeName === QSCC_NAME ? QSCC_ACL_POLICY : PROPOSE_ACL_POLICY;
    const validation = await this.validate(up, resources, aclPath);
    if (typeof validation === 'string') {
      this.logger.warn('proposal refused', { ...about, error: validation });
      return { ...about, ...refused('invalid', `error validating proposal: ${validation}`) };
    }

    const ledger = this.options.ledgerOf(channelId);
    if (ledger !== undefined && (await ledger.getTransactionLocation(txId)) !== undefined) {
      const message = `duplicate transaction found [${txId}]. Creator [${summarizeCreator(resources, up.signatureHeader.creator).description}]: a transaction with this ID is already committed on channel ${channelId}; send a new proposal (a new nonce gives a new tx id)`;
      return { ...about, ...refused('invalid', message) };
    }

    if (!isSystem && !validation.ok) return { ...about, ...refused('invalid', validation.reason) };

    if (!isSystem) return { ...about, response: await this.endorseUserChaincode(up) };

    if (up.chaincodeName !== QSCC_NAME) {
      return {
        ...about,
        response: errorProposalResponse(
          `make sure the chaincode ${up.chaincodeName} has been successfully defined on channel ${channelId} and try again: system chaincode ${up.chaincodeName} is not supported by this peer (of the system chaincodes it answers only the ledger queries of qscc)`,
        ),
      };
    }

    const response = await invokeQscc(up.input.args, this.options.ledgerOf, {
      checkAccess: () => (validation.ok ? undefined : validation.reason),
    });
    return {
      ...about,
      response: chaincodeProposalResponse(
        {
          proposalHash: up.proposalHash,
          response,
          // Fabric runs qscc without a transaction simulator, so the ChaincodeAction has no results.
          results: new Uint8Array(),
          events: new Uint8Array(),
          chaincodeId: { name: QSCC_NAME, version: SYSTEM_CHAINCODE_VERSION, path: '' },
        },
        this.options.signer,
      ),
    };
  }

  /** Steps 6 and 7 for user chaincode, after the proposal passed every check. */
  private async endorseUserChaincode(up: UnpackedProposal): Promise<ProposalResponse> {
    const { channelId, txId } = up.channelHeader;
    const name = up.chaincodeName;
    const support = this.options.chaincodes;
    const defineFirst = `make sure the chaincode ${name} has been successfully defined on channel ${channelId} and try again`;
    if (support === undefined) {
      return errorProposalResponse(`${defineFirst}: this peer was started without a chaincode runtime, so it runs no user chaincode (it answers only the ledger queries of qscc)`);
    }
    const definitions = support.definitionsOf(channelId);
    const definition = definitions?.get(name);
    if (definition === undefined) {
      const defined = definitions?.names() ?? [];
      return errorProposalResponse(
        `${defineFirst}: chaincode ${name} not found: it is not defined on channel ${channelId} (defined there: ${defined.length === 0 ? 'none' : defined.join(', ')}); ` +
          "define it under the channel's chaincodes in the network file, or invoke one of the defined chaincodes",
      );
    }
    const state = support.stateOf(channelId);
    if (state === undefined) {
      return errorProposalResponse(`channel '${channelId}' has no ledger on this peer (it is being joined or removed); try again once the channel is joined`);
    }
    const chaincode = support.executor.find(channelId, definition);
    if (chaincode === undefined) {
      const message =
        `chaincode ${name} is not running on this peer: its definition (version ${definition.version}, sequence ${definition.sequence}) exists on channel ${channelId}, ` +
        `but ${support.executor.explainMissing(channelId, definition)}`;
      this.logger.warn('proposal not endorsed: chaincode not running', { txId, channelId, chaincode: name });
      return errorProposalResponse(message);
    }
    const response = await simulateAndEndorse({
      proposal: up,
      definition,
      state,
      chaincode,
      signer: this.options.signer,
      ...(support.executeTimeoutMs === undefined ? {} : { executeTimeoutMs: support.executeTimeoutMs }),
      callee: (calleeName) => {
        const calleeDefinition = definitions?.get(calleeName);
        if (calleeDefinition === undefined) {
          return { refused: `make sure the chaincode ${calleeName} has been successfully defined on channel ${channelId} and try again: chaincode ${calleeName} not found (defined there: ${definitions?.names().join(', ') || 'none'})` };
        }
        const running = support.executor.find(channelId, calleeDefinition);
        if (running === undefined) return { refused: `chaincode ${calleeName} is not running on this peer: ${support.executor.explainMissing(channelId, calleeDefinition)}` };
        return { definition: calleeDefinition, chaincode: running };
      },
    });
    const fields = { txId, channelId, chaincode: name, status: response.response.status };
    if (response.endorsement === undefined) this.logger.warn('proposal not endorsed', { ...fields, message: response.response.message });
    else this.logger.debug('proposal endorsed', fields);
    return response;
  }

  /**
   * Fabric's UnpackedProposal.Validate, then the creator's standing under `aclPath`. Returns the
   * reason the proposal is invalid, or the signer check (whose policy verdict the ACL step uses:
   * the signature is verified once).
   */
  private async validate(up: UnpackedProposal, resources: ChannelResources, aclPath: string): Promise<string | Exclude<SignerCheck, { refusal: 'creator-invalid' | 'signature-invalid' }>> {
    const { channelHeader, signatureHeader, signedProposal } = up;
    const channelId = channelHeader.channelId;
    if (channelHeader.type !== HeaderType.ENDORSER_TRANSACTION && channelHeader.type !== HeaderType.CONFIG) {
      return `invalid header type ${describeHeaderType(channelHeader.type)}: a proposal's channel header must have type ENDORSER_TRANSACTION (3)`;
    }
    if (channelHeader.epoch !== 0) return `epoch is non-zero (${channelHeader.epoch}): Fabric proposals carry epoch 0`;
    if (signatureHeader.nonce.length === 0) return 'nonce is empty: the signature header needs a random nonce';
    if (signatureHeader.creator.length === 0) return "creator is empty: the signature header needs the signer's serialized identity";
    const expected = computeTxId(signatureHeader.nonce, signatureHeader.creator);
    if (channelHeader.txId !== expected) return `incorrectly computed txid '${channelHeader.txId}' -- expected '${expected}' (SHA-256 of the nonce followed by the creator, in hex)`;
    if (signedProposal.signature.length === 0) return "empty signature bytes: sign the proposal bytes with the creator's key";

    const who = summarizeCreator(resources, signatureHeader.creator).description;
    const signed = { identity: signatureHeader.creator, data: signedProposal.proposalBytes, signature: signedProposal.signature };
    const verify = this.options.verify;
    const check = verify === undefined ? checkSigner(resources, signed, aclPath, who) : await checkSignerAsync(resources, signed, aclPath, who, verify);
    if (check.ok || check.refusal === 'policy-not-satisfied') return check;
    // checkSigner words its reasons for envelopes; here the signed message is the proposal.
    return `access denied: channel [${channelId}]: ${check.reason.replace(/^the envelope's signature/, "the proposal's signature")}`;
  }
}

function refused(kind: ProposalRefusal['kind'], message: string): Pick<ProposalOutcome, 'response' | 'refusal'> {
  return { response: errorProposalResponse(message), refusal: { kind, message } };
}
