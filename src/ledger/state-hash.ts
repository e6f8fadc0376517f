import { createHash } from 'node:crypto';
import { assertNever } from '../core/assert.js';
import { ByteWriter } from './byte-writer.js';
import type { BlockCommit } from './ledger-types.js';

/**
 * The chained state hash: one 32-byte fingerprint of the world state's history per height, so two
 * peers can compare their states cheaply. Fabric's counterpart is kvledger's commit hash
 * (addBlockCommitHash: the previous commit hash chained with the block's update batch, kept in the
 * block's COMMIT_HASH metadata slot); fabsim uses its own documented encoding and keeps the hash
 * in the ledger's index instead of the block.
 *
 *   stateHash(0) = 32 zero bytes
 *   stateHash(h) = SHA-256( stateHash(h-1) ‖ E(block h-1) )
 *
 * E(block) encodes the block's state updates in commit order. All integers are unsigned big-endian;
 * lp(x) = u32 byte length of x ‖ x; strings are their UTF-8 bytes:
 *
 *   E(block)  = u64 blockNumber ‖ u32 V ‖ T_1 ‖ … ‖ T_V          V = number of VALID transactions
 *   T         = u32 txNum ‖ u32 U ‖ W_1 ‖ … ‖ W_U                 VALID transactions in block order, U = its updates
 *   W (put)      = u8 1 ‖ lp(namespace) ‖ lp(key) ‖ lp(value) ‖ u8 0            (no metadata given)
 *                = u8 1 ‖ lp(namespace) ‖ lp(key) ‖ lp(value) ‖ u8 1 ‖ lp(metadata)
 *   W (delete)   = u8 2 ‖ lp(namespace) ‖ lp(key)
 *   W (metadata) = u8 3 ‖ lp(namespace) ‖ lp(key) ‖ lp(metadata)
 *
 * Updates are hashed exactly as the BlockCommit lists them, in the order the transaction lists them,
 * including a metadata update that the world state ignores because its key does not exist: the
 * hash fingerprints what the validator decided, so peers that validated a block the same way agree
 * (and disagree as soon as any VALID transaction, update, key or value differs). Invalid
 * transactions contribute nothing: they change no state.
 *
 * Example: block 0 with one VALID tx 0 putting "k"="v" (no metadata) in namespace "cc":
 *   E = 00000000 00000000 | 00000001 | 00000000 00000001 | 01 00000002 6363 00000001 6b 00000001 76 00
 */
export const STATE_HASH_LENGTH = 32;

/** stateHash(0). */
export function genesisStateHash(): Uint8Array {
  return new Uint8Array(STATE_HASH_LENGTH);
}

export const StateUpdateKind = { put: 1, delete: 2, metadata: 3 } as const;

/** E(block): the bytes the state hash chains over for `commit` (exported for learners and tests). */
export function encodeStateUpdates(commit: BlockCommit): Uint8Array {
  return new Uint8Array(writeStateUpdates(commit).view());
}

function writeStateUpdates(commit: BlockCommit): ByteWriter {
  const valid = commit.transactions.filter((t) => t.code === 'VALID');
  const w = new ByteWriter(4096);
  w.u64(commit.blockNumber).u32(valid.length);
  for (const tx of valid) {
    w.u32(tx.txNum).u32(tx.updates.length);
    for (const u of tx.updates) {
      w.u8(StateUpdateKind[u.kind]).lpUtf8(u.namespace).lpUtf8(u.key);
      switch (u.kind) {
        case 'put':
          w.lpBytes(u.value);
          if (u.metadata === undefined) w.u8(0);
          else w.u8(1).lpBytes(u.metadata);
          break;
        case 'delete':
          break;
        case 'metadata':
          w.lpBytes(u.metadata);
          break;
        default:
          assertNever(u, 'state update kind');
      }
    }
  }
  return w;
}

/** stateHash(h) from stateHash(h-1) and block h-1's commit. */
export function nextStateHash(previous: Uint8Array, commit: BlockCommit): Uint8Array {
  const hash = createHash('sha256');
  hash.update(previous);
  hash.update(writeStateUpdates(commit).view());
  return new Uint8Array(hash.digest());
}
