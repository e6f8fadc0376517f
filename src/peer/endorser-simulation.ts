import { bytesEqual } from '../core/bytes.js';
import { isFabsimError } from '../core/errors.js';
import type { ProposalResponse } from '../protos/proposal.js';
import { buildChaincodeEvent } from '../protos/transaction.js';
import type { ChaincodeExecutionResult, ChaincodeInvoker } from './chaincode/chaincode-handler.js';
import type { RunningChaincode } from './endorser-chaincode.js';
import { chaincodeProposalResponse, errorProposalResponse, type EndorsementSigner } from './endorser-response.js';
import type { UnpackedProposal } from './proposal-unpack.js';
import type { SimulationState } from './simulation/transaction-context.js';
import { TransactionSimulator } from './simulation/transaction-simulator.js';
import type { ChaincodeDefinition } from './validation/chaincode-definition.js';

/**
 * Simulation and endorsement of a proposal for user chaincode, once the proposal has passed the
 * endorser's checks and the chaincode is known to be defined and running (Fabric's
 * ProcessProposalSuccessfullyOrError with simulateProposal, ChaincodeSupport.Execute and
 * CheckInvocation, and the default endorsement plugin):
 *
 * 1. A TransactionSimulator for the transaction over the channel's committed state.
 * 2. Init-exactly-once (CheckInvocation), only for a definition with initRequired: the chaincode's
 *    `initialized` key (U+0000 U+10FFFF "initialized" in its namespace) is read through the
 *    simulator, so the read is in the rwset as in Fabric; an `--isInit` proposal is refused when
 *    the definition does not require init or the key already holds the definition's version, and
 *    then writes the version; any other proposal is refused until init ran for this version.
 * 3. The chaincode executes TRANSACTION (INIT for an init proposal) with the signed proposal.
 * 4. The response (endorser-response.ts): status < 400 → ProposalResponsePayload {proposal_hash,
 *    ChaincodeAction {results = the rwset bytes, events = the ChaincodeEvent (chaincode name, tx
 *    id, event name, payload) or empty, response, chaincode_id {name, definition's version}}},
 *    endorsed; 400–499 → the response alone; >= 500 → the response and the payload (its results
 *    kept, no event, as Fabric drops the event of a failed invocation), unendorsed.
 *    The version is the definition's, since the committer refuses any other (INVALID_CHAINCODE).
 *
 * Failures Fabric reports as "error in simulation" (status 500, no payload): an invalid init
 * invocation, the chaincode's ERROR message, no answer (timeout, the chaincode exited or
 * disconnected), or the ledger failing while the endorser reads it. Pure over its inputs: no
 * clock, no randomness; equal state and proposal give equal payload bytes on every peer.
 */

/** Fabric's chaincode.InitializedKeyName: where the version whose init ran is kept. */
export const INITIALIZED_KEY = '\u0000\u{10FFFF}initialized';

export interface UserChaincodeInvocation {
  readonly proposal: UnpackedProposal;
  readonly definition: ChaincodeDefinition;
  readonly state: SimulationState;
  readonly chaincode: RunningChaincode;
  readonly signer: EndorsementSigner;
  /** Default: the chaincode handler's execute timeout. */
  readonly executeTimeoutMs?: number;
  /**
   * Finds a chaincode the invoked one calls (INVOKE_CHAINCODE): its definition on the channel and
   * its running process, or why it cannot be called. Without it, chaincode-to-chaincode calls are refused.
   */
  readonly callee?: (name: string) => { readonly definition: ChaincodeDefinition; readonly chaincode: RunningChaincode } | { readonly refused: string };
}

const utf8 = new TextEncoder();
const EMPTY = new Uint8Array();

/**
 * Chaincode-to-chaincode calls of a transaction (Fabric's HandleInvokeChaincode → Invoker.Invoke):
 * the called chaincode runs TRANSACTION with the same tx id, channel and signed proposal, on the
 * same simulation seen as its own namespace, so its reads and writes join the transaction's
 * read-write set; it may call further chaincodes the same way. Its event is not kept.
 */
function invokerFor(simulator: TransactionSimulator, invocation: UserChaincodeInvocation): ChaincodeInvoker {
  const { channelId, txId } = invocation.proposal.channelHeader;
  return async (name, args) => {
    const found = invocation.callee?.(name);
    if (found === undefined) throw new Error(`chaincode ${name} cannot be called from chaincode ${invocation.proposal.chaincodeName} here`);
    if ('refused' in found) throw new Error(found.refused);
    const view = simulator.forNamespace(name);
    return found.chaincode.execute({
      kind: 'TRANSACTION',
      txId,
      channelId,
      args,
      context: view,
      signedProposal: invocation.proposal.signedProposal,
      ...(invocation.executeTimeoutMs === undefined ? {} : { timeoutMs: invocation.executeTimeoutMs }),
      invokeChaincode: invokerFor(view, invocation),
    });
  };
}

export async function simulateAndEndorse(invocation: UserChaincodeInvocation): Promise<ProposalResponse> {
  const { proposal, definition, signer } = invocation;
  const { channelId, txId } = proposal.channelHeader;
  const name = proposal.chaincodeName;
  const simulator = TransactionSimulator.start({ channelId, txId, namespace: name, state: invocation.state });
  const failed = (message: string): ProposalResponse => errorProposalResponse(`error in simulation: ${message}`);
  try {
    let kind: 'INIT' | 'TRANSACTION';
    try {
      const checked = await checkInvocation(simulator, definition, proposal.input.isInit);
      if ('refused' in checked) return failed(`failed to execute transaction ${txId}: invalid invocation: ${checked.refused}`);
      kind = checked.kind;
    } catch (err) {
      if (!isFabsimError(err)) throw err;
      return failed(`failed to execute transaction ${txId}: could not read the 'initialized' key of chaincode ${name}: ${err.message}`);
    }

    let result: ChaincodeExecutionResult;
    try {
      result = await invocation.chaincode.execute({
        kind,
        txId,
        channelId,
        args: proposal.input.args,
        context: simulator,
        signedProposal: proposal.signedProposal,
        ...(invocation.executeTimeoutMs === undefined ? {} : { timeoutMs: invocation.executeTimeoutMs }),
        invokeChaincode: invokerFor(simulator, invocation),
      });
    } catch (err) {
      if (!isFabsimError(err)) throw err;
      return failed(`failed to execute transaction ${txId}: ${err.message}`);
    }
    // ERROR instead of COMPLETED: Fabric's "transaction returned with failure: ..." is an error, not a response.
    if (result.outcome === 'ERROR') return failed(result.message);

    const simulation = simulator.done();
    const response = { status: result.status, message: result.message, payload: result.payload };
    const events =
      result.event === undefined || result.status >= 400
        ? EMPTY
        : buildChaincodeEvent({ chaincodeId: name, txId, eventName: result.event.eventName, payload: result.event.payload });
    return chaincodeProposalResponse(
      {
        proposalHash: proposal.proposalHash,
        response,
        results: simulation.rwsetBytes,
        events,
        chaincodeId: { name, version: definition.version, path: '' },
      },
      signer,
    );
  } finally {
    // Ends the simulation on every path: later stub calls of this transaction are refused.
    if (!simulator.finished) simulator.done();
  }
}

/**
 * Fabric's ChaincodeSupport.CheckInvocation: the message type to send, or why the invocation is
 * refused. Reads (and for init writes) the `initialized` key only when the definition requires init.
 */
async function checkInvocation(simulator: TransactionSimulator, definition: ChaincodeDefinition, isInit: boolean): Promise<{ readonly kind: 'INIT' | 'TRANSACTION' } | { readonly refused: string }> {
  const name = definition.name;
  let needsInitialization = false;
  if (definition.initRequired) {
    const value = await simulator.getState(INITIALIZED_KEY);
    needsInitialization = value === undefined || !bytesEqual(value, utf8.encode(definition.version));
  }
  if (isInit) {
    if (!definition.initRequired) return { refused: `chaincode '${name}' does not require initialization but called as init (its definition on the channel has no initRequired; invoke it without --isInit)` };
    if (!needsInitialization) return { refused: `chaincode '${name}' is already initialized but called as init (version ${definition.version} ran its init already; invoke it without --isInit)` };
    simulator.putState(INITIALIZED_KEY, utf8.encode(definition.version));
    return { kind: 'INIT' };
  }
  if (needsInitialization) return { refused: `chaincode '${name}' has not been initialized for this version, must call as init first (send one proposal with --isInit for version ${definition.version})` };
  return { kind: 'TRANSACTION' };
}
