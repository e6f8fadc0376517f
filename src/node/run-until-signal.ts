import { systemClock } from '../core/clock.js';
import { messageOf } from '../core/errors.js';
import { JsonLineLogger } from './json-line-logger.js';

/**
 * Runs a started node until SIGTERM or SIGINT, then closes it cleanly and exits 0 (1 when closing
 * fails). Node's own warnings become log lines too; DEP0123 (TLS ServerName set to an IP) is what
 * grpc-js does for every 127.0.0.1 connection, and says nothing to a learner.
 */
export async function runUntilSignal(host: string, what: string, start: () => Promise<{ close(): Promise<void> }>): Promise<void> {
  process.removeAllListeners('warning');
  const warnings = new JsonLineLogger(host, systemClock);
  process.on('warning', (w: Error & { code?: string }) => {
    if (w.code !== 'DEP0123') warnings.warn('node warning', { name: w.name, code: w.code, error: w.message });
  });
  const node = await start();
  const stop = (): void => {
    node.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`fabsim: ${what} ${host} did not stop cleanly: ${messageOf(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
