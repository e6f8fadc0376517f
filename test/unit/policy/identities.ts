import type { MspRole, PolicyIdentity } from '../../../src/policy/index.js';

/** A validated signer for policy tests: key = MSP ID + name, roles always include 'member'. */
export function identity(mspId: string, name: string, ...roles: MspRole[]): PolicyIdentity {
  return { key: `${mspId}/${name}`, mspId, name, roles: new Set<MspRole>(['member', ...roles]) };
}

/** The test-network's signers. */
export const peer1 = identity('Org1MSP', 'peer0.org1.example.com', 'peer');
export const peer2 = identity('Org2MSP', 'peer0.org2.example.com', 'peer');
export const admin1 = identity('Org1MSP', 'Admin@org1.example.com', 'admin');
export const admin2 = identity('Org2MSP', 'Admin@org2.example.com', 'admin');
export const user1 = identity('Org1MSP', 'User1@org1.example.com', 'client');
export const user2 = identity('Org2MSP', 'User1@org2.example.com', 'client');
