/**
 * The bytes of a 'confChange' log entry (single-server membership change, §6 / thesis §4.1).
 *
 * Format: UTF-8 JSON `{"type":"addNode"|"removeNode","nodeId":N}`: tiny, and readable when a student
 * dumps a log. The entry is replicated and committed like any other; the change takes effect when the
 * application applies the committed entry and calls RawNode.applyConfChange (etcd's contract).
 */
import { assert } from '../core/assert.js';
import type { ConfChange, ConfState, NodeId } from './raft-types.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeConfChange(cc: ConfChange): Uint8Array {
  assertValidConfChange(cc);
  return encoder.encode(JSON.stringify({ type: cc.type, nodeId: cc.nodeId }));
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(data));
  } catch {
    parsed = undefined;
  }
  assert(typeof parsed === 'object' && parsed !== null, 'decodeConfChange: not an encoded ConfChange');
  const { type, nodeId } = parsed as { type?: unknown; nodeId?: unknown };
  const cc = { type, nodeId } as ConfChange;
  assertValidConfChange(cc);
  return cc;
}

function assertValidConfChange(cc: ConfChange): void {
  assert(cc.type === 'addNode' || cc.type === 'removeNode', `ConfChange: unknown type ${String(cc.type)}`);
  assert(Number.isSafeInteger(cc.nodeId) && cc.nodeId > 0, `ConfChange: invalid nodeId ${String(cc.nodeId)}`);
}

/** The membership after applying one change. Idempotent: adding a voter twice or removing an absent one is a no-op. */
export function applyToConfState(cs: ConfState, cc: ConfChange): ConfState {
  const voters = new Set<NodeId>(cs.voters);
  if (cc.type === 'addNode') voters.add(cc.nodeId);
  else voters.delete(cc.nodeId);
  return { voters: [...voters].sort((a, b) => a - b) };
}
