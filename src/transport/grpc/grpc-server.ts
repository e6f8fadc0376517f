import { Server, type ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { FabsimError } from '../../core/errors.js';

/** One gRPC service (a fabric-protos service definition) and its handlers. */
export interface GrpcService {
  readonly definition: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
}

export interface GrpcServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly credentials: ServerCredentials;
  readonly services: readonly GrpcService[];
  /** Largest message accepted or sent (Fabric's default is 100 MiB). */
  readonly maxMessageBytes: number;
}

export class TransportError extends FabsimError<'ADDRESS_IN_USE' | 'LISTEN_FAILED'> {}

/** A started gRPC server: its bound port and a shutdown that lets in-flight calls finish. */
export interface RunningGrpcServer {
  readonly port: number;
  shutdown(graceMs?: number): Promise<void>;
}

export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const server = new Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.max_send_message_length': options.maxMessageBytes,
    'grpc.keepalive_permit_without_calls': 1,
  });
  for (const service of options.services) server.addService(service.definition, service.implementation);
  const address = `${options.host}:${options.port}`;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, options.credentials, (err, bound) => {
      if (!err) return resolve(bound);
      const inUse = /EADDRINUSE|address already in use/i.test(err.message);
      reject(
        new TransportError(
          inUse ? 'ADDRESS_IN_USE' : 'LISTEN_FAILED',
          inUse
            ? `cannot listen on ${address}: the port is in use (is another node, or an earlier fabsim network, still running on it?)`
            : `cannot listen on ${address}: ${err.message}`,
          { cause: err, context: { address } },
        ),
      );
    }),
  );
  return {
    port,
    shutdown: (graceMs = 2000) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
