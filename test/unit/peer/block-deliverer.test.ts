import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../src/core/clock.js';
import type { LogFields, Logger } from '../../../src/core/logger.js';
import { ManualScheduler } from '../../../src/orderer/scheduler.js';
import { BlockDeliverer, type BlockDelivererOptions, type OrdererDeliverConnector } from '../../../src/peer/block-deliverer.js';
import { HeaderType, parseChannelHeader, parseEnvelope, parsePayload } from '../../../src/protos/envelope.js';
import { parseSeekInfo, type DeliverResponse, type SeekInfo } from '../../../src/protos/seek-info.js';
import { parseSignatureHeader } from '../../../src/protos/signature-header.js';

/** One Deliver stream the fake connector opened: the test pushes responses, fails or ends it. */
class FakeStream {
  private readonly queue: Array<DeliverResponse | { kind: 'fail'; error: Error } | { kind: 'end' }> = [];
  private notify: (() => void) | undefined;

  constructor(
    readonly address: string,
    readonly envelope: Uint8Array,
    readonly signal: AbortSignal,
  ) {
    signal.addEventListener('abort', () => this.notify?.());
  }

  get seek(): SeekInfo {
    return parseSeekInfo(parsePayload(parseEnvelope(this.envelope).payload).data);
  }
  get startNumber(): number {
    const start = this.seek.start;
    return start?.kind === 'specified' ? start.number : -1;
  }

  push(...items: Array<DeliverResponse | { kind: 'fail'; error: Error } | { kind: 'end' }>): void {
    this.queue.push(...items);
    this.notify?.();
  }
  block(tag: number): void {
    this.push({ kind: 'block', block: Uint8Array.of(tag) });
  }

  async *iterate(): AsyncGenerator<DeliverResponse, void, undefined> {
    for (;;) {
      if (this.signal.aborted) throw new Error('stream cancelled');
      const item = this.queue.shift();
      if (item === undefined) {
        await new Promise<void>((resolve) => (this.notify = resolve));
        continue;
      }
      if (item.kind === 'fail') throw item.error;
      if (item.kind === 'end') return;
      yield item;
    }
  }
}

class FakeConnector implements OrdererDeliverConnector {
  readonly streams: FakeStream[] = [];
  deliver(address: string, envelope: Uint8Array, signal: AbortSignal): AsyncIterable<DeliverResponse> {
    const stream = new FakeStream(address, envelope, signal);
    this.streams.push(stream);
    return stream.iterate();
  }
  last(): FakeStream {
    const s = this.streams.at(-1);
    if (s === undefined) throw new Error('no stream opened');
    return s;
  }
}

class RecordingLogger implements Logger {
  readonly events: Array<{ level: string; event: string; fields: LogFields }> = [];
  debug = (event: string, fields: LogFields = {}): void => void this.events.push({ level: 'debug', event, fields });
  info = (event: string, fields: LogFields = {}): void => void this.events.push({ level: 'info', event, fields });
  warn = (event: string, fields: LogFields = {}): void => void this.events.push({ level: 'warn', event, fields });
  error = (event: string, fields: LogFields = {}): void => void this.events.push({ level: 'error', event, fields });
  switches(): LogFields[] {
    return this.events.filter((e) => e.event === 'deliver switching orderer').map((e) => e.fields);
  }
}

const ENDPOINTS = ['orderer.example.com:7050', 'orderer2.example.com:8050', 'orderer3.example.com:9050'];
const NOW = Date.UTC(2026, 5, 1, 9, 30, 0);

interface Harness {
  readonly deliverer: BlockDeliverer;
  readonly connector: FakeConnector;
  readonly scheduler: ManualScheduler;
  readonly logger: RecordingLogger;
  /** Blocks committed (their tag byte). */
  readonly committed: number[];
  /** Makes the next onBlock calls throw (a block the committer refuses) while true. */
  refuse: boolean;
  /** Streams opened so far. */
  readonly opened: () => number;
}

let running: BlockDeliverer[] = [];
afterEach(async () => {
  await Promise.all(running.map((d) => d.stop()));
  running = [];
});

function harness(overrides: Partial<BlockDelivererOptions> = {}): Harness {
  const connector = new FakeConnector();
  const scheduler = new ManualScheduler();
  const logger = new RecordingLogger();
  const committed: number[] = [];
  const h: { refuse: boolean } = { refuse: false };
  const deliverer = new BlockDeliverer({
    channelId: 'mychannel',
    height: () => 1 + committed.length,
    endpoints: () => ENDPOINTS,
    signer: { serialized: new TextEncoder().encode('peer0.org1'), sign: () => Uint8Array.of(0x30, 0x00) },
    clock: new ManualClock(NOW),
    nonce: () => new Uint8Array(24),
    onBlock: async (block) => {
      if (h.refuse) throw new Error(`block signature does not satisfy /Channel/Orderer/BlockValidation`);
      committed.push(block[0]!);
    },
    connector,
    scheduler,
    logger,
    ...overrides,
  });
  running.push(deliverer);
  return Object.assign(h, { deliverer, connector, scheduler, logger, committed, opened: () => connector.streams.length });
}

const waitFor = (check: () => boolean, what: string): Promise<void> =>
  vi.waitFor(
    () => {
      if (!check()) throw new Error(`timed out waiting until ${what}`);
    },
    { timeout: 2000, interval: 1 },
  );
/** Waits until the loop sleeps on its backoff timer. */
const untilBackoff = (h: Harness): Promise<void> => waitFor(() => h.scheduler.pendingCount === 1, 'the deliverer waits to retry');

describe('BlockDeliverer: the peer pulls blocks from the ordering service', () => {
  it('asks the first orderer for every block from the ledger height on, signed, and commits them in order', async () => {
    const h = harness();
    h.deliverer.start();
    await waitFor(() => h.opened() === 1, 'a stream is opened');
    const stream = h.connector.last();
    expect(stream.address).toBe(ENDPOINTS[0]);
    expect(h.deliverer.currentEndpoint).toBe(ENDPOINTS[0]);
    expect(stream.seek).toEqual({ start: { kind: 'specified', number: 1 }, stop: { kind: 'specified', number: Infinity }, behavior: 'BLOCK_UNTIL_READY', errorResponse: 'STRICT', contentType: 'BLOCK' });
    const payload = parsePayload(parseEnvelope(stream.envelope).payload);
    expect(parseChannelHeader(payload.header.channelHeader)).toMatchObject({ type: HeaderType.DELIVER_SEEK_INFO, channelId: 'mychannel', timestampMs: NOW });
    expect(new TextDecoder().decode(parseSignatureHeader(payload.header.signatureHeader).creator)).toBe('peer0.org1');
    expect([...parseEnvelope(stream.envelope).signature]).toEqual([0x30, 0x00]);
    stream.block(1);
    stream.block(2);
    stream.block(3);
    await waitFor(() => h.committed.length === 3, 'three blocks are committed');
    expect(h.committed).toEqual([1, 2, 3]);
    expect(h.logger.switches()).toEqual([]);
  });

  it('fails over to the next orderer when the stream fails, resuming from the ledger height', async () => {
    const h = harness();
    h.deliverer.start();
    await waitFor(() => h.opened() === 1, 'a stream is opened');
    h.connector.last().block(1);
    h.connector.last().block(2);
    await waitFor(() => h.committed.length === 2, 'two blocks are committed');
    h.connector.last().push({ kind: 'fail', error: new Error('14 UNAVAILABLE: Connection dropped') });
    await untilBackoff(h);
    expect(h.deliverer.currentEndpoint).toBeUndefined();
    expect(h.logger.switches()).toEqual([expect.objectContaining({ channel: 'mychannel', orderer: ENDPOINTS[0], next: ENDPOINTS[1], reason: expect.stringMatching(/the stream failed: 14 UNAVAILABLE/), retryInMs: 100 })]);
    h.scheduler.advance(100);
    await waitFor(() => h.opened() === 2, 'a second stream is opened');
    expect(h.connector.last().address).toBe(ENDPOINTS[1]);
    expect(h.connector.last().startNumber).toBe(3);
    h.connector.last().block(3);
    await waitFor(() => h.committed.length === 3, 'block 3 is committed');
  });

  it('moves on when the orderer answers a status or ends the stream, and wraps around the endpoints', async () => {
    const h = harness();
    h.deliverer.start();
    await waitFor(() => h.opened() === 1, 'a stream is opened');
    h.connector.last().push({ kind: 'status', status: 'SERVICE_UNAVAILABLE' });
    await untilBackoff(h);
    h.scheduler.advance(100);
    await waitFor(() => h.opened() === 2, 'a second stream is opened');
    h.connector.last().push({ kind: 'end' });
    await untilBackoff(h);
    h.scheduler.advance(200);
    await waitFor(() => h.opened() === 3, 'a third stream is opened');
    h.connector.last().push({ kind: 'status', status: 'SUCCESS' });
    await untilBackoff(h);
    h.scheduler.advance(400);
    await waitFor(() => h.opened() === 4, 'a fourth stream is opened');
    expect(h.connector.streams.map((s) => s.address)).toEqual([ENDPOINTS[0], ENDPOINTS[1], ENDPOINTS[2], ENDPOINTS[0]]);
    expect(h.logger.switches().map((f) => f.reason)).toEqual([
      'it answered SERVICE_UNAVAILABLE for blocks from 1',
      'it ended the stream without a status after 0 block(s)',
      'it answered SUCCESS to a seek that never completes for blocks from 1',
    ]);
  });

  it('disconnects and tries another orderer when the committer refuses a block', async () => {
    const h = harness();
    h.deliverer.start();
    await waitFor(() => h.opened() === 1, 'a stream is opened');
    const first = h.connector.last();
    first.block(1);
    await waitFor(() => h.committed.length === 1, 'block 1 is committed');
    h.refuse = true;
    first.block(99);
    first.block(100);
    await untilBackoff(h);
    expect(first.signal.aborted).toBe(true);
    expect(h.committed).toEqual([1]);
    expect(h.logger.switches()[0]?.reason).toMatch(/the block after height 2 was refused: block signature does not satisfy/);
    h.refuse = false;
    h.scheduler.advance(100);
    await waitFor(() => h.opened() === 2, 'a second stream is opened');
    expect(h.connector.last()).toMatchObject({ address: ENDPOINTS[1], startNumber: 2 });
  });

  it('backs off exponentially while orderers fail, up to the maximum, and resets after a committed block', async () => {
    const h = harness({ initialRetryDelayMs: 100, backoffFactor: 2, maxRetryDelayMs: 500 });
    h.deliverer.start();
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 5; attempt++) {
      await waitFor(() => h.opened() === attempt, `stream ${attempt} is opened`);
      h.connector.last().push({ kind: 'fail', error: new Error('connection refused') });
      await untilBackoff(h);
      const delay = Number(h.logger.switches().at(-1)?.retryInMs);
      delays.push(delay);
      h.scheduler.advance(delay - 1);
      await Promise.resolve();
      expect(h.opened()).toBe(attempt); // not before the delay
      h.scheduler.advance(1);
    }
    expect(delays).toEqual([100, 200, 400, 500, 500]);
    await waitFor(() => h.opened() === 6, 'stream 6 is opened');
    h.connector.last().block(1);
    await waitFor(() => h.committed.length === 1, 'a block is committed');
    h.connector.last().push({ kind: 'fail', error: new Error('connection reset') });
    await untilBackoff(h);
    expect(h.logger.switches().at(-1)?.retryInMs).toBe(100);
  });

  it('reconnects elsewhere when no block arrives within the stall timeout', async () => {
    const h = harness({ stallTimeoutMs: 5000 });
    h.deliverer.start();
    await waitFor(() => h.opened() === 1, 'a stream is opened');
    h.scheduler.advance(4999);
    h.connector.last().block(1);
    await waitFor(() => h.committed.length === 1, 'block 1 is committed');
    await waitFor(() => h.scheduler.pendingCount === 1, 'the stall timer is re-armed');
    h.scheduler.advance(4999);
    expect(h.connector.last().signal.aborted).toBe(false);
    h.scheduler.advance(1);
    await waitFor(() => h.logger.switches().length === 1, 'the deliverer switches');
    expect(h.logger.switches()[0]?.reason).toBe('no block arrived for 5000 ms while waiting for block 2');
    h.scheduler.advance(100);
    await waitFor(() => h.opened() === 2, 'a second stream is opened');
    expect(h.connector.last()).toMatchObject({ address: ENDPOINTS[1], startNumber: 2 });
  });

  it('waits and retries while the channel config names no orderer', async () => {
    let endpoints: string[] = [];
    const h = harness({ endpoints: () => endpoints });
    h.deliverer.start();
    await untilBackoff(h);
    expect(h.logger.events.find((e) => e.event === 'deliver has no orderer')).toBeDefined();
    endpoints = [ENDPOINTS[2]!];
    h.scheduler.advance(100);
    await waitFor(() => h.opened() === 1, 'a stream is opened');
    expect(h.connector.last().address).toBe(ENDPOINTS[2]);
  });

  it('stop aborts the open stream at once and resolves; start again resumes from the ledger height', async () => {
    const h = harness();
    h.deliverer.start();
    await waitFor(() => h.opened() === 1, 'a stream is opened');
    h.connector.last().block(1);
    await waitFor(() => h.committed.length === 1, 'block 1 is committed');
    await h.deliverer.stop();
    expect(h.connector.last().signal.aborted).toBe(true);
    expect(h.deliverer.currentEndpoint).toBeUndefined();
    expect(h.scheduler.pendingCount).toBe(0);
    expect(h.logger.switches()).toEqual([]);
    h.deliverer.start();
    await waitFor(() => h.opened() === 2, 'a new stream is opened');
    expect(h.connector.last()).toMatchObject({ address: ENDPOINTS[0], startNumber: 2 });
  });

  it('stop cuts a backoff wait short', async () => {
    const h = harness();
    h.deliverer.start();
    await waitFor(() => h.opened() === 1, 'a stream is opened');
    h.connector.last().push({ kind: 'fail', error: new Error('down') });
    await untilBackoff(h);
    await h.deliverer.stop();
    expect(h.scheduler.pendingCount).toBe(0);
    h.scheduler.advance(10_000);
    expect(h.opened()).toBe(1);
  });

  it('stop lets the block being committed finish, then ends', async () => {
    let release: (() => void) | undefined;
    const committed: number[] = [];
    const h = harness({
      onBlock: async (block) => {
        await new Promise<void>((resolve) => (release = resolve));
        committed.push(block[0]!);
      },
    });
    h.deliverer.start();
    await waitFor(() => h.opened() === 1, 'a stream is opened');
    h.connector.last().block(1);
    h.connector.last().block(2);
    await waitFor(() => release !== undefined, 'block 1 is being committed');
    const stopped = h.deliverer.stop();
    let done = false;
    void stopped.then(() => (done = true));
    expect(h.connector.last().signal.aborted).toBe(true);
    await Promise.resolve();
    expect(done).toBe(false);
    release?.();
    await stopped;
    expect(committed).toEqual([1]);
  });
});

describe('BlockDeliverer with blocksAhead: blocks handed to the committer before the previous one is committed', () => {
  /** An onBlock that commits in call order like Committer.commit: each call waits for the one before, a refused block makes the later ones refused too, and `hold` keeps a call from finishing. */
  function orderedCommitter(): { onBlock: (block: Uint8Array) => Promise<void>; committed: number[]; calls: number[]; refuseTag: number | undefined; hold: Map<number, Promise<void>> } {
    const state = { committed: [] as number[], calls: [] as number[], refuseTag: undefined as number | undefined, hold: new Map<number, Promise<void>>() };
    let tail: Promise<unknown> = Promise.resolve();
    let refusedAt: number | undefined;
    const onBlock = (block: Uint8Array): Promise<void> => {
      const tag = block[0]!;
      state.calls.push(tag);
      const run = tail.then(async () => {
        await state.hold.get(tag);
        if (refusedAt !== undefined) throw new Error(`block ${tag} is not the next block: ${refusedAt} must come first`);
        if (tag === state.refuseTag) {
          refusedAt = tag;
          throw new Error(`block ${tag}: its orderer signatures do not satisfy /Channel/Orderer/BlockValidation`);
        }
        state.committed.push(tag);
      });
      tail = run.catch(() => undefined);
      return run;
    };
    return Object.assign(state, { onBlock });
  }

  const gate = (): { promise: Promise<void>; release: () => void } => {
    let release: () => void = () => undefined;
    const promise = new Promise<void>((resolve) => (release = resolve));
    return { promise, release };
  };

  it('hands at most blocksAhead blocks before the first is committed, and commits them in order', async () => {
    const c = orderedCommitter();
    const first = gate();
    c.hold.set(1, first.promise);
    const h = harness({ blocksAhead: 3, onBlock: c.onBlock, height: () => 1 + c.committed.length });
    h.deliverer.start();
    await waitFor(() => h.opened() === 1, 'a stream is opened');
    for (const tag of [1, 2, 3, 4, 5]) h.connector.last().block(tag);
    await waitFor(() => c.calls.length === 3, 'three blocks are handed over');
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(c.calls).toEqual([1, 2, 3]); // block 1 is not committed yet: the stream is not read further
    expect(c.committed).toEqual([]);
    first.release();
    await waitFor(() => c.committed.length === 5, 'five blocks are committed');
    expect(c.committed).toEqual([1, 2, 3, 4, 5]);
    expect(c.calls).toEqual([1, 2, 3, 4, 5]);
    expect(h.logger.switches()).toEqual([]);
  });

  it('a refused block aborts the session: the blocks handed after it are not committed, and the next session resumes from the ledger height', async () => {
    const c = orderedCommitter();
    c.refuseTag = 3;
    const held = gate();
    c.hold.set(1, held.promise);
    const h = harness({ blocksAhead: 3, onBlock: c.onBlock, height: () => 1 + c.committed.length });
    h.deliverer.start();
    await waitFor(() => h.opened() === 1, 'a stream is opened');
    const first = h.connector.last();
    for (const tag of [1, 2, 3, 4, 5, 6]) first.block(tag);
    await waitFor(() => c.calls.length === 3, 'three blocks are handed over');
    held.release();
    await untilBackoff(h);
    expect(first.signal.aborted).toBe(true);
    expect(c.committed).toEqual([1, 2]);
    expect(c.calls).not.toContain(6);
    expect(h.logger.switches()[0]?.reason).toMatch(/^the block after height 3 was refused: block 3: its orderer signatures do not satisfy/);
    c.refuseTag = undefined;
    h.scheduler.advance(100);
    await waitFor(() => h.opened() === 2, 'a second stream is opened');
    expect(h.connector.last()).toMatchObject({ address: ENDPOINTS[1], startNumber: 3 });
  });

  it('stop waits for every block in flight', async () => {
    const c = orderedCommitter();
    const held = gate();
    c.hold.set(1, held.promise);
    const h = harness({ blocksAhead: 2, onBlock: c.onBlock, height: () => 1 + c.committed.length });
    h.deliverer.start();
    await waitFor(() => h.opened() === 1, 'a stream is opened');
    h.connector.last().block(1);
    h.connector.last().block(2);
    await waitFor(() => c.calls.length === 2, 'two blocks are handed over');
    let done = false;
    const stopped = h.deliverer.stop().then(() => (done = true));
    expect(h.connector.last().signal.aborted).toBe(true);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    held.release();
    await stopped;
    expect(c.committed).toEqual([1, 2]);
  });
});
