import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { common, msp } from '@hyperledger/fabric-protos';
import { describe, expect, it } from 'vitest';
import { isFabsimError } from '../../../src/core/errors.js';
import { formatPolicy, implicitMeta, nOutOf, parseSignaturePolicy, signedBy, type PolicyDefinition } from '../../../src/policy/index.js';
import {
  buildImplicitMetaPolicy,
  buildPolicy,
  buildSignaturePolicyEnvelope,
  parseImplicitMetaPolicyBytes,
  parsePolicy,
  parseSignaturePolicyEnvelope,
} from '../../../src/protos/policy-envelope.js';

// CI checks the repo out elsewhere with shared/ beside it: resolve relative to the repo root.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const vectors = path.resolve(repoRoot, '../shared/fabric-vectors');
const blockBytes = new Uint8Array(readFileSync(path.join(vectors, 'block0-config.pb')));
const blockJson = JSON.parse(readFileSync(path.join(vectors, 'block0-config.json'), 'utf8')) as BlockJson;

/** Block -> data[0] Envelope -> Payload -> ConfigEnvelope -> config.channel_group. */
function channelGroup(): common.ConfigGroup {
  const block = common.Block.deserializeBinary(blockBytes);
  const envelope = common.Envelope.deserializeBinary(block.getData()!.getDataList_asU8()[0]!);
  const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
  const configEnvelope = common.ConfigEnvelope.deserializeBinary(payload.getData_asU8());
  return configEnvelope.getConfig()!.getChannelGroup()!;
}

/** Every ConfigPolicy of the config tree, by path such as 'Channel/Application/Org1MSP/Readers'. */
function allPolicies(group: common.ConfigGroup, at = 'Channel'): Map<string, common.Policy> {
  const found = new Map<string, common.Policy>();
  group.getPoliciesMap().forEach((configPolicy: common.ConfigPolicy, name: string) => found.set(`${at}/${name}`, configPolicy.getPolicy()!));
  group.getGroupsMap().forEach((child: common.ConfigGroup, name: string) => {
    for (const [p, policy] of allPolicies(child, `${at}/${name}`)) found.set(p, policy);
  });
  return found;
}

// --- An independent reading of configtxlator's JSON, to compare against. ---
interface RuleJson {
  readonly signed_by?: number;
  readonly n_out_of?: { readonly n?: number; readonly rules: readonly RuleJson[] };
}
interface PolicyJson {
  readonly type: number;
  readonly value: {
    readonly rule?: RuleJson | string;
    readonly sub_policy?: string;
    readonly identities?: readonly { readonly principal: { readonly msp_identifier: string; readonly role?: string } }[];
  };
}
interface GroupJson {
  readonly policies?: Record<string, { readonly policy: PolicyJson }>;
  readonly groups?: Record<string, GroupJson>;
}
interface BlockJson {
  readonly data: { readonly data: readonly { readonly payload: { readonly data: { readonly config: { readonly channel_group: GroupJson } } } }[] };
}

function textFromJson(policy: PolicyJson): string {
  if (policy.type === 3) return `${policy.value.rule as string} ${policy.value.sub_policy ?? ''}`;
  const ids = policy.value.identities ?? [];
  const rule = (r: RuleJson): string => {
    if (r.n_out_of === undefined) {
      const id = ids[r.signed_by ?? 0]!.principal;
      return `'${id.msp_identifier}.${(id.role ?? 'MEMBER').toLowerCase()}'`;
    }
    const n = r.n_out_of.n ?? 0;
    const args = r.n_out_of.rules.map(rule).join(',');
    return n === 1 ? `OR(${args})` : n === r.n_out_of.rules.length ? `AND(${args})` : `OutOf(${n},${args})`;
  };
  return rule(policy.value.rule as RuleJson);
}

function jsonPolicies(group: GroupJson, at = 'Channel'): Map<string, string> {
  const found = new Map<string, string>();
  for (const [name, p] of Object.entries(group.policies ?? {})) found.set(`${at}/${name}`, textFromJson(p.policy));
  for (const [name, child] of Object.entries(group.groups ?? {})) {
    for (const [p, text] of jsonPolicies(child, `${at}/${name}`)) found.set(p, text);
  }
  return found;
}

function containsBytes(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(Buffer.from(needle)) >= 0;
}

describe('policies of a real Fabric v2.5 genesis block (block0-config.pb)', () => {
  const policies = allPolicies(channelGroup());

  it.each([
    ['Channel/Application/Org1MSP/Readers', "OR('Org1MSP.admin','Org1MSP.peer','Org1MSP.client')"],
    ['Channel/Application/Org1MSP/Writers', "OR('Org1MSP.admin','Org1MSP.client')"],
    ['Channel/Application/Org1MSP/Admins', "OR('Org1MSP.admin')"],
    ['Channel/Application/Org1MSP/Endorsement', "OR('Org1MSP.peer')"],
    ['Channel/Application/Org2MSP/Readers', "OR('Org2MSP.admin','Org2MSP.peer','Org2MSP.client')"],
    ['Channel/Orderer/OrdererOrg/Readers', "OR('OrdererMSP.member')"],
    ['Channel/Application/Endorsement', 'MAJORITY Endorsement'],
    ['Channel/Application/LifecycleEndorsement', 'MAJORITY Endorsement'],
    ['Channel/Application/Readers', 'ANY Readers'],
    ['Channel/Application/Admins', 'MAJORITY Admins'],
    ['Channel/Orderer/BlockValidation', 'ANY Writers'],
    ['Channel/Readers', 'ANY Readers'],
  ])('%s is %s', (at, expected) => {
    const policy = policies.get(at);
    expect(policy).toBeDefined();
    expect(formatPolicy(parsePolicy(policy!.serializeBinary()))).toBe(expected);
  });

  it('reads every policy as configtxlator decoded it', () => {
    const fromJson = jsonPolicies(blockJson.data.data[0]!.payload.data.config.channel_group);
    expect(fromJson.size).toBe(policies.size);
    expect(policies.size).toBeGreaterThanOrEqual(20);
    for (const [at, policy] of policies) {
      expect(formatPolicy(parsePolicy(policy.serializeBinary())), at).toBe(fromJson.get(at));
    }
  });

  it('rebuilds every policy byte for byte', () => {
    for (const [at, policy] of policies) {
      const parsed: PolicyDefinition = parsePolicy(policy.serializeBinary());
      const value = policy.getValue_asU8(); // the raw bytes Fabric wrote
      if (parsed.kind === 'implicitMeta') {
        expect(policy.getType(), at).toBe(3);
        expect(Buffer.from(buildImplicitMetaPolicy(parsed)).equals(Buffer.from(value)), at).toBe(true);
        expect(parseImplicitMetaPolicyBytes(value), at).toEqual(parsed);
      } else {
        expect(policy.getType(), at).toBe(1);
        expect(Buffer.from(buildSignaturePolicyEnvelope(parsed)).equals(Buffer.from(value)), at).toBe(true);
        expect(parseSignaturePolicyEnvelope(value), at).toEqual(parsed);
      }
      // The whole common.Policy message, as it sits inside the block.
      expect(containsBytes(blockBytes, buildPolicy(parsed)), at).toBe(true);
    }
  });

  it('builds the block’s bytes from the policy text, as configtxgen does', () => {
    const readers = policies.get('Channel/Application/Org1MSP/Readers')!;
    const built = buildPolicy(parseSignaturePolicy("OR('Org1MSP.admin', 'Org1MSP.peer', 'Org1MSP.client')"));
    expect(Buffer.from(built).equals(Buffer.from(readers.serializeBinary()))).toBe(true);
    expect(containsBytes(blockBytes, built)).toBe(true);
  });
});

describe("buildSignaturePolicyEnvelope matches Fabric's policydsl.FromString", () => {
  const role = (mspId: string, r: 0 | 1 | 2 | 3 | 4): msp.MSPPrincipal => {
    const mspRole = new msp.MSPRole();
    mspRole.setMspIdentifier(mspId);
    mspRole.setRole(r);
    const principal = new msp.MSPPrincipal();
    principal.setPrincipalClassification(0);
    principal.setPrincipal(mspRole.serializeBinary());
    return principal;
  };
  const by = (index: number): common.SignaturePolicy => {
    const rule = new common.SignaturePolicy();
    rule.setSignedBy(index);
    return rule;
  };
  const gate = (n: number, rules: common.SignaturePolicy[]): common.SignaturePolicy => {
    const g = new common.SignaturePolicy.NOutOf();
    g.setN(n);
    g.setRulesList(rules);
    const rule = new common.SignaturePolicy();
    rule.setNOutOf(g);
    return rule;
  };
  const envelope = (rule: common.SignaturePolicy, identities: msp.MSPPrincipal[]): Uint8Array => {
    const e = new common.SignaturePolicyEnvelope();
    e.setRule(rule);
    e.setIdentitiesList(identities);
    return e.serializeBinary();
  };
  const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

  it("numbers a nested gate's principals first (Fabric's TestComplex1)", () => {
    // FromString("OR('A.member', AND('B.member', 'C.member'))") = identities [B, C, A], Or(SignedBy(2), And(SignedBy(0), SignedBy(1))).
    const expected = envelope(gate(1, [by(2), gate(2, [by(0), by(1)])]), [role('B', 0), role('C', 0), role('A', 0)]);
    expect(hex(buildSignaturePolicyEnvelope(parseSignaturePolicy("OR('A.member', AND('B.member', 'C.member'))")))).toBe(hex(expected));
  });

  it('numbers sibling gates left to right, deepest first (Fabric TestComplex2 and deeper)', () => {
    const complex2 = envelope(gate(1, [gate(2, [by(0), by(1)]), gate(1, [by(2), by(3)])]), [role('A', 0), role('B', 0), role('C', 1), role('D', 0)]);
    expect(hex(buildSignaturePolicyEnvelope(parseSignaturePolicy("OR(AND('A.member', 'B.member'), OR('C.admin', 'D.member'))")))).toBe(hex(complex2));
    // OR(AND('A.peer', OR('B.peer','C.peer')), 'D.peer'): innermost OR runs first (B0, C1), then AND (A2), then the outer OR (D3).
    const deeper = envelope(gate(1, [gate(2, [by(2), gate(1, [by(0), by(1)])]), by(3)]), [role('B', 3), role('C', 3), role('A', 3), role('D', 3)]);
    expect(hex(buildSignaturePolicyEnvelope(parseSignaturePolicy("OR(AND('A.peer', OR('B.peer','C.peer')), 'D.peer')")))).toBe(hex(deeper));
  });

  it('does not deduplicate repeated principals, as FromString does not', () => {
    const expected = envelope(gate(2, [by(0), by(1)]), [role('Org1MSP', 3), role('Org1MSP', 3)]);
    expect(hex(buildSignaturePolicyEnvelope(parseSignaturePolicy("AND('Org1MSP.peer', 'Org1MSP.peer')")))).toBe(hex(expected));
  });

  it('writes every role with its enum number', () => {
    const built = parseSignaturePolicyEnvelope(buildSignaturePolicyEnvelope(parseSignaturePolicy("OR('A.member','B.admin','C.client','D.peer','E.orderer')")));
    expect(built).toEqual(parseSignaturePolicy("OR('A.member','B.admin','C.client','D.peer','E.orderer')"));
    const expected = envelope(gate(1, [by(0), by(1), by(2), by(3), by(4)]), [role('A', 0), role('B', 1), role('C', 2), role('D', 3), role('E', 4)]);
    expect(hex(buildSignaturePolicyEnvelope(built))).toBe(hex(expected));
  });

  it('round-trips trees only protobuf can hold', () => {
    for (const tree of [signedBy('Org1MSP', 'peer'), nOutOf(0, []), nOutOf(3, [signedBy('A', 'member'), signedBy('B', 'member')]), nOutOf(-1, [signedBy('A', 'member')])]) {
      expect(parseSignaturePolicyEnvelope(buildSignaturePolicyEnvelope(tree))).toEqual(tree);
    }
  });

  it('reads identities shared by several leaves (as other tools write them)', () => {
    const shared = envelope(gate(2, [by(0), gate(1, [by(0), by(1)])]), [role('Org1MSP', 3), role('Org2MSP', 3)]);
    expect(formatPolicy(parseSignaturePolicyEnvelope(shared))).toBe("AND('Org1MSP.peer',OR('Org1MSP.peer','Org2MSP.peer'))");
  });

  it('round-trips implicit meta policies and the common.Policy wrapper', () => {
    for (const policy of [implicitMeta('ANY', 'Readers'), implicitMeta('ALL', 'Writers'), implicitMeta('MAJORITY', 'Endorsement')]) {
      expect(parseImplicitMetaPolicyBytes(buildImplicitMetaPolicy(policy))).toEqual(policy);
      expect(parsePolicy(buildPolicy(policy))).toEqual(policy);
    }
    const sig = parseSignaturePolicy("OutOf(2,'A.peer','B.peer','C.peer')");
    expect(parsePolicy(buildPolicy(sig))).toEqual(sig);
    expect(common.Policy.deserializeBinary(buildPolicy(sig)).getType()).toBe(1);
    expect(common.Policy.deserializeBinary(buildPolicy(implicitMeta('ANY', 'Readers'))).getType()).toBe(3);
  });

  describe('refuses what it cannot read, with POLICY_ENVELOPE_INVALID', () => {
    const refuse = (read: () => unknown, message: string) => {
      let error: unknown;
      try {
        read();
      } catch (err) {
        error = err;
      }
      expect(isFabsimError(error, 'POLICY_ENVELOPE_INVALID')).toBe(true);
      expect((error as Error).message).toContain(message);
    };
    const ouPrincipal = (): msp.MSPPrincipal => {
      const ou = new msp.OrganizationUnit();
      ou.setMspIdentifier('Org1MSP');
      ou.setOrganizationalUnitIdentifier('peer');
      const principal = new msp.MSPPrincipal();
      principal.setPrincipalClassification(1);
      principal.setPrincipal(ou.serializeBinary());
      return principal;
    };

    it('malformed bytes', () => {
      refuse(() => parseSignaturePolicyEnvelope(new Uint8Array([0xff, 0xff, 0xff])), 'not a valid common.SignaturePolicyEnvelope protobuf message');
      refuse(() => parsePolicy(new Uint8Array([0x12, 0x05, 0x01])), 'not a valid common.Policy protobuf message');
      refuse(() => parseImplicitMetaPolicyBytes(new Uint8Array([0x0a, 0x09, 0x41])), 'not a valid common.ImplicitMetaPolicy protobuf message');
    });

    it('a principal whose MSPRole bytes are malformed', () => {
      const principal = new msp.MSPPrincipal();
      principal.setPrincipal(new Uint8Array([0xff, 0xff, 0xff]));
      refuse(() => parseSignaturePolicyEnvelope(envelope(by(0), [principal])), 'not a valid msp.MSPRole of identity 0 protobuf message');
    });

    it('a version other than 0', () => {
      const e = common.SignaturePolicyEnvelope.deserializeBinary(envelope(by(0), [role('A', 0)]));
      e.setVersion(1);
      refuse(() => parseSignaturePolicyEnvelope(e.serializeBinary()), 'has version 1; Fabric (and fabsim) only evaluate version 0 envelopes');
    });

    it('no rule, or a rule that is neither signed_by nor n_out_of', () => {
      const noRule = new common.SignaturePolicyEnvelope();
      noRule.setIdentitiesList([role('A', 0)]);
      refuse(() => parseSignaturePolicyEnvelope(noRule.serializeBinary()), 'has no rule');
      refuse(() => parseSignaturePolicyEnvelope(envelope(gate(1, [by(0), new common.SignaturePolicy()]), [role('A', 0)])), 'rule.n_out_of.rules[1] of the common.SignaturePolicyEnvelope sets neither signed_by nor n_out_of');
    });

    it('a signed_by index out of range', () => {
      refuse(() => parseSignaturePolicyEnvelope(envelope(gate(1, [by(0), by(2)]), [role('A', 0), role('B', 0)])),
        'rule.n_out_of.rules[1] is signed_by identity 2 of the common.SignaturePolicyEnvelope, but it lists 2 (indices 0 to 1)');
      refuse(() => parseSignaturePolicyEnvelope(envelope(by(0), [])), 'is signed_by identity 0 of the common.SignaturePolicyEnvelope, but it lists no identities');
      refuse(() => parseSignaturePolicyEnvelope(envelope(by(-1), [role('A', 0)])), 'is signed_by identity -1');
    });

    it('principals other than ROLE', () => {
      refuse(() => parseSignaturePolicyEnvelope(envelope(gate(1, [by(0), by(1)]), [role('A', 0), ouPrincipal()])),
        "identity 1 of the common.SignaturePolicyEnvelope is an ORGANIZATION_UNIT principal; fabsim supports only ROLE principals ('MSPID.role'");
      const idPrincipal = new msp.MSPPrincipal();
      idPrincipal.setPrincipalClassification(2);
      refuse(() => parseSignaturePolicyEnvelope(envelope(by(0), [idPrincipal])), 'is an IDENTITY principal');
    });

    it('accepts an envelope whose unsupported principal no rule uses', () => {
      expect(parseSignaturePolicyEnvelope(envelope(by(0), [role('A', 1), ouPrincipal()]))).toEqual(signedBy('A', 'admin'));
    });

    it('an unknown MSP role number', () => {
      const mspRole = new msp.MSPRole();
      mspRole.setMspIdentifier('A');
      mspRole.setRole(9 as 0);
      const principal = new msp.MSPPrincipal();
      principal.setPrincipal(mspRole.serializeBinary());
      refuse(() => parseSignaturePolicyEnvelope(envelope(by(0), [principal])), 'has MSP role 9, which is none of MEMBER, ADMIN, CLIENT, PEER, ORDERER');
    });

    it('an unknown implicit meta rule, and policy types other than SIGNATURE and IMPLICIT_META', () => {
      const meta = new common.ImplicitMetaPolicy();
      meta.setRule(5 as 0);
      meta.setSubPolicy('Readers');
      refuse(() => parseImplicitMetaPolicyBytes(meta.serializeBinary()), 'has rule 5, which is none of ANY (0), ALL (1), MAJORITY (2)');
      for (const [type, message] of [[2, 'type MSP (2)'], [0, 'type 0'], [7, 'type 7']] as const) {
        const policy = new common.Policy();
        policy.setType(type);
        refuse(() => parsePolicy(policy.serializeBinary()), message);
      }
    });
  });
});
