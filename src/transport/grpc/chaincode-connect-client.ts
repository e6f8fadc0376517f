import { peer } from '@hyperledger/fabric-protos';
import { credentials, status as grpcStatus, type ChannelCredentials, type Client, type ClientDuplexStream, type StatusObject } from '@grpc/grpc-js';
import { messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { ChaincodeHandler, type ChaincodeHandlerOptions } from '../../peer/chaincode/chaincode-handler.js';
import { realChaincodeTimers } from '../../peer/chaincode/chaincode-timers.js';
import { rawBytesClient } from './raw-service.js';
import { clientCredentials } from './tls-credentials.js';

const ChaincodeClient = rawBytesClient(peer.ChaincodeService, 'Chaincode');

type Duplex = ClientDuplexStream<Uint8Array, Uint8Array>;

/**
 * How the peer reaches a chaincode server over TLS: the fields of Fabric's external-builder
 * `connection.json` (root_cert, client_auth_required with client_cert / client_key), plus the host
 * name to check the server certificate against when the address is not one of its names.
 */
export interface ChaincodeConnectTls {
  /** PEM of the TLS CA(s) that signed the chaincode server's certificate (connection.json root_cert). */
  readonly rootCertPem: string;
  /** The peer's TLS client certificate and key, for a chaincode server that requires mutual TLS. */
  readonly clientCertPem?: string;
  readonly clientKeyPem?: string;
  /** grpc.ssl_target_name_override: the name the server certificate must carry. */
  readonly serverNameOverride?: string;
}

export interface ChaincodeConnectOptions extends ChaincodeHandlerOptions {
  /** The chaincode server's host:port (its --chaincode-address / CHAINCODE_SERVER_ADDRESS as the peer reaches it). */
  readonly address: string;
  /** Omitted: plaintext (connection.json tls_required: false). */
  readonly tls?: ChaincodeConnectTls;
  readonly logger: Logger;
  /** Largest message sent or received; Fabric's default is 100 MiB. */
  readonly maxMessageBytes?: number;
  /** Called with the connection's handler before REGISTER; for observers and tests. */
  readonly onConnection?: (handler: ChaincodeHandler) => void;
}

/** How a Chaincode/Connect stream ended. */
export interface ChaincodeConnectionEnd {
  readonly reason: string;
  /** The chaincode had registered and was READY on this stream. */
  readonly wasReady: boolean;
}

/** One dialled Chaincode/Connect stream and the ChaincodeHandler that speaks on it. */
export interface ChaincodeConnection {
  readonly address: string;
  readonly handler: ChaincodeHandler;
  /** Resolves with the handler once the chaincode is READY, or with undefined when the stream ended first. Never rejects. */
  readonly registered: Promise<ChaincodeHandler | undefined>;
  /** Resolves when the stream has ended, either side, with the reason. Never rejects. */
  readonly ended: Promise<ChaincodeConnectionEnd>;
  /** Ends the stream from the peer's side (failing the transactions in flight). Idempotent. */
  close(reason?: string): void;
}

/** After the peer half-closes, how long the chaincode server gets to finish the call before it is cancelled. */
const CLOSE_GRACE_MS = 1000;

/**
 * Chaincode-as-a-service, the peer's side (Fabric core/container/externalbuilder + core/chaincode/extcc
 * `ExternalChaincodeRuntime.Stream`): the peer dials the chaincode server's `protos.Chaincode/Connect`
 * (peer/chaincode_shim.proto) and the chaincode, as with ChaincodeSupport/Register, speaks first: REGISTER,
 * then the same conversation. Only the direction of the gRPC call differs, so the stream gets a
 * ChaincodeHandler exactly as chaincodeSupportService gives one to each Register stream, on raw
 * ChaincodeMessage bytes.
 *
 * Contract:
 * - Returns at once; the channel connects in the background. A connection that cannot be made (nothing
 *   listening, a TLS handshake the server or the peer refuses) fails the call with UNAVAILABLE, and the
 *   stream ends like any other: `ended` resolves with the reason (gRPC's own words, e.g. "connect
 *   ECONNREFUSED"), `registered` with undefined. Throws only for unusable options (e.g. a malformed PEM).
 * - The end of the stream, either way (the chaincode server ended the call, its process died, the
 *   connection broke, the handler ended it for a protocol violation, `close`), reaches
 *   `handler.disconnected`, which fails the transactions in flight and deregisters the chaincode. Then
 *   the gRPC client is closed; a call the server does not finish within a second of the peer's
 *   half-close is cancelled.
 * - No retries here: src/node/chaincode-server-connector.ts dials again, and logs the connection's end:
 *   the handler's own 'chaincode disconnected' line is logged at debug level.
 */
export function dialChaincodeServer(o: ChaincodeConnectOptions): ChaincodeConnection {
  const maxMessageBytes = o.maxMessageBytes ?? 100 * 1024 * 1024;
  const override = o.tls?.serverNameOverride;
  const client: Client = new ChaincodeClient(o.address, channelCredentials(o.tls), {
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
    ...(override === undefined ? {} : { 'grpc.ssl_target_name_override': override, 'grpc.default_authority': override }),
  });
  let call: Duplex;
  try {
    call = (client as unknown as { connect(): Duplex }).connect();
  } catch (err) {
    client.close();
    throw err;
  }
  const timers = o.timers ?? realChaincodeTimers;
  let finished = false;
  let wasReady = false;
  let markRegistered!: (handler: ChaincodeHandler | undefined) => void;
  const registered = new Promise<ChaincodeHandler | undefined>((resolve) => (markRegistered = resolve));

  const handler = new ChaincodeHandler(
    {
      send: (message) => {
        if (finished || call.destroyed || call.writableEnded) throw new Error('the stream is closed');
        call.write(message);
      },
      close: () => {
        if (!finished && !call.writableEnded) call.end();
      },
    },
    { ...o, logger: demoteDisconnects(o.logger) },
  );
  o.onConnection?.(handler);

  call.on('data', (message: Uint8Array) => {
    handler.receive(message);
    // REGISTER is handled synchronously: after it the handler is READY, or it refused and closed.
    if (!wasReady && handler.state === 'ready') {
      wasReady = true;
      markRegistered(handler);
    }
  });
  // grpc-js emits 'error' (a non-OK status) before 'end'; the first reason reaches the handler.
  call.on('error', (err: Error) => {
    finished = true;
    handler.disconnected(`stream error: ${messageOf(err).replace(/\.?\s*Resolution note:\s*$/, '')}`);
  });
  call.on('status', (status: StatusObject) => {
    finished = true;
    if (status.code === grpcStatus.OK) handler.disconnected('the chaincode server ended the stream');
  });
  call.on('end', () => handler.disconnected('the chaincode server ended the stream'));
  call.on('close', () => {
    finished = true;
    handler.disconnected('the stream closed');
  });

  const ended = handler.closed.then((reason): ChaincodeConnectionEnd => {
    markRegistered(undefined);
    client.close();
    if (!finished) {
      const timer = timers.setTimeout(() => {
        if (!finished) call.cancel();
      }, CLOSE_GRACE_MS);
      call.once('close', () => timers.clearTimeout(timer));
    }
    return { reason, wasReady };
  });

  return {
    address: o.address,
    handler,
    registered,
    ended,
    close: (reason = 'the peer closed the chaincode connection') => handler.close(reason),
  };
}

/**
 * The handler logs every end of its stream as 'chaincode disconnected' (info). A ccaas connection is
 * redialled by the ChaincodeServerConnector, which logs the end itself (with the address and the retry
 * delay), so the handler's line goes to debug: one info line per disconnect, none per failed redial.
 */
function demoteDisconnects(logger: Logger): Logger {
  return {
    debug: (event, fields) => logger.debug(event, fields),
    info: (event, fields) => (event === 'chaincode disconnected' ? logger.debug(event, fields) : logger.info(event, fields)),
    warn: (event, fields) => logger.warn(event, fields),
    error: (event, fields) => logger.error(event, fields),
  };
}

function channelCredentials(tls: ChaincodeConnectTls | undefined): ChannelCredentials {
  if (tls === undefined) return credentials.createInsecure();
  return clientCredentials({
    serverCaPems: [tls.rootCertPem],
    ...(tls.clientCertPem === undefined ? {} : { certPem: tls.clientCertPem }),
    ...(tls.clientKeyPem === undefined ? {} : { keyPem: tls.clientKeyPem }),
  });
}
