import type { Clock } from '../core/clock.js';
import { isFabsimError } from '../core/errors.js';
import { Certificate } from '../msp/certificate.js';
import { signatureError, verifyEcdsa, type AsyncSignatureVerifier, type SignatureVerdict } from '../msp/ecdsa.js';
import type { ValidatedIdentity } from '../msp/identity.js';
import { MspManager, toPolicyIdentity } from '../msp/msp-manager.js';
import { validSigners, type SignedData } from '../msp/signed-data.js';
import { X509Msp } from '../msp/x509-msp.js';
import { evaluatePolicy, type Policy, type PolicyIdentity } from '../policy/index.js';
import { channelMspConfigs, type ParsedChannelConfig } from '../protos/channel-config.js';
import { parseConfigBlock } from '../protos/config-block.js';
import type { BatchSize } from '../protos/config-values.js';
import { parseSerializedIdentity } from '../protos/identity.js';

/**
 * What a channel's config block gives the orderer (Fabric's channelconfig.Resources): the MSPs
 * of every organization in the channel, every policy by path, and the orderer values such as
 * BatchSize. Broadcast and Deliver check envelopes against it; a config block makes a new one
 * (the sequence tells them apart).
 */

/** Bound on cached single-signer policy verdicts per channel config. */
const VERDICT_CACHE_LIMIT = 10_000;

/** The policy paths the orderer evaluates (Fabric's policies.ChannelReaders, ChannelWriters, ...). */
export const PolicyPath = {
  CHANNEL_READERS: '/Channel/Readers',
  CHANNEL_WRITERS: '/Channel/Writers',
  ORDERER_READERS: '/Channel/Orderer/Readers',
  ORDERER_WRITERS: '/Channel/Orderer/Writers',
  BLOCK_VALIDATION: '/Channel/Orderer/BlockValidation',
} as const;

/** The outcome of a policy check: the verdict and a sentence a learner can act on. */
export interface PolicyCheck {
  readonly satisfied: boolean;
  readonly explanation: string;
}

export interface ChannelResources {
  readonly channelId: string;
  /** The config sequence (0 for the genesis config); it grows with every config block. */
  readonly sequence: number;
  readonly config: ParsedChannelConfig;
  /** The MSPs of the channel's orderer and application organizations, validating at the injected clock. */
  readonly mspManager: MspManager;
  /** Every policy of the config by path, e.g. `/Channel/Writers`. */
  readonly policies: ReadonlyMap<string, Policy>;
  /** /Channel/Orderer/BatchSize. */
  readonly batchSize: BatchSize;
  /** NORMAL, or MAINTENANCE while a consensus-type migration is under way (normal transactions are refused then). */
  readonly consensusState: 'NORMAL' | 'MAINTENANCE';
  /** Evaluates the policy at `path` against already-validated signers. */
  evaluate(path: string, identities: readonly PolicyIdentity[]): PolicyCheck;
  /**
   * Fabric's policy.EvaluateSignedData: keeps the signatures whose signer is valid in a channel MSP
   * and whose signature verifies, then evaluates the policy at `path` against them. The
   * explanation says why each left-out signature was left out.
   */
  evaluateSignedBy(path: string, signedData: readonly SignedData[]): PolicyCheck;
}

/** The resources of the channel whose config block (genesis or later) is `blockBytes`. Throws ProtoDecodeError or MspError for a block fabsim cannot use. */
export async function channelResourcesFromBlock(blockBytes: Uint8Array, clock: Clock): Promise<ChannelResources> {
  const configBlock = parseConfigBlock(blockBytes);
  return channelResourcesFromConfig(configBlock.channelHeader.channelId, configBlock.config, clock);
}

export async function channelResourcesFromConfig(channelId: string, config: ParsedChannelConfig, clock: Clock): Promise<ChannelResources> {
  const msps = await Promise.all(channelMspConfigs(config.spec).map((mspConfig) => X509Msp.create(mspConfig)));
  const mspManager = new MspManager(msps, clock);
  const policies = config.policies;
  // Verdicts for one signer, by path and identity key: a signer's roles come from its certificate,
  // so within one config the verdict never changes. Broadcast evaluates Writers for every envelope.
  const singleSignerVerdicts = new Map<string, PolicyCheck>();
  const evaluate = (path: string, identities: readonly PolicyIdentity[]): PolicyCheck => {
    const [only, ...more] = identities;
    if (only === undefined || more.length > 0) return evaluateUncached(path, identities);
    const key = `${path}\u0000${only.key}`;
    const hit = singleSignerVerdicts.get(key);
    if (hit !== undefined) return hit;
    const check = evaluateUncached(path, identities);
    if (singleSignerVerdicts.size >= VERDICT_CACHE_LIMIT) singleSignerVerdicts.clear();
    singleSignerVerdicts.set(key, check);
    return check;
  };
  const evaluateUncached = (path: string, identities: readonly PolicyIdentity[]): PolicyCheck => {
    const policy = policies.get(path);
    if (policy === undefined) {
      const known = [...policies.keys()].join(', ');
      return { satisfied: false, explanation: `channel ${channelId} has no policy ${path} (its policies: ${known}); the channel config must define it` };
    }
    const { satisfied, explanation } = evaluatePolicy(policy, identities);
    return { satisfied, explanation: `${path}: ${explanation}` };
  };
  return {
    channelId,
    sequence: config.spec.sequence,
    config,
    mspManager,
    policies,
    batchSize: config.spec.orderer.batchSize,
    consensusState: config.spec.orderer.consensusState,
    evaluate,
    evaluateSignedBy(path, signedData) {
      const signers = validSigners(mspManager, signedData);
      const check = evaluate(path, signers.identities);
      if (check.satisfied || signers.rejected.length === 0) return check;
      const left = signers.rejected.map((r) => `signature #${r.index + 1} left out: ${r.reason}`).join('; ');
      return { satisfied: false, explanation: `${check.explanation} (${left})` };
    },
  };
}

/** The channels an orderer serves, by ID (Fabric's multichannel Registrar, as Broadcast and Deliver see it). */
export interface ChannelRegistry {
  /** The current resources of the channel, or undefined when this orderer does not serve it. */
  get(channelId: string): ChannelResources | undefined;
  channelIds(): readonly string[];
}

/** A registry over a map, replaced channel by channel as config blocks arrive. */
export class MapChannelRegistry implements ChannelRegistry {
  private readonly channels = new Map<string, ChannelResources>();

  constructor(resources: readonly ChannelResources[] = []) {
    for (const r of resources) this.set(r);
  }

  set(resources: ChannelResources): void {
    this.channels.set(resources.channelId, resources);
  }

  delete(channelId: string): void {
    this.channels.delete(channelId);
  }

  get(channelId: string): ChannelResources | undefined {
    return this.channels.get(channelId);
  }

  channelIds(): string[] {
    return [...this.channels.keys()].sort();
  }
}

/** A signer as messages name it: certificate CN (or subject) and claimed MSP ID, from the SerializedIdentity. */
export interface CreatorSummary {
  /** e.g. `User1@org1.example.com (Org1MSP)`, or a description of why it cannot be read. */
  readonly description: string;
  /** The certificate's notAfter, when the identity's certificate parses (Fabric's crypto.ExpiresAt). */
  readonly expiresAtMs: number | undefined;
}

/**
 * Reads who claims to have signed, for messages and for Fabric's expiration check, without
 * validating anything. Uses the channel MSPs' caches when the MSP is known.
 */
export function summarizeCreator(resources: ChannelResources, creator: Uint8Array): CreatorSummary {
  if (creator.length === 0) return { description: "(none: the signature header's creator is empty)", expiresAtMs: undefined };
  let serialized;
  try {
    serialized = parseSerializedIdentity(creator);
  } catch (err) {
    if (!isFabsimError(err)) throw err;
    return { description: 'an unreadable creator identity', expiresAtMs: undefined };
  }
  let certificate: Certificate;
  try {
    const known = resources.mspManager.get(serialized.mspId);
    certificate = known ? known.deserializeIdentity(serialized.idBytes).certificate : Certificate.fromPem(serialized.idBytes, `the creator certificate claiming ${serialized.mspId}`);
  } catch (err) {
    if (!isFabsimError(err)) throw err;
    return { description: `a creator of ${serialized.mspId} whose certificate does not parse`, expiresAtMs: undefined };
  }
  return { description: `${certificate.displayName} (${serialized.mspId})`, expiresAtMs: certificate.notAfterMs };
}

/** Why a signed message was refused by a channel's policy (Fabric's SigFilter refuses all three with ErrPermissionDenied). */
export type SignerRefusal = 'creator-invalid' | 'signature-invalid' | 'policy-not-satisfied';

export type SignerCheck =
  | { readonly ok: true; readonly identity: PolicyIdentity }
  | { readonly ok: false; readonly refusal: SignerRefusal; readonly reason: string };

/**
 * Fabric's SigFilter over one signed message (an envelope: its creator, payload bytes and
 * signature): the creator must be valid in a channel MSP at the clock's time, the signature must
 * verify (strict DER, low-S), and the creator must satisfy the policy at `path`. Fabric folds
 * the three into "policy not satisfied"; fabsim tells them apart in `reason`.
 */
export function checkSigner(resources: ChannelResources, signed: SignedData, path: string, who: string): SignerCheck {
  const creator = validateCreator(resources, signed, who);
  if (!creator.ok) return creator;
  return authorizeSigner(resources, creator.identity, verifyEcdsa(creator.identity.certificate.publicKey, signed.data, signed.signature), path, who);
}

/** checkSigner with the signature verified by `verify` (e.g. on the thread pool); same checks, same order, same reasons. */
export async function checkSignerAsync(resources: ChannelResources, signed: SignedData, path: string, who: string, verify: AsyncSignatureVerifier): Promise<SignerCheck> {
  const creator = validateCreator(resources, signed, who);
  if (!creator.ok) return creator;
  return authorizeSigner(resources, creator.identity, await verify(creator.identity.certificate.publicKey, signed.data, signed.signature), path, who);
}

/** First check: the creator is valid in a channel MSP. */
function validateCreator(resources: ChannelResources, signed: SignedData, who: string): { readonly ok: true; readonly identity: ValidatedIdentity } | Extract<SignerCheck, { ok: false }> {
  try {
    return { ok: true, identity: resources.mspManager.validateSerialized(signed.identity) };
  } catch (err) {
    if (!isFabsimError(err)) throw err;
    return { ok: false, refusal: 'creator-invalid', reason: `the creator ${who} is not a valid member of channel ${resources.channelId}: ${err.message}` };
  }
}

/** Second and third checks: the signature verified, and the creator satisfies the policy at `path`. */
function authorizeSigner(resources: ChannelResources, identity: ValidatedIdentity, verdict: SignatureVerdict, path: string, who: string): SignerCheck {
  if (verdict !== 'valid') {
    return { ok: false, refusal: 'signature-invalid', reason: `the envelope's signature is not valid: ${signatureError(verdict, who).message}` };
  }
  const policyIdentity = toPolicyIdentity(identity);
  const check = resources.evaluate(path, [policyIdentity]);
  if (!check.satisfied) {
    return {
      ok: false,
      refusal: 'policy-not-satisfied',
      reason: `the creator ${who} does not satisfy ${path} of channel ${resources.channelId}: ${check.explanation}. Sign with an identity that the policy admits`,
    };
  }
  return { ok: true, identity: policyIdentity };
}
