import { assert } from '../../core/assert.js';
import { isFabsimError } from '../../core/errors.js';
import type { ChannelRegistry } from '../../common/channel-resources.js';
import type { LedgerQueries } from '../../ledger/ledger-types.js';
import type { AsyncSignatureVerifier } from '../../msp/ecdsa.js';
import { parseCommitStatusRequest, parseSignedCommitStatusRequest, type CommitStatusRequest, type SignedGatewayRequest } from '../../protos/gateway.js';
import type { TxValidationCodeName } from '../../protos/tx-validation-code.js';
import { gatewayAborted } from './gateway-error.js';
import { checkGatewayAccess, type GatewayRefusal } from './gateway-request-check.js';

/**
 * Fabric Gateway's CommitStatus (internal/pkg/gateway/commitstatus.go and commit/finder.go): a
 * client that submitted a transaction asks a peer for its TxValidationCode and block number. If
 * the transaction is already committed on this peer, the answer comes from the ledger's tx-id
 * index at once; otherwise the call waits for the block that commits it, or until the client
 * gives up (its deadline or a cancel, as an AbortSignal).
 *
 * As Fabric's Finder, the commit listener is registered BEFORE the index is asked, so a block that
 * commits between the two cannot be missed; and the index's answer wins over a commit heard while
 * it was being asked (both name the first commit of the tx id, which the index keeps).
 */

/** What CommitStatus answers (gateway.CommitStatusResponse). */
export interface CommitStatus {
  readonly result: TxValidationCodeName;
  readonly blockNumber: number;
}

/** What the commit listener needs of a committed block (src/peer/committer.ts CommittedBlock has it). */
export interface CommitNotice {
  readonly number: number;
  /** In block order; the first entry with a tx id is the one the tx-id index keeps. */
  readonly transactions: ReadonlyArray<{ readonly txId: string; readonly code: TxValidationCodeName }>;
}

/** Subscribes `listener` to every later commit of the channel; returns the unsubscribe function (Committer.onCommitted). */
export type OnCommitted = (listener: (block: CommitNotice) => void) => () => void;

/** One channel's ledger index and commit notifications. */
export interface CommitStatusSource {
  readonly ledger: Pick<LedgerQueries, 'getTransactionLocation'>;
  readonly onCommitted: OnCommitted;
}

/**
 * The commit status of `txId` on this peer (see the module comment). Rejects with GatewayError
 * GATEWAY_ABORTED when `signal` aborts first (already aborted: at once), and with the ledger's
 * error when the index cannot be read. The listener is removed however it ends.
 */
export function waitForCommitStatus(source: CommitStatusSource, channelId: string, txId: string, signal?: AbortSignal): Promise<CommitStatus> {
  assert(txId !== '', 'waitForCommitStatus needs a tx id (checkCommitStatusRequest refuses an empty one)');
  const what = `waiting for the commit status of transaction ${txId} on channel ${channelId}`;
  if (signal?.aborted === true) return Promise.reject(gatewayAborted(signal, what, { txId, channel: channelId }));
  return new Promise<CommitStatus>((resolve, reject) => {
    let settled = false;
    /** A commit heard before the index answered: used only if the index does not know the tx. */
    let heard: CommitStatus | undefined;
    let indexAnswered = false;

    const settle = (finish: () => void): void => {
      if (settled) return;
      settled = true;
      unsubscribe();
      signal?.removeEventListener('abort', onAbort);
      finish();
    };
    const onAbort = (): void => {
      if (signal !== undefined) settle(() => reject(gatewayAborted(signal, what, { txId, channel: channelId })));
    };

    // settle runs only after this assignment: the listener settles only once the index answered.
    const unsubscribe = source.onCommitted((block) => {
      if (settled || heard !== undefined) return;
      const tx = block.transactions.find((t) => t.txId === txId);
      if (tx === undefined) return;
      const status = { result: tx.code, blockNumber: block.number };
      if (indexAnswered) settle(() => resolve(status));
      else heard = status;
    });
    signal?.addEventListener('abort', onAbort, { once: true });

    Promise.resolve()
      .then(() => source.ledger.getTransactionLocation(txId))
      .then(
        (location) => {
          indexAnswered = true;
          const status = location === undefined ? heard : { result: location.code, blockNumber: location.blockNum };
          if (status !== undefined) settle(() => resolve(status));
        },
        (err: unknown) => settle(() => reject(err)),
      );
  });
}

export type CommitStatusRequestCheck =
  | { readonly ok: true; readonly request: CommitStatusRequest }
  | { readonly ok: false; readonly refusal: GatewayRefusal };

/**
 * Checks a serialized gateway.SignedCommitStatusRequest as Fabric's CommitStatus does, in its
 * order: the request is present and decodes (invalid-argument "a commit status request is
 * required" / "invalid status request: ..."), names an identity, a channel and a tx id
 * (invalid-argument), and its identity signed it and satisfies the channel's
 * /Channel/Application/Readers (permission-denied; see gateway-request-check.ts).
 */
export async function checkCommitStatusRequest(signedRequestBytes: Uint8Array, channels: ChannelRegistry, verify?: AsyncSignatureVerifier): Promise<CommitStatusRequestCheck> {
  const decoded = decodeRequest(signedRequestBytes);
  if (!decoded.ok) return decoded;
  const { signed, request } = decoded;
  if (request.identity.length === 0) return invalid('no identity provided: CommitStatusRequest.identity must be the serialized identity of the signer');
  if (request.channelId === '') return invalid('no channel ID provided: CommitStatusRequest.channel_id is empty');
  if (request.transactionId === '') return invalid('transaction ID should not be empty: CommitStatusRequest.transaction_id names the transaction to wait for');
  const access = await checkGatewayAccess(channels, { channelId: request.channelId, request: signed.request, signature: signed.signature, identity: request.identity, what: 'commit status' }, verify);
  return access.ok ? { ok: true, request } : { ok: false, refusal: access.refusal };
}

function decodeRequest(bytes: Uint8Array): { readonly ok: true; readonly signed: SignedGatewayRequest; readonly request: CommitStatusRequest } | Extract<CommitStatusRequestCheck, { ok: false }> {
  try {
    const signed = parseSignedCommitStatusRequest(bytes);
    if (signed.request.length === 0) return invalid('a commit status request is required: SignedCommitStatusRequest.request is empty');
    return { ok: true, signed, request: parseCommitStatusRequest(signed.request) };
  } catch (err) {
    if (!isFabsimError(err, 'PROTO_MALFORMED')) throw err;
    return invalid(`invalid status request: ${err.message}`);
  }
}

function invalid(message: string): Extract<CommitStatusRequestCheck, { ok: false }> {
  return { ok: false, refusal: { kind: 'invalid-argument', message } };
}
