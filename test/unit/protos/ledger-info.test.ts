import { describe, expect, it } from 'vitest';
import { buildEnvelope } from '../../../src/protos/envelope.js';
import { buildBlockchainInfo, buildProcessedTransaction, parseBlockchainInfo, parseProcessedTransaction } from '../../../src/protos/ledger-info.js';
import { TxValidationCode } from '../../../src/protos/tx-validation-code.js';
import { decodeError } from '../../helpers/expect-error.js';

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

describe('common.BlockchainInfo', () => {
  it('round-trips height and hashes', () => {
    const info = { height: 42, currentBlockHash: new Uint8Array(32).fill(7), previousBlockHash: new Uint8Array(32).fill(6) };
    expect(parseBlockchainInfo(buildBlockchainInfo(info))).toEqual(info);
  });

  it('reads an empty ledger (height 0, no hashes)', () => {
    expect(parseBlockchainInfo(buildBlockchainInfo({ height: 0, currentBlockHash: new Uint8Array(), previousBlockHash: new Uint8Array() }))).toEqual({
      height: 0,
      currentBlockHash: new Uint8Array(),
      previousBlockHash: new Uint8Array(),
    });
  });

  it('refuses malformed bytes with PROTO_MALFORMED', () => {
    expect(decodeError(() => parseBlockchainInfo(bytes(0x12, 0xff, 0xff, 0xff, 0xff, 0x0f)))).toMatch(/common\.BlockchainInfo/);
  });
});

describe('protos.ProcessedTransaction', () => {
  it('round-trips the envelope bytes and the validation code', () => {
    const envelope = buildEnvelope({ payload: bytes(1, 2, 3), signature: bytes(4, 5) });
    const tx = { transactionEnvelope: envelope, validationCode: TxValidationCode.MVCC_READ_CONFLICT };
    expect(parseProcessedTransaction(buildProcessedTransaction(tx))).toEqual(tx);
  });

  it('refuses a build from bytes that are not an envelope, and a message without one', () => {
    expect(decodeError(() => buildProcessedTransaction({ transactionEnvelope: bytes(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f), validationCode: 0 }))).toMatch(/common\.Envelope/);
    expect(decodeError(() => parseProcessedTransaction(bytes(0x10, 0x01)))).toMatch(/no transaction_envelope/);
    expect(decodeError(() => parseProcessedTransaction(bytes(0x0a, 0x09, 0x01)))).toMatch(/protos\.ProcessedTransaction/);
  });
});
