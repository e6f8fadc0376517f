// The chaincode's entry (package.json "main" → dist/index.js). fabric-chaincode-node requires this
// module and registers every class in `contracts`; the first one is the default contract, so clients
// call "ReadAsset" as well as "AssetTransferContract:ReadAsset".
import { AssetTransferContract } from './asset-transfer-contract.js';

export { Asset } from './asset.js';
export type { AssetFields } from './asset.js';
export { AssetTransferContract } from './asset-transfer-contract.js';
export { canonicalJson } from './canonical-json.js';

export const contracts = [AssetTransferContract];
