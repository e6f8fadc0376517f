import { join } from 'node:path';
import { msp } from '@hyperledger/fabric-protos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNetworkConfig } from '../../../src/config/load-network-config.js';
import { readMspFolder } from '../../../src/msp/load-msp-folder.js';
import type { MspConfig } from '../../../src/msp/msp-config.js';
import { X509Msp } from '../../../src/msp/x509-msp.js';
import { generateCrypto } from '../../../src/net/generate-crypto.js';
import { parseConfigEnvelope, type ConfigGroupNode } from '../../../src/protos/config-tree.js';
import { parseEnvelopeHeaders } from '../../../src/protos/envelope.js';
import { parseBlock } from '../../../src/protos/block.js';
import { buildMspConfig, parseMspConfig } from '../../../src/protos/msp-config.js';
import { groupAt, vectorBytes } from '../../helpers/config-vectors.js';
import { makeTempDir, REPO_ROOT } from '../../helpers/repo.js';
import { decodeError } from '../../helpers/expect-error.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The MSP values of the real genesis block, by group path. */
function vectorMspValues(): Map<string, Uint8Array> {
  const envelope = parseBlock(vectorBytes('block0-config.pb')).data[0] as Uint8Array;
  const root = parseConfigEnvelope(parseEnvelopeHeaders(envelope, { allowEmptyCreator: true }).payload.data).channelGroup;
  const at = (group: ConfigGroupNode): Uint8Array => group.values.get('MSP')?.value as Uint8Array;
  return new Map([
    ['Orderer/OrdererOrg', at(groupAt(root, 'Orderer', 'OrdererOrg'))],
    ['Application/Org1MSP', at(groupAt(root, 'Application', 'Org1MSP'))],
    ['Application/Org2MSP', at(groupAt(root, 'Application', 'Org2MSP'))],
  ]);
}

/** A FabricMSPConfig wrapped in an MSPConfig, with `edit` applied to a copy of a real one. */
function edited(real: Uint8Array, edit: (config: msp.FabricMSPConfig, outer: msp.MSPConfig) => void): Uint8Array {
  const outer = msp.MSPConfig.deserializeBinary(real);
  const config = msp.FabricMSPConfig.deserializeBinary(outer.getConfig_asU8());
  edit(config, outer);
  outer.setConfig(config.serializeBinary());
  return outer.serializeBinary();
}


describe('msp.MSPConfig, checked against the MSPs of a real Fabric v2.5 genesis block', () => {
  it('reads each organization MSP and writes back the very same bytes', async () => {
    for (const [path, bytes] of vectorMspValues()) {
      const config = parseMspConfig(bytes);
      expect(hex(buildMspConfig(config)), path).toBe(hex(bytes));
      expect(config.mspId).toBe(path.endsWith('OrdererOrg') ? 'OrdererMSP' : path.split('/')[1]);
      expect(config.rootCerts).toHaveLength(1);
      expect(config.rootCerts[0]).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
      expect(config.tlsRootCerts).toHaveLength(1);
      expect(config).toMatchObject({ intermediateCerts: [], tlsIntermediateCerts: [], admins: [], revocationList: [] });
      // cryptogen's NodeOUs: every OU certified by the organization's CA
      expect(config.nodeOUs?.enable).toBe(true);
      for (const role of ['client', 'peer', 'admin', 'orderer'] as const) {
        expect(config.nodeOUs?.[role]).toEqual({ organizationalUnitIdentifier: role, certificate: config.rootCerts[0] });
      }
      // and fabsim's X.509 MSP accepts it
      expect((await X509Msp.create(config)).mspId).toBe(config.mspId);
    }
  });

  describe('with an msp/ folder written by fabsim crypto generate', () => {
    const temp = makeTempDir('msp-config');
    let folder: MspConfig;
    beforeAll(async () => {
      await generateCrypto(loadNetworkConfig(join(REPO_ROOT, 'config/network.yaml')), temp.dir, { force: false, nowMs: Date.UTC(2026, 5, 1) });
      folder = await readMspFolder(join(temp.dir, 'peerOrganizations/org1.example.com/msp'), 'Org1MSP');
    });
    afterAll(() => temp.cleanup());

    it('round-trips the MspConfig that readMspFolder reads', () => {
      expect(parseMspConfig(buildMspConfig(folder))).toEqual(folder);
    });

    it('writes the fields in the layout configtxgen writes for the same folder', () => {
      const bytes = buildMspConfig(folder);
      const outer = msp.MSPConfig.deserializeBinary(bytes);
      expect(outer.getType()).toBe(0);
      const fabric = msp.FabricMSPConfig.deserializeBinary(outer.getConfig_asU8());
      expect(fabric.getName()).toBe('Org1MSP');
      expect(fabric.getCryptoConfig()?.getSignatureHashFamily()).toBe('SHA2');
      expect(fabric.getCryptoConfig()?.getIdentityIdentifierHashFunction()).toBe('SHA256');
      expect(fabric.hasSigningIdentity()).toBe(false);
      // same wire layout as the real Org1MSP value: only the certificate bytes differ
      const real = msp.FabricMSPConfig.deserializeBinary(msp.MSPConfig.deserializeBinary(vectorMspValues().get('Application/Org1MSP') as Uint8Array).getConfig_asU8());
      const fieldsOf = (m: msp.FabricMSPConfig): string[] => Object.entries(m.toObject()).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)).map(([k]) => k);
      expect(fieldsOf(fabric)).toEqual(fieldsOf(real));
    });
  });

  it('refuses what an MspConfig cannot represent, naming the MSP', () => {
    const real = vectorMspValues().get('Application/Org1MSP') as Uint8Array;
    expect(decodeError(() => parseMspConfig(edited(real, (_, outer) => outer.setType(1))))).toContain('an Idemix MSP (type 1); fabsim supports X.509 MSPs (type 0, FABRIC) only');
    expect(
      decodeError(() =>
        parseMspConfig(
          edited(real, (c) => {
            const ou = new msp.FabricOUIdentifier();
            ou.setOrganizationalUnitIdentifier('COP');
            c.setOrganizationalUnitIdentifiersList([ou]);
          }),
        ),
      ),
    ).toContain('MSP Org1MSP: it restricts members by organizational_unit_identifiers');
    expect(decodeError(() => parseMspConfig(edited(real, (c) => c.setSigningIdentity(new msp.SigningIdentityInfo()))))).toContain('it carries a signing identity');
    expect(decodeError(() => parseMspConfig(edited(real, (c) => c.setName(''))))).toContain('its name (the MSP ID) is empty');
    expect(decodeError(() => parseMspConfig(edited(real, (c) => c.setRootCertsList([Uint8Array.of(0x30, 0x82, 0xff, 0xfe)]))))).toContain('root_certs[0] is not PEM text');
    expect(decodeError(() => parseMspConfig(edited(real, (c) => c.setTlsRootCertsList([new TextEncoder().encode('not a certificate')]))))).toContain('tls_root_certs[0] is not PEM');
    expect(
      decodeError(() =>
        parseMspConfig(
          edited(real, (c) => {
            const crypto = new msp.FabricCryptoConfig();
            crypto.setSignatureHashFamily('SHA3');
            crypto.setIdentityIdentifierHashFunction('SHA256');
            c.setCryptoConfig(crypto);
          }),
        ),
      ),
    ).toContain('its crypto_config is SHA3/SHA256');
  });

  it('refuses malformed bytes with ProtoDecodeError', () => {
    expect(decodeError(() => parseMspConfig(Uint8Array.of(0x12, 0x09, 0x01)))).toMatch(/^the bytes are not a valid msp\.MSPConfig protobuf message/);
    const inner = new msp.MSPConfig();
    inner.setConfig(Uint8Array.of(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f));
    expect(decodeError(() => parseMspConfig(inner.serializeBinary()))).toMatch(/^the bytes are not a valid msp\.FabricMSPConfig protobuf message/);
  });
});
