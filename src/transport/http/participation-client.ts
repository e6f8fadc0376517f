import { request } from 'node:https';
import { FabsimError, messageOf } from '../../core/errors.js';
import type { ChannelInfo } from './participation-api.js';

/**
 * A client of a node's channel participation admin API (src/transport/http/participation-api.ts),
 * as Fabric's `osnadmin channel` is for an orderer: HTTPS with mutual TLS, the client presenting the node org
 * Admin's TLS certificate. Every failure is a ParticipationClientError whose message says what to do.
 */

export type ParticipationClientErrorCode =
  | 'ADMIN_UNREACHABLE'
  | 'ADMIN_TLS_FAILED'
  | 'ADMIN_TIMEOUT'
  | 'ADMIN_REQUEST_REJECTED'
  | 'ADMIN_BAD_RESPONSE';
export class ParticipationClientError extends FabsimError<ParticipationClientErrorCode> {}

export interface ParticipationClientOptions {
  /** Where to connect (e.g. 127.0.0.1). */
  readonly host: string;
  readonly port: number;
  /** The node organization's TLS CA: the admin API's server certificate must chain to it. */
  readonly caPem: string;
  /** The client TLS certificate and key (the node org Admin's), for mutual TLS. */
  readonly certPem: string;
  readonly keyPem: string;
  /** The name the server certificate must carry (e.g. orderer.example.com); default `host`. */
  readonly servername?: string;
  /** How `fabsim node start` names this node, for the "is it running?" hint; default `servername`. */
  readonly nodeName?: string;
  /** What kind of node serves the API, for messages; default 'orderer'. */
  readonly nodeKind?: 'orderer' | 'peer';
  readonly timeoutMs?: number;
}

export interface ChannelListEntry {
  readonly name: string;
  readonly url: string;
}

const BASE = '/participation/v1/channels';
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

export class ParticipationClient {
  constructor(private readonly o: ParticipationClientOptions) {}

  private get kind(): 'orderer' | 'peer' {
    return this.o.nodeKind ?? 'orderer';
  }

  /** The admin API's address, as messages show it. */
  get address(): string {
    return `${this.o.host}:${this.o.port}`;
  }

  async list(): Promise<readonly ChannelListEntry[]> {
    const r = await this.send('GET', BASE);
    const channels = (r.json as { channels?: unknown } | undefined)?.channels;
    if (!Array.isArray(channels)) throw this.badResponse('GET', BASE, 'no "channels" array');
    return channels as ChannelListEntry[];
  }

  /** The channel's info, or undefined when this node is not a member of it. */
  async info(name: string): Promise<(ChannelInfo & { url: string }) | undefined> {
    const path = `${BASE}/${encodeURIComponent(name)}`;
    const r = await this.send('GET', path, undefined, [404]);
    if (r.status === 404) return undefined;
    return this.infoOf(r.json, 'GET', path);
  }

  /** Joins the node to the channel of this genesis block. */
  async join(blockBytes: Uint8Array): Promise<ChannelInfo & { url: string }> {
    const r = await this.send('POST', BASE, blockBytes);
    return this.infoOf(r.json, 'POST', BASE);
  }

  async remove(name: string): Promise<void> {
    await this.send('DELETE', `${BASE}/${encodeURIComponent(name)}`);
  }

  private infoOf(json: unknown, method: string, path: string): ChannelInfo & { url: string } {
    const j = json as { name?: unknown; height?: unknown } | undefined;
    if (typeof j?.name !== 'string' || typeof j.height !== 'number') throw this.badResponse(method, path, 'no channel name and height');
    return j as ChannelInfo & { url: string };
  }

  private badResponse(method: string, path: string, what: string): ParticipationClientError {
    return new ParticipationClientError('ADMIN_BAD_RESPONSE', `the admin API at ${this.address} answered ${method} ${path} with an unexpected body (${what}); is that port really the ${this.kind}'s admin port? check --admin-port`, {
      context: { address: this.address, method, path },
    });
  }

  /** Refuses any HTTP status outside 2xx and `allowed`, with the server's error text. */
  private async send(method: string, path: string, body?: Uint8Array, allowed: readonly number[] = []): Promise<{ status: number; json: unknown; text: string }> {
    const r = await this.request(method, path, body);
    if ((r.status >= 200 && r.status < 300) || allowed.includes(r.status)) return r;
    const serverText = (r.json as { error?: unknown } | undefined)?.error;
    const why = typeof serverText === 'string' ? serverText : r.text.trim() || 'no error text';
    throw new ParticipationClientError('ADMIN_REQUEST_REJECTED', `the ${this.kind} admin API at ${this.address} refused ${method} ${path} (HTTP ${r.status}): ${why}`, {
      context: { address: this.address, method, path, status: r.status },
    });
  }

  /**
   * One request, answered with whatever HTTP status the server gave (`json` is undefined when the
   * body is not JSON). Throws ParticipationClientError only when no answer came: unreachable, TLS, timeout.
   */
  request(method: string, path: string, body?: Uint8Array): Promise<{ status: number; json: unknown; text: string }> {
    const o = this.o;
    const servername = o.servername ?? o.host;
    const nodeName = o.nodeName ?? servername;
    const context = { address: this.address, method, path };
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: o.host,
          port: o.port,
          method,
          path,
          ca: o.caPem,
          cert: o.certPem,
          key: o.keyPem,
          servername,
          headers: body ? { 'content-type': 'application/octet-stream', 'content-length': body.length } : {},
          timeout: o.timeoutMs ?? 15_000,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => reject(new ParticipationClientError('ADMIN_UNREACHABLE', `the connection to the ${this.kind} admin API at ${this.address} broke: ${err.message}; try again`, { cause: err, context })));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text ? (JSON.parse(text) as unknown) : undefined;
            } catch {
              json = undefined;
            }
            resolve({ status, json, text });
          });
        },
      );
      req.on('timeout', () => req.destroy(new ParticipationClientError('ADMIN_TIMEOUT', `the ${this.kind} admin API at ${this.address} did not answer ${method} ${path} within ${o.timeoutMs ?? 15_000} ms; is the ${this.kind} overloaded or stuck? check its log`, { context })));
      req.on('error', (err: Error & { code?: string }) => {
        if (err instanceof ParticipationClientError) return reject(err);
        if (err.code !== undefined && CONNECT_ERRORS.has(err.code)) {
          return reject(
            new ParticipationClientError('ADMIN_UNREACHABLE', `${this.kind} admin API at ${this.address} is not reachable (${err.code}): is the ${this.kind} running? start it with \`npx fabsim node start ${nodeName}\`, or pass the right --admin-port`, {
              cause: err,
              context,
            }),
          );
        }
        reject(
          new ParticipationClientError('ADMIN_TLS_FAILED', `cannot talk to the ${this.kind} admin API at ${this.address}: ${messageOf(err)}; check that --crypto points at the crypto material the ${this.kind} was started with (its org's TLS CA and the Admin's TLS client certificate)`, {
            cause: err,
            context,
          }),
        );
      });
      req.end(body ? Buffer.from(body) : undefined);
    });
  }
}
