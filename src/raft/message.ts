/** Building messages: every field of Message is required data, so fill the usual defaults in one place. */
import type { Entry, Message, MessageType } from './raft-types.js';

export type MessageFields = Partial<Message> & { readonly type: MessageType };

const NO_ENTRIES: readonly Entry[] = Object.freeze([]);

/**
 * A message from `fields`, with defaults for what is not given. `from` and `term` may be overridden
 * (Raft.send stamps them). Written out field by field: this runs for every message, and the
 * simulator sends millions.
 */
export function newMessage(fields: MessageFields, from = fields.from ?? 0, term = fields.term ?? 0): Message {
  const m: { -readonly [K in keyof Message]: Message[K] } = {
    type: fields.type,
    from,
    to: fields.to ?? 0,
    term,
    logTerm: fields.logTerm ?? 0,
    index: fields.index ?? 0,
    entries: fields.entries ?? NO_ENTRIES,
    commit: fields.commit ?? 0,
    reject: fields.reject ?? false,
    rejectHint: fields.rejectHint ?? 0,
  };
  if (fields.snapshot !== undefined) m.snapshot = fields.snapshot;
  if (fields.rejectHintTerm !== undefined) m.rejectHintTerm = fields.rejectHintTerm;
  if (fields.context !== undefined) m.context = fields.context;
  return m;
}

/** Messages produced by the node itself (tick, campaign, report*) that never travel on the network. */
const LOCAL_TYPES: ReadonlySet<MessageType> = new Set<MessageType>([
  'MsgHup',
  'MsgBeat',
  'MsgUnreachable',
  'MsgSnapStatus',
  'MsgCheckQuorum',
]);

export function isLocalMessage(type: MessageType): boolean {
  return LOCAL_TYPES.has(type);
}

/** The response type of a (pre-)vote request. */
export function voteResponseType(type: 'MsgVote' | 'MsgPreVote'): 'MsgVoteResp' | 'MsgPreVoteResp' {
  return type === 'MsgVote' ? 'MsgVoteResp' : 'MsgPreVoteResp';
}
