import { peer } from '@hyperledger/fabric-protos';
import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { ProposalOutcome } from '../../peer/endorser.js';
import { buildProposalResponse } from '../../protos/proposal.js';
import type { GrpcService } from './grpc-server.js';
import { rawBytesService } from './raw-service.js';

/** What answers proposals: the peer's ProposalHandler (later the Endorser). */
export interface ProposalProcessor {
  process(signedProposalBytes: Uint8Array): Promise<ProposalOutcome>;
}

export interface EndorserServiceOptions {
  readonly handler: ProposalProcessor;
  readonly logger: Logger;
}

/**
 * `protos.Endorser` (peer/peer.proto), one unary method: ProcessProposal(SignedProposal) →
 * ProposalResponse, on raw bytes. As Fabric's gRPC server: when the endorser refuses the proposal
 * (it does not unpack, or fails validation) the call fails with status UNKNOWN and the refusal's
 * message (what Go's gRPC sends for a plain error); every other outcome, including a chaincode
 * error or an unknown channel, is a ProposalResponse whose response.status says how it went.
 */
export function endorserService(o: EndorserServiceOptions): GrpcService {
  return {
    definition: rawBytesService(peer.EndorserService),
    implementation: {
      processProposal: (call: ServerUnaryCall<Uint8Array, Uint8Array>, callback: sendUnaryData<Uint8Array>) => {
        o.handler.process(call.request).then(
          (outcome) => {
            if (outcome.refusal !== undefined) callback({ code: status.UNKNOWN, details: outcome.refusal.message });
            else callback(null, buildProposalResponse(outcome.response));
          },
          (err: unknown) => {
            o.logger.error('proposal processing failed', { error: messageOf(err) });
            callback({ code: status.INTERNAL, details: `the peer failed while processing the proposal: ${messageOf(err)}` });
          },
        );
      },
    },
  };
}
