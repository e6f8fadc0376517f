import type { NetworkConfig } from '../config/network-config.js';
import { organizationDir, writeOrganizationMaterial, type OrgCryptoSpec, type OrgWriteOutcome } from '../msp/cryptogen.js';

/** Where `fabsim crypto generate` writes by default: the folder Fabric's test-network uses. */
export const DEFAULT_CRYPTO_DIR = 'organizations';

export interface OrgCryptoResult {
  readonly organization: string;
  readonly dir: string;
  readonly outcome: OrgWriteOutcome;
}

/** One cryptogen spec per organization: orderer orgs get orderers/, the others peers/. */
export function cryptoSpecs(config: NetworkConfig): Array<{ name: string; spec: OrgCryptoSpec }> {
  return config.organizations.map((org) => ({
    name: org.name,
    spec: {
      kind: org.orderers.length > 0 ? 'orderer' : 'peer',
      domain: org.domain,
      nodes: (org.orderers.length > 0 ? org.orderers : org.peers).map((n) => n.name),
      users: org.users,
    },
  }));
}

/**
 * Generates the crypto material of every organization, like `cryptogen generate`. Organizations
 * whose folder exists are kept unless `force`.
 */
export async function generateCrypto(config: NetworkConfig, outDir: string, options: { force: boolean; nowMs: number }): Promise<OrgCryptoResult[]> {
  const results: OrgCryptoResult[] = [];
  for (const { name, spec } of cryptoSpecs(config)) {
    const outcome = await writeOrganizationMaterial(outDir, spec, options);
    results.push({ organization: name, dir: organizationDir(outDir, spec), outcome });
  }
  return results;
}
