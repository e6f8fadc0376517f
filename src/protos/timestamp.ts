import { createRequire } from 'node:module';

/**
 * `google.protobuf.Timestamp`, as a channel header carries it (seconds and nanos since the Unix
 * epoch). fabric-protos' classes use google-protobuf's well-known Timestamp class but do not
 * re-export it, so it is loaded from the very google-protobuf copy that @hyperledger/fabric-protos
 * resolves (a second copy would serialize the same, but one copy keeps the tree honest).
 */
export interface TimestampMessage {
  getSeconds(): number;
  setSeconds(value: number): void;
  getNanos(): number;
  setNanos(value: number): void;
}

const requireFromProtos = createRequire(createRequire(import.meta.url).resolve('@hyperledger/fabric-protos'));
const { Timestamp } = requireFromProtos('google-protobuf/google/protobuf/timestamp_pb.js') as { Timestamp: new () => TimestampMessage };

/** A Timestamp for `ms` milliseconds since the epoch (whole milliseconds; nanos = ms remainder × 10^6). */
export function buildTimestamp(ms: number): TimestampMessage {
  const whole = Math.floor(ms);
  const timestamp = new Timestamp();
  timestamp.setSeconds(Math.floor(whole / 1000));
  timestamp.setNanos((whole - Math.floor(whole / 1000) * 1000) * 1e6);
  return timestamp;
}

/** Milliseconds since the epoch; sub-millisecond nanos are truncated. */
export function timestampMs(timestamp: TimestampMessage): number {
  return timestamp.getSeconds() * 1000 + Math.floor(timestamp.getNanos() / 1e6);
}
