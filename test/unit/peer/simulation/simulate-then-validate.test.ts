import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelResources } from '../../../../src/common/channel-resources.js';
import type { PeerLedger } from '../../../../src/ledger/peer-ledger.js';
import { verifyEcdsaInThreadPool } from '../../../../src/msp/ecdsa.js';
import type { SigningIdentity } from '../../../../src/msp/signing-identity.js';
import { TransactionSimulator, type SimulationResult } from '../../../../src/peer/simulation/transaction-simulator.js';
import { chaincodeDefinition, MapChaincodeDefinitions } from '../../../../src/peer/validation/chaincode-definition.js';
import { validateBlock } from '../../../../src/peer/validation/validate-block.js';
import { blockDataHash, type Block } from '../../../../src/protos/block.js';
import { makeChannelFixture, NOW, type ChannelFixture } from '../../../helpers/channel-fixture.js';
import { buildEndorsedTransaction } from '../../../helpers/endorsed-transaction.js';
import { b, ledgerWith, put, valid } from './simulation-ledger.js';

/**
 * The simulator's rwsets go through the committing peer's validator unchanged: simulate against
 * a real PeerLedger, put the rwset bytes into a signed endorser transaction, validate the block.
 */

const CHANNEL = 'mychannel';
const chaincodes = new MapChaincodeDefinitions([chaincodeDefinition({ name: 'basic', version: '1.0' }), chaincodeDefinition({ name: 'other', version: '1.0' })]);

let fx: ChannelFixture;
let resources: ChannelResources;
let client: SigningIdentity;
let peer1: SigningIdentity;
let peer2: SigningIdentity;
let ledger: PeerLedger;

beforeAll(async () => {
  fx = await makeChannelFixture('simulation');
  resources = fx.registry.get(CHANNEL)!;
  [client, peer1, peer2] = await Promise.all([fx.user('org1'), fx.peer('org1'), fx.peer('org2')]);
  ledger = await ledgerWith([valid('seed', put('basic', 'asset1', '100'), put('basic', 'r1', 'a'), put('basic', 'r2', 'b'), put('basic', 'r4', 'd'), put('other', 'x', '1'))]);
}, 60_000);
afterAll(() => fx?.cleanup());

/** Simulates one transaction of `basic` against the ledger. */
async function simulate(run: (sim: TransactionSimulator) => Promise<void>): Promise<SimulationResult> {
  const sim = TransactionSimulator.start({ channelId: CHANNEL, txId: 'endorsing', namespace: 'basic', state: ledger });
  await run(sim);
  return sim.done();
}

/** The signed envelope carrying exactly the simulator's rwset bytes and event. */
function envelopeOf(result: SimulationResult): Uint8Array {
  return buildEndorsedTransaction({
    channelId: CHANNEL,
    creator: client,
    endorsers: [peer1, peer2],
    chaincode: { name: 'basic' },
    rwsets: [],
    ...(result.event === undefined ? {} : { event: result.event }),
    tamper: { results: result.rwsetBytes },
  }).envelope;
}

async function codesOf(...results: SimulationResult[]): Promise<string[]> {
  const data = results.map(envelopeOf);
  const block: Block = { header: { number: ledger.height, previousHash: new Uint8Array(32), dataHash: blockDataHash(data) }, data, metadata: [] };
  const validation = await validateBlock({ block, channelId: CHANNEL, resources, chaincodes, state: ledger, txIds: ledger, verify: verifyEcdsaInThreadPool, nowMs: NOW });
  return validation.transactions.map((t) => t.code);
}

/** Read asset1, add `amount`, write it back: what an asset-transfer chaincode does. */
const addTo = (amount: number) => async (sim: TransactionSimulator) => {
  const balance = Number(new TextDecoder().decode(await sim.getState('asset1')));
  sim.putState('asset1', b(String(balance + amount)));
};

describe('simulate → endorse → validateBlock', () => {
  it('a simulated transaction, with reads, a range query, a call to another chaincode, metadata and an event, is VALID', async () => {
    const result = await simulate(async (sim) => {
      await addTo(5)(sim);
      const range = sim.openRange('r', 's');
      await range.next(10);
      await sim.forNamespace('other').getState('x');
      sim.forNamespace('other').putState('y', b('2'));
      sim.putStateMetadata('asset1', 'note', b('metadata'));
      sim.setEvent('Added', b('5'));
    });
    expect(await codesOf(result)).toEqual(['VALID']);
  });

  it('a second simulation conflicting with the first gives MVCC_READ_CONFLICT when both are in one block', async () => {
    const first = await simulate(addTo(5));
    const second = await simulate(addTo(7));
    expect(await codesOf(first, second)).toEqual(['VALID', 'MVCC_READ_CONFLICT']);
  });

  it('a key inserted into an exhausted range earlier in the block is a phantom; beyond an early-closed range it is not', async () => {
    const insert = await simulate(async (sim) => sim.putState('r3', b('c')));
    const exhausted = await simulate(async (sim) => {
      await sim.openRange('r', 's').next(10);
    });
    const stoppedEarly = await simulate(async (sim) => {
      const range = sim.openRange('r', 's');
      await range.next(2); // r1, r2: r3 lies beyond what it saw
      range.close();
    });
    expect(await codesOf(insert, exhausted, stoppedEarly)).toEqual(['VALID', 'PHANTOM_READ_CONFLICT', 'VALID']);
  });

  it('two endorsers simulating the same invocation produce the same bytes', async () => {
    const a = await simulate(addTo(1));
    const b2 = await simulate(addTo(1));
    expect(Buffer.from(a.rwsetBytes).equals(Buffer.from(b2.rwsetBytes))).toBe(true);
  });
});
