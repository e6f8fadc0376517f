import { describe, expect, it } from 'vitest';
import type { KvBatchOp } from '../../../src/storage/kv-store.js';
import { PeerLedger } from '../../../src/ledger/peer-ledger.js';
import { MemoryKvStore } from '../../../src/storage/memory-kv-store.js';
import { syntheticCommit } from '../../helpers/ledger-reference.js';

/**
 * PeerLedger.hasTxIds, the validator's duplicate-tx-id check of a whole block in one round trip
 * (read-only use of src/ledger, kept with the peer's tests that depend on it): the same answers as
 * hasTxId, id by id, in the order asked.
 */

/** A MemoryKvStore whose batches, once written, wait for `release` before resolving (a commit in progress). */
class GatedStore extends MemoryKvStore {
  gate: Promise<void> | undefined;
  onWritten: (() => void) | undefined;
  override async batch(ops: readonly KvBatchOp[], options?: { sync?: boolean }): Promise<void> {
    await super.batch(ops, options);
    this.onWritten?.();
    await this.gate;
  }
}

async function ledgerWithBlocks(store = new MemoryKvStore()): Promise<{ ledger: PeerLedger; previous: Uint8Array }> {
  const ledger = await PeerLedger.open(store);
  const genesis = syntheticCommit(0, new Uint8Array(), [{ txId: 'genesis', code: 'VALID', updates: [] }]);
  await ledger.commit(genesis);
  const one = syntheticCommit(1, genesis.headerHash, [
    { txId: 'valid', code: 'VALID', updates: [{ kind: 'put', namespace: 'basic', key: 'a', value: new Uint8Array([1]) }] },
    { txId: 'conflicted', code: 'MVCC_READ_CONFLICT', updates: [] },
    { txId: '', code: 'INVALID_OTHER_REASON', updates: [] },
  ]);
  await ledger.commit(one);
  return { ledger, previous: one.headerHash };
}

describe('PeerLedger.hasTxIds', () => {
  it('answers as hasTxId for each id, in order: valid and invalid transactions count, unknown and empty ids do not', async () => {
    const { ledger } = await ledgerWithBlocks();
    const ids = ['conflicted', 'nope', 'valid', '', 'genesis', 'valid', 'NOPE'];
    const bulk = await ledger.hasTxIds(ids);
    expect(bulk).toEqual([true, false, true, false, true, true, false]);
    expect(bulk).toEqual(await Promise.all(ids.map((id) => ledger.hasTxId(id))));
    expect(await ledger.hasTxIds([])).toEqual([]);
    expect(await ledger.hasTxIds([''])).toEqual([false]);
  });

  it('does not answer about a block whose commit is still finishing (its index entries are written, the height is not raised)', async () => {
    const store = new GatedStore();
    const { ledger, previous } = await ledgerWithBlocks(store);
    let release: () => void = () => undefined;
    store.gate = new Promise<void>((resolve) => (release = resolve));
    const written = new Promise<void>((resolve) => (store.onWritten = resolve));
    const two = syntheticCommit(2, previous, [{ txId: 'in-flight', code: 'VALID', updates: [] }]);
    const committing = ledger.commit(two);
    await written;
    expect(ledger.height).toBe(2);
    expect(await ledger.hasTxIds(['in-flight', 'valid'])).toEqual([false, true]);
    expect(await ledger.hasTxId('in-flight')).toBe(false);
    release();
    await committing;
    expect(ledger.height).toBe(3);
    expect(await ledger.hasTxIds(['in-flight', 'valid'])).toEqual([true, true]);
  });
});
