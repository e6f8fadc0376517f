import { describe, expect, it } from 'vitest';
import { blockHeaderHash, parseBlock } from '../../../src/protos/block.js';
import { HeaderType } from '../../../src/protos/envelope.js';
import { parseBlockchainInfo, parseProcessedTransaction } from '../../../src/protos/ledger-info.js';
import { TxValidationCode } from '../../../src/protos/tx-validation-code.js';
import { invokeQscc, qsccArgs, QsccFunction } from '../../../src/peer/qscc.js';
import { FakeLedger } from '../../helpers/fake-ledger.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function setup(): { ledger: FakeLedger; ledgerOf: (ch: string) => FakeLedger | undefined } {
  const ledger = new FakeLedger('mychannel', [[{ txId: 'genesis', type: HeaderType.CONFIG }], [{ txId: 'tx-a' }, { txId: 'tx-b', code: 'MVCC_READ_CONFLICT' }], [{ txId: 'tx-c' }]]);
  return { ledger, ledgerOf: (ch) => (ch === 'mychannel' ? ledger : undefined) };
}

describe('QSCC functions (core/scc/qscc/query.go)', () => {
  it('GetChainInfo answers a BlockchainInfo with the height and the last two header hashes', async () => {
    const { ledger, ledgerOf } = setup();
    const answer = await invokeQscc(qsccArgs(QsccFunction.GET_CHAIN_INFO, 'mychannel'), ledgerOf);
    expect(answer.status).toBe(200);
    expect(parseBlockchainInfo(answer.payload)).toEqual({
      height: 3,
      currentBlockHash: blockHeaderHash(ledger.headers[2]!),
      previousBlockHash: blockHeaderHash(ledger.headers[1]!),
    });
  });

  it('GetBlockByNumber answers the stored block bytes', async () => {
    const { ledger, ledgerOf } = setup();
    const answer = await invokeQscc(qsccArgs(QsccFunction.GET_BLOCK_BY_NUMBER, 'mychannel', '1'), ledgerOf);
    expect(answer).toEqual({ status: 200, message: '', payload: ledger.blocks[1] });
  });

  it('GetBlockByHash finds a block by its header hash (raw bytes)', async () => {
    const { ledger, ledgerOf } = setup();
    const answer = await invokeQscc(qsccArgs(QsccFunction.GET_BLOCK_BY_HASH, 'mychannel', blockHeaderHash(ledger.headers[2]!)), ledgerOf);
    expect(answer.status).toBe(200);
    expect(parseBlock(answer.payload).header.number).toBe(2);
  });

  it('GetTransactionByID answers the envelope from the block with its validation code', async () => {
    const { ledger, ledgerOf } = setup();
    const answer = await invokeQscc(qsccArgs(QsccFunction.GET_TRANSACTION_BY_ID, 'mychannel', 'tx-b'), ledgerOf);
    expect(answer.status).toBe(200);
    expect(parseProcessedTransaction(answer.payload)).toEqual({ transactionEnvelope: ledger.envelopes.get('tx-b'), validationCode: TxValidationCode.MVCC_READ_CONFLICT });
  });

  it('GetBlockByTxID answers the block that holds the transaction', async () => {
    const { ledger, ledgerOf } = setup();
    const answer = await invokeQscc(qsccArgs(QsccFunction.GET_BLOCK_BY_TX_ID, 'mychannel', 'tx-c'), ledgerOf);
    expect(answer).toEqual({ status: 200, message: '', payload: ledger.blocks[2] });
  });
});

describe('QSCC errors: status 500 with a message that says what was wrong', () => {
  const failure = async (args: Uint8Array[]): Promise<string> => {
    const answer = await invokeQscc(args, setup().ledgerOf);
    expect(answer.status).toBe(500);
    expect(answer.payload).toHaveLength(0);
    return answer.message;
  };

  it('too few arguments', async () => {
    expect(await failure([utf8('GetChainInfo')])).toMatch(/^Incorrect number of arguments, 1: .*function.*channel name/);
    expect(await failure([])).toMatch(/^Incorrect number of arguments, 0/);
  });

  it('a missing third argument names what it should be', async () => {
    expect(await failure(qsccArgs(QsccFunction.GET_BLOCK_BY_NUMBER, 'mychannel'))).toBe('missing 3rd argument for GetBlockByNumber: the block number, in decimal');
    expect(await failure(qsccArgs(QsccFunction.GET_TRANSACTION_BY_ID, 'mychannel'))).toMatch(/^missing 3rd argument for GetTransactionByID: the transaction ID/);
  });

  it('a channel the peer has not joined', async () => {
    expect(await failure(qsccArgs(QsccFunction.GET_CHAIN_INFO, 'other'))).toBe('Invalid chain ID, other: this peer has not joined channel "other"');
  });

  it('an unknown function lists the functions', async () => {
    expect(await failure([utf8('GetEverything'), utf8('mychannel'), utf8('x')])).toMatch(/^Requested function GetEverything not found\. qscc's functions are GetChainInfo, GetBlockByNumber/);
  });

  it('a block number that does not parse, or is beyond the height', async () => {
    for (const bad of ['-1', 'one', '1.5', ' 1', '18446744073709551616']) {
      expect(await failure(qsccArgs(QsccFunction.GET_BLOCK_BY_NUMBER, 'mychannel', bad))).toMatch(/^Failed to parse block number/);
    }
    expect(await failure(qsccArgs(QsccFunction.GET_BLOCK_BY_NUMBER, 'mychannel', '3'))).toBe('Failed to get block number 3, error: no such block; channel mychannel has 3 blocks (0 to 2)');
    expect(await failure(qsccArgs(QsccFunction.GET_BLOCK_BY_NUMBER, 'mychannel', '18446744073709551615'))).toMatch(/^Failed to get block number 18446744073709551615/);
  });

  it('an unknown block hash or tx id', async () => {
    expect(await failure(qsccArgs(QsccFunction.GET_BLOCK_BY_HASH, 'mychannel', new Uint8Array([0xab, 0xcd])))).toMatch(/^Failed to get block hash abcd, error: no block of channel mychannel/);
    expect(await failure(qsccArgs(QsccFunction.GET_TRANSACTION_BY_ID, 'mychannel', 'nope'))).toBe('Failed to get transaction with id nope, error: no transaction with this ID is committed on channel mychannel');
    expect(await failure(qsccArgs(QsccFunction.GET_BLOCK_BY_TX_ID, 'mychannel', 'nope'))).toMatch(/^Failed to get block for txID nope, error: no transaction/);
  });

  it('the ACL check runs after the argument and channel checks, and its refusal is reported as access denied', async () => {
    const calls: string[] = [];
    const checkAccess = (fn: string, channel: string): string => {
      calls.push(`${fn}@${channel}`);
      return 'the creator is not a reader';
    };
    const { ledgerOf } = setup();
    expect((await invokeQscc(qsccArgs(QsccFunction.GET_CHAIN_INFO, 'other'), ledgerOf, { checkAccess })).message).toMatch(/^Invalid chain ID/);
    expect(calls).toEqual([]);
    const denied = await invokeQscc(qsccArgs(QsccFunction.GET_CHAIN_INFO, 'mychannel'), ledgerOf, { checkAccess });
    expect(denied).toEqual({ status: 500, message: 'access denied for [GetChainInfo][mychannel]: [the creator is not a reader]', payload: new Uint8Array() });
    expect(calls).toEqual(['GetChainInfo@mychannel']);
  });
});
