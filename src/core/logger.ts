/**
 * Structured logging as an injected dependency: one event per call, with fields (node, channel,
 * term, height...). Composition roots choose where lines go; pure logic may receive a Logger but
 * never creates one.
 */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

/** Discards everything: the default for tests and the simulator. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
