import { PolicyParseError } from './policy-parse-error.js';

/**
 * Fabric's ImplicitMetaPolicy (`common.ImplicitMetaPolicy`, Fabric docs "Policies" > "ImplicitMeta
 * policies"): a policy of a config group defined over the policy of the same name in each of its
 * child groups, e.g. `/Channel/Application/Endorsement = MAJORITY Endorsement` means "a majority
 * of the application organizations' Endorsement policies are satisfied". It never names an
 * identity itself, so it adapts as organizations join or leave the channel.
 */
export type ImplicitMetaRule = 'ANY' | 'ALL' | 'MAJORITY';

/** The rules in the order of Fabric's `ImplicitMetaPolicy.Rule` enum (ANY=0, ALL=1, MAJORITY=2). */
export const IMPLICIT_META_RULES: readonly ImplicitMetaRule[] = ['ANY', 'ALL', 'MAJORITY'];

/** An implicit meta policy as written in config, before its sub-policies are looked up. */
export interface ImplicitMetaPolicy {
  readonly kind: 'implicitMeta';
  readonly rule: ImplicitMetaRule;
  /** The name of the policy to look up in each child group, e.g. 'Endorsement' or 'Readers'. */
  readonly subPolicy: string;
}

export function implicitMeta(rule: ImplicitMetaRule, subPolicy: string): ImplicitMetaPolicy {
  return { kind: 'implicitMeta', rule, subPolicy };
}

/**
 * Parses `RULE SubPolicy`, e.g. `MAJORITY Endorsement`, as Fabric's `ImplicitMetaFromString`
 * (configtxgen's `Type: ImplicitMeta` rules) does: exactly two tokens separated by one space,
 * the rule in capitals (ANY, ALL or MAJORITY), the sub-policy name any non-empty word.
 */
export function parseImplicitMetaPolicy(text: string): ImplicitMetaPolicy {
  const hint = 'An implicit meta policy is a rule (ANY, ALL or MAJORITY), one space and a policy name, e.g. MAJORITY Endorsement or ANY Readers.';
  const ruleWord = /^\S*/.exec(text)?.[0] ?? '';
  if (ruleWord === '') throw new PolicyParseError(text, 0, 'ANY, ALL or MAJORITY', hint);
  const rule = IMPLICIT_META_RULES.find((r) => r === ruleWord);
  if (rule === undefined) {
    const fix = IMPLICIT_META_RULES.find((r) => r === ruleWord.toUpperCase());
    throw new PolicyParseError(text, 0, 'ANY, ALL or MAJORITY', fix !== undefined ? `Rules are written in capitals: ${fix}. ${hint}` : hint);
  }
  let pos = ruleWord.length;
  if (text.charAt(pos) !== ' ') throw new PolicyParseError(text, pos, 'one space and then the sub-policy name', hint);
  pos++;
  const name = /^\S*/.exec(text.slice(pos))?.[0] ?? '';
  if (name === '') throw new PolicyParseError(text, pos, 'the sub-policy name, such as Endorsement, Readers, Writers or Admins', hint);
  pos += name.length;
  if (pos < text.length) throw new PolicyParseError(text, pos, 'the end of the policy', `Fabric accepts exactly two space-separated words here. ${hint}`);
  return implicitMeta(rule, name);
}

/** `MAJORITY Endorsement`. */
export function formatImplicitMetaPolicy(policy: Pick<ImplicitMetaPolicy, 'rule' | 'subPolicy'>): string {
  return `${policy.rule} ${policy.subPolicy}`;
}

/**
 * How many sub-policies must be satisfied, exactly as Fabric's implicitmeta.go computes it:
 * ANY = 1, ALL = all of them, MAJORITY = floor(count / 2) + 1; and 0 when there are no
 * sub-policies at all (Fabric: "consider 0 to be a majority or any"), so such a policy is
 * always satisfied.
 */
export function implicitMetaThreshold(rule: ImplicitMetaRule, subPolicyCount: number): number {
  if (subPolicyCount === 0) return 0;
  switch (rule) {
    case 'ANY':
      return 1;
    case 'ALL':
      return subPolicyCount;
    case 'MAJORITY':
      return Math.floor(subPolicyCount / 2) + 1;
  }
}
