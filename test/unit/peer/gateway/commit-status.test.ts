import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFabsimError } from '../../../../src/core/errors.js';
import type { TransactionLocation } from '../../../../src/ledger/ledger-types.js';
import { verifyEcdsa, type AsyncSignatureVerifier } from '../../../../src/msp/ecdsa.js';
import type { SigningIdentity } from '../../../../src/msp/signing-identity.js';
import { checkCommitStatusRequest, waitForCommitStatus, type CommitStatusSource } from '../../../../src/peer/gateway/commit-status.js';
import { GatewayError } from '../../../../src/peer/gateway/gateway-error.js';
import { buildCommitStatusRequest, buildSignedCommitStatusRequest, type CommitStatusRequest } from '../../../../src/protos/gateway.js';
import { makeChannelFixture, type ChannelFixture } from '../../../helpers/channel-fixture.js';
import { buildEndorsedTransaction, type EndorsedTransaction } from '../../../helpers/endorsed-transaction.js';
import { TestChain } from './test-chain.js';

/**
 * Fabric Gateway's CommitStatus (commitstatus.go, commit/finder.go) over a real PeerLedger and a
 * commit feed in the Committer's order, with real signed transactions and requests.
 */

const CHANNEL = 'mychannel';
let fx: ChannelFixture;
let user1: SigningIdentity;
let org2User: SigningIdentity;
let peer1: SigningIdentity;

beforeAll(async () => {
  fx = await makeChannelFixture('gateway-commit-status');
  [user1, org2User, peer1] = await Promise.all([fx.user('org1'), fx.user('org2'), fx.peer('org1')]);
}, 60_000);
afterAll(() => fx?.cleanup());

const tx = (): EndorsedTransaction => buildEndorsedTransaction({ channelId: CHANNEL, creator: user1, endorsers: [peer1], chaincode: { name: 'basic' }, rwsets: [] });
const chain = (): Promise<TestChain> => TestChain.open(fx.genesis.get(CHANNEL)!.block);

/** Tracks whether a promise has settled, without waiting for it. */
function track<T>(promise: Promise<T>): { promise: Promise<T>; readonly settled: boolean } {
  const state = { promise, settled: false };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

/** A source whose index lookups are observable: `looked` resolves once the index has answered. */
function observed(c: TestChain, before?: () => void): { source: CommitStatusSource; looked: Promise<void> } {
  let answered!: () => void;
  const looked = new Promise<void>((resolve) => (answered = resolve));
  return {
    looked,
    source: {
      onCommitted: c.onCommitted,
      ledger: {
        getTransactionLocation: async (txId: string) => {
          before?.();
          const location = await c.ledger.getTransactionLocation(txId);
          answered();
          return location;
        },
      },
    },
  };
}

describe('waitForCommitStatus', () => {
  it('answers at once from the tx-id index for a committed transaction, valid or not', async () => {
    const c = await chain();
    const [a, b] = [tx(), tx()];
    await c.commit([{ ...a }, { ...b, code: 'ENDORSEMENT_POLICY_FAILURE' }]);
    const source = { ledger: c.ledger, onCommitted: c.onCommitted };
    await expect(waitForCommitStatus(source, CHANNEL, a.txId)).resolves.toEqual({ result: 'VALID', blockNumber: 1 });
    await expect(waitForCommitStatus(source, CHANNEL, b.txId)).resolves.toEqual({ result: 'ENDORSEMENT_POLICY_FAILURE', blockNumber: 1 });
    expect(c.listenerCount).toBe(0);
  });

  it('waits for the block that commits the transaction, and answers its code and number', async () => {
    const c = await chain();
    const [a, other] = [tx(), tx()];
    const { source, looked } = observed(c);
    const status = track(waitForCommitStatus(source, CHANNEL, a.txId));
    await looked;
    await c.commit([other]);
    expect(status.settled).toBe(false);
    await c.commit([other, { ...a, code: 'MVCC_READ_CONFLICT' }]);
    await expect(status.promise).resolves.toEqual({ result: 'MVCC_READ_CONFLICT', blockNumber: 2 });
    expect(c.listenerCount).toBe(0);
  });

  it('subscribes before asking the index: a block committed while the index is read is not missed', async () => {
    const c = await chain();
    const a = tx();
    // The block lands just after the index was read (it answers "unknown"), before the wait begins.
    const source: CommitStatusSource = {
      onCommitted: c.onCommitted,
      ledger: {
        getTransactionLocation: async () => {
          c.announce({ number: 7, transactions: [{ txId: a.txId, code: 'VALID' }] });
          return undefined;
        },
      },
    };
    await expect(waitForCommitStatus(source, CHANNEL, a.txId)).resolves.toEqual({ result: 'VALID', blockNumber: 7 });
    expect(c.listenerCount).toBe(0);
  });

  it("prefers the index's answer (the first commit of the tx id) over a commit heard while asking it", async () => {
    const c = await chain();
    const a = tx();
    const source: CommitStatusSource = {
      onCommitted: c.onCommitted,
      ledger: {
        getTransactionLocation: async (): Promise<TransactionLocation> => {
          c.announce({ number: 5, transactions: [{ txId: a.txId, code: 'DUPLICATE_TXID' }] });
          return { txId: a.txId, blockNum: 3, txNum: 0, code: 'VALID' };
        },
      },
    };
    await expect(waitForCommitStatus(source, CHANNEL, a.txId)).resolves.toEqual({ result: 'VALID', blockNumber: 3 });
  });

  it('takes the first occurrence of the tx id in a block', async () => {
    const c = await chain();
    const [a, other] = [tx(), tx()];
    const { source, looked } = observed(c);
    const status = waitForCommitStatus(source, CHANNEL, a.txId);
    await looked;
    await c.commit([other, { ...a, code: 'VALID' }, { ...a, code: 'DUPLICATE_TXID' }]);
    await expect(status).resolves.toEqual({ result: 'VALID', blockNumber: 1 });
  });

  it('rejects with GATEWAY_ABORTED when the client cancels, and stops listening', async () => {
    const c = await chain();
    const a = tx();
    const controller = new AbortController();
    const { source, looked } = observed(c);
    const status = waitForCommitStatus(source, CHANNEL, a.txId, controller.signal);
    await looked;
    expect(c.listenerCount).toBe(1);
    controller.abort();
    const err = await status.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(isFabsimError(err, 'GATEWAY_ABORTED')).toBe(true);
    expect((err as Error).message).toMatch(/cancelled/);
    expect((err as GatewayError).context).toMatchObject({ txId: a.txId, channel: CHANNEL });
    expect(c.listenerCount).toBe(0);
    // The commit that comes later changes nothing.
    await c.commit([a]);
  });

  it('says when the deadline passed, and rejects at once for a signal aborted before the call', async () => {
    const c = await chain();
    const a = tx();
    const controller = new AbortController();
    controller.abort(new DOMException('deadline exceeded', 'TimeoutError'));
    const err = await waitForCommitStatus({ ledger: c.ledger, onCommitted: c.onCommitted }, CHANNEL, a.txId, controller.signal).catch((e: unknown) => e);
    expect(isFabsimError(err, 'GATEWAY_ABORTED')).toBe(true);
    expect((err as Error).message).toMatch(/deadline passed/);
    expect((err as Error).cause).toBe(controller.signal.reason);
    expect(c.listenerCount).toBe(0);
  });

  it("rejects with the ledger's error when the index cannot be read", async () => {
    const c = await chain();
    const broken: CommitStatusSource = {
      onCommitted: c.onCommitted,
      ledger: {
        getTransactionLocation: async () => {
          throw new Error('disk failed');
        },
      },
    };
    await expect(waitForCommitStatus(broken, CHANNEL, tx().txId)).rejects.toThrow('disk failed');
    expect(c.listenerCount).toBe(0);
  });
});

describe('checkCommitStatusRequest', () => {
  const verify: AsyncSignatureVerifier = async (key, message, signature) => verifyEcdsa(key, message, signature);

  /** A SignedCommitStatusRequest as fabric-gateway builds it: the request names `identity`, `signer` signs its bytes. */
  function signedRequest(fields: Partial<CommitStatusRequest> = {}, signer: SigningIdentity = user1): Uint8Array {
    const request = buildCommitStatusRequest({ transactionId: 'tx1', channelId: CHANNEL, identity: user1.serialized, ...fields });
    return buildSignedCommitStatusRequest({ request, signature: signer.sign(request) });
  }

  it('accepts a request signed by the identity it names, a reader of the channel', async () => {
    const check = await checkCommitStatusRequest(signedRequest(), fx.registry);
    expect(check).toEqual({ ok: true, request: { transactionId: 'tx1', channelId: CHANNEL, identity: user1.serialized } });
    expect((await checkCommitStatusRequest(signedRequest({ identity: org2User.serialized }, org2User), fx.registry, verify)).ok).toBe(true);
  });

  it('refuses a request signed by another identity than the one it names', async () => {
    const check = await checkCommitStatusRequest(signedRequest({ identity: user1.serialized }, org2User), fx.registry);
    expect(check).toMatchObject({ ok: false, refusal: { kind: 'permission-denied' } });
    if (!check.ok) expect(check.refusal.message).toMatch(/commit status request's signature is not valid.*signed by the identity it names/);
    expect(await checkCommitStatusRequest(signedRequest({ identity: user1.serialized }, org2User), fx.registry, verify)).toMatchObject({ ok: false, refusal: { kind: 'permission-denied' } });
  });

  it("refuses an identity that is not a reader of the channel, and a channel the peer has not joined", async () => {
    // Channel "lab" holds Org1 only.
    const lab = await checkCommitStatusRequest(signedRequest({ channelId: 'lab', identity: org2User.serialized }, org2User), fx.registry);
    expect(lab).toMatchObject({ ok: false, refusal: { kind: 'permission-denied' } });
    if (!lab.ok) expect(lab.refusal.message).toMatch(/channel lab/);
    expect((await checkCommitStatusRequest(signedRequest({ channelId: 'lab' }), fx.registry)).ok).toBe(true);
    const unknown = await checkCommitStatusRequest(signedRequest({ channelId: 'nochannel' }), fx.registry);
    expect(unknown).toMatchObject({ ok: false, refusal: { kind: 'permission-denied' } });
    if (!unknown.ok) expect(unknown.refusal.message).toMatch(/"nochannel", which this peer has not joined/);
  });

  it("refuses with invalid-argument, in Fabric's order, what Fabric refuses so", async () => {
    const refusal = async (bytes: Uint8Array) => {
      const check = await checkCommitStatusRequest(bytes, fx.registry);
      expect(check.ok).toBe(false);
      return check.ok ? undefined : check.refusal;
    };
    expect(await refusal(new Uint8Array())).toMatchObject({ kind: 'invalid-argument', message: expect.stringMatching(/^a commit status request is required/) });
    expect(await refusal(Uint8Array.of(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f))).toMatchObject({ kind: 'invalid-argument', message: expect.stringMatching(/^invalid status request: .*SignedCommitStatusRequest/) });
    const garbageInside = buildSignedCommitStatusRequest({ request: Uint8Array.of(0x1a, 0x05, 0x01), signature: new Uint8Array() });
    expect(await refusal(garbageInside)).toMatchObject({ kind: 'invalid-argument', message: expect.stringMatching(/^invalid status request: .*gateway\.CommitStatusRequest/) });
    expect(await refusal(signedRequest({ identity: new Uint8Array(), channelId: '' }))).toMatchObject({ kind: 'invalid-argument', message: expect.stringMatching(/^no identity provided/) });
    expect(await refusal(signedRequest({ channelId: '', transactionId: '' }))).toMatchObject({ kind: 'invalid-argument', message: expect.stringMatching(/^no channel ID provided/) });
    expect(await refusal(signedRequest({ transactionId: '' }))).toMatchObject({ kind: 'invalid-argument', message: expect.stringMatching(/^transaction ID should not be empty/) });
  });
});
