// The chaincode's entry (package.json "main" → dist/index.js). fabric-chaincode-node requires this
// module and registers every class in `contracts`; the first one is the default contract.
import { FeatureTourContract } from './feature-tour-contract.js';

export { FeatureTourContract, VALUE_PUT_EVENT } from './feature-tour-contract.js';
export { canonicalJson } from './canonical-json.js';

export const contracts = [FeatureTourContract];
