import type { Writable } from 'node:stream';

/** Writes one message and, when the stream's buffer is full, waits until it drains (or closes). */
export function writeWithBackpressure(stream: Writable, message: Uint8Array): Promise<void> {
  if (stream.write(message)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
    stream.once('error', done);
  });
}
