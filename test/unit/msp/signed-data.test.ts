import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import { MspManager } from '../../../src/msp/msp-manager.js';
import { validSigners, type SignedData } from '../../../src/msp/signed-data.js';
import { evaluateSignaturePolicy, parseSignaturePolicy } from '../../../src/policy/index.js';
import { makeTestOrg, T0, type TestOrg } from '../../helpers/test-orgs.js';

let org1: TestOrg;
let org2: TestOrg;
let manager: MspManager;
const proposal = new TextEncoder().encode('proposal response payload');

beforeAll(async () => {
  org1 = await makeTestOrg('Org1MSP', 'org1.example.com');
  org2 = await makeTestOrg('Org2MSP', 'org2.example.com');
  manager = new MspManager([org1.msp, org2.msp], new ManualClock(T0));
});

async function endorsement(org: TestOrg, name: string, ou: string): Promise<SignedData> {
  const { signer } = await org.issue(name, ou);
  return { identity: signer.serialized, data: proposal, signature: signer.sign(proposal) };
}

describe('from signatures to a policy decision', () => {
  const policy = parseSignaturePolicy("AND('Org1MSP.peer','Org2MSP.peer')");

  it('satisfies AND(Org1 peer, Org2 peer) with one valid endorsement from each', async () => {
    const set = validSigners(manager, [await endorsement(org1, 'peer0.org1.example.com', 'peer'), await endorsement(org2, 'peer0.org2.example.com', 'peer')]);
    expect(set.rejected).toEqual([]);
    const result = evaluateSignaturePolicy(policy, set.identities);
    expect(result.satisfied).toBe(true);
    expect(result.explanation).toBe("AND('Org1MSP.peer','Org2MSP.peer') satisfied: Org1MSP.peer satisfied by peer0.org1.example.com; Org2MSP.peer satisfied by peer0.org2.example.com");
  });

  it('leaves out a forged signature, and the policy explains what is missing', async () => {
    const good = await endorsement(org1, 'peer0.org1.example.com', 'peer');
    const forged = await endorsement(org2, 'peer0.org2.example.com', 'peer');
    const tampered = { ...forged, data: new TextEncoder().encode('a different payload') };
    const set = validSigners(manager, [good, tampered]);
    expect(set.rejected).toMatchObject([{ index: 1, code: 'SIGNATURE_MISMATCH' }]);
    const result = evaluateSignaturePolicy(policy, set.identities);
    expect(result.satisfied).toBe(false);
    expect(result.explanation).toBe("AND('Org1MSP.peer','Org2MSP.peer') not satisfied: Org1MSP.peer satisfied by peer0.org1.example.com; Org2MSP.peer: no signature from Org2MSP");
  });

  it('counts the same endorser twice only once', async () => {
    const e = await endorsement(org1, 'peer0.org1.example.com', 'peer');
    const set = validSigners(manager, [e, e]);
    expect(evaluateSignaturePolicy(parseSignaturePolicy("OutOf(2,'Org1MSP.peer','Org1MSP.peer')"), set.identities).satisfied).toBe(false);
  });

  it('leaves out identities the MSPs refuse, with their reasons', async () => {
    const { signer } = await org1.issue('Eve@org3.example.com', 'client');
    const unknownMsp = { identity: new Uint8Array([10, 7, 79, 114, 103, 57, 77, 83, 80, 18, 1, 120]), data: proposal, signature: signer.sign(proposal) };
    const set = validSigners(manager, [unknownMsp, { identity: new Uint8Array([1, 2, 3]), data: proposal, signature: new Uint8Array() }]);
    expect(set.identities).toEqual([]);
    expect(set.rejected.map((r) => r.code)).toEqual(['MSP_UNKNOWN', 'MSP_BAD_IDENTITY_BYTES']);
    expect(set.rejected[0]?.reason).toMatch(/"Org9MSP" is not known here \(known MSPs: Org1MSP, Org2MSP\)/);
  });
});
