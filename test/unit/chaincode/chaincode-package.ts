import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FakeChaincodeStub, FakeResponse } from './fake-chaincode-stub.js';

/**
 * Builds and loads an example chaincode package (chaincode/<name>) the way fabric-chaincode-node
 * does: tsc's CommonJS output (dist/, with decorator metadata), loaded with require() from package
 * "main", and wrapped in fabric-shim's ChaincodeFromContract, the class that produces the contract
 * metadata (org.hyperledger.fabric:GetMetadata) and routes invocations.
 *
 * The build is `tsc -b chaincode/<name>`: incremental, so it costs ~0.3 s when dist is up to date.
 * Each test file builds only its own package, so parallel test files never write the same output.
 */

const require = createRequire(import.meta.url);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

// Before fabric-contract-api is first loaded: its decorators log every annotation at info level.
process.env['CORE_CHAINCODE_LOGGING_LEVEL'] ??= 'error';

export function chaincodeDir(name: string): string {
  return join(repoRoot, 'chaincode', name);
}

/** `tsc -b chaincode/<name>` with the repository's TypeScript. */
export function buildChaincode(name: string): void {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', chaincodeDir(name)], { cwd: repoRoot, stdio: 'pipe' });
}

/** The package's main module, required as fabric-chaincode-node requires it. */
export function loadChaincode(name: string): { contracts: unknown[] } & Record<string, unknown> {
  const manifest = require(join(chaincodeDir(name), 'package.json')) as { main: string };
  return require(join(chaincodeDir(name), manifest.main)) as { contracts: unknown[] } & Record<string, unknown>;
}

export interface TransactionMetadata {
  readonly name: string;
  readonly tag?: string[];
  readonly parameters?: { name: string; schema: Record<string, unknown> }[];
  readonly returns?: Record<string, unknown>;
}

export interface ChaincodeMetadata {
  readonly contracts: Record<string, { name: string; transactions: TransactionMetadata[]; info: Record<string, unknown> }>;
  readonly info: { title: string; version: string };
  readonly components: { schemas: Record<string, { $id: string; properties: Record<string, unknown> }> };
}

export interface ShimChaincode {
  readonly metadata: ChaincodeMetadata;
  Invoke(stub: FakeChaincodeStub): Promise<FakeResponse>;
}

/** fabric-shim's ChaincodeFromContract over the package's contracts (what bootstrap.js builds). */
export function shimChaincode(name: string): ShimChaincode {
  const pkg = loadChaincode(name);
  const manifest = require(join(chaincodeDir(name), 'package.json')) as { name: string; version: string };
  const ChaincodeFromContract = require('fabric-shim/lib/contract-spi/chaincodefromcontract.js') as new (
    contracts: unknown[],
    serializers: unknown,
    metadata: unknown,
    title: string,
    version: string,
  ) => ShimChaincode;
  const { JSONSerializer } = require('fabric-contract-api') as { JSONSerializer: unknown };
  const serializers = { transaction: 'jsonSerializer', serializers: { jsonSerializer: JSONSerializer } };
  // The constructor appends the system contract to the array it is given: pass a copy.
  return new ChaincodeFromContract([...pkg.contracts], serializers, {}, manifest.name, manifest.version);
}
