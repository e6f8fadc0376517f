import { PeerLedger } from '../../../../src/ledger/peer-ledger.js';
import type { CommitNotice } from '../../../../src/peer/gateway/commit-status.js';
import { BLOCK_METADATA_SLOTS, BlockMetadataSlot, blockDataHash, blockHeaderHash, buildBlock, parseBlock, type BlockHeader } from '../../../../src/protos/block.js';
import { parseConfigBlock } from '../../../../src/protos/config-block.js';
import { TxValidationCode, type TxValidationCodeName } from '../../../../src/protos/tx-validation-code.js';
import { MemoryKvStore } from '../../../../src/storage/memory-kv-store.js';

/** One transaction of a test block: its envelope, tx id and the code the "validator" gave it (VALID by default). */
export interface TestTx {
  readonly envelope: Uint8Array;
  readonly txId: string;
  readonly code?: TxValidationCodeName;
}

/**
 * A real PeerLedger over a MemoryKvStore joined with a channel's genesis block, and a commit feed
 * in the Committer's order: each block is committed to the ledger (with its TRANSACTIONS_FILTER
 * set to the given codes) and then announced to the onCommitted listeners.
 */
export class TestChain {
  private readonly listeners = new Set<(block: CommitNotice) => void>();

  private constructor(
    readonly ledger: PeerLedger,
    private lastHeader: BlockHeader,
  ) {}

  static async open(genesis: Uint8Array): Promise<TestChain> {
    const ledger = await PeerLedger.open(new MemoryKvStore());
    const block = parseBlock(genesis);
    const txId = parseConfigBlock(genesis).channelHeader.txId;
    const metadata = withFilter(block.metadata, [TxValidationCode.VALID]);
    await ledger.commit({ blockBytes: buildBlock({ ...block, metadata }), blockNumber: 0, transactions: [{ txId, txNum: 0, code: 'VALID', updates: [] }] });
    return new TestChain(ledger, block.header);
  }

  /** Committer.onCommitted's contract. */
  readonly onCommitted = (listener: (block: CommitNotice) => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Commits the next block holding `txs` and announces it; returns its number. */
  async commit(txs: readonly TestTx[]): Promise<number> {
    const data = txs.map((t) => t.envelope);
    const header: BlockHeader = { number: this.lastHeader.number + 1, previousHash: blockHeaderHash(this.lastHeader), dataHash: blockDataHash(data) };
    const metadata = withFilter([], txs.map((t) => TxValidationCode[t.code ?? 'VALID']));
    const transactions = txs.map((t, txNum) => ({ txId: t.txId, txNum, code: t.code ?? 'VALID', updates: [] }));
    await this.ledger.commit({ blockBytes: buildBlock({ header, data, metadata }), blockNumber: header.number, transactions });
    this.lastHeader = header;
    this.announce({ number: header.number, transactions });
    return header.number;
  }

  /** Calls the listeners as the Committer does after a commit (tests also use it to fake races). */
  announce(block: CommitNotice): void {
    for (const listener of [...this.listeners]) listener(block);
  }
}

function withFilter(metadata: readonly Uint8Array[], codes: readonly number[]): Uint8Array[] {
  const out = Array.from({ length: BLOCK_METADATA_SLOTS }, (_, i) => metadata[i] ?? new Uint8Array());
  out[BlockMetadataSlot.TRANSACTIONS_FILTER] = Uint8Array.from(codes);
  return out;
}
