import { msp } from '@hyperledger/fabric-protos';
import type { MspConfig, NodeOUsConfig, OuIdentifier } from '../msp/msp-config.js';
import { decodeProto, ProtoDecodeError } from './proto-error.js';

/**
 * `msp.MSPConfig` (msp/msp_config.proto), the `MSP` value of every organization group of a channel
 * config: `{ type: 0 (FABRIC), config: bytes(FabricMSPConfig) }`. The FabricMSPConfig is what
 * Fabric's `msp.GetVerifyingMspConfig` reads from an `msp/` folder: the CA, intermediate and TLS
 * certificates, admins and CRLs as PEM bytes, the NodeOUs of config.yaml, and crypto_config
 * SHA2/SHA256. The plain form is src/msp's MspConfig (certificates as PEM text).
 *
 * Contract: build writes fields exactly as Go's protobuf marshals Fabric's struct, so a folder
 * read by readMspFolder gives the bytes configtxgen writes for it. Parse refuses what MspConfig
 * cannot represent (an Idemix MSP, a signing identity, OU identifiers, other hash functions) with
 * ProtoDecodeError rather than silently dropping it.
 */

/** `msp.MSPConfig.type`: FABRIC (X.509). IDEMIX (1) is not supported by fabsim. */
export const MSP_TYPE_FABRIC = 0;

/** Fabric's only crypto config (bccsp.SHA2 / bccsp.SHA256). */
const SIGNATURE_HASH_FAMILY = 'SHA2';
const IDENTITY_IDENTIFIER_HASH_FUNCTION = 'SHA256';

const encoder = new TextEncoder();
const pemDecoder = new TextDecoder('utf-8', { fatal: true });

export function buildMspConfig(config: MspConfig): Uint8Array {
  const fabric = new msp.FabricMSPConfig();
  const pems = (list: readonly string[]): Uint8Array[] => list.map((pem) => encoder.encode(pem));
  fabric.setName(config.mspId);
  fabric.setRootCertsList(pems(config.rootCerts));
  fabric.setIntermediateCertsList(pems(config.intermediateCerts));
  fabric.setAdminsList(pems(config.admins));
  fabric.setRevocationListList(pems(config.revocationList));
  const crypto = new msp.FabricCryptoConfig();
  crypto.setSignatureHashFamily(SIGNATURE_HASH_FAMILY);
  crypto.setIdentityIdentifierHashFunction(IDENTITY_IDENTIFIER_HASH_FUNCTION);
  fabric.setCryptoConfig(crypto);
  fabric.setTlsRootCertsList(pems(config.tlsRootCerts));
  fabric.setTlsIntermediateCertsList(pems(config.tlsIntermediateCerts));
  if (config.nodeOUs !== undefined) fabric.setFabricNodeOus(buildNodeOUs(config.nodeOUs));
  const message = new msp.MSPConfig();
  message.setType(MSP_TYPE_FABRIC);
  message.setConfig(fabric.serializeBinary());
  return message.serializeBinary();
}

function buildNodeOUs(nodeOUs: NodeOUsConfig): msp.FabricNodeOUs {
  const message = new msp.FabricNodeOUs();
  message.setEnable(nodeOUs.enable);
  const ou = (id: OuIdentifier | undefined): msp.FabricOUIdentifier | undefined => {
    if (id === undefined) return undefined;
    const identifier = new msp.FabricOUIdentifier();
    if (id.certificate !== undefined) identifier.setCertificate(encoder.encode(id.certificate));
    identifier.setOrganizationalUnitIdentifier(id.organizationalUnitIdentifier);
    return identifier;
  };
  message.setClientOuIdentifier(ou(nodeOUs.client));
  message.setPeerOuIdentifier(ou(nodeOUs.peer));
  message.setAdminOuIdentifier(ou(nodeOUs.admin));
  message.setOrdererOuIdentifier(ou(nodeOUs.orderer));
  return message;
}

export function parseMspConfig(bytes: Uint8Array): MspConfig {
  const message = decodeProto('msp.MSPConfig', () => msp.MSPConfig.deserializeBinary(bytes));
  if (message.getType() !== MSP_TYPE_FABRIC) {
    const kind = message.getType() === 1 ? 'an Idemix MSP (type 1)' : `MSP type ${message.getType()}`;
    throw new ProtoDecodeError('msp.MSPConfig', `it holds ${kind}; fabsim supports X.509 MSPs (type 0, FABRIC) only`);
  }
  const fabric = decodeProto('msp.FabricMSPConfig', () => msp.FabricMSPConfig.deserializeBinary(message.getConfig_asU8()));
  const name = fabric.getName();
  const bad = (detail: string): ProtoDecodeError => new ProtoDecodeError('msp.FabricMSPConfig', `MSP ${name === '' ? '(no name)' : name}: ${detail}`);
  if (name === '') throw bad('its name (the MSP ID) is empty');
  if (fabric.hasSigningIdentity()) throw bad('it carries a signing identity, which a channel config never does (configtxgen writes verifying MSPs)');
  if (fabric.getOrganizationalUnitIdentifiersList().length > 0) {
    throw bad('it restricts members by organizational_unit_identifiers, which fabsim does not support; use NodeOUs (config.yaml) as cryptogen does');
  }
  const crypto = fabric.getCryptoConfig();
  if (crypto !== undefined) {
    const family = crypto.getSignatureHashFamily();
    const hash = crypto.getIdentityIdentifierHashFunction();
    // Fabric treats empty strings as the defaults SHA2 / SHA256.
    if ((family !== '' && family !== SIGNATURE_HASH_FAMILY) || (hash !== '' && hash !== IDENTITY_IDENTIFIER_HASH_FUNCTION)) {
      throw bad(`its crypto_config is ${family}/${hash}; Fabric and fabsim use SHA2/SHA256`);
    }
  }
  const pems = (field: string, list: ReadonlyArray<Uint8Array>): string[] => list.map((b, i) => pemText(b, `${field}[${i}]`, bad));
  const nodeOUs = fabric.getFabricNodeOus();
  return {
    mspId: name,
    rootCerts: pems('root_certs', fabric.getRootCertsList_asU8()),
    intermediateCerts: pems('intermediate_certs', fabric.getIntermediateCertsList_asU8()),
    tlsRootCerts: pems('tls_root_certs', fabric.getTlsRootCertsList_asU8()),
    tlsIntermediateCerts: pems('tls_intermediate_certs', fabric.getTlsIntermediateCertsList_asU8()),
    admins: pems('admins', fabric.getAdminsList_asU8()),
    revocationList: pems('revocation_list', fabric.getRevocationListList_asU8()),
    ...(nodeOUs === undefined ? {} : { nodeOUs: parseNodeOUs(nodeOUs, bad) }),
  };
}

function parseNodeOUs(message: msp.FabricNodeOUs, bad: (detail: string) => ProtoDecodeError): NodeOUsConfig {
  const ou = (id: msp.FabricOUIdentifier | undefined, field: string): { [key: string]: OuIdentifier } => {
    if (id === undefined) return {};
    const certificate = id.getCertificate_asU8();
    const role = field.replace(/_ou_identifier$/, '');
    return {
      [role]: {
        organizationalUnitIdentifier: id.getOrganizationalUnitIdentifier(),
        ...(certificate.length === 0 ? {} : { certificate: pemText(certificate, `fabric_node_ous.${field}.certificate`, bad) }),
      },
    };
  };
  return {
    enable: message.getEnable(),
    ...ou(message.getClientOuIdentifier(), 'client_ou_identifier'),
    ...ou(message.getPeerOuIdentifier(), 'peer_ou_identifier'),
    ...ou(message.getAdminOuIdentifier(), 'admin_ou_identifier'),
    ...ou(message.getOrdererOuIdentifier(), 'orderer_ou_identifier'),
  };
}

/** Fabric's MSP reads certificates and CRLs with pem.Decode, so they are PEM text. */
function pemText(bytes: Uint8Array, field: string, bad: (detail: string) => ProtoDecodeError): string {
  let text: string;
  try {
    text = pemDecoder.decode(bytes);
  } catch {
    throw bad(`${field} is not PEM text (not even UTF-8); Fabric expects PEM-encoded certificates and CRLs`);
  }
  if (!text.includes('-----BEGIN ')) throw bad(`${field} is not PEM (no "-----BEGIN" line); Fabric expects PEM-encoded certificates and CRLs`);
  return text;
}
