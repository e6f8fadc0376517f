import { peer } from '@hyperledger/fabric-protos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SigningIdentity } from '../../../src/msp/signing-identity.js';
import { BLOCK_METADATA_SLOTS, BlockMetadataSlot, blockDataHash, buildBlock } from '../../../src/protos/block.js';
import { HeaderType } from '../../../src/protos/envelope.js';
import {
  buildFilteredBlock,
  buildPeerDeliverResponse,
  filteredBlockOf,
  parseFilteredBlock,
  parsePeerDeliverResponse,
  type FilteredBlock,
} from '../../../src/protos/filtered-block.js';
import { buildChaincodeAction, buildChaincodeEvent } from '../../../src/protos/transaction.js';
import { TxValidationCode } from '../../../src/protos/tx-validation-code.js';
import { makeChannelFixture, type ChannelFixture } from '../../helpers/channel-fixture.js';
import { buildEndorsedTransaction, rwsetBytes, type EndorsedTransactionSpec } from '../../helpers/endorsed-transaction.js';

/** filteredBlockOf against Fabric's deliverevents toFilteredBlock, and the peer DeliverResponse messages. */
describe('filteredBlockOf: the FilteredBlock of a committed block', () => {
  let fx: ChannelFixture;
  let user1: SigningIdentity;
  let peer1: SigningIdentity;

  beforeAll(async () => {
    fx = await makeChannelFixture('filtered-block');
    user1 = await fx.user('org1');
    peer1 = await fx.peer('org1');
  });
  afterAll(() => fx?.cleanup());

  const tx = (spec: Partial<EndorsedTransactionSpec> = {}) =>
    buildEndorsedTransaction({ channelId: 'mychannel', creator: user1, endorsers: [peer1], chaincode: { name: 'basic' }, rwsets: [{ namespace: 'basic', writes: [{ key: 'k', value: 'v' }] }], ...spec });

  /** Block `number` holding `data`, with `codes` as its TRANSACTIONS_FILTER (undefined: the slot stays empty, as in an orderer's block). */
  function block(number: number, data: Uint8Array[], codes: number[] | undefined): Uint8Array {
    const metadata = Array.from({ length: BLOCK_METADATA_SLOTS }, () => new Uint8Array());
    if (codes !== undefined) metadata[BlockMetadataSlot.TRANSACTIONS_FILTER] = Uint8Array.from(codes);
    return buildBlock({ header: { number, previousHash: new Uint8Array(32), dataHash: blockDataHash(data) }, data, metadata });
  }

  it('gives each endorser transaction its tx id, type, validation code and chaincode event without payload', () => {
    const a = tx({ event: { name: 'AssetCreated', payload: 'secret payload' } });
    const b = tx();
    const filtered = filteredBlockOf(block(7, [a.envelope, b.envelope], [TxValidationCode.VALID, TxValidationCode.MVCC_READ_CONFLICT]));
    expect(filtered).toEqual<FilteredBlock>({
      channelId: 'mychannel',
      number: 7,
      filteredTransactions: [
        { txId: a.txId, type: HeaderType.ENDORSER_TRANSACTION, txValidationCode: 0, transactionActions: { chaincodeActions: [{ chaincodeEvent: { chaincodeId: 'basic', txId: a.txId, eventName: 'AssetCreated' } }] } },
        { txId: b.txId, type: HeaderType.ENDORSER_TRANSACTION, txValidationCode: 11, transactionActions: { chaincodeActions: [] } },
      ],
    });
    // On the wire: the Data oneof is set (even with no actions), the event has no payload.
    const wire = peer.FilteredBlock.deserializeBinary(buildFilteredBlock(filtered));
    const [first, second] = wire.getFilteredTransactionsList();
    expect(first?.getDataCase()).toBe(peer.FilteredTransaction.DataCase.TRANSACTION_ACTIONS);
    expect(first?.getTransactionActions()?.getChaincodeActionsList()[0]?.getChaincodeEvent()?.getPayload_asU8()).toHaveLength(0);
    expect(second?.hasTransactionActions()).toBe(true);
    expect(second?.getTxValidationCode()).toBe(peer.TxValidationCode.MVCC_READ_CONFLICT);
    expect(parseFilteredBlock(buildFilteredBlock(filtered))).toEqual(filtered);
  });

  it('a config block: type CONFIG, no transaction actions', () => {
    const genesis = fx.genesis.get('mychannel')!.block;
    const filtered = filteredBlockOf(genesis);
    expect(filtered.channelId).toBe('mychannel');
    expect(filtered.number).toBe(0);
    expect(filtered.filteredTransactions).toHaveLength(1);
    expect(filtered.filteredTransactions[0]).toMatchObject({ type: HeaderType.CONFIG, transactionActions: undefined });
    const wire = peer.FilteredBlock.deserializeBinary(buildFilteredBlock(filtered));
    expect(wire.getFilteredTransactionsList()[0]?.getDataCase()).toBe(peer.FilteredTransaction.DataCase.DATA_NOT_SET);
  });

  it('skips an empty or unreadable envelope, as Fabric does; codes stay with their block positions', () => {
    const good = tx();
    const filtered = filteredBlockOf(block(3, [new Uint8Array(), Uint8Array.from([0x0a, 0xff, 0x01]), good.envelope], [TxValidationCode.NIL_ENVELOPE, TxValidationCode.BAD_PAYLOAD, TxValidationCode.ENDORSEMENT_POLICY_FAILURE]));
    expect(filtered.filteredTransactions).toEqual([expect.objectContaining({ txId: good.txId, txValidationCode: TxValidationCode.ENDORSEMENT_POLICY_FAILURE })]);
  });

  it('keeps a transaction whose actions do not decode, without chaincode actions', () => {
    const badTransaction = tx({ tamper: { transaction: Uint8Array.from([0x0a, 0xff, 0x01]) } });
    const badActionPayload = tx({ event: { name: 'E' }, tamper: { actionPayload: Uint8Array.from([0x12, 0x05]) } });
    const noChaincodeId = tx({
      tamper: {
        chaincodeAction: buildChaincodeAction({
          results: rwsetBytes([]),
          events: buildChaincodeEvent({ chaincodeId: '', txId: 'x', eventName: 'E', payload: new Uint8Array() }),
          response: { status: 200, message: '', payload: new Uint8Array() },
          chaincodeId: { name: 'basic', version: '1.0', path: '' },
        }),
      },
    });
    const filtered = filteredBlockOf(block(4, [badTransaction.envelope, badActionPayload.envelope, noChaincodeId.envelope], [TxValidationCode.BAD_PAYLOAD, TxValidationCode.INVALID_OTHER_REASON, TxValidationCode.VALID]));
    expect(filtered.filteredTransactions.map((t) => [t.txId, t.txValidationCode, t.transactionActions])).toEqual([
      [badTransaction.txId, TxValidationCode.BAD_PAYLOAD, { chaincodeActions: [] }],
      [badActionPayload.txId, TxValidationCode.INVALID_OTHER_REASON, { chaincodeActions: [] }],
      [noChaincodeId.txId, TxValidationCode.VALID, { chaincodeActions: [] }],
    ]);
  });

  it('reads NOT_VALIDATED for a transaction the block has no code for (an orderer block)', () => {
    const filtered = filteredBlockOf(block(5, [tx().envelope], undefined));
    expect(filtered.filteredTransactions[0]?.txValidationCode).toBe(TxValidationCode.NOT_VALIDATED);
  });

  it('throws PROTO_MALFORMED only for a block that does not parse', () => {
    expect(() => filteredBlockOf(Uint8Array.from([0x0a, 0xff, 0x01]))).toThrow(expect.objectContaining({ code: 'PROTO_MALFORMED' }));
  });

  it('peer DeliverResponse: block, filtered block, block with (empty) private data, status', () => {
    const bytes = block(6, [tx().envelope], [0]);
    const filteredBlock = filteredBlockOf(bytes);
    expect(parsePeerDeliverResponse(buildPeerDeliverResponse({ kind: 'block', block: bytes }))).toEqual({ kind: 'block', block: bytes });
    expect(parsePeerDeliverResponse(buildPeerDeliverResponse({ kind: 'filteredBlock', filteredBlock }))).toEqual({ kind: 'filteredBlock', filteredBlock });
    const both = buildPeerDeliverResponse({ kind: 'blockAndPrivateData', block: bytes });
    expect(parsePeerDeliverResponse(both)).toEqual({ kind: 'blockAndPrivateData', block: bytes });
    const wire = peer.DeliverResponse.deserializeBinary(both);
    expect(wire.getTypeCase()).toBe(peer.DeliverResponse.TypeCase.BLOCK_AND_PRIVATE_DATA);
    expect(wire.getBlockAndPrivateData()?.getPrivateDataMapMap().getLength()).toBe(0);
    expect(parsePeerDeliverResponse(buildPeerDeliverResponse({ kind: 'status', status: 'NOT_FOUND' }))).toEqual({ kind: 'status', status: 'NOT_FOUND' });
    expect(peer.DeliverResponse.deserializeBinary(buildPeerDeliverResponse({ kind: 'status', status: 'FORBIDDEN' })).getStatus()).toBe(403);
  });
});
