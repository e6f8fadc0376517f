import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BlockStore } from '../../../src/ledger/block-store.js';
import { blockDataHash, blockHeaderHash, buildBlock, type BlockHeader } from '../../../src/protos/block.js';
import { LevelKvStore } from '../../../src/storage/level-kv-store.js';
import { MemoryKvStore } from '../../../src/storage/memory-kv-store.js';
import { makeTempDir } from '../../helpers/repo.js';

const temp = makeTempDir('blocks');
afterAll(() => temp.cleanup());

function chain(count: number): Uint8Array[] {
  const blocks: Uint8Array[] = [];
  let previousHash: Uint8Array = new Uint8Array();
  for (let n = 0; n < count; n++) {
    const data = [new Uint8Array([n, 1]), new Uint8Array([n, 2])];
    const header: BlockHeader = { number: n, previousHash, dataHash: blockDataHash(data) };
    blocks.push(buildBlock({ header, data, metadata: [] }));
    previousHash = blockHeaderHash(header);
  }
  return blocks;
}

describe('BlockStore', () => {
  it('appends a hash chain in order and reads it back', async () => {
    const store = await BlockStore.open(new MemoryKvStore());
    const blocks = chain(5);
    for (const b of blocks) await store.append(b);
    expect(store.height).toBe(5);
    for (const [n, b] of blocks.entries()) expect(await store.getBlock(n)).toEqual(b);
    expect(await store.getBlock(5)).toBeUndefined();
    expect(await store.getBlock(-1)).toBeUndefined();
  });

  it('refuses a gap, a repeat, or a block from another chain, and writes nothing', async () => {
    const store = await BlockStore.open(new MemoryKvStore());
    const blocks = chain(3);
    await store.append(blocks[0]!);
    await expect(store.append(blocks[2]!)).rejects.toMatchObject({ code: 'LEDGER_BLOCK_OUT_OF_ORDER', message: expect.stringMatching(/block 2 cannot be appended at height 1/) });
    await expect(store.append(blocks[0]!)).rejects.toMatchObject({ code: 'LEDGER_BLOCK_OUT_OF_ORDER' });
    const other = buildBlock({ header: { number: 1, previousHash: new Uint8Array(32), dataHash: blockDataHash([]) }, data: [], metadata: [] });
    await expect(store.append(other)).rejects.toMatchObject({ message: expect.stringMatching(/belongs to another chain/) });
    await expect(store.append(new Uint8Array([1, 2, 3]))).rejects.toMatchObject({ code: 'LEDGER_BLOCK_MALFORMED' });
    expect(store.height).toBe(1);
  });

  it('recovers its height and last hash from level after reopening', async () => {
    const dir = join(temp.dir, 'level');
    const blocks = chain(4);
    const kv = await LevelKvStore.open(dir);
    const store = await BlockStore.open(kv);
    for (const b of blocks.slice(0, 3)) await store.append(b);
    await kv.close();
    const kv2 = await LevelKvStore.open(dir);
    const reopened = await BlockStore.open(kv2);
    expect(reopened.height).toBe(3);
    await reopened.append(blocks[3]!); // previous hash checked against the recovered last header
    expect(reopened.height).toBe(4);
    await kv2.close();
  });

  it('wakes a waiter when the height is reached', async () => {
    const store = await BlockStore.open(new MemoryKvStore());
    const blocks = chain(2);
    let woken = false;
    const waiting = store.waitForHeight(2).then(() => (woken = true));
    await store.append(blocks[0]!);
    await Promise.resolve();
    expect(woken).toBe(false);
    await store.append(blocks[1]!);
    await waiting;
    expect(woken).toBe(true);
  });

  it('drops a waiter whose signal aborts', async () => {
    const store = await BlockStore.open(new MemoryKvStore());
    const controller = new AbortController();
    const waiting = store.waitForHeight(5, controller.signal);
    expect(store.waiterCount).toBe(1);
    controller.abort();
    await waiting;
    expect(store.waiterCount).toBe(0);
  });
});
