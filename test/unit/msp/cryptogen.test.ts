import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNetworkConfig } from '../../../src/config/load-network-config.js';
import { Certificate } from '../../../src/msp/certificate.js';
import { organizationDir, writeOrganizationMaterial } from '../../../src/msp/cryptogen.js';
import { loadMspFolder } from '../../../src/msp/load-msp-folder.js';
import { CertificateAuthority } from '../../../src/msp/certificate-authority.js';
import { CRYPTOGEN_LOCATION } from '../../../src/msp/distinguished-name.js';
import { loadSigningIdentity } from '../../../src/msp/signing-identity.js';
import { verifyEcdsa } from '../../../src/msp/ecdsa.js';
import { generateCrypto } from '../../../src/net/generate-crypto.js';
import { makeTempDir, REPO_ROOT, SHARED_DIR } from '../../helpers/repo.js';

const NOW = Date.UTC(2026, 11, 1);
const temp = makeTempDir('cryptogen');
const out = join(temp.dir, 'organizations');

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? [path + '/', ...walk(path)] : [path];
  });
}

beforeAll(async () => {
  await generateCrypto(loadNetworkConfig(join(REPO_ROOT, 'config/network.yaml')), out, { force: false, nowMs: NOW });
});
afterAll(() => temp.cleanup());

describe('crypto material laid out as cryptogen lays it out', () => {
  it('writes every folder and file of the real cryptogen tree', () => {
    const reference = readFileSync(join(SHARED_DIR, 'fabric-vectors/cryptogen-layout.txt'), 'utf8').split('\n').filter(Boolean);
    const ours = new Set(walk(out).map((p) => relative(out, p).replaceAll('\\', '/') + (p.endsWith('/') ? '/' : '')));
    const missing = reference.filter((p) => !ours.has(p));
    expect(missing).toEqual([]);
    // the only extra entries are the two further orderers of the default config
    const extra = [...ours].filter((p) => !reference.includes(p));
    expect(extra.every((p) => /orderers\/orderer[23]\.example\.com/.test(p))).toBe(true);
    expect(extra.length).toBeGreaterThan(0);
  });

  it('passes `openssl verify` for every signing and TLS certificate, against its own CA', () => {
    const certs = walk(out).filter((p) => /(signcerts\/.*\.pem|tls\/(server|client)\.crt)$/.test(p));
    expect(certs.length).toBe(2 * (4 + 3 + 3)); // (orderers+admin) + (peer+admin+user) x2
    for (const cert of certs) {
      const orgRoot = cert.slice(0, cert.search(/\/(peers|orderers|users)\//));
      const ca = cert.includes('/signcerts/') ? readdirSync(join(orgRoot, 'ca')).find((f) => f.endsWith('.pem'))! : readdirSync(join(orgRoot, 'tlsca')).find((f) => f.endsWith('.pem'))!;
      const caPath = join(orgRoot, cert.includes('/signcerts/') ? 'ca' : 'tlsca', ca);
      const output = execFileSync('openssl', ['verify', '-CAfile', caPath, cert], { encoding: 'utf8' });
      expect(output.trim()).toBe(`${cert}: OK`);
    }
  });

  it('issues P-256 keys and the extensions Fabric expects', () => {
    const org1 = organizationDir(out, { kind: 'peer', domain: 'org1.example.com' });
    const peer = join(org1, 'peers/peer0.org1.example.com');
    const text = (path: string): string => execFileSync('openssl', ['x509', '-in', path, '-noout', '-text'], { encoding: 'utf8' });
    const ca = text(join(org1, 'ca/ca.org1.example.com-cert.pem'));
    expect(ca).toMatch(/Key Usage: critical\s+Digital Signature, Key Encipherment, Certificate Sign, CRL Sign/);
    expect(ca).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
    expect(ca).toMatch(/Subject Key Identifier/);
    expect(ca).toMatch(/NIST CURVE: P-256/);
    const signing = text(join(peer, 'msp/signcerts/peer0.org1.example.com-cert.pem'));
    expect(signing).toMatch(/Subject: C = US, ST = California, L = San Francisco, OU = peer, CN = peer0\.org1\.example\.com/);
    expect(signing).toMatch(/Key Usage: critical\s+Digital Signature\n/);
    expect(signing).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    expect(signing).toMatch(/Authority Key Identifier/);
    const tls = text(join(peer, 'tls/server.crt'));
    expect(tls).toMatch(/DNS:peer0\.org1\.example\.com, DNS:peer0, DNS:localhost, IP Address:127\.0\.0\.1/);
    expect(tls).toMatch(/TLS Web Server Authentication, TLS Web Client Authentication/);
    expect(readFileSync(join(peer, 'msp/keystore/priv_sk'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(statSync(join(peer, 'msp/keystore/priv_sk')).mode & 0o077).toBe(0);
    for (const user of ['Admin', 'User1']) {
      expect(existsSync(join(org1, `users/${user}@org1.example.com/tls/client.key`))).toBe(true);
    }
    expect(readFileSync(join(org1, 'msp/config.yaml'), 'utf8')).toContain('OrganizationalUnitIdentifier: orderer');
  });

  it('gives every node and user a valid identity of its organization, in the right role', async () => {
    const cases = [
      ['ordererOrganizations/example.com', 'OrdererMSP', 'orderers/orderer2.example.com', 'orderer'],
      ['ordererOrganizations/example.com', 'OrdererMSP', 'users/Admin@example.com', 'admin'],
      ['peerOrganizations/org1.example.com', 'Org1MSP', 'peers/peer0.org1.example.com', 'peer'],
      ['peerOrganizations/org1.example.com', 'Org1MSP', 'users/Admin@org1.example.com', 'admin'],
      ['peerOrganizations/org2.example.com', 'Org2MSP', 'users/User1@org2.example.com', 'client'],
    ] as const;
    for (const [orgPath, mspId, entity, role] of cases) {
      const msp = await loadMspFolder(join(out, orgPath, 'msp'), mspId);
      const signer = await loadSigningIdentity(join(out, orgPath, entity, 'msp'), mspId);
      const id = msp.validate(msp.deserializeIdentity(new TextEncoder().encode(signer.certificate.toPem())), NOW);
      expect(id.roles.has(role)).toBe(true);
      const message = new TextEncoder().encode('hello');
      expect(verifyEcdsa(id.certificate.publicKey, message, signer.sign(message))).toBe('valid');
      // TLS material chains to the organization's TLS CA, which the MSP lists in tlscacerts
      const tlsCert = Certificate.fromPem(readFileSync(join(out, orgPath, entity, 'tls', role === 'orderer' || role === 'peer' ? 'server.crt' : 'client.crt'), 'utf8'), 'tls');
      expect(msp.tlsRootCerts.some((ca) => tlsCert.isIssuedBy(ca))).toBe(true);
    }
  });

  it('loads a generated CA to enroll a new user, and revokes it with a CRL that OpenSSL honours', async () => {
    const caDir = join(out, 'peerOrganizations/org2.example.com/ca');
    const ca = await CertificateAuthority.load(readFileSync(join(caDir, 'ca.org2.example.com-cert.pem'), 'utf8'), readFileSync(join(caDir, 'priv_sk'), 'utf8'));
    const user = await ca.issue({ subject: { ...CRYPTOGEN_LOCATION, organizationalUnit: 'client', commonName: 'Student7@org2.example.com' }, profile: 'signing', nowMs: NOW });
    const certPath = join(temp.dir, 'student7.pem');
    const crlPath = join(temp.dir, 'org2.crl');
    writeFileSync(certPath, user.certPem);
    const caPath = join(caDir, 'ca.org2.example.com-cert.pem');
    expect(execFileSync('openssl', ['verify', '-CAfile', caPath, certPath], { encoding: 'utf8' })).toContain(': OK');
    const msp = await loadMspFolder(join(out, 'peerOrganizations/org2.example.com/msp'), 'Org2MSP');
    expect(msp.validate(msp.deserializeIdentity(new TextEncoder().encode(user.certPem)), NOW).roles.has('client')).toBe(true);

    writeFileSync(crlPath, await ca.revoke(user.certificate.serialNumber, NOW));
    const check = spawnSync('openssl', ['verify', '-crl_check', '-CRLfile', crlPath, '-CAfile', caPath, certPath], { encoding: 'utf8' });
    expect(check.status).not.toBe(0);
    expect(check.stdout + check.stderr).toContain('certificate revoked');
    // the MSP honours the CRL once it is in the msp/crls folder
    const mspCopy = join(temp.dir, 'org2-msp-with-crl');
    cpSync(join(out, 'peerOrganizations/org2.example.com/msp'), mspCopy, { recursive: true });
    mkdirSync(join(mspCopy, 'crls'));
    cpSync(crlPath, join(mspCopy, 'crls', 'crl.pem'));
    const mspWithCrl = await loadMspFolder(mspCopy, 'Org2MSP');
    expect(() => mspWithCrl.validate(mspWithCrl.deserializeIdentity(new TextEncoder().encode(user.certPem)), NOW)).toThrow(/revoked by ca\.org2\.example\.com/);
  });

  it('keeps existing material unless forced', async () => {
    const file = join(out, 'peerOrganizations/org1.example.com/ca/ca.org1.example.com-cert.pem');
    const before = readFileSync(file, 'utf8');
    const again = await generateCrypto(loadNetworkConfig(join(REPO_ROOT, 'config/network.yaml')), out, { force: false, nowMs: NOW });
    expect(again.map((r) => r.outcome)).toEqual(['kept', 'kept', 'kept']);
    expect(readFileSync(file, 'utf8')).toBe(before);
    const spec = { kind: 'peer', domain: 'org1.example.com', nodes: ['peer0'], users: ['User1'] } as const;
    expect(await writeOrganizationMaterial(out, spec, { force: true, nowMs: NOW })).toBe('written');
    expect(readFileSync(file, 'utf8')).not.toBe(before);
  });

  it('never leaves a half-written organization when writing fails', async () => {
    const spec = { kind: 'peer', domain: 'org9.example.com', nodes: ['peer0'], users: ['bad\u0000name'] } as const;
    await expect(writeOrganizationMaterial(out, spec, { force: false, nowMs: NOW })).rejects.toThrow();
    const peerOrgs = readdirSync(join(out, 'peerOrganizations'));
    expect(peerOrgs.sort()).toEqual(['org1.example.com', 'org2.example.com']);
  });
});
