import type { ChannelRegistry } from '../../common/channel-resources.js';
import { isFabsimError, messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { AsyncSignatureVerifier } from '../../msp/ecdsa.js';
import {
  buildChaincodeEventsResponse,
  buildCommitStatusResponse,
  buildEndorseResponse,
  buildEvaluateResponse,
  buildSubmitResponse,
  parseEndorseRequest,
  parseEvaluateRequest,
  parseSubmitRequest,
} from '../../protos/gateway.js';
import { buildSignedProposalMessage, type SignedProposal } from '../../protos/proposal.js';
import { unpackProposal, type UnpackedProposal } from '../proposal-unpack.js';
import type { ChaincodeDefinitions } from '../validation/chaincode-definition.js';
import { checkChaincodeEventsRequest, chaincodeEvents, chaincodeEventsStartBlock, type ChaincodeEventsLedger } from './chaincode-events.js';
import { checkCommitStatusRequest, waitForCommitStatus, type CommitStatusSource } from './commit-status.js';
import type { GatewayEndorser, GatewayOrderer } from './gateway-endpoints.js';
import { endorseProposal } from './gateway-endorse.js';
import { evaluateProposal } from './gateway-evaluate.js';
import { gatewayFailure, gatewaySuccess, refusalFailure, type GatewayFailure, type GatewayResult } from './gateway-failure.js';
import { submitTransaction } from './gateway-submit.js';

/**
 * Fabric's Gateway service (internal/pkg/gateway), the peer's front door for applications using
 * `@hyperledger/fabric-gateway`: Evaluate, Endorse, Submit, CommitStatus and ChaincodeEvents, on
 * the serialized requests and answers (src/transport/grpc/gateway-service.ts puts them on gRPC and
 * turns a GatewayFailure into a gRPC status with gateway.ErrorDetail entries).
 *
 * The Gateway knows the channel's endorsing peers and orderers through `endorsersOf` and
 * `orderersOf` (Fabric learns them by discovery and gossip; fabsim's composition root reads them
 * from the network file and the channel config), and the chaincode definitions for the
 * endorsement plan.
 *
 * A Gateway never throws for a client's bad input: every outcome is a GatewayResult.
 */
export interface GatewayOptions {
  readonly registry: ChannelRegistry;
  /** The MSP ID of this gateway's peer (Fabric's localEndorser.mspid). */
  readonly localMspId: string;
  readonly endorsersOf: (channelId: string) => readonly GatewayEndorser[];
  readonly orderersOf: (channelId: string) => readonly GatewayOrderer[];
  readonly definitionsOf: (channelId: string) => ChaincodeDefinitions | undefined;
  readonly commitsOf: (channelId: string) => CommitStatusSource | undefined;
  readonly eventsOf: (channelId: string) => ChaincodeEventsLedger | undefined;
  /** Verifies the signatures of CommitStatus and ChaincodeEvents requests (e.g. on the thread pool). */
  readonly verify?: AsyncSignatureVerifier;
  readonly logger: Logger;
}

/** A proposal the Gateway was asked to evaluate or endorse, unpacked. */
interface GatewayProposal {
  readonly bytes: Uint8Array;
  readonly unpacked: UnpackedProposal;
}

export class Gateway {
  private submits = 0;

  constructor(private readonly o: GatewayOptions) {}

  /** gateway.Gateway/Evaluate: serialized EvaluateRequest → serialized EvaluateResponse. */
  async evaluate(requestBytes: Uint8Array): Promise<GatewayResult<Uint8Array>> {
    const request = decode('evaluate', () => parseEvaluateRequest(requestBytes));
    if (!request.ok) return request;
    const proposal = this.proposalOf(request.value.proposedTransaction);
    if (!proposal.ok) return proposal;
    const { channelId, txId } = proposal.value.unpacked.channelHeader;
    const joined = this.checkJoined(channelId);
    if (!joined.ok) return joined;
    const result = await evaluateProposal(proposal.value.bytes, {
      channelId,
      txId,
      endorsers: this.o.endorsersOf(channelId),
      localMspId: this.o.localMspId,
      targetOrganizations: request.value.targetOrganizations,
      hasTransientData: proposal.value.unpacked.transientMap.size > 0,
      logger: this.o.logger,
    });
    return result.ok ? gatewaySuccess(buildEvaluateResponse(result.value)) : result;
  }

  /** gateway.Gateway/Endorse: serialized EndorseRequest → serialized EndorseResponse (the prepared transaction). */
  async endorse(requestBytes: Uint8Array): Promise<GatewayResult<Uint8Array>> {
    const request = decode('endorse', () => parseEndorseRequest(requestBytes));
    if (!request.ok) return request;
    if (request.value.proposedTransaction === undefined) return gatewayFailure('invalid-argument', 'the proposed transaction must contain a signed proposal');
    const proposal = this.proposalOf(request.value.proposedTransaction);
    if (!proposal.ok) return proposal;
    const { channelId } = proposal.value.unpacked.channelHeader;
    const joined = this.checkJoined(channelId);
    if (!joined.ok) return joined;
    const resources = this.o.registry.get(channelId);
    if (resources === undefined) return this.notJoined(channelId);
    const result = await endorseProposal(proposal.value.bytes, proposal.value.unpacked, {
      endorsers: this.o.endorsersOf(channelId),
      localMspId: this.o.localMspId,
      endorsingOrganizations: request.value.endorsingOrganizations,
      definition: this.o.definitionsOf(channelId)?.get(proposal.value.unpacked.chaincodeName),
      resources,
      logger: this.o.logger,
    });
    return result.ok ? gatewaySuccess(buildEndorseResponse({ preparedTransaction: result.value })) : result;
  }

  /** gateway.Gateway/Submit: serialized SubmitRequest → serialized SubmitResponse. */
  async submit(requestBytes: Uint8Array): Promise<GatewayResult<Uint8Array>> {
    const request = decode('submit', () => parseSubmitRequest(requestBytes));
    if (!request.ok) return request;
    const joined = this.checkJoined(request.value.channelId);
    if (!joined.ok) return joined;
    const result = await submitTransaction(request.value, { orderers: this.o.orderersOf(request.value.channelId), startAt: this.submits++, logger: this.o.logger });
    return result.ok ? gatewaySuccess(buildSubmitResponse()) : result;
  }

  /** gateway.Gateway/CommitStatus: waits until the transaction commits on this peer (or `signal` aborts). */
  async commitStatus(signedRequestBytes: Uint8Array, signal?: AbortSignal): Promise<GatewayResult<Uint8Array>> {
    const check = await checkCommitStatusRequest(signedRequestBytes, this.o.registry, this.o.verify);
    if (!check.ok) return refusalFailure(check.refusal);
    const { channelId, transactionId } = check.request;
    const source = this.o.commitsOf(channelId);
    if (source === undefined) return this.notJoined(channelId);
    try {
      const status = await waitForCommitStatus(source, channelId, transactionId, signal);
      return gatewaySuccess(buildCommitStatusResponse(status));
    } catch (err) {
      if (!isFabsimError(err)) throw err;
      return gatewayFailure(err.code === 'GATEWAY_ABORTED' ? 'deadline-exceeded' : 'aborted', err.message);
    }
  }

  /**
   * gateway.Gateway/ChaincodeEvents: the serialized ChaincodeEventsResponse messages, one per block
   * with events of the chaincode, until `signal` aborts. A failure after the stream started is
   * thrown by the iterator (GatewayError), which the transport ends the stream with.
   */
  async chaincodeEvents(signedRequestBytes: Uint8Array, signal?: AbortSignal): Promise<GatewayResult<AsyncIterable<Uint8Array>>> {
    const check = await checkChaincodeEventsRequest(signedRequestBytes, this.o.registry, this.o.verify);
    if (!check.ok) return refusalFailure(check.refusal);
    const { channelId, chaincodeId, afterTransactionId } = check.request;
    const ledger = this.o.eventsOf(channelId);
    if (ledger === undefined) return this.notJoined(channelId);
    const start = await chaincodeEventsStartBlock(ledger, check.request);
    if (!start.ok) return refusalFailure(start.refusal);
    const events = chaincodeEvents({ ledger, chaincodeName: chaincodeId, startBlock: start.startBlock, afterTransactionId, ...(signal === undefined ? {} : { signal }) });
    return gatewaySuccess(
      (async function* () {
        for await (const block of events) yield buildChaincodeEventsResponse(block);
      })(),
    );
  }

  /** Fabric's getChannelAndChaincodeFromSignedProposal: the proposal must unpack down to a chaincode name. */
  private proposalOf(signed: SignedProposal | undefined): GatewayResult<GatewayProposal> {
    if (signed === undefined) return gatewayFailure('invalid-argument', 'failed to unpack transaction proposal: a signed proposal is required');
    const bytes = buildSignedProposalMessage(signed);
    try {
      const unpacked = unpackProposal(bytes);
      if (unpacked.channelHeader.channelId === '') return gatewayFailure('invalid-argument', 'failed to unpack transaction proposal: no channel id provided');
      if (unpacked.chaincodeName === '') {
        return gatewayFailure('invalid-argument', `failed to unpack transaction proposal: no chaincode name is provided, channel id [${unpacked.channelHeader.channelId}]`);
      }
      return gatewaySuccess({ bytes, unpacked });
    } catch (err) {
      if (!isFabsimError(err, 'PROTO_MALFORMED')) throw err;
      return gatewayFailure('invalid-argument', `failed to unpack transaction proposal: ${err.message}`);
    }
  }

  private checkJoined(channelId: string): GatewayResult<void> {
    return this.o.registry.get(channelId) === undefined ? this.notJoined(channelId) : gatewaySuccess(undefined);
  }

  private notJoined(channelId: string): { readonly ok: false; readonly failure: GatewayFailure } {
    const joined = this.o.registry.channelIds();
    return gatewayFailure('not-found', `channel ${JSON.stringify(channelId)} not found: this gateway's peer has not joined it (its channels: ${joined.join(', ') || 'none'}); connect to a peer of that channel, or join this peer to it`);
  }
}

function decode<T>(what: string, parse: () => T): GatewayResult<T> {
  try {
    return gatewaySuccess(parse());
  } catch (err) {
    if (!isFabsimError(err, 'PROTO_MALFORMED')) throw err;
    return gatewayFailure('invalid-argument', `the ${what} request does not decode: ${messageOf(err)}; send a gateway.${what[0]!.toUpperCase()}${what.slice(1)}Request`);
  }
}
