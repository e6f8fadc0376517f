import { afterEach, describe, expect, it } from 'vitest';
import type { LogFields, Logger } from '../../../src/core/logger.js';
import { ChaincodeServerConnector, type ChaincodeDisconnect, type ChaincodeServerConnectorOptions, type ChaincodeSession } from '../../../src/node/chaincode-server-connector.js';
import type { RegisteredChaincode } from '../../../src/peer/chaincode/chaincode-registry.js';
import { ManualScheduler } from '../../../src/orderer/scheduler.js';

/** The connector's retry logic with a fake dialer and virtual time: no sockets, no sleeps. */

class RecordingLogger implements Logger {
  readonly events: Array<{ level: string; event: string; fields: LogFields }> = [];
  debug = (event: string, fields: LogFields = {}): void => void this.events.push({ level: 'debug', event, fields });
  info = (event: string, fields: LogFields = {}): void => void this.events.push({ level: 'info', event, fields });
  warn = (event: string, fields: LogFields = {}): void => void this.events.push({ level: 'warn', event, fields });
  error = (event: string, fields: LogFields = {}): void => void this.events.push({ level: 'error', event, fields });
  named(event: string): Array<{ level: string; fields: LogFields }> {
    return this.events.filter((e) => e.event === event).map(({ level, fields }) => ({ level, fields }));
  }
}

/** One dialled connection the test drives: `ready` registers it, `end` ends its stream. */
class FakeSession implements ChaincodeSession {
  readonly registered: Promise<RegisteredChaincode | undefined>;
  readonly ended: Promise<{ reason: string }>;
  closedWith: string | undefined;
  private resolveRegistered!: (c: RegisteredChaincode | undefined) => void;
  private resolveEnded!: (e: { reason: string }) => void;
  private done = false;

  constructor() {
    this.registered = new Promise((r) => (this.resolveRegistered = r));
    this.ended = new Promise((r) => (this.resolveEnded = r));
  }

  ready(chaincodeId = 'kv:1.0'): void {
    this.resolveRegistered({ chaincodeId });
  }

  end(reason: string): void {
    if (this.done) return;
    this.done = true;
    this.resolveRegistered(undefined);
    this.resolveEnded({ reason });
  }

  close(reason = 'closed by the peer'): void {
    this.closedWith ??= reason;
    this.end(reason);
  }
}

/** Lets the connector's promise callbacks run. */
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

interface Harness {
  readonly connector: ChaincodeServerConnector;
  readonly time: ManualScheduler;
  readonly logger: RecordingLogger;
  readonly sessions: FakeSession[];
  readonly disconnects: ChaincodeDisconnect[];
  readonly connected: RegisteredChaincode[];
  /** The latest session. */
  last(): FakeSession;
  /** Makes the next dials throw while set. */
  failDial: Error | undefined;
}

const running: ChaincodeServerConnector[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

function harness(options: Partial<ChaincodeServerConnectorOptions> = {}): Harness {
  const time = new ManualScheduler();
  const logger = new RecordingLogger();
  const sessions: FakeSession[] = [];
  const disconnects: ChaincodeDisconnect[] = [];
  const connected: RegisteredChaincode[] = [];
  const h: Harness = {
    time,
    logger,
    sessions,
    disconnects,
    connected,
    failDial: undefined,
    last: () => {
      const s = sessions.at(-1);
      if (s === undefined) throw new Error('nothing was dialled');
      return s;
    },
    connector: undefined as unknown as ChaincodeServerConnector,
  };
  const connector = new ChaincodeServerConnector({
    address: '127.0.0.1:9999',
    timers: time,
    logger,
    dial: () => {
      if (h.failDial !== undefined) throw h.failDial;
      const session = new FakeSession();
      sessions.push(session);
      return session;
    },
    onConnected: (c) => connected.push(c),
    onDisconnected: (d) => disconnects.push(d),
    ...options,
  });
  (h as { connector: ChaincodeServerConnector }).connector = connector;
  running.push(connector);
  return h;
}

/** Advances to just before `ms` and checks nothing was dialled, then to `ms` and checks one dial. */
function expectRetryAfter(h: Harness, ms: number): void {
  const before = h.connector.attempts;
  h.time.advance(ms - 1);
  expect(h.connector.attempts, `no dial before ${ms} ms`).toBe(before);
  h.time.advance(1);
  expect(h.connector.attempts, `a dial at ${ms} ms`).toBe(before + 1);
}

describe('ChaincodeServerConnector', () => {
  it('dials at start and reports the READY chaincode', async () => {
    const h = harness();
    expect(h.connector.state).toBe('idle');
    h.connector.start();
    expect(h.connector.attempts).toBe(1);
    expect(h.connector.state).toBe('connecting');
    h.last().ready();
    await flush();
    expect(h.connector.state).toBe('connected');
    expect(h.connector.chaincode?.chaincodeId).toBe('kv:1.0');
    expect(h.connected.map((c) => c.chaincodeId)).toEqual(['kv:1.0']);
    expect(h.logger.named('chaincode connected')).toEqual([{ level: 'info', fields: { chaincode: 'kv:1.0', address: '127.0.0.1:9999', attempt: 1 } }]);
    h.connector.start();
    expect(h.connector.attempts).toBe(1);
  });

  it('retries failed attempts after 250 ms, doubling up to 5 s', async () => {
    const h = harness();
    h.connector.start();
    for (const delay of [250, 500, 1000, 2000, 4000, 5000, 5000]) {
      h.last().end('stream error: 14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:9999');
      await flush();
      expect(h.connector.state).toBe('waiting');
      expect(h.disconnects.at(-1)).toMatchObject({ wasConnected: false, chaincodeId: '', retryInMs: delay });
      expectRetryAfter(h, delay);
    }
    expect(h.connected).toEqual([]);
  });

  it('logs the first failure of a series as a warning and the ones that follow at debug level', async () => {
    const h = harness();
    h.connector.start();
    for (const delay of [250, 500, 1000]) {
      h.last().end('refused');
      await flush();
      h.time.advance(delay);
    }
    expect(h.logger.named('chaincode connection failed').map((e) => [e.level, e.fields.failures, e.fields.retryInMs])).toEqual([
      ['warn', 1, 250],
      ['debug', 2, 500],
      ['debug', 3, 1000],
    ]);
    expect(h.logger.named('chaincode connection failed')[0]?.fields).toMatchObject({ address: '127.0.0.1:9999', reason: 'refused' });
  });

  it('counts a dialer that throws as a failed attempt', async () => {
    const h = harness();
    h.failDial = new Error('bad PEM');
    h.connector.start();
    expect(h.disconnects).toEqual([{ reason: 'the dial failed: bad PEM', wasConnected: false, chaincodeId: '', retryInMs: 250 }]);
    expectRetryAfter(h, 250);
    expectRetryAfter(h, 500);
    h.failDial = undefined;
    expectRetryAfter(h, 1000);
    h.last().ready();
    await flush();
    expect(h.connector.state).toBe('connected');
  });

  it('resets the delay after a connection that reached READY, and logs its end with the reason', async () => {
    const h = harness();
    h.connector.start();
    h.last().end('refused');
    await flush();
    expectRetryAfter(h, 250);
    h.last().end('refused');
    await flush();
    expectRetryAfter(h, 500);
    h.last().ready();
    await flush();
    h.last().end('stream error: 14 UNAVAILABLE: Connection dropped');
    await flush();
    expect(h.connector.state).toBe('waiting');
    expect(h.connector.chaincode).toBeUndefined();
    expect(h.disconnects.at(-1)).toEqual({ reason: 'stream error: 14 UNAVAILABLE: Connection dropped', wasConnected: true, chaincodeId: 'kv:1.0', retryInMs: 250 });
    expect(h.logger.named('chaincode disconnected')).toEqual([
      { level: 'info', fields: { chaincode: 'kv:1.0', address: '127.0.0.1:9999', reason: 'stream error: 14 UNAVAILABLE: Connection dropped', retryInMs: 250 } },
    ]);
    expectRetryAfter(h, 250);
    h.last().end('refused');
    await flush();
    // the series starts over: a warning again, then doubling from 500
    expect(h.logger.named('chaincode connection failed').at(-1)?.level).toBe('warn');
    expectRetryAfter(h, 500);
  });

  it('closes a connection that does not register within the register timeout, then retries', async () => {
    const h = harness({ registerTimeoutMs: 3000 });
    h.connector.start();
    const session = h.last();
    h.time.advance(2999);
    expect(session.closedWith).toBeUndefined();
    h.time.advance(1);
    expect(session.closedWith).toBe('the chaincode at 127.0.0.1:9999 did not register within 3000 ms (is it a chaincode server, and do its TLS settings match?)');
    await flush();
    expect(h.disconnects.at(-1)).toMatchObject({ wasConnected: false, retryInMs: 250 });
    expectRetryAfter(h, 250);
    // a registered connection is not timed out
    h.last().ready();
    await flush();
    h.time.advance(10_000);
    expect(h.last().closedWith).toBeUndefined();
    expect(h.connector.state).toBe('connected');
  });

  it('closes a chaincode registered under another name than expected, without resetting the delay', async () => {
    const h = harness({ expectedChaincodeId: 'kv_1.0:abcd' });
    h.connector.start();
    h.last().end('refused');
    await flush();
    expectRetryAfter(h, 250);
    h.last().ready('other:1.0');
    await flush();
    expect(h.last().closedWith).toMatch(/^the chaincode registered as other:1\.0, but this peer expects kv_1\.0:abcd/);
    expect(h.connected).toEqual([]);
    expect(h.disconnects.at(-1)).toMatchObject({ wasConnected: false, chaincodeId: 'other:1.0', retryInMs: 500 });
    expectRetryAfter(h, 500);
    h.last().ready('kv_1.0:abcd');
    await flush();
    expect(h.connected.map((c) => c.chaincodeId)).toEqual(['kv_1.0:abcd']);
  });

  it('stop closes the READY connection, resolves once it ended, and dials no more', async () => {
    const h = harness();
    h.connector.start();
    h.last().ready();
    await flush();
    await h.connector.stop();
    expect(h.connector.state).toBe('stopped');
    expect(h.last().closedWith).toBe('the peer stopped the chaincode connector');
    expect(h.disconnects).toEqual([{ reason: 'the peer stopped the chaincode connector', wasConnected: true, chaincodeId: 'kv:1.0', retryInMs: undefined }]);
    expect(h.logger.named('chaincode disconnected')[0]?.fields.retryInMs).toBeUndefined();
    h.time.advance(60_000);
    expect(h.connector.attempts).toBe(1);
    expect(h.time.pendingCount).toBe(0);
    h.connector.start();
    expect(h.connector.attempts).toBe(1);
  });

  it('stop while waiting to retry cancels the retry', async () => {
    const h = harness();
    h.connector.start();
    h.last().end('refused');
    await flush();
    expect(h.connector.state).toBe('waiting');
    await h.connector.stop();
    h.time.advance(60_000);
    expect(h.connector.attempts).toBe(1);
    expect(h.time.pendingCount).toBe(0);
  });

  it('stop before start dials nothing', async () => {
    const h = harness();
    await h.connector.stop();
    h.connector.start();
    expect(h.connector.attempts).toBe(0);
  });
});
