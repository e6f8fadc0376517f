import { summarizeCreator, type ChannelResources } from '../../common/channel-resources.js';
import { bytesKey } from '../../core/bytes.js';
import { isFabsimError } from '../../core/errors.js';
import type { ValidatedIdentity } from '../../msp/identity.js';
import { toPolicyIdentity } from '../../msp/msp-manager.js';
import type { PolicyIdentity } from '../../policy/index.js';

/**
 * Whether a serialized identity (a creator, an endorser, a block signer) is a valid member of the
 * channel: its MSP is one of the channel's and validates it (chain, validity window, CRL, NodeOU).
 *
 * Time: Fabric's committer validates certificates when it validates the block (msp.Validate uses
 * the peer's clock), not at the transaction's channel-header timestamp, which the creator chose.
 * So the validator takes `nowMs` from its caller (the committer's injected Clock): a block
 * re-validated later, after a certificate expired, can get a different verdict, as in Fabric.
 */
export type MemberCheck =
  | { readonly ok: true; readonly who: string; readonly identity: ValidatedIdentity; readonly policyIdentity: PolicyIdentity }
  | { readonly ok: false; readonly who: string; readonly reason: string };

export function checkChannelMember(resources: ChannelResources, serialized: Uint8Array, nowMs: number): MemberCheck {
  const who = summarizeCreator(resources, serialized).description;
  try {
    const { msp, identity } = resources.mspManager.deserializeIdentity(serialized);
    const validated = msp.validate(identity, nowMs);
    return { ok: true, who, identity: validated, policyIdentity: toPolicyIdentity(validated) };
  } catch (err) {
    if (!isFabsimError(err)) throw err;
    return { ok: false, who, reason: err.message };
  }
}

/**
 * checkChannelMember for one block's validation: the same channel resources and the same instant
 * for every identity, so each distinct serialized identity is checked once per block (a block of
 * 500 transactions by one client and two endorsing peers names three identities 1,500 times).
 * The answers are checkChannelMember's, identity by identity.
 */
export class ChannelMembers {
  private readonly checked = new Map<string, MemberCheck>();

  constructor(
    private readonly resources: ChannelResources,
    private readonly nowMs: number,
  ) {}

  check(serialized: Uint8Array): MemberCheck {
    const key = bytesKey(serialized);
    let member = this.checked.get(key);
    if (member === undefined) {
      member = checkChannelMember(this.resources, serialized, this.nowMs);
      this.checked.set(key, member);
    }
    return member;
  }
}
