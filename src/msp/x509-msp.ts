import { bytesEqual, bytesKey } from '../core/bytes.js';
import type { MspRole } from '../policy/index.js';
import { Certificate } from './certificate.js';
import { describeRoles, type Identity, type ValidatedIdentity } from './identity.js';
import type { MspConfig, OuIdentifier } from './msp-config.js';
import { MspError } from './msp-error.js';
import { loadRevocationList, normalizeSerial, type RevocationList } from './revocation-list.js';

/** Longest chain accepted: identity, up to 3 intermediates, root. */
const MAX_CHAIN_LENGTH = 5;
/** Bound on cached identities per MSP, so a flood of distinct certificates cannot exhaust memory. */
const IDENTITY_CACHE_LIMIT = 10_000;

type NodeRole = 'client' | 'peer' | 'admin' | 'orderer';
const NODE_ROLES: readonly NodeRole[] = ['client', 'peer', 'admin', 'orderer'];

interface ResolvedOu {
  readonly role: NodeRole;
  readonly ou: string;
  readonly certifier?: Certificate;
}

/** What does not depend on time: computed once per identity and cached. */
type StructuralCheck = { readonly ok: true; readonly validated: ValidatedIdentity } | { readonly ok: false; readonly error: MspError };

/**
 * Fabric's X.509 MSP (msp/mspimpl.go, "bccspmsp"): turns certificates into identities of one
 * organization and decides whether they are valid members, and in which role.
 *
 * Contract:
 * - `deserializeIdentity` parses; `validate` checks, at the instant it is given (the caller's Clock):
 *   chain to one of the MSP's root CAs (through its intermediates), every certificate of the chain
 *   within its validity window, not revoked by a CRL of the issuing CA, and with NodeOUs enabled,
 *   exactly one node OU (client, peer, admin, orderer).
 * - Everything except the validity window is computed once per distinct certificate and cached, so
 *   a repeated identity costs a Map lookup and a few comparisons.
 * - Immutable: a new CRL or CA means a new X509Msp (as a channel config update does in Fabric).
 */
export class X509Msp {
  readonly mspId: string;
  readonly rootCerts: readonly Certificate[];
  readonly intermediateCerts: readonly Certificate[];
  readonly tlsRootCerts: readonly Certificate[];
  readonly tlsIntermediateCerts: readonly Certificate[];
  private readonly admins: readonly Certificate[];
  private readonly crls: readonly RevocationList[];
  private readonly nodeOUs: readonly ResolvedOu[] | undefined;
  /** Parsed identities by their id_bytes (bounded). */
  private readonly identities = new Map<string, Identity>();
  /** The time-independent verdict per identity object, computed on first validation. */
  private readonly checks = new WeakMap<Identity, StructuralCheck>();

  private constructor(
    readonly config: MspConfig,
    parts: {
      roots: Certificate[];
      intermediates: Certificate[];
      tlsRoots: Certificate[];
      tlsIntermediates: Certificate[];
      admins: Certificate[];
      crls: RevocationList[];
      nodeOUs: ResolvedOu[] | undefined;
    },
  ) {
    this.mspId = config.mspId;
    this.rootCerts = parts.roots;
    this.intermediateCerts = parts.intermediates;
    this.tlsRootCerts = parts.tlsRoots;
    this.tlsIntermediateCerts = parts.tlsIntermediates;
    this.admins = parts.admins;
    this.crls = parts.crls;
    this.nodeOUs = parts.nodeOUs;
  }

  /** Builds an MSP from its config, checking the config itself (CAs parse, CRLs are signed by a CA). */
  static async create(config: MspConfig): Promise<X509Msp> {
    const { mspId } = config;
    const parseAll = (pems: readonly string[], what: string): Certificate[] =>
      pems.map((pem, i) => Certificate.fromPem(pem, `${mspId} ${what} #${i + 1}`));
    const roots = parseAll(config.rootCerts, 'root CA certificate');
    if (roots.length === 0) {
      throw new MspError('MSP_BAD_CONFIG', `MSP ${mspId} has no root CA certificate; put the CA's certificate in msp/cacerts`, { context: { mspId } });
    }
    for (const root of roots) {
      if (!root.isCa) throw new MspError('MSP_BAD_CONFIG', `${mspId} root certificate ${root.subject} is not a CA certificate (basic constraints CA:FALSE)`, { context: { mspId } });
    }
    const intermediates = parseAll(config.intermediateCerts, 'intermediate CA certificate');
    const cas = [...roots, ...intermediates];
    const crls: RevocationList[] = [];
    for (const [i, pem] of config.revocationList.entries()) crls.push(await loadRevocationList(pem, cas, mspId, `CRL #${i + 1}`));

    let nodeOUs: ResolvedOu[] | undefined;
    if (config.nodeOUs?.enable) {
      nodeOUs = [];
      for (const role of NODE_ROLES) {
        const id: OuIdentifier | undefined = config.nodeOUs[role];
        if (!id) continue;
        const certifier = id.certificate ? Certificate.fromPem(id.certificate, `${mspId} NodeOU ${role} certificate`) : undefined;
        nodeOUs.push({ role, ou: id.organizationalUnitIdentifier, ...(certifier ? { certifier } : {}) });
      }
    }
    return new X509Msp(config, {
      roots,
      intermediates,
      tlsRoots: parseAll(config.tlsRootCerts, 'TLS root CA certificate'),
      tlsIntermediates: parseAll(config.tlsIntermediateCerts, 'TLS intermediate CA certificate'),
      admins: parseAll(config.admins, 'admin certificate'),
      crls,
      nodeOUs,
    });
  }

  /** Parses the PEM certificate of a SerializedIdentity claiming this MSP. Cached. */
  deserializeIdentity(idBytes: Uint8Array): Identity {
    const key = bytesKey(idBytes);
    const hit = this.identities.get(key);
    if (hit) return hit;
    const certificate = Certificate.fromPem(idBytes, `the certificate of an identity claiming ${this.mspId}`);
    const identity: Identity = { mspId: this.mspId, certificate, idBytes };
    if (this.identities.size >= IDENTITY_CACHE_LIMIT) {
      const oldest = this.identities.keys().next().value;
      if (oldest !== undefined) this.identities.delete(oldest);
    }
    this.identities.set(key, identity);
    return identity;
  }

  /**
   * Validates an identity at `nowMs` (from an injected Clock). Throws an MspError naming the MSP,
   * the subject and the reason; returns the identity with its roles.
   */
  validate(identity: Identity, nowMs: number): ValidatedIdentity {
    let check = this.checks.get(identity);
    if (!check) {
      check = this.checkStructure(identity);
      this.checks.set(identity, check);
    }
    if (!check.ok) throw check.error;
    this.checkValidityWindow(check.validated, nowMs);
    return check.validated;
  }

  /** Throws MSP_ROLE_MISMATCH unless the validated identity holds `role`. */
  assertRole(identity: ValidatedIdentity, role: MspRole): void {
    if (identity.roles.has(role)) return;
    const cert = identity.certificate;
    throw new MspError(
      'MSP_ROLE_MISMATCH',
      `${cert.displayName} of ${this.mspId} is ${describeRoles(identity.roles)}, not ${role === 'admin' || role === 'orderer' ? 'an' : 'a'} ${role}` +
        ` (subject ${cert.subject}); use an identity enrolled as ${role}`,
      { context: { mspId: this.mspId, subject: cert.subject, role } },
    );
  }

  private fail(code: ConstructorParameters<typeof MspError>[0], cert: Certificate, reason: string): StructuralCheck {
    return {
      ok: false,
      error: new MspError(code, `identity ${cert.displayName} (subject ${cert.subject}) is not valid in ${this.mspId}: ${reason}`, {
        context: { mspId: this.mspId, subject: cert.subject },
      }),
    };
  }

  private checkStructure(identity: Identity): StructuralCheck {
    const cert = identity.certificate;
    if (cert.isCa) {
      return this.fail('MSP_IDENTITY_IS_CA', cert, 'it is a CA certificate (basic constraints CA:TRUE), and a CA cannot sign as an identity; use a certificate that the CA issued');
    }
    const chain = this.buildChain(cert);
    if (!chain) {
      const known = [...this.rootCerts, ...this.intermediateCerts].map((c) => c.displayName).join(', ');
      return this.fail(
        'MSP_CHAIN_INVALID',
        cert,
        `it was issued by "${cert.issuer}", which is not a CA of ${this.mspId} (its CAs: ${known}). ` +
          `Use an identity enrolled with ${this.mspId}'s CA, or send the MSP ID of the organization that issued it`,
      );
    }
    for (let i = 0; i + 1 < chain.length; i++) {
      const subject = chain[i] as Certificate;
      const issuer = chain[i + 1] as Certificate;
      const serial = normalizeSerial(subject.serialNumber);
      for (const crl of this.crls) {
        const revokedAt = crl.issuerFingerprint === issuer.fingerprint ? crl.revoked.get(serial) : undefined;
        if (revokedAt !== undefined) {
          const whose = i === 0 ? 'its certificate' : `its issuing CA ${subject.displayName}`;
          return this.fail(
            'MSP_CERT_REVOKED',
            cert,
            `${whose} (serial ${serial}) was revoked by ${crl.issuerName} on ${new Date(revokedAt).toISOString()}; enroll a new identity`,
          );
        }
      }
    }
    const roles = new Set<MspRole>(['member']);
    if (this.nodeOUs) {
      const matches = this.nodeOUs.filter((n) => cert.organizationalUnits.includes(n.ou) && (!n.certifier || chain.some((c) => c.fingerprint === n.certifier?.fingerprint)));
      const expected = this.nodeOUs.map((n) => `OU=${n.ou}`).join(', ');
      if (matches.length !== 1) {
        const has = cert.organizationalUnits.length ? cert.organizationalUnits.map((ou) => `OU=${ou}`).join(', ') : 'no OU';
        return this.fail(
          'MSP_NODE_OU_INVALID',
          cert,
          `${this.mspId} has NodeOUs enabled, so the certificate subject must carry exactly one of ${expected}, but it has ${has}${matches.length > 1 ? ' (more than one role)' : ''}`,
        );
      }
      roles.add((matches[0] as ResolvedOu).role);
    }
    if (this.admins.some((a) => bytesEqual(a.der, cert.der))) roles.add('admin');
    return { ok: true, validated: { ...identity, roles, chain } };
  }

  /** The chain identity → intermediates → root, or undefined when no CA of this MSP issued it. */
  private buildChain(cert: Certificate): Certificate[] | undefined {
    const chain = [cert];
    let current = cert;
    while (chain.length < MAX_CHAIN_LENGTH) {
      const root = this.rootCerts.find((r) => current.isIssuedBy(r));
      if (root) return [...chain, root];
      const intermediate = this.intermediateCerts.find((c) => !chain.includes(c) && current.isIssuedBy(c));
      if (!intermediate) return undefined;
      chain.push(intermediate);
      current = intermediate;
    }
    return undefined;
  }

  private checkValidityWindow(identity: ValidatedIdentity, nowMs: number): void {
    for (const [i, cert] of identity.chain.entries()) {
      const whose = i === 0 ? 'its certificate' : `its CA certificate ${cert.displayName}`;
      const tooEarly = nowMs < cert.notBeforeMs;
      if (!tooEarly && nowMs <= cert.notAfterMs) continue;
      const subject = identity.certificate.subject;
      throw new MspError(
        tooEarly ? 'MSP_CERT_NOT_YET_VALID' : 'MSP_CERT_EXPIRED',
        `identity ${identity.certificate.displayName} (subject ${subject}) is not valid in ${this.mspId}: ` +
          (tooEarly
            ? `${whose} is not valid before ${iso(cert.notBeforeMs)} and it is now ${iso(nowMs)}; check the clocks, or wait`
            : `${whose} expired at ${iso(cert.notAfterMs)} and it is now ${iso(nowMs)}; enroll a new identity`),
        { context: { mspId: this.mspId, subject } },
      );
    }
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
