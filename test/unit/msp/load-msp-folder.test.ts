import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeOUsConfigYaml } from '../../../src/msp/cryptogen.js';
import { loadMspFolder, readMspFolder } from '../../../src/msp/load-msp-folder.js';
import { loadSigningIdentity } from '../../../src/msp/signing-identity.js';
import { makeTempDir } from '../../helpers/repo.js';
import { makeTestOrg, T0, type TestOrg } from '../../helpers/test-orgs.js';

const temp = makeTempDir('mspdir');
let org: TestOrg;

function mspDir(name: string, files: Record<string, string>): string {
  const dir = join(temp.dir, name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

beforeAll(async () => {
  org = await makeTestOrg('Org1MSP', 'org1.example.com');
});
afterAll(() => temp.cleanup());

describe('reading an msp/ folder', () => {
  it('reads CAs and the NodeOUs of config.yaml, with certificate paths relative to the folder', async () => {
    const dir = mspDir('good', { 'cacerts/ca.pem': org.ca.certPem, 'config.yaml': nodeOUsConfigYaml('ca.pem') });
    const config = await readMspFolder(dir, 'Org1MSP');
    expect(config.rootCerts).toEqual([org.ca.certPem]);
    expect(config.nodeOUs).toMatchObject({ enable: true, peer: { organizationalUnitIdentifier: 'peer', certificate: org.ca.certPem } });
    const msp = await loadMspFolder(dir, 'Org1MSP');
    const { certPem } = await org.issue('peer0.org1.example.com', 'peer');
    expect(msp.validate(msp.deserializeIdentity(new TextEncoder().encode(certPem)), T0).roles.has('peer')).toBe(true);
  });

  it('says what is missing or malformed', async () => {
    await expect(loadMspFolder(mspDir('empty', {}), 'Org1MSP')).rejects.toMatchObject({ code: 'MSP_BAD_CONFIG', message: expect.stringMatching(/no certificates in cacerts\//) });
    await expect(loadMspFolder(mspDir('garbage-ca', { 'cacerts/ca.pem': 'not a cert' }), 'Org1MSP')).rejects.toMatchObject({ code: 'MSP_BAD_PEM' });
    await expect(loadMspFolder(mspDir('bad-yaml', { 'cacerts/ca.pem': org.ca.certPem, 'config.yaml': 'NodeOUs: [\n' }), 'Org1MSP')).rejects.toMatchObject({
      code: 'MSP_BAD_CONFIG',
      message: expect.stringMatching(/config\.yaml \(MSP Org1MSP\): not valid YAML/),
    });
    await expect(
      loadMspFolder(mspDir('bad-ou-cert', { 'cacerts/ca.pem': org.ca.certPem, 'config.yaml': 'NodeOUs:\n  Enable: true\n  PeerOUIdentifier:\n    Certificate: cacerts/missing.pem\n    OrganizationalUnitIdentifier: peer\n' }), 'Org1MSP'),
    ).rejects.toMatchObject({ message: expect.stringMatching(/NodeOUs\.PeerOUIdentifier\.Certificate names cacerts\/missing\.pem, which cannot be read/) });
    await expect(loadMspFolder(mspDir('bad-crl', { 'cacerts/ca.pem': org.ca.certPem, 'crls/crl.pem': 'nope' }), 'Org1MSP')).rejects.toMatchObject({ message: expect.stringMatching(/CRL #1 of Org1MSP is not a PEM "X509 CRL"/) });
  });

  it('loads a signing identity and refuses a key that belongs to another certificate', async () => {
    const a = await org.issue('User1@org1.example.com', 'client');
    const b = await org.issue('User2@org1.example.com', 'client');
    const good = mspDir('signer', { 'signcerts/cert.pem': a.certPem, 'keystore/priv_sk': a.keyPem });
    expect((await loadSigningIdentity(good, 'Org1MSP')).certificate.commonName).toBe('User1@org1.example.com');
    const mixed = mspDir('mixed', { 'signcerts/cert.pem': a.certPem, 'keystore/priv_sk': b.keyPem });
    await expect(loadSigningIdentity(mixed, 'Org1MSP')).rejects.toMatchObject({ code: 'MSP_BAD_KEY', message: expect.stringMatching(/does not belong to the certificate of User1@org1\.example\.com/) });
    const noKey = mspDir('nokey', { 'signcerts/cert.pem': a.certPem });
    await expect(loadSigningIdentity(noKey, 'Org1MSP')).rejects.toMatchObject({ code: 'MSP_BAD_CONFIG', message: expect.stringMatching(/keystore is missing or empty/) });
    const badKey = mspDir('badkey', { 'signcerts/cert.pem': a.certPem, 'keystore/priv_sk': 'garbage' });
    await expect(loadSigningIdentity(badKey, 'Org1MSP')).rejects.toMatchObject({ code: 'MSP_BAD_KEY', message: expect.stringMatching(/not a usable ECDSA P-256 private key/) });
  });
});
