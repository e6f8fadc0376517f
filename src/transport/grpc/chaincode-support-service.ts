import { peer } from '@hyperledger/fabric-protos';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { ChaincodeHandler, type ChaincodeHandlerOptions } from '../../peer/chaincode/chaincode-handler.js';
import type { GrpcService } from './grpc-server.js';
import { rawBytesService } from './raw-service.js';

export interface ChaincodeSupportServiceOptions extends ChaincodeHandlerOptions {
  readonly logger: Logger;
  /** Called with each new connection's handler (before REGISTER); for observers and tests. */
  readonly onConnection?: (handler: ChaincodeHandler) => void;
}

/**
 * `protos.ChaincodeSupport` (peer/chaincode_shim.proto), one bidi method: Register, the stream a
 * chaincode process opens to its peer (Fabric core/chaincode ChaincodeSupport.Register →
 * HandleChaincodeStream). Each stream gets its own ChaincodeHandler, on raw ChaincodeMessage bytes:
 * every message received goes to `handler.receive`; the end of the stream, either way (the chaincode
 * closed it, its process died, the connection broke, the call was cancelled), to `handler.disconnected`,
 * which fails the transactions in flight and deregisters the chaincode.
 */
export function chaincodeSupportService(o: ChaincodeSupportServiceOptions): GrpcService {
  return {
    definition: rawBytesService(peer.ChaincodeSupportService),
    implementation: {
      register: (call: ServerDuplexStream<Uint8Array, Uint8Array>) => {
        const handler = new ChaincodeHandler(
          {
            send: (message) => {
              if (call.cancelled || call.destroyed) throw new Error('the stream is closed');
              call.write(message);
            },
            close: () => call.end(),
          },
          o,
        );
        o.onConnection?.(handler);
        call.on('data', (message: Uint8Array) => handler.receive(message));
        call.on('end', () => {
          handler.disconnected('the chaincode closed the stream');
          call.end();
        });
        call.on('error', (err: Error) => handler.disconnected(`stream error: ${messageOf(err)}`));
        call.on('cancelled', () => handler.disconnected('the connection to the chaincode was lost'));
        call.on('close', () => handler.disconnected('the stream closed'));
      },
    },
  };
}
