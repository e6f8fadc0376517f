/** fabsim's Raft: a pure, synchronous state machine modelled on etcd-io/raft. See raw-node.ts for how to drive it. */
export { RawNode, type RaftConfig, type RaftStatus, type ProgressStatus } from './raw-node.js';
export { MemoryRaftStorage, type MemoryRaftStorageInit } from './memory-raft-storage.js';
export { encodeConfChange, decodeConfChange, applyToConfState } from './conf-change.js';
export type { ProgressState } from './progress.js';
export * from './raft-types.js';
