import { common, orderer } from '@hyperledger/fabric-protos';
import type { StatusName } from '../../protos/seek-info.js';
import { Status, statusName } from '../../protos/seek-info.js';

/**
 * `orderer.StepRequest` / `orderer.StepResponse` (orderer/cluster.proto) as plain values:
 * ConsensusRequest { channel, payload = a raft-codec encoded Message, metadata } and
 * SubmitRequest { channel, last_validation_seq, payload = the client's Envelope };
 * SubmitResponse { channel, status, info }.
 */
export type StepRequest =
  | { readonly kind: 'consensus'; readonly channel: string; readonly payload: Uint8Array }
  | { readonly kind: 'submit'; readonly channel: string; readonly envelope: Uint8Array }
  | { readonly kind: 'none' };

export interface SubmitResponse {
  readonly channel: string;
  readonly status: StatusName;
  readonly info: string;
}

export function buildConsensusStep(channel: string, payload: Uint8Array): Uint8Array {
  const request = new orderer.ConsensusRequest();
  request.setChannel(channel);
  request.setPayload(payload);
  const step = new orderer.StepRequest();
  step.setConsensusRequest(request);
  return step.serializeBinary();
}

export function buildSubmitStep(channel: string, envelope: Uint8Array): Uint8Array {
  const request = new orderer.SubmitRequest();
  request.setChannel(channel);
  request.setPayload(common.Envelope.deserializeBinary(envelope));
  const step = new orderer.StepRequest();
  step.setSubmitRequest(request);
  return step.serializeBinary();
}

/** Throws on malformed bytes (the caller drops the stream). */
export function parseStepRequest(bytes: Uint8Array): StepRequest {
  const step = orderer.StepRequest.deserializeBinary(bytes);
  const consensus = step.getConsensusRequest();
  if (consensus !== undefined) return { kind: 'consensus', channel: consensus.getChannel(), payload: consensus.getPayload_asU8() };
  const submit = step.getSubmitRequest();
  if (submit !== undefined) return { kind: 'submit', channel: submit.getChannel(), envelope: submit.getPayload()?.serializeBinary() ?? new Uint8Array() };
  return { kind: 'none' };
}

export function buildSubmitResponse(r: SubmitResponse): Uint8Array {
  const res = new orderer.SubmitResponse();
  res.setChannel(r.channel);
  res.setStatus(Status[r.status]);
  res.setInfo(r.info);
  const step = new orderer.StepResponse();
  step.setSubmitRes(res);
  return step.serializeBinary();
}

export function parseSubmitResponse(bytes: Uint8Array): SubmitResponse | undefined {
  const res = orderer.StepResponse.deserializeBinary(bytes).getSubmitRes();
  return res === undefined ? undefined : { channel: res.getChannel(), status: statusName(res.getStatus()), info: res.getInfo() };
}
