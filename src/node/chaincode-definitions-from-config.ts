import type { ChaincodeConfig } from '../config/network-config.js';
import { chaincodeDefinition, MapChaincodeDefinitions, type ChaincodeDefinitions } from '../peer/validation/chaincode-definition.js';

/**
 * A channel's chaincode definitions as the network file's `channels[].chaincodes` gives them (fabsim's
 * stand-in for the `_lifecycle` namespace until the chaincode lifecycle exists). The schema already
 * checked that each endorsement policy parses.
 */
export function chaincodeDefinitionsFromConfig(chaincodes: readonly ChaincodeConfig[]): ChaincodeDefinitions {
  return new MapChaincodeDefinitions(
    chaincodes.map((c) =>
      chaincodeDefinition({ name: c.name, version: c.version, sequence: c.sequence, initRequired: c.initRequired, ...(c.endorsementPolicy === undefined ? {} : { endorsementPolicy: c.endorsementPolicy }) }),
    ),
  );
}
