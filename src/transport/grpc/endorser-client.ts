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
 * Sends one SignedProposal to a peer's `protos.Endorser/ProcessProposal` over TLS and returns the
 * ProposalResponse (whose response.status may still be an error: the caller decides). Opens a
 * connection for the call and closes it after.
 */
export async function processProposal(address: string, tls: ClientTlsMaterial, signedProposal: Uint8Array, options: ProcessProposalOptions = {}): Promise<ProposalResponse> {
  const maxMessageBytes = options.maxMessageBytes ?? 100 * 1024 * 1024;
  const client: Client = new EndorserClient(address, clientCredentials(tls), {
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
    ...(options.serverNameOverride === undefined ? {} : { 'grpc.ssl_target_name_override': options.serverNameOverride, 'grpc.default_authority': options.serverNameOverride }),
  });
  const timeoutMs = options.timeoutMs ?? 10_000;
  const name = options.serverNameOverride === undefined ? address : `${options.serverNameOverride} (${address})`;
  try {
    const bytes = await new Promise<Uint8Array>((resolve, reject) => {
      const call = client as unknown as {
        processProposal(request: Uint8Array, options: { deadline: Date }, callback: (err: ServiceError | null, response?: Uint8Array) => void): void;
      };
      call.processProposal(signedProposal, { deadline: new Date(Date.now() + timeoutMs) }, (err, response) => {
        if (err) reject(callError(err, name, options.serverNameOverride ?? '<host>', timeoutMs));
        else resolve(response ?? new Uint8Array());
      });
    });
    return parseProposalResponse(bytes);
  } finally {
    client.close();
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
