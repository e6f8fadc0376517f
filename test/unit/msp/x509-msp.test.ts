import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { CRYPTOGEN_LOCATION } from '../../../src/msp/distinguished-name.js';
import { MspError } from '../../../src/msp/msp-error.js';
import { MspManager, toPolicyIdentity } from '../../../src/msp/msp-manager.js';
import { X509Msp } from '../../../src/msp/x509-msp.js';
import { buildSerializedIdentity } from '../../../src/protos/identity.js';
import { DAY, makeTestOrg, pemBytes, T0, type TestOrg } from '../../helpers/test-orgs.js';

let org1: TestOrg;
let org2: TestOrg;

beforeAll(async () => {
  org1 = await makeTestOrg('Org1MSP', 'org1.example.com');
  org2 = await makeTestOrg('Org2MSP', 'org2.example.com');
});

function expectMspError(fn: () => unknown, code: string, ...fragments: RegExp[]): MspError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(MspError);
  const err = caught as MspError;
  expect(err.code).toBe(code);
  for (const f of fragments) expect(err.message).toMatch(f);
  return err;
}

describe('X509Msp: validating identities like Fabric', () => {
  it('accepts a cryptogen-style identity and derives its role from the NodeOU', async () => {
    for (const [name, ou] of [
      ['peer0.org1.example.com', 'peer'],
      ['User1@org1.example.com', 'client'],
      ['Admin@org1.example.com', 'admin'],
      ['orderer.org1.example.com', 'orderer'],
    ] as const) {
      const { certPem } = await org1.issue(name, ou);
      const id = org1.msp.validate(org1.msp.deserializeIdentity(pemBytes(certPem)), T0);
      expect([...id.roles].sort()).toEqual(['member', ou].sort());
      expect(id.certificate.commonName).toBe(name);
      expect(id.chain).toHaveLength(2);
    }
  });

  it('rejects garbage PEM with a message that says what was expected', () => {
    expectMspError(() => org1.msp.deserializeIdentity(pemBytes('hello, I am not a certificate')), 'MSP_BAD_PEM', /Org1MSP/, /BEGIN CERTIFICATE/);
    expectMspError(
      () => org1.msp.deserializeIdentity(pemBytes('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')),
      'MSP_BAD_CERTIFICATE',
      /not a valid X\.509 certificate/,
    );
  });

  it('rejects a certificate issued by another CA, naming both', async () => {
    const { certPem } = await org2.issue('peer0.org2.example.com', 'peer');
    expectMspError(
      () => org1.msp.validate(org1.msp.deserializeIdentity(pemBytes(certPem)), T0),
      'MSP_CHAIN_INVALID',
      /peer0\.org2\.example\.com/,
      /not a CA of Org1MSP/,
      /ca\.org2\.example\.com/,
      /ca\.org1\.example\.com/,
    );
  });

  it('checks the validity window at the injected time', async () => {
    const { certPem } = await org1.issue('User2@org1.example.com', 'client', { notBeforeMs: T0, notAfterMs: T0 + 30 * DAY });
    const id = org1.msp.deserializeIdentity(pemBytes(certPem));
    expect(org1.msp.validate(id, T0 + DAY).roles.has('client')).toBe(true);
    expectMspError(() => org1.msp.validate(id, T0 + 31 * DAY), 'MSP_CERT_EXPIRED', /User2@org1\.example\.com/, /Org1MSP/, /expired at 2026-07-01/);
    expectMspError(() => org1.msp.validate(id, T0 - DAY), 'MSP_CERT_NOT_YET_VALID', /not valid before 2026-06-01/);
  });

  it('rejects a CA certificate used as an identity', () => {
    expectMspError(() => org1.msp.validate(org1.msp.deserializeIdentity(pemBytes(org1.ca.certPem)), T0), 'MSP_IDENTITY_IS_CA', /CA:TRUE/);
  });

  it('rejects a revoked certificate once the CA publishes a CRL, and keeps others valid', async () => {
    const victim = await org1.issue('User3@org1.example.com', 'client');
    const bystander = await org1.issue('User4@org1.example.com', 'client');
    const crl = await org1.ca.revoke(victim.certificate.serialNumber, T0 + DAY);
    const msp = await X509Msp.create({ ...org1.config, revocationList: [crl] });
    expectMspError(() => msp.validate(msp.deserializeIdentity(pemBytes(victim.certPem)), T0 + 2 * DAY), 'MSP_CERT_REVOKED', /User3@org1\.example\.com/, /revoked by ca\.org1\.example\.com/);
    expect(msp.validate(msp.deserializeIdentity(pemBytes(bystander.certPem)), T0 + 2 * DAY).mspId).toBe('Org1MSP');
    // the MSP without the CRL still accepts it: revocation takes effect through the MSP config
    expect(org1.msp.validate(org1.msp.deserializeIdentity(pemBytes(victim.certPem)), T0).mspId).toBe('Org1MSP');
  });

  it('refuses a CRL that none of its CAs signed', async () => {
    const foreignCrl = await org2.ca.crl(T0);
    await expect(X509Msp.create({ ...org1.config, revocationList: [foreignCrl] })).rejects.toMatchObject({ code: 'MSP_BAD_CONFIG', message: expect.stringMatching(/not signed by any CA of Org1MSP/) });
  });

  it('requires exactly one NodeOU when NodeOUs are enabled', async () => {
    const none = await org1.issue('nobody.org1.example.com', 'sales');
    expectMspError(() => org1.msp.validate(org1.msp.deserializeIdentity(pemBytes(none.certPem)), T0), 'MSP_NODE_OU_INVALID', /exactly one of OU=client, OU=peer, OU=admin, OU=orderer/, /OU=sales/);
  });

  it('reports the wrong role in words', async () => {
    const { certPem } = await org1.issue('User5@org1.example.com', 'client');
    const id = org1.msp.validate(org1.msp.deserializeIdentity(pemBytes(certPem)), T0);
    expectMspError(() => org1.msp.assertRole(id, 'peer'), 'MSP_ROLE_MISMATCH', /User5@org1\.example\.com of Org1MSP is a client, not a peer/);
    expectMspError(() => org1.msp.assertRole(id, 'admin'), 'MSP_ROLE_MISMATCH', /not an admin/);
    expect(() => org1.msp.assertRole(id, 'member')).not.toThrow();
  });

  it('validates through an intermediate CA', async () => {
    const intermediate = await org1.ca.issueIntermediate({ ...CRYPTOGEN_LOCATION, organization: 'org1.example.com', commonName: 'ica.org1.example.com' }, T0);
    const leaf = await intermediate.issue({ subject: { ...CRYPTOGEN_LOCATION, organizationalUnit: 'client', commonName: 'User9@org1.example.com' }, profile: 'signing', nowMs: T0 });
    const withIca = await X509Msp.create({ ...org1.config, intermediateCerts: [intermediate.certPem], nodeOUs: { enable: true, client: { organizationalUnitIdentifier: 'client' } } });
    const id = withIca.validate(withIca.deserializeIdentity(pemBytes(leaf.certPem)), T0);
    expect(id.chain.map((c) => c.commonName)).toEqual(['User9@org1.example.com', 'ica.org1.example.com', 'ca.org1.example.com']);
    // without the intermediate in the MSP, the chain is broken
    expectMspError(() => org1.msp.validate(org1.msp.deserializeIdentity(pemBytes(leaf.certPem)), T0), 'MSP_CHAIN_INVALID', /ica\.org1\.example\.com/);
    // revoking the intermediate revokes its identities
    const crl = await org1.ca.revoke(intermediate.certificate.serialNumber, T0);
    const revoked = await X509Msp.create({ ...withIca.config, revocationList: [crl] });
    expectMspError(() => revoked.validate(revoked.deserializeIdentity(pemBytes(leaf.certPem)), T0), 'MSP_CERT_REVOKED', /issuing CA ica\.org1\.example\.com/);
  });

  it('treats an admincerts entry as an admin, as Fabric does without NodeOU admin', async () => {
    const admin = await org1.issue('Legacy@org1.example.com', 'client');
    const msp = await X509Msp.create({ ...org1.config, admins: [admin.certPem] });
    expect(msp.validate(msp.deserializeIdentity(pemBytes(admin.certPem)), T0).roles.has('admin')).toBe(true);
  });

  it('parses each distinct certificate once (the cache returns the same identity)', async () => {
    const { certPem } = await org1.issue('peer1.org1.example.com', 'peer');
    const a = org1.msp.deserializeIdentity(pemBytes(certPem));
    const b = org1.msp.deserializeIdentity(pemBytes(certPem));
    expect(b).toBe(a);
    expect(org1.msp.validate(a, T0)).toBe(org1.msp.validate(b, T0));
  });
});

describe('MspManager: SerializedIdentity in, validated identity out', () => {
  const clock = new ManualClock(T0);
  let manager: MspManager;
  beforeAll(() => {
    manager = new MspManager([org1.msp, org2.msp], clock);
  });

  it('validates a SerializedIdentity and checks its signature', async () => {
    const { signer } = await org1.issue('User6@org1.example.com', 'client');
    const msg = new TextEncoder().encode('a proposal');
    const check = manager.checkSignature(signer.serialized, msg, signer.sign(msg));
    expect(check.verdict).toBe('valid');
    expect(toPolicyIdentity(check.identity)).toMatchObject({ mspId: 'Org1MSP', name: 'User6@org1.example.com' });
    const tampered = signer.sign(msg);
    tampered[10] = (tampered[10] as number) ^ 0xff;
    expect(manager.checkSignature(signer.serialized, msg, tampered).verdict).not.toBe('valid');
  });

  it('rejects an identity that claims Org1MSP but was signed by Org2 CA', async () => {
    const { certPem } = await org2.issue('Mallory@org2.example.com', 'admin');
    const forged = buildSerializedIdentity({ mspId: 'Org1MSP', idBytes: pemBytes(certPem) });
    expectMspError(() => manager.validateSerialized(forged), 'MSP_CHAIN_INVALID', /Mallory@org2\.example\.com/, /not a CA of Org1MSP/);
  });

  it('names the known MSPs when the MSP ID is unknown', async () => {
    const { certPem } = await org1.issue('User7@org1.example.com', 'client');
    expectMspError(() => manager.validateSerialized(buildSerializedIdentity({ mspId: 'Org3MSP', idBytes: pemBytes(certPem) })), 'MSP_UNKNOWN', /"Org3MSP"/, /known MSPs: Org1MSP, Org2MSP/);
  });

  it('rejects bytes that are not a SerializedIdentity', () => {
    expectMspError(() => manager.validateSerialized(Uint8Array.from([0xff, 0xff, 0xff, 0x01])), 'MSP_BAD_IDENTITY_BYTES', /msp\.SerializedIdentity/);
    expectMspError(() => manager.validateSerialized(new Uint8Array()), 'MSP_BAD_IDENTITY_BYTES', /mspid field is empty/);
  });

  it('uses the injected clock', async () => {
    const { signer } = await org1.issue('User8@org1.example.com', 'client', { notBeforeMs: T0, notAfterMs: T0 + DAY });
    expect(manager.validateSerialized(signer.serialized).mspId).toBe('Org1MSP');
    clock.set(T0 + 2 * DAY);
    expectMspError(() => manager.validateSerialized(signer.serialized), 'MSP_CERT_EXPIRED');
    clock.set(T0);
  });
});
