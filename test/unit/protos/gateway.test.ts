import { gateway, google, orderer, peer } from '@hyperledger/fabric-protos';
import { describe, expect, it } from 'vitest';
import {
  buildChaincodeEventsRequest,
  buildChaincodeEventsResponse,
  buildCommitStatusRequest,
  buildCommitStatusResponse,
  buildEndorseRequest,
  buildEndorseResponse,
  buildErrorDetail,
  buildEvaluateRequest,
  buildEvaluateResponse,
  buildGatewayErrorStatus,
  buildSignedChaincodeEventsRequest,
  buildSignedCommitStatusRequest,
  buildSubmitRequest,
  buildSubmitResponse,
  ERROR_DETAIL_TYPE_URL,
  parseChaincodeEventsRequest,
  parseChaincodeEventsResponse,
  parseCommitStatusRequest,
  parseCommitStatusResponse,
  parseEndorseRequest,
  parseEndorseResponse,
  parseErrorDetail,
  parseEvaluateRequest,
  parseEvaluateResponse,
  parseGatewayErrorStatus,
  parseSignedChaincodeEventsRequest,
  parseSignedCommitStatusRequest,
  parseSubmitRequest,
  parseSubmitResponse,
  type ChaincodeEventsRequest,
  type ChaincodeEventsResponse,
  type EndorseRequest,
  type EvaluateRequest,
  type SubmitRequest,
} from '../../../src/protos/gateway.js';
import { decodeError } from '../../helpers/expect-error.js';

/** The Gateway messages (gateway/gateway.proto) against the classes the official fabric-gateway client uses. */

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
/** A nested message claiming 4 GB: refused by the reader guard. */
const HUGE_LENGTH = bytes(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f);

describe('Evaluate, Endorse and Submit messages', () => {
  const proposal = { proposalBytes: utf8('proposal'), signature: utf8('sig') };

  it('round-trips EvaluateRequest and EndorseRequest, with and without a proposal', () => {
    const evaluate: EvaluateRequest = { transactionId: 'tx1', channelId: 'mychannel', proposedTransaction: proposal, targetOrganizations: ['Org1MSP', 'Org2MSP'] };
    expect(parseEvaluateRequest(buildEvaluateRequest(evaluate))).toEqual(evaluate);
    const bare: EvaluateRequest = { transactionId: '', channelId: '', proposedTransaction: undefined, targetOrganizations: [] };
    expect(parseEvaluateRequest(buildEvaluateRequest(bare))).toEqual(bare);
    const endorse: EndorseRequest = { transactionId: 'tx1', channelId: 'mychannel', proposedTransaction: proposal, endorsingOrganizations: ['Org2MSP'] };
    expect(parseEndorseRequest(buildEndorseRequest(endorse))).toEqual(endorse);
    expect(parseEndorseRequest(new Uint8Array()).proposedTransaction).toBeUndefined();
  });

  it('writes what fabric-gateway reads and reads what it writes', () => {
    const wire = gateway.EvaluateRequest.deserializeBinary(buildEvaluateRequest({ transactionId: 'tx1', channelId: 'ch', proposedTransaction: proposal, targetOrganizations: ['Org1MSP'] }));
    expect(wire.getProposedTransaction()?.getProposalBytes_asU8()).toEqual(proposal.proposalBytes);
    expect(wire.getTargetOrganizationsList()).toEqual(['Org1MSP']);

    const response = new gateway.EvaluateResponse();
    const result = new peer.Response();
    result.setStatus(200);
    result.setPayload(utf8('{"ok":true}'));
    response.setResult(result);
    expect(parseEvaluateResponse(response.serializeBinary())).toEqual({ result: { status: 200, message: '', payload: utf8('{"ok":true}') } });
  });

  it('round-trips the responses', () => {
    const result = { status: 500, message: 'asset not found', payload: new Uint8Array() };
    expect(parseEvaluateResponse(buildEvaluateResponse({ result }))).toEqual({ result });
    expect(parseEvaluateResponse(buildEvaluateResponse({ result: undefined }))).toEqual({ result: undefined });
    const preparedTransaction = { payload: utf8('payload'), signature: new Uint8Array() };
    expect(parseEndorseResponse(buildEndorseResponse({ preparedTransaction }))).toEqual({ preparedTransaction });
    expect(parseEndorseResponse(buildEndorseResponse({ preparedTransaction: undefined }))).toEqual({ preparedTransaction: undefined });
    const submit: SubmitRequest = { transactionId: 'tx1', channelId: 'mychannel', preparedTransaction: { payload: utf8('payload'), signature: utf8('signed') } };
    expect(parseSubmitRequest(buildSubmitRequest(submit))).toEqual(submit);
    expect(parseSubmitRequest(buildSubmitRequest({ ...submit, preparedTransaction: undefined })).preparedTransaction).toBeUndefined();
    expect(parseSubmitResponse(buildSubmitResponse())).toEqual({});
  });

  it('refuses bytes that are not the message', () => {
    expect(decodeError(() => parseEvaluateRequest(HUGE_LENGTH))).toMatch(/gateway\.EvaluateRequest/);
    expect(decodeError(() => parseEvaluateResponse(HUGE_LENGTH))).toMatch(/gateway\.EvaluateResponse/);
    expect(decodeError(() => parseEndorseRequest(HUGE_LENGTH))).toMatch(/gateway\.EndorseRequest/);
    expect(decodeError(() => parseEndorseResponse(HUGE_LENGTH))).toMatch(/gateway\.EndorseResponse/);
    expect(decodeError(() => parseSubmitRequest(bytes(0x1a, 0x05, 0x01)))).toMatch(/gateway\.SubmitRequest/);
    expect(decodeError(() => parseSubmitResponse(bytes(0xff, 0xff, 0xff)))).toMatch(/gateway\.SubmitResponse/);
  });
});

describe('CommitStatus messages', () => {
  it('round-trips the signed wrapper and the request, and keeps the signed bytes as they are', () => {
    const request = buildCommitStatusRequest({ transactionId: 'tx1', channelId: 'mychannel', identity: utf8('creator') });
    const signed = parseSignedCommitStatusRequest(buildSignedCommitStatusRequest({ request, signature: utf8('sig') }));
    expect(signed.request).toEqual(request);
    expect(signed.signature).toEqual(utf8('sig'));
    expect(parseCommitStatusRequest(signed.request)).toEqual({ transactionId: 'tx1', channelId: 'mychannel', identity: utf8('creator') });
    expect(parseSignedCommitStatusRequest(new Uint8Array())).toEqual({ request: new Uint8Array(), signature: new Uint8Array() });
  });

  it('reads a request built as fabric-gateway builds it', () => {
    const request = new gateway.CommitStatusRequest();
    request.setChannelId('mychannel');
    request.setTransactionId('abc');
    request.setIdentity(utf8('creator'));
    const signed = new gateway.SignedCommitStatusRequest();
    signed.setRequest(request.serializeBinary());
    signed.setSignature(utf8('sig'));
    const parsed = parseSignedCommitStatusRequest(signed.serializeBinary());
    expect(parseCommitStatusRequest(parsed.request)).toEqual({ transactionId: 'abc', channelId: 'mychannel', identity: utf8('creator') });
  });

  it('writes the result as the TxValidationCode fabric-gateway reads, and refuses codes Fabric does not define', () => {
    const wire = gateway.CommitStatusResponse.deserializeBinary(buildCommitStatusResponse({ result: 'MVCC_READ_CONFLICT', blockNumber: 12 }));
    expect(wire.getResult()).toBe(peer.TxValidationCode.MVCC_READ_CONFLICT);
    expect(wire.getBlockNumber()).toBe(12);
    expect(parseCommitStatusResponse(buildCommitStatusResponse({ result: 'VALID', blockNumber: 0 }))).toEqual({ result: 'VALID', blockNumber: 0 });
    expect(parseCommitStatusResponse(buildCommitStatusResponse({ result: 'INVALID_OTHER_REASON', blockNumber: 3 }))).toEqual({ result: 'INVALID_OTHER_REASON', blockNumber: 3 });
    expect(decodeError(() => parseCommitStatusResponse(bytes(0x08, 0x64)))).toMatch(/result 100 is not a TxValidationCode/);
  });

  it('refuses bytes that are not the message', () => {
    expect(decodeError(() => parseSignedCommitStatusRequest(HUGE_LENGTH))).toMatch(/gateway\.SignedCommitStatusRequest/);
    expect(decodeError(() => parseCommitStatusRequest(HUGE_LENGTH))).toMatch(/gateway\.CommitStatusRequest/);
    expect(decodeError(() => parseCommitStatusResponse(bytes(0xff, 0xff, 0xff)))).toMatch(/gateway\.CommitStatusResponse/);
  });
});

describe('ChaincodeEvents messages', () => {
  const base: ChaincodeEventsRequest = { channelId: 'mychannel', chaincodeId: 'basic', identity: utf8('creator'), startPosition: undefined, afterTransactionId: '' };

  it('round-trips every start position and the after-transaction id', () => {
    for (const startPosition of [undefined, { kind: 'nextCommit' }, { kind: 'oldest' }, { kind: 'newest' }, { kind: 'specified', number: 0 }, { kind: 'specified', number: 42 }] as const) {
      const request = { ...base, startPosition, afterTransactionId: 'tx9' };
      expect(parseChaincodeEventsRequest(buildChaincodeEventsRequest(request))).toEqual(request);
    }
    const signed = parseSignedChaincodeEventsRequest(buildSignedChaincodeEventsRequest({ request: buildChaincodeEventsRequest(base), signature: utf8('sig') }));
    expect(parseChaincodeEventsRequest(signed.request)).toEqual(base);
    expect(signed.signature).toEqual(utf8('sig'));
  });

  it('reads requests built as fabric-gateway builds them (next commit, or a checkpoint block and tx id)', () => {
    const request = new gateway.ChaincodeEventsRequest();
    request.setChannelId('mychannel');
    request.setChaincodeId('basic');
    request.setIdentity(utf8('creator'));
    const next = new orderer.SeekPosition();
    next.setNextCommit(new orderer.SeekNextCommit());
    request.setStartPosition(next);
    expect(parseChaincodeEventsRequest(request.serializeBinary()).startPosition).toEqual({ kind: 'nextCommit' });

    const specified = new orderer.SeekSpecified();
    specified.setNumber(17);
    const position = new orderer.SeekPosition();
    position.setSpecified(specified);
    request.setStartPosition(position);
    request.setAfterTransactionId('tx5');
    expect(parseChaincodeEventsRequest(request.serializeBinary())).toEqual({ ...base, startPosition: { kind: 'specified', number: 17 }, afterTransactionId: 'tx5' });
  });

  it('reads a start position that sets no type as absent (Fabric starts at the next commit then)', () => {
    const request = new gateway.ChaincodeEventsRequest();
    request.setStartPosition(new orderer.SeekPosition());
    expect(parseChaincodeEventsRequest(request.serializeBinary()).startPosition).toBeUndefined();
  });

  it('reads "forever" block numbers as Infinity, as seek-info does', () => {
    const request = { ...base, startPosition: { kind: 'specified', number: Number.POSITIVE_INFINITY } } as const;
    expect(parseChaincodeEventsRequest(buildChaincodeEventsRequest(request)).startPosition).toEqual({ kind: 'specified', number: Number.POSITIVE_INFINITY });
  });

  it('round-trips the response and writes what fabric-gateway reads', () => {
    const response: ChaincodeEventsResponse = {
      blockNumber: 9,
      events: [
        { chaincodeId: 'basic', txId: 'tx1', eventName: 'AssetCreated', payload: utf8('{"id":"a1"}') },
        { chaincodeId: 'basic', txId: 'tx2', eventName: 'AssetDeleted', payload: new Uint8Array() },
      ],
    };
    const built = buildChaincodeEventsResponse(response);
    expect(parseChaincodeEventsResponse(built)).toEqual(response);
    const wire = gateway.ChaincodeEventsResponse.deserializeBinary(built);
    expect(wire.getBlockNumber()).toBe(9);
    expect(wire.getEventsList().map((e) => [e.getChaincodeId(), e.getTxId(), e.getEventName()])).toEqual([
      ['basic', 'tx1', 'AssetCreated'],
      ['basic', 'tx2', 'AssetDeleted'],
    ]);
  });

  it('refuses bytes that are not the message', () => {
    expect(decodeError(() => parseSignedChaincodeEventsRequest(HUGE_LENGTH))).toMatch(/gateway\.SignedChaincodeEventsRequest/);
    expect(decodeError(() => parseChaincodeEventsRequest(bytes(0x22, 0x05, 0x01)))).toMatch(/gateway\.ChaincodeEventsRequest/);
    expect(decodeError(() => parseChaincodeEventsResponse(HUGE_LENGTH))).toMatch(/gateway\.ChaincodeEventsResponse/);
  });
});

describe('ErrorDetail and the google.rpc.Status of a Gateway error', () => {
  const details = [
    { address: 'peer0.org1.example.com:7051', mspId: 'Org1MSP', message: 'chaincode response 500, asset a1 does not exist' },
    { address: 'peer0.org2.example.com:9051', mspId: 'Org2MSP', message: 'timeout' },
  ];

  it('round-trips', () => {
    expect(parseErrorDetail(buildErrorDetail(details[0]!))).toEqual(details[0]);
    expect(parseGatewayErrorStatus(buildGatewayErrorStatus({ code: 10, message: 'failed to endorse transaction', details }))).toEqual({ code: 10, message: 'failed to endorse transaction', details });
  });

  it('is read the way fabric-gateway newGatewayError reads grpc-status-details-bin', () => {
    const status = google.rpc.Status.deserializeBinary(buildGatewayErrorStatus({ code: 10, message: 'failed', details }));
    expect(status.getDetailsList().map((any) => any.getTypeUrl())).toEqual([ERROR_DETAIL_TYPE_URL, ERROR_DETAIL_TYPE_URL]);
    const read = status.getDetailsList().map((any) => {
      const detail = gateway.ErrorDetail.deserializeBinary(any.getValue_asU8());
      return { address: detail.getAddress(), mspId: detail.getMspId(), message: detail.getMessage() };
    });
    expect(read).toEqual(details);
  });

  it('leaves out details of other types and refuses malformed ones', () => {
    const status = google.rpc.Status.deserializeBinary(buildGatewayErrorStatus({ code: 9, message: 'm', details: [details[0]!] }));
    const other = status.addDetails();
    other.setTypeUrl('type.googleapis.com/google.rpc.DebugInfo');
    other.setValue(utf8('x'));
    expect(parseGatewayErrorStatus(status.serializeBinary()).details).toEqual([details[0]]);

    const bad = new google.rpc.Status();
    const any = bad.addDetails();
    any.setTypeUrl(ERROR_DETAIL_TYPE_URL);
    any.setValue(HUGE_LENGTH);
    expect(decodeError(() => parseGatewayErrorStatus(bad.serializeBinary()))).toMatch(/gateway\.ErrorDetail/);
    expect(decodeError(() => parseGatewayErrorStatus(HUGE_LENGTH))).toMatch(/google\.rpc\.Status/);
  });
});
