import type { StateUpdate } from '../../../../src/ledger/ledger-types.js';
import { PeerLedger } from '../../../../src/ledger/peer-ledger.js';
import { MemoryKvStore } from '../../../../src/storage/memory-kv-store.js';
import { syntheticCommit, type TxSpec } from '../../../helpers/ledger-reference.js';

/** Shared by the simulation tests: a real PeerLedger over a MemoryKvStore, fed synthetic blocks. */

export const b = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (bytes: Uint8Array | undefined): string | undefined => (bytes === undefined ? undefined : new TextDecoder().decode(bytes));

export const put = (namespace: string, key: string, value: string, metadata?: Uint8Array): StateUpdate =>
  metadata === undefined ? { kind: 'put', namespace, key, value: b(value) } : { kind: 'put', namespace, key, value: b(value), metadata };
export const del = (namespace: string, key: string): StateUpdate => ({ kind: 'delete', namespace, key });
export const valid = (txId: string, ...updates: StateUpdate[]): TxSpec => ({ txId, code: 'VALID', updates });

/** A PeerLedger with `blocks` committed as blocks 0, 1, ... (each a list of transactions). */
export async function ledgerWith(...blocks: TxSpec[][]): Promise<PeerLedger> {
  const ledger = await PeerLedger.open(new MemoryKvStore());
  let previous: Uint8Array = new Uint8Array();
  for (const [number, txs] of blocks.entries()) {
    const commit = syntheticCommit(number, previous, txs);
    await ledger.commit(commit);
    previous = commit.headerHash;
  }
  return ledger;
}

/** Fabric's shim CreateCompositeKey: U+0000 objectType U+0000 (attr U+0000)*. */
export function compositeKey(objectType: string, attributes: readonly string[]): string {
  return `\u0000${objectType}\u0000${attributes.map((a) => `${a}\u0000`).join('')}`;
}
