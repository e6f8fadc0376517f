import { peer } from '@hyperledger/fabric-protos';
import { status, type Client, type ServiceError } from '@grpc/grpc-js';
import { FabsimError } from '../../core/errors.js';
import { parseProposalResponse, type ProposalResponse } from '../../protos/proposal.js';
import { rawBytesClient } from './raw-service.js';
import { clientCredentials, type ClientTlsMaterial } from './tls-credentials.js';

const EndorserClient = rawBytesClient(peer.EndorserService, 'Endorser');

export type EndorserClientErrorCode = 'PEER_UNREACHABLE' | 'PEER_TIMEOUT' | 'PROPOSAL_REFUSED' | 'PEER_CALL_FAILED';

/** A ProcessProposal call that did not return a ProposalResponse. */
export class EndorserClientError extends FabsimError<EndorserClientErrorCode> {}

export interface ProcessProposalOptions {
  /** The host name the peer's TLS certificate must carry (e.g. peer0.org1.example.com when dialling 127.0.0.1). */
  readonly serverNameOverride?: string;
  /** Default 10 s. */
  readonly timeoutMs?: number;
  readonly maxMessageBytes?: number;
}

/**
 * A connection to one peer's `protos.Endorser` over TLS, kept open for many ProcessProposal calls
 * (the Gateway's connection to another organization's peer). `call` returns the ProposalResponse,
 * whose response.status may still be an error (the caller decides), or throws EndorserClientError.
 */
export class EndorserConnection {
  private readonly client: Client;
  private readonly name: string;
  private readonly host: string;

  constructor(
    readonly address: string,
    tls: ClientTlsMaterial,
    private readonly options: ProcessProposalOptions = {},
  ) {
    const maxMessageBytes = options.maxMessageBytes ?? 100 * 1024 * 1024;
    this.client = new EndorserClient(address, clientCredentials(tls), {
      'grpc.max_receive_message_length': maxMessageBytes,
      'grpc.max_send_message_length': maxMessageBytes,
      ...(options.serverNameOverride === undefined ? {} : { 'grpc.ssl_target_name_override': options.serverNameOverride, 'grpc.default_authority': options.serverNameOverride }),
    });
    this.name = options.serverNameOverride === undefined ? address : `${options.serverNameOverride} (${address})`;
    this.host = options.serverNameOverride ?? '<host>';
  }

  async processProposal(signedProposal: Uint8Array): Promise<ProposalResponse> {
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    const bytes = await new Promise<Uint8Array>((resolve, reject) => {
      const call = this.client as unknown as {
        processProposal(request: Uint8Array, options: { deadline: Date }, callback: (err: ServiceError | null, response?: Uint8Array) => void): void;
      };
      call.processProposal(signedProposal, { deadline: new Date(Date.now() + timeoutMs) }, (err, response) => {
        if (err) reject(callError(err, this.name, this.host, timeoutMs));
        else resolve(response ?? new Uint8Array());
      });
    });
    return parseProposalResponse(bytes);
  }

  close(): void {
    this.client.close();
  }
}

/** One ProcessProposal call on a connection opened for it and closed after (the CLI's queries). */
export async function processProposal(address: string, tls: ClientTlsMaterial, signedProposal: Uint8Array, options: ProcessProposalOptions = {}): Promise<ProposalResponse> {
  const connection = new EndorserConnection(address, tls, options);
  try {
    return await connection.processProposal(signedProposal);
  } finally {
    connection.close();
  }
}

function callError(err: ServiceError, name: string, host: string, timeoutMs: number): EndorserClientError {
  const context = { peer: name, grpcCode: err.code };
  switch (err.code) {
    case status.UNAVAILABLE:
      return new EndorserClientError('PEER_UNREACHABLE', `cannot reach peer ${name}: ${details(err)}; is the peer running (\`npx fabsim node start ${host}\`), and are its port and TLS CA the ones in the network config?`, {
        cause: err,
        context,
      });
    case status.DEADLINE_EXCEEDED:
      return new EndorserClientError('PEER_TIMEOUT', `peer ${name} did not answer the proposal within ${timeoutMs} ms; check that the peer is healthy and retry`, { cause: err, context });
    case status.UNKNOWN:
      // Fabric's endorser refuses invalid proposals with a plain error (gRPC UNKNOWN).
      return new EndorserClientError('PROPOSAL_REFUSED', `peer ${name} refused the proposal: ${err.details}`, { cause: err, context });
    default:
      return new EndorserClientError('PEER_CALL_FAILED', `the ProcessProposal call to peer ${name} failed (${status[err.code] ?? err.code}): ${err.details}`, { cause: err, context });
  }
}

/** grpc-js details without its empty trailing "Resolution note:". */
function details(err: ServiceError): string {
  return err.details.replace(/\.?\s*Resolution note:\s*$/, '');
}
