import { bytesEqual } from '../../src/core/bytes.js';
import type { ChainInfo, LedgerQueries, TransactionLocation } from '../../src/ledger/ledger-types.js';
import { blockDataHash, blockHeaderHash, BlockMetadataSlot, buildBlock, type BlockHeader } from '../../src/protos/block.js';
import { buildChannelHeader, buildEnvelope, buildPayload, HeaderType } from '../../src/protos/envelope.js';
import { buildSignatureHeader } from '../../src/protos/signature-header.js';
import { TxValidationCode, type TxValidationCodeName } from '../../src/protos/tx-validation-code.js';

/**
 * An in-memory LedgerQueries over real Fabric blocks, for QSCC, endorser and CLI tests: each block
 * is given as its transactions (tx id and validation code); envelopes are unsigned but well formed,
 * and TRANSACTIONS_FILTER carries the codes.
 */
export interface FakeTx {
  readonly txId: string;
  readonly code?: TxValidationCodeName;
  /** ENDORSER_TRANSACTION by default. */
  readonly type?: number;
}

export class FakeLedger implements LedgerQueries {
  readonly blocks: Uint8Array[] = [];
  readonly headers: BlockHeader[] = [];
  readonly envelopes = new Map<string, Uint8Array>();
  private readonly locations = new Map<string, TransactionLocation>();

  constructor(
    readonly channelId: string,
    blocks: ReadonlyArray<readonly FakeTx[]>,
    private readonly creator: Uint8Array = new TextEncoder().encode('fake creator'),
  ) {
    for (const txs of blocks) this.append(txs);
  }

  append(txs: readonly FakeTx[]): void {
    const number = this.blocks.length;
    const data = txs.map((tx, txNum) => {
      const channelHeader = buildChannelHeader({ type: tx.type ?? HeaderType.ENDORSER_TRANSACTION, channelId: this.channelId, txId: tx.txId, timestampMs: Date.UTC(2026, 5, 1, 9, 30, number) });
      const payload = buildPayload({ header: { channelHeader, signatureHeader: buildSignatureHeader({ creator: this.creator, nonce: new Uint8Array([number, txNum]) }) }, data: new Uint8Array([1, 2, 3]) });
      const envelope = buildEnvelope({ payload, signature: new Uint8Array([9]) });
      this.envelopes.set(tx.txId, envelope);
      this.locations.set(tx.txId, { txId: tx.txId, blockNum: number, txNum, code: tx.code ?? 'VALID' });
      return envelope;
    });
    const previous = this.headers[number - 1];
    const header = { number, previousHash: previous === undefined ? new Uint8Array() : blockHeaderHash(previous), dataHash: blockDataHash(data) };
    const filter = new Uint8Array(txs.map((tx) => TxValidationCode[tx.code ?? 'VALID']));
    const metadata = [new Uint8Array(), new Uint8Array(), new Uint8Array()];
    metadata[BlockMetadataSlot.TRANSACTIONS_FILTER] = filter;
    this.headers.push(header);
    this.blocks.push(buildBlock({ header, data, metadata }));
  }

  chainInfo(): ChainInfo {
    const last = this.headers[this.headers.length - 1];
    const before = this.headers[this.headers.length - 2];
    return {
      height: this.blocks.length,
      currentBlockHash: last === undefined ? new Uint8Array() : blockHeaderHash(last),
      previousBlockHash: before === undefined ? new Uint8Array() : blockHeaderHash(before),
    };
  }

  async getBlock(number: number): Promise<Uint8Array | undefined> {
    return this.blocks[number];
  }

  async getBlockByHash(headerHash: Uint8Array): Promise<Uint8Array | undefined> {
    const index = this.headers.findIndex((h) => bytesEqual(blockHeaderHash(h), headerHash));
    return index < 0 ? undefined : this.blocks[index];
  }

  async getTransactionLocation(txId: string): Promise<TransactionLocation | undefined> {
    return this.locations.get(txId);
  }

  async stateHashAt(): Promise<Uint8Array | undefined> {
    return undefined;
  }
}
