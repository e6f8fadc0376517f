import type { Clock } from '../core/clock.js';
import type { LogFields, Logger } from '../core/logger.js';

const FIRST = ['channel', 'term', 'height'] as const;

/**
 * One JSON object per line per event: ts, level, node (the host name), channel, term, height, event,
 * then the event's own fields. Fields named `node` by the orderer logic (a Raft id) become `raftId`.
 * Readable with `grep`, and by `jq` or the launcher.
 */
export class JsonLineLogger implements Logger {
  constructor(
    private readonly node: string,
    private readonly clock: Clock,
    private readonly write: (line: string) => void = (line) => process.stdout.write(line),
    private readonly minLevel: 'debug' | 'info' = 'info',
  ) {}

  debug(event: string, fields?: LogFields): void {
    if (this.minLevel === 'debug') this.line('debug', event, fields);
  }
  info(event: string, fields?: LogFields): void {
    this.line('info', event, fields);
  }
  warn(event: string, fields?: LogFields): void {
    this.line('warn', event, fields);
  }
  error(event: string, fields?: LogFields): void {
    this.line('error', event, fields);
  }

  private line(level: string, event: string, fields: LogFields = {}): void {
    const out: Record<string, unknown> = { ts: new Date(this.clock.nowMs()).toISOString(), level, node: this.node };
    for (const key of FIRST) if (fields[key] !== undefined) out[key] = fields[key];
    out['event'] = event;
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined || (FIRST as readonly string[]).includes(key)) continue;
      out[key === 'node' ? 'raftId' : key] = value;
    }
    this.write(`${JSON.stringify(out)}\n`);
  }
}
