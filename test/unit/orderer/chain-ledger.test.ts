import { describe, expect, it } from 'vitest';
import { isFabsimError } from '../../../src/core/errors.js';
import { SeededRng } from '../../../src/core/rng.js';
import { BlockCreator } from '../../../src/orderer/block-creator.js';
import { ChainLedger } from '../../../src/orderer/chain-ledger.js';
import { buildBlock } from '../../../src/protos/block.js';
import { MemoryKvStore } from '../../../src/storage/memory-kv-store.js';
import { makeTestOrg } from '../../helpers/test-orgs.js';
import { RecordingLogger } from './raft-chain-cluster.js';

const GENESIS = { header: { number: 0, previousHash: new Uint8Array(), dataHash: new Uint8Array(32) }, data: [new Uint8Array([9])], metadata: [] };

async function openLedger(store = new MemoryKvStore(), logger = new RecordingLogger()) {
  const org = await makeTestOrg('OrdererMSP', 'example.com');
  const { signer } = await org.issue('orderer.example.com', 'orderer');
  const ledger = await ChainLedger.open({
    store,
    genesisBlock: buildBlock(GENESIS),
    channelId: 'mychannel',
    signer,
    rng: new SeededRng(1),
    consenterIds: [1, 2, 3],
    snapshot: { intervalBytes: 0, everyBlocks: 2 },
    logger,
    fields: () => ({ node: 1, channel: 'mychannel' }),
  });
  return { ledger, logger, store };
}

describe('ChainLedger: each committed block is written exactly once', () => {
  it('writes the block whose number is the height, skips one already written, refuses a gap', async () => {
    const { ledger, logger, store } = await openLedger();
    const creator = new BlockCreator(GENESIS.header);
    const b1 = creator.createNextBlock([new Uint8Array([1])]).bytes;
    const b2 = creator.createNextBlock([new Uint8Array([2])]).bytes;
    const b3 = creator.createNextBlock([new Uint8Array([3])]).bytes;
    expect(await ledger.applyBlockEntry({ term: 1, index: 5, type: 'normal', data: b1 })).toBe('written');
    // the same entry applied again (a replay): nothing is written
    expect(await ledger.applyBlockEntry({ term: 1, index: 5, type: 'normal', data: b1 })).toBe('skipped');
    expect(ledger.height).toBe(2);
    expect(logger.count('block written')).toBe(1);
    expect(logger.count('block already written, entry skipped')).toBe(1);
    const gap = await ledger.applyBlockEntry({ term: 1, index: 7, type: 'normal', data: b3 }).catch((e: unknown) => e);
    expect(isFabsimError(gap, 'ORDERER_BLOCK_GAP')).toBe(true);
    expect((gap as Error).message).toMatch(/holds block 3 but the ledger is at height 2: blocks are missing; restart the orderer/);
    expect(await ledger.applyBlockEntry({ term: 1, index: 6, type: 'normal', data: b2 })).toBe('written');
    expect(ledger.snapshotDue()).toBe(true);

    // reopened from the same store: resumes after the raft_index of the last block
    const reopened = await openLedger(store);
    expect(reopened.ledger.height).toBe(3);
    expect(reopened.ledger.openedAtRaftIndex).toBe(6);
  });

  it('refuses to start without blocks and without a genesis block, saying what to do', async () => {
    const org = await makeTestOrg('OrdererMSP', 'example.com');
    const { signer } = await org.issue('orderer.example.com', 'orderer');
    const opened = ChainLedger.open({
      store: new MemoryKvStore(),
      channelId: 'mychannel',
      signer,
      rng: new SeededRng(1),
      consenterIds: [1],
      snapshot: { intervalBytes: 0 },
      logger: new RecordingLogger(),
      fields: () => ({}),
    });
    await expect(opened).rejects.toThrow(/holds no block and no genesis block was given; join the channel with its genesis block first/);
  });
});
