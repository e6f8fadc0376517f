/**
 * What defines an MSP: the same facts as Fabric's `msp.FabricMSPConfig` (which the channel config
 * carries for each organization) and as a cryptogen `msp/` folder holds. Certificates and CRLs are
 * PEM text.
 */
export interface MspConfig {
  readonly mspId: string;
  readonly rootCerts: readonly string[];
  readonly intermediateCerts: readonly string[];
  readonly tlsRootCerts: readonly string[];
  readonly tlsIntermediateCerts: readonly string[];
  /** Explicit admin certificates (Fabric's legacy `admincerts/`); with NodeOUs, OU=admin suffices. */
  readonly admins: readonly string[];
  /** Certificate revocation lists, each signed by one of the MSP's CAs. */
  readonly revocationList: readonly string[];
  readonly nodeOUs?: NodeOUsConfig;
}

/**
 * Fabric's NodeOUs (`config.yaml`): with `enable`, an identity's role is the OU of its certificate
 * subject: client, peer, admin or orderer. `certificate`, when set, restricts the OU to identities
 * issued under that CA.
 */
export interface NodeOUsConfig {
  readonly enable: boolean;
  readonly client?: OuIdentifier;
  readonly peer?: OuIdentifier;
  readonly admin?: OuIdentifier;
  readonly orderer?: OuIdentifier;
}

export interface OuIdentifier {
  readonly organizationalUnitIdentifier: string;
  readonly certificate?: string;
}

/** The NodeOUs that cryptogen writes into every `config.yaml`. */
export function cryptogenNodeOUs(caCertPem: string): NodeOUsConfig {
  const ou = (organizationalUnitIdentifier: string): OuIdentifier => ({ organizationalUnitIdentifier, certificate: caCertPem });
  return { enable: true, client: ou('client'), peer: ou('peer'), admin: ou('admin'), orderer: ou('orderer') };
}
