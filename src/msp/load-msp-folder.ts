import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { MspConfig, NodeOUsConfig, OuIdentifier } from './msp-config.js';
import { MspError } from './msp-error.js';
import { X509Msp } from './x509-msp.js';

/**
 * Reads a Fabric MSP folder (an organization's `msp/` or a node's local `msp/`) into an MspConfig,
 * as Fabric's `msp.GetVerifyingMspConfig` does:
 *   cacerts/, intermediatecerts/, tlscacerts/, tlsintermediatecerts/, admincerts/, crls/ (PEM files)
 *   and config.yaml (NodeOUs, whose Certificate paths are relative to the folder).
 * The MSP ID is not stored in the folder; the caller names it (Fabric takes it from core.yaml or
 * configtx.yaml).
 */
export async function readMspFolder(dir: string, mspId: string): Promise<MspConfig> {
  const pems = (sub: string): Promise<string[]> => readPemFiles(join(dir, sub));
  const rootCerts = await pems('cacerts');
  if (rootCerts.length === 0) {
    throw new MspError('MSP_BAD_CONFIG', `MSP folder ${dir} for ${mspId} has no certificates in cacerts/; point at a cryptogen msp/ folder`, { context: { mspId, dir } });
  }
  return {
    mspId,
    rootCerts,
    intermediateCerts: await pems('intermediatecerts'),
    tlsRootCerts: await pems('tlscacerts'),
    tlsIntermediateCerts: await pems('tlsintermediatecerts'),
    admins: await pems('admincerts'),
    revocationList: await pems('crls'),
    ...(await readNodeOUs(dir, mspId)),
  };
}

/** Reads the folder and builds the MSP. */
export async function loadMspFolder(dir: string, mspId: string): Promise<X509Msp> {
  return X509Msp.create(await readMspFolder(dir, mspId));
}

async function readPemFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return Promise.all(names.map((name) => readFile(join(dir, name), 'utf8')));
}

async function readNodeOUs(dir: string, mspId: string): Promise<{ nodeOUs?: NodeOUsConfig }> {
  let text: string;
  try {
    text = await readFile(join(dir, 'config.yaml'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  const bad = (why: string): MspError =>
    new MspError('MSP_BAD_CONFIG', `${join(dir, 'config.yaml')} (MSP ${mspId}): ${why}; compare with the config.yaml that cryptogen writes`, { context: { mspId, dir } });
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (cause) {
    throw bad(`not valid YAML (${(cause as Error).message.split('\n')[0]})`);
  }
  const nodeOUs = (doc as { NodeOUs?: Record<string, unknown> } | null)?.NodeOUs;
  if (nodeOUs === undefined) return {};
  if (typeof nodeOUs !== 'object' || nodeOUs === null) throw bad('NodeOUs must be a mapping');
  const ou = async (key: string): Promise<OuIdentifier | undefined> => {
    const value = nodeOUs[key] as { Certificate?: unknown; OrganizationalUnitIdentifier?: unknown } | undefined;
    if (value === undefined) return undefined;
    if (typeof value.OrganizationalUnitIdentifier !== 'string') throw bad(`NodeOUs.${key}.OrganizationalUnitIdentifier must be a string such as "peer"`);
    if (value.Certificate === undefined) return { organizationalUnitIdentifier: value.OrganizationalUnitIdentifier };
    if (typeof value.Certificate !== 'string') throw bad(`NodeOUs.${key}.Certificate must be a path relative to the MSP folder`);
    const certificate = await readFile(join(dir, value.Certificate), 'utf8').catch(() => {
      throw bad(`NodeOUs.${key}.Certificate names ${value.Certificate}, which cannot be read`);
    });
    return { organizationalUnitIdentifier: value.OrganizationalUnitIdentifier, certificate };
  };
  const entries = {
    client: await ou('ClientOUIdentifier'),
    peer: await ou('PeerOUIdentifier'),
    admin: await ou('AdminOUIdentifier'),
    orderer: await ou('OrdererOUIdentifier'),
  };
  const present = Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined));
  return { nodeOUs: { enable: nodeOUs.Enable === true, ...present } };
}
