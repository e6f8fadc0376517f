import type { ChaincodeExecutionResult, ExecuteRequest } from './chaincode/chaincode-handler.js';
import type { ChaincodeRegistry } from './chaincode/chaincode-registry.js';
import type { SimulationState } from './simulation/transaction-context.js';
import type { ChaincodeDefinition, ChaincodeDefinitions } from './validation/chaincode-definition.js';

/**
 * What the endorser needs to run user chaincode (the parts of Fabric's endorser `Support` that
 * reach the ledger, the lifecycle and the chaincode runtime): a channel's chaincode definitions,
 * its committed state for the transaction simulator, and the chaincode processes connected to
 * this peer. The composition root (src/node/peer-main.ts) builds it from PeerChannels (its
 * `ledgerOf` is a SimulationState, its `chaincodes` the definitions) and the ChaincodeRegistry
 * that ChaincodeSupport/Register fills.
 */
export interface EndorserChaincodeSupport {
  /** The chaincodes defined on a joined channel (Fabric reads them from `_lifecycle`). */
  readonly definitionsOf: (channelId: string) => ChaincodeDefinitions | undefined;
  /** A joined channel's committed state (PeerLedger), read by the transaction simulator. */
  readonly stateOf: (channelId: string) => SimulationState | undefined;
  readonly executor: ChaincodeExecutor;
  /** Fabric's chaincode.executetimeout; default: the chaincode handler's (30 s). */
  readonly executeTimeoutMs?: number;
}

/** One chaincode connected and READY (a ChaincodeHandler satisfies it). */
export interface RunningChaincode {
  /** The name it registered with (CORE_CHAINCODE_ID_NAME). */
  readonly chaincodeId: string;
  /** See ChaincodeHandler.execute: resolves with the chaincode's answer, rejects (ChaincodeError) when none comes. */
  execute(request: ExecuteRequest): Promise<ChaincodeExecutionResult>;
}

/**
 * Which running chaincode serves a chaincode defined on a channel (Fabric: the definition's
 * package id from `peer lifecycle chaincode approveformyorg --package-id`, then the handler
 * registered under it).
 */
export interface ChaincodeExecutor {
  /** The running chaincode for `definition` on `channelId`; undefined when none is connected and READY. */
  find(channelId: string, definition: ChaincodeDefinition): RunningChaincode | undefined;
  /** Why `find` found nothing and what to do, for the endorser's "is not running" message. */
  explainMissing(channelId: string, definition: ChaincodeDefinition): string;
}

/** The names a chaincode defined on a channel may have registered with, in the order to try them. */
export type ChaincodeIdResolver = (channelId: string, definition: ChaincodeDefinition) => readonly string[];

/**
 * The default: `name:version` (what fabric-shim registers in Fabric's legacy and dev-mode
 * conventions, e.g. `basic:1.0`), then the bare name. A Fabric 2.x package id (`label:hash`) needs
 * a resolver that knows which package was installed for the definition.
 */
export const defaultChaincodeIds: ChaincodeIdResolver = (_channelId, definition) => [`${definition.name}:${definition.version}`, definition.name];

/**
 * A ChaincodeExecutor over the peer's ChaincodeRegistry: the first name of `idsOf` that has a
 * READY handler serves the definition.
 */
export function registryChaincodeExecutor<H extends RunningChaincode>(registry: ChaincodeRegistry<H>, idsOf: ChaincodeIdResolver = defaultChaincodeIds): ChaincodeExecutor {
  return {
    find(channelId, definition) {
      for (const id of idsOf(channelId, definition)) {
        const handler = registry.get(id);
        if (handler !== undefined) return handler;
      }
      return undefined;
    },
    explainMissing(channelId, definition) {
      const ids = idsOf(channelId, definition);
      const registered = registry.names();
      return (
        `no chaincode process has registered with this peer as ${ids.map((id) => JSON.stringify(id)).join(' or ')} ` +
        `(registered: ${registered.length === 0 ? 'none' : registered.map((id) => JSON.stringify(id)).join(', ')}); ` +
        `start the chaincode with CORE_CHAINCODE_ID_NAME=${ids[0] ?? definition.name} and CORE_PEER_ADDRESS pointing at this peer, and wait for it to register`
      );
    },
  };
}
