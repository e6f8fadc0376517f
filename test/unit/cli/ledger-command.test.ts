import { describe, expect, it } from 'vitest';
import { blockReport, chainInfoReport, summarizeBlockTransactions, transactionReport } from '../../../src/cli/ledger-command.js';
import { toHex } from '../../../src/core/bytes.js';
import { blockHeaderHash, BlockMetadataSlot, buildBlock, parseBlock } from '../../../src/protos/block.js';
import { HeaderType } from '../../../src/protos/envelope.js';
import { TxValidationCode } from '../../../src/protos/tx-validation-code.js';
import { FakeLedger } from '../../helpers/fake-ledger.js';
import { makeTestOrg } from '../../helpers/test-orgs.js';

const ledger = new FakeLedger('mychannel', [[{ txId: 'genesis-tx', type: HeaderType.CONFIG }], [{ txId: 'tx-a' }, { txId: 'tx-b', code: 'MVCC_READ_CONFLICT' }]]);

describe('fabsim ledger output', () => {
  it('info: height and both hashes in hex', () => {
    const report = chainInfoReport('mychannel', ledger.chainInfo());
    const current = toHex(blockHeaderHash(ledger.headers[1]!));
    const previous = toHex(blockHeaderHash(ledger.headers[0]!));
    expect(report.json).toEqual({ channel: 'mychannel', height: 2, currentBlockHash: current, previousBlockHash: previous });
    expect(report.lines).toEqual([
      'channel mychannel',
      '  height               2 (blocks 0 to 1)',
      `  current block hash   ${current}`,
      `  previous block hash  ${previous}`,
    ]);
    expect(chainInfoReport('x', { height: 0, currentBlockHash: new Uint8Array(), previousBlockHash: new Uint8Array() }).lines).toContain('  current block hash   (none)');
  });

  it('block: number, hashes, and each tx id with its code from TRANSACTIONS_FILTER', () => {
    const report = blockReport('mychannel', ledger.blocks[1]!);
    const header = ledger.headers[1]!;
    expect(report.json).toMatchObject({
      number: 1,
      dataHash: toHex(header.dataHash),
      previousHash: toHex(header.previousHash),
      transactionCount: 2,
      transactions: [
        { position: 0, txId: 'tx-a', type: 'ENDORSER_TRANSACTION (3)', validation: 'VALID' },
        { position: 1, txId: 'tx-b', type: 'ENDORSER_TRANSACTION (3)', validation: 'MVCC_READ_CONFLICT' },
      ],
    });
    expect(report.lines).toEqual([
      'block 1 of channel mychannel',
      `  data hash      ${toHex(header.dataHash)}`,
      `  previous hash  ${toHex(header.previousHash)}`,
      '  transactions   2',
      '      0  tx-a  ENDORSER_TRANSACTION (3)  VALID',
      '      1  tx-b  ENDORSER_TRANSACTION (3)  MVCC_READ_CONFLICT',
    ]);
    expect(blockReport('mychannel', ledger.blocks[0]!).lines[2]).toBe('  previous hash  (none: the genesis block)');
  });

  it('block: a block without a filter (not validated) and an unreadable envelope', () => {
    const block = parseBlock(ledger.blocks[1]!);
    const metadata = [...block.metadata];
    metadata[BlockMetadataSlot.TRANSACTIONS_FILTER] = new Uint8Array();
    const bytes = buildBlock({ header: block.header, data: [block.data[0]!, new Uint8Array([0x0a, 0x01])], metadata });
    expect(summarizeBlockTransactions(parseBlock(bytes))).toEqual([
      { position: 0, txId: 'tx-a', type: 'ENDORSER_TRANSACTION (3)', validation: '(not validated)' },
      { position: 1, txId: '', type: '(unreadable envelope)', validation: '(not validated)' },
    ]);
  });

  it('tx: id, block and position, type, creator, timestamp, code name', () => {
    const report = transactionReport('mychannel', 'tx-b', { transactionEnvelope: ledger.envelopes.get('tx-b')!, validationCode: TxValidationCode.MVCC_READ_CONFLICT }, ledger.blocks[1]!);
    expect(report.json).toEqual({
      txId: 'tx-b',
      channel: 'mychannel',
      block: 1,
      position: 1,
      type: 'ENDORSER_TRANSACTION (3)',
      creator: '(unreadable identity)',
      timestamp: '2026-06-01T09:30:01.000Z',
      validationCode: 11,
      validation: 'MVCC_READ_CONFLICT',
    });
    expect(report.lines).toEqual([
      'transaction tx-b',
      '  channel     mychannel',
      '  block       1 (position 1)',
      '  type        ENDORSER_TRANSACTION (3)',
      '  creator     (unreadable identity)',
      '  timestamp   2026-06-01T09:30:01.000Z',
      '  validation  MVCC_READ_CONFLICT (11)',
    ]);
  });

  it('tx: the creator as certificate name and MSP ID', async () => {
    const org = await makeTestOrg('Org1MSP', 'org1.example.com');
    const { signer } = await org.issue('User1@org1.example.com', 'client');
    const withCreator = new FakeLedger('mychannel', [[{ txId: 'tx-c' }]], signer.serialized);
    const report = transactionReport('mychannel', 'tx-c', { transactionEnvelope: withCreator.envelopes.get('tx-c')!, validationCode: 0 }, withCreator.blocks[0]!);
    expect(report.json).toMatchObject({ creator: 'User1@org1.example.com (Org1MSP)', block: 0, position: 0, validation: 'VALID' });
  });
});
