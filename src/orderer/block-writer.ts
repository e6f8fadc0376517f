import type { Rng } from '../core/rng.js';
import type { BlockStore } from '../ledger/block-store.js';
import {
  BlockMetadataSlot,
  buildBlock,
  buildMetadataValue,
  buildOrdererBlockMetadata,
  blockSignatureMessage,
  parseMetadataValue,
  parseOrdererBlockMetadata,
  type Block,
} from '../protos/block.js';
import { HeaderType, parseChannelHeader, parseEnvelope, parsePayload } from '../protos/envelope.js';
import { buildEtcdRaftBlockMetadata, parseEtcdRaftBlockMetadata, type EtcdRaftBlockMetadata } from '../protos/etcdraft-block-metadata.js';
import { buildSignatureHeader } from '../protos/signature-header.js';
import type { BlockSigner } from './block-signer.js';

/** Fabric's nonce length (protoutil.CreateNonce). */
const NONCE_BYTES = 24;

/** What an orderer wrote into a block's SIGNATURES slot (both 0 / undefined for a genesis block). */
export interface WrittenBlockMetadata {
  readonly lastConfigIndex: number;
  /** undefined when the block carries no etcdraft BlockMetadata (the genesis block). */
  readonly raft: EtcdRaftBlockMetadata | undefined;
}

/** Reads the SIGNATURES slot of a stored block: last config index and the etcdraft BlockMetadata. */
export function readWrittenMetadata(block: Block): WrittenBlockMetadata {
  const slot = block.metadata[BlockMetadataSlot.SIGNATURES] ?? new Uint8Array();
  if (slot.length === 0) return { lastConfigIndex: 0, raft: undefined };
  const orderer = parseOrdererBlockMetadata(parseMetadataValue(slot).value);
  return {
    lastConfigIndex: orderer.lastConfigIndex,
    // consenter_metadata is itself a common.Metadata whose value is the etcdraft BlockMetadata (as Fabric writes it)
    raft: orderer.consenterMetadata.length === 0 ? undefined : parseEtcdRaftBlockMetadata(parseMetadataValue(orderer.consenterMetadata).value),
  };
}

/** A block holding one CONFIG envelope is a config block: it becomes the last config. */
function isConfigBlock(block: Block): boolean {
  if (block.data.length !== 1) return false;
  try {
    const payload = parsePayload(parseEnvelope(block.data[0]!).payload);
    return parseChannelHeader(payload.header.channelHeader).type === HeaderType.CONFIG;
  } catch {
    return false;
  }
}

/**
 * Writes committed blocks to the orderer's BlockStore with the metadata Fabric 2.5's orderer writes:
 * - SIGNATURES: common.Metadata{ value: OrdererBlockMetadata{ last_config, consenter_metadata:
 *   common.Metadata{ value: etcdraft.BlockMetadata{ consenter_ids, next_consenter_id, raft_index } } },
 *   signatures: [this
 *   orderer's signature over blockSignatureMessage(value, signature_header, header)] };
 * - LAST_CONFIG: empty (deprecated; Fabric 2.5 leaves it empty in data blocks, see
 *   ../shared/fabric-vectors/block105-10tx.pb), TRANSACTIONS_FILTER: empty (the peer fills it),
 *   ORDERER and COMMIT_HASH: empty.
 * Header and data are kept as they are, so every orderer's copy hashes the same; the signature is
 * each orderer's own.
 */
export class BlockWriter {
  constructor(
    private readonly blocks: BlockStore,
    private readonly signer: BlockSigner,
    private readonly rng: Rng,
    private readonly consenterIds: readonly number[],
    private lastConfigIndex: number,
  ) {}

  /** Writes `block` (its metadata is replaced) as carried by Raft entry `raftIndex`; returns the bytes stored. */
  async write(block: Block, raftIndex: number): Promise<Uint8Array> {
    if (isConfigBlock(block)) this.lastConfigIndex = block.header.number;
    const raft = buildEtcdRaftBlockMetadata({ consenterIds: this.consenterIds, nextConsenterId: Math.max(0, ...this.consenterIds) + 1, raftIndex });
    const consenterMetadata = buildMetadataValue({ value: raft, signatures: [] });
    const value = buildOrdererBlockMetadata({ lastConfigIndex: this.lastConfigIndex, consenterMetadata });
    const nonce = Uint8Array.from({ length: NONCE_BYTES }, () => this.rng.nextInt(256));
    const signatureHeader = buildSignatureHeader({ creator: this.signer.serialized, nonce });
    const signature = this.signer.sign(blockSignatureMessage(value, signatureHeader, block.header));
    const metadata: Uint8Array[] = [];
    metadata[BlockMetadataSlot.SIGNATURES] = buildMetadataValue({ value, signatures: [{ signatureHeader, signature }] });
    metadata[BlockMetadataSlot.LAST_CONFIG] = new Uint8Array();
    metadata[BlockMetadataSlot.TRANSACTIONS_FILTER] = new Uint8Array();
    metadata[BlockMetadataSlot.ORDERER] = new Uint8Array();
    metadata[BlockMetadataSlot.COMMIT_HASH] = new Uint8Array();
    const bytes = buildBlock({ header: block.header, data: block.data, metadata });
    await this.blocks.append(bytes, { sync: true });
    return bytes;
  }
}
