import { writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LevelKvStore } from '../../../src/storage/level-kv-store.js';
import { StorageError } from '../../../src/storage/storage-error.js';
import { makeTempDir } from '../../helpers/repo.js';
import { kvStoreSuite } from './kv-store-suite.js';

const temp = makeTempDir('level-kv');
afterAll(() => temp.cleanup());
let n = 0;
const freshDir = (): string => join(temp.dir, `db-${n++}`);

kvStoreSuite({
  name: 'LevelKvStore',
  create: () => LevelKvStore.open(freshDir()),
  reopen: async (store) => {
    const dir = (store as LevelKvStore).dir;
    await store.close();
    return LevelKvStore.open(dir);
  },
});

async function openError(dir: string): Promise<StorageError> {
  try {
    const s = await LevelKvStore.open(dir);
    await s.close();
  } catch (err) {
    expect(err).toBeInstanceOf(StorageError);
    return err as StorageError;
  }
  throw new Error(`expected LevelKvStore.open(${dir}) to fail`);
}

describe('LevelKvStore errors say what happened and what to do', () => {
  it('a directory that is already open is STORAGE_LOCKED, and opens again once released', async () => {
    const dir = freshDir();
    const first = await LevelKvStore.open(dir);
    try {
      const err = await openError(dir);
      expect(err.code).toBe('STORAGE_LOCKED');
      expect(err.message).toContain(dir);
      expect(err.message).toMatch(/locked by another process \(is a node already running with this data dir\?\)/);
      expect(err.context.dir).toBe(dir);
      expect(err.cause).toBeDefined();
    } finally {
      await first.close();
    }
    const again = await LevelKvStore.open(dir);
    await again.close();
  });

  it('a damaged manifest is STORAGE_CORRUPT', async () => {
    const dir = freshDir();
    const s = await LevelKvStore.open(dir);
    await s.put(new Uint8Array([1]), new Uint8Array([1]));
    await s.close();
    for (const f of readdirSync(dir)) if (f.startsWith('MANIFEST-')) writeFileSync(join(dir, f), Buffer.alloc(200, 7));
    const err = await openError(dir);
    expect(err.code).toBe('STORAGE_CORRUPT');
    expect(err.message).toContain(dir);
    expect(err.message).toMatch(/corrupt .*restore the directory from a backup/);
  });

  it('a path that cannot be a directory is STORAGE_IO', async () => {
    const file = join(temp.dir, 'a-file');
    writeFileSync(file, 'not a directory');
    const err = await openError(join(file, 'db'));
    expect(err.code).toBe('STORAGE_IO');
    expect(err.message).toMatch(/could not open the store at .*a-file\/db .*ENOTDIR/);
  });
});
