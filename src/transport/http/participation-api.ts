import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FabsimError, isFabsimError, messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';

/**
 * The channel participation admin API (Fabric's osnadmin: REST over HTTPS at
 * /participation/v1/channels), on node:https with mutual TLS:
 *
 *   GET    /participation/v1/channels          → 200 { channels: [{ name, url }] }
 *   GET    /participation/v1/channels/<name>   → 200 { name, url, height, status, raft } | 404
 *   POST   /participation/v1/channels          body: the channel's genesis config block bytes,
 *                                               Content-Type application/octet-stream
 *                                               → 201 { name, url, height, ... } | 400 | 409
 *   DELETE /participation/v1/channels/<name>   → 204 | 404
 *
 * Errors are JSON { error: "<what went wrong and what to do>" }.
 * Simplifications (documented): Fabric's POST is multipart/form-data with a `config-block` part; here
 * the body is the block itself. Fabric authorizes the orderer org's Admin by its TLS client
 * certificate; here any client certificate that chains to the orderer organization's TLS CA is
 * accepted (the TLS handshake checks it: `ca` = that CA, requestCert, rejectUnauthorized).
 */

export type ParticipationErrorCode = 'PARTICIPATION_BAD_BLOCK' | 'PARTICIPATION_ALREADY_JOINED' | 'PARTICIPATION_UNKNOWN_CHANNEL';
export class ParticipationError extends FabsimError<ParticipationErrorCode> {}

export interface ChannelInfo {
  readonly name: string;
  readonly height: number;
  readonly [key: string]: unknown;
}

/** What the API administers: the orderer node implements it. */
export interface ChannelParticipation {
  list(): readonly string[];
  info(channel: string): ChannelInfo | undefined;
  /** Joins from a genesis block. Throws ParticipationError BAD_BLOCK or ALREADY_JOINED. */
  join(configBlock: Uint8Array): Promise<ChannelInfo>;
  /** Throws ParticipationError UNKNOWN_CHANNEL. */
  remove(channel: string): Promise<void>;
}

export interface ParticipationApiOptions {
  readonly host: string;
  readonly port: number;
  readonly certPem: string;
  readonly keyPem: string;
  /** The orderer organization's TLS CA(s): admin clients must present a certificate it issued. */
  readonly adminCaPems: readonly string[];
  readonly participation: ChannelParticipation;
  readonly logger: Logger;
  readonly maxBodyBytes?: number;
}

export interface RunningParticipationApi {
  readonly port: number;
  close(): Promise<void>;
}

const BASE = '/participation/v1/channels';
const STATUS_OF: Record<ParticipationErrorCode, number> = { PARTICIPATION_BAD_BLOCK: 400, PARTICIPATION_ALREADY_JOINED: 409, PARTICIPATION_UNKNOWN_CHANNEL: 404 };

export async function startParticipationApi(o: ParticipationApiOptions): Promise<RunningParticipationApi> {
  const server: Server = createServer({ cert: o.certPem, key: o.keyPem, ca: [...o.adminCaPems], requestCert: true, rejectUnauthorized: true }, (req, res) => {
    void handle(req, res, o).catch((err: unknown) => {
      o.logger.error('admin request failed', { method: req.method, url: req.url, error: messageOf(err) });
      if (!res.headersSent) send(res, 500, { error: `internal error: ${messageOf(err)}` });
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (err) => reject(new FabsimError('ADMIN_LISTEN_FAILED', `cannot listen for the admin API on ${o.host}:${o.port}: ${err.message} (is another node using the port? pass another --admin-port)`, { cause: err })));
    server.listen(o.port, o.host, () => {
      const a = server.address();
      resolve(typeof a === 'object' && a !== null ? a.port : o.port);
    });
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, o: ParticipationApiOptions): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://orderer');
  const path = url.pathname.replace(/\/+$/, '');
  const p = o.participation;
  if (path === BASE && req.method === 'GET') return send(res, 200, { channels: p.list().map((name) => ({ name, url: `${BASE}/${name}` })) });
  if (path === BASE && req.method === 'POST') {
    const type = req.headers['content-type'] ?? '';
    if (!type.startsWith('application/octet-stream')) {
      return send(res, 415, { error: `send the genesis block as the request body with Content-Type application/octet-stream (got "${type}")` });
    }
    try {
      const body = await readBody(req, o.maxBodyBytes ?? 100 * 1024 * 1024);
      const info = await p.join(body);
      o.logger.info('channel joined', { channel: info.name, height: info.height });
      return send(res, 201, { ...info, url: `${BASE}/${info.name}` });
    } catch (err) {
      return sendError(res, err);
    }
  }
  const name = path.startsWith(`${BASE}/`) ? decodeURIComponent(path.slice(BASE.length + 1)) : undefined;
  if (name !== undefined && req.method === 'GET') {
    const info = p.info(name);
    return info === undefined ? send(res, 404, { error: unknownChannel(name, p) }) : send(res, 200, { ...info, url: `${BASE}/${name}` });
  }
  if (name !== undefined && req.method === 'DELETE') {
    try {
      await p.remove(name);
      o.logger.info('channel removed', { channel: name });
      res.writeHead(204).end();
      return;
    } catch (err) {
      return sendError(res, err);
    }
  }
  send(res, 404, { error: `no such admin endpoint: ${req.method} ${url.pathname}; use GET/POST ${BASE} or GET/DELETE ${BASE}/<channel>` });
}

function unknownChannel(name: string, p: ChannelParticipation): string {
  return `this orderer is not a member of channel "${name}" (its channels: ${p.list().join(', ') || 'none'}); join it with POST ${BASE}`;
}

function sendError(res: ServerResponse, err: unknown): void {
  if (isFabsimError(err) && err.code in STATUS_OF) return send(res, STATUS_OF[err.code as ParticipationErrorCode], { error: err.message });
  throw err;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new ParticipationError('PARTICIPATION_BAD_BLOCK', `the request body is larger than ${maxBytes} bytes; send just the genesis block`);
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
