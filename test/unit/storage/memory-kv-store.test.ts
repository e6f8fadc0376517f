import { MemoryKvStore } from '../../../src/storage/memory-kv-store.js';
import { kvStoreSuite } from './kv-store-suite.js';

kvStoreSuite({ name: 'MemoryKvStore', create: async () => new MemoryKvStore() });
