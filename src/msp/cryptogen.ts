import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { CertificateAuthority } from './certificate-authority.js';
import { CRYPTOGEN_LOCATION, type DistinguishedName } from './distinguished-name.js';

/**
 * Writes an organization's crypto material in exactly the layout Fabric's `cryptogen generate`
 * produces (see ../shared/fabric-vectors/cryptogen-layout.txt), so that Fabric tools and apps find
 * every file where they expect it:
 *
 *   {peer|orderer}Organizations/<domain>/
 *     ca/ca.<domain>-cert.pem, ca/priv_sk             signing CA
 *     tlsca/tlsca.<domain>-cert.pem, tlsca/priv_sk    TLS CA
 *     msp/{admincerts/,cacerts/,tlscacerts/,config.yaml}             the organization's MSP
 *     {peers|orderers}/<host>/msp/{admincerts/,cacerts/,tlscacerts/,signcerts/<host>-cert.pem,keystore/priv_sk,config.yaml}
 *     {peers|orderers}/<host>/tls/{ca.crt,server.crt,server.key}
 *     users/<User>@<domain>/msp/...   and   users/<User>@<domain>/tls/{ca.crt,client.crt,client.key}
 *
 * Contract: an organization is written completely or not at all (into a temporary folder, then
 * renamed into place); an existing organization folder is kept unless `force`.
 */
export interface OrgCryptoSpec {
  readonly kind: 'peer' | 'orderer';
  readonly domain: string;
  /** Short node names ("peer0", "orderer"); host names are `<name>.<domain>`. */
  readonly nodes: readonly string[];
  /** Users besides Admin, e.g. ["User1"]. */
  readonly users: readonly string[];
}

export type OrgWriteOutcome = 'written' | 'kept';

/** The folder of an organization inside the output root, as cryptogen names it. */
export function organizationDir(root: string, spec: Pick<OrgCryptoSpec, 'kind' | 'domain'>): string {
  return join(root, spec.kind === 'peer' ? 'peerOrganizations' : 'ordererOrganizations', spec.domain);
}

export async function writeOrganizationMaterial(root: string, spec: OrgCryptoSpec, options: { force: boolean; nowMs: number }): Promise<OrgWriteOutcome> {
  const finalDir = organizationDir(root, spec);
  if (!options.force && (await exists(finalDir))) return 'kept';
  await mkdir(dirname(finalDir), { recursive: true });
  const tempDir = `${finalDir}.tmp-${process.pid}-${Date.now()}`;
  await rm(tempDir, { recursive: true, force: true });
  try {
    await writeOrganization(tempDir, spec, options.nowMs);
    if (await exists(finalDir)) {
      const oldDir = `${finalDir}.old-${process.pid}-${Date.now()}`;
      await rename(finalDir, oldDir);
      await rename(tempDir, finalDir);
      await rm(oldDir, { recursive: true, force: true });
    } else {
      await rename(tempDir, finalDir);
    }
  } catch (err) {
    await rm(tempDir, { recursive: true, force: true });
    throw err;
  }
  return 'written';
}

async function writeOrganization(dir: string, spec: OrgCryptoSpec, nowMs: number): Promise<void> {
  const { domain } = spec;
  const caName = (cn: string): DistinguishedName => ({ ...CRYPTOGEN_LOCATION, organization: domain, commonName: cn });
  const ca = await CertificateAuthority.createRoot(caName(`ca.${domain}`), nowMs);
  const tlsCa = await CertificateAuthority.createRoot(caName(`tlsca.${domain}`), nowMs);
  const caFile = `ca.${domain}-cert.pem`;
  const tlsCaFile = `tlsca.${domain}-cert.pem`;

  await put(join(dir, 'ca', caFile), ca.certPem);
  await put(join(dir, 'ca', 'priv_sk'), ca.keyPem, 0o600);
  await put(join(dir, 'tlsca', tlsCaFile), tlsCa.certPem);
  await put(join(dir, 'tlsca', 'priv_sk'), tlsCa.keyPem, 0o600);

  const writeMspSkeleton = async (mspDir: string): Promise<void> => {
    await mkdir(join(mspDir, 'admincerts'), { recursive: true });
    await put(join(mspDir, 'cacerts', caFile), ca.certPem);
    await put(join(mspDir, 'tlscacerts', tlsCaFile), tlsCa.certPem);
    await put(join(mspDir, 'config.yaml'), nodeOUsConfigYaml(caFile));
  };
  await writeMspSkeleton(join(dir, 'msp'));

  const writeEntity = async (entityDir: string, name: string, ou: string, tls: 'server' | 'client', hostNames: readonly string[]): Promise<void> => {
    const mspDir = join(entityDir, 'msp');
    await writeMspSkeleton(mspDir);
    const signing = await ca.issue({ subject: { ...CRYPTOGEN_LOCATION, organizationalUnit: ou, commonName: name }, profile: 'signing', nowMs });
    await put(join(mspDir, 'signcerts', `${name}-cert.pem`), signing.certPem);
    await put(join(mspDir, 'keystore', 'priv_sk'), signing.keyPem, 0o600);
    const tlsCert = await tlsCa.issue({ subject: { ...CRYPTOGEN_LOCATION, commonName: name }, profile: 'tls', subjectAltNames: hostNames, nowMs });
    await put(join(entityDir, 'tls', 'ca.crt'), tlsCa.certPem);
    await put(join(entityDir, 'tls', `${tls}.crt`), tlsCert.certPem);
    await put(join(entityDir, 'tls', `${tls}.key`), tlsCert.keyPem, 0o600);
  };

  const nodeFolder = spec.kind === 'peer' ? 'peers' : 'orderers';
  for (const node of spec.nodes) {
    const host = `${node}.${domain}`;
    await writeEntity(join(dir, nodeFolder, host), host, spec.kind, 'server', [host, node, 'localhost', '127.0.0.1']);
  }
  for (const user of ['Admin', ...spec.users]) {
    const name = `${user}@${domain}`;
    await writeEntity(join(dir, 'users', name), name, user === 'Admin' ? 'admin' : 'client', 'client', []);
  }
}

/** cryptogen's msp/config.yaml: NodeOUs enabled, each OU certified by the organization's CA. */
export function nodeOUsConfigYaml(caFile: string): string {
  const id = (ou: string): Record<string, string> => ({ Certificate: `cacerts/${caFile}`, OrganizationalUnitIdentifier: ou });
  return stringify({
    NodeOUs: {
      Enable: true,
      ClientOUIdentifier: id('client'),
      PeerOUIdentifier: id('peer'),
      AdminOUIdentifier: id('admin'),
      OrdererOUIdentifier: id('orderer'),
    },
  });
}

async function put(path: string, content: string, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content, { mode });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
