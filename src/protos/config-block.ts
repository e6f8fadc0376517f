import { common } from '@hyperledger/fabric-protos';
import { bytesEqual, toHex } from '../core/bytes.js';
import {
  blockDataHash,
  BlockMetadataSlot,
  buildBlock,
  buildMetadataValue,
  buildOrdererBlockMetadata,
  parseBlock,
  parseMetadataValue,
  parseOrdererBlockMetadata,
  type Block,
} from './block.js';
import { parseChannelConfig, type ParsedChannelConfig } from './channel-config.js';
import {
  buildChannelHeader,
  buildEnvelope,
  buildPayload,
  computeTxId,
  describeHeaderType,
  HeaderType,
  parseEnvelopeHeaders,
  type ChannelHeader,
  type Envelope,
} from './envelope.js';
import { ProtoDecodeError } from './proto-error.js';
import { buildSignatureHeader, type SignatureHeader } from './signature-header.js';

/**
 * A channel's genesis block, as Fabric's common/genesis Factory makes it (what
 * `configtxgen -outputBlock` writes and `osnadmin channel join` takes): block 0 with no previous
 * hash and one unsigned CONFIG envelope
 *
 *   Envelope { payload: Payload { header: { ChannelHeader { type CONFIG, version 1, timestamp (whole
 *   seconds), channel_id, tx_id = SHA-256(nonce), epoch 0 }, SignatureHeader { no creator, nonce } },
 *   data: ConfigEnvelope }, no signature }
 *
 * and the metadata slots SIGNATURES = Metadata { value: OrdererBlockMetadata { last_config: 0 } }
 * (no signatures), LAST_CONFIG = Metadata { value: LastConfig { index: 0 } } (which encodes as
 * empty bytes), the other three empty.
 */

/** The channel header version Fabric's genesis factory writes (msgVersion = 1). */
export const GENESIS_MESSAGE_VERSION = 1;

export interface GenesisBlockInput {
  readonly channelId: string;
  /** `common.ConfigEnvelope` bytes, e.g. from buildChannelConfig. */
  readonly configEnvelope: Uint8Array;
  /** Fabric uses 24 random bytes (protoutil.CreateNonce). */
  readonly nonce: Uint8Array;
  /** Wall-clock time; truncated to whole seconds as Fabric's MakeChannelHeader does. */
  readonly timestampMs: number;
}

export function buildConfigBlock(input: GenesisBlockInput): Uint8Array {
  const creator = new Uint8Array();
  const channelHeader = buildChannelHeader({
    type: HeaderType.CONFIG,
    version: GENESIS_MESSAGE_VERSION,
    timestampMs: Math.floor(input.timestampMs / 1000) * 1000,
    channelId: input.channelId,
    txId: computeTxId(input.nonce, creator),
    epoch: 0,
  });
  const signatureHeader = buildSignatureHeader({ creator, nonce: input.nonce });
  const payload = buildPayload({ header: { channelHeader, signatureHeader }, data: input.configEnvelope });
  const data = [buildEnvelope({ payload, signature: new Uint8Array() })];
  const lastConfig = new common.LastConfig();
  lastConfig.setIndex(0);
  const metadata: Uint8Array[] = [];
  metadata[BlockMetadataSlot.SIGNATURES] = buildMetadataValue({ value: buildOrdererBlockMetadata({ lastConfigIndex: 0, consenterMetadata: new Uint8Array() }), signatures: [] });
  metadata[BlockMetadataSlot.LAST_CONFIG] = buildMetadataValue({ value: lastConfig.serializeBinary(), signatures: [] });
  metadata[BlockMetadataSlot.TRANSACTIONS_FILTER] = new Uint8Array();
  metadata[BlockMetadataSlot.ORDERER] = new Uint8Array();
  metadata[BlockMetadataSlot.COMMIT_HASH] = new Uint8Array();
  return buildBlock({ header: { number: 0, previousHash: new Uint8Array(), dataHash: blockDataHash(data) }, data, metadata });
}

/** A config block taken apart, down to its resolved channel config. */
export interface ConfigBlock {
  readonly block: Block;
  readonly envelope: Envelope;
  readonly channelHeader: ChannelHeader;
  readonly signatureHeader: SignatureHeader;
  /** The `common.ConfigEnvelope` bytes, exactly as in the block. */
  readonly configEnvelope: Uint8Array;
  readonly config: ParsedChannelConfig;
  /** From the SIGNATURES slot's OrdererBlockMetadata: the number of the last config block (itself, for a config block). */
  readonly lastConfigIndex: number;
}

/**
 * Decodes a config block (the genesis block or a later config block). Throws ProtoDecodeError when
 * the bytes are malformed, the block does not hold exactly one CONFIG envelope, or its data hash
 * does not match its data (a corrupt or tampered block).
 */
export function parseConfigBlock(bytes: Uint8Array): ConfigBlock {
  const block = parseBlock(bytes);
  const computed = blockDataHash(block.data);
  if (!bytesEqual(computed, block.header.dataHash)) {
    throw new ProtoDecodeError('common.Block', `header.data_hash is ${toHex(block.header.dataHash) || '(empty)'} but the SHA-256 of its data is ${toHex(computed)}; the block is corrupt`);
  }
  const [only, ...rest] = block.data;
  if (only === undefined || rest.length > 0) {
    throw new ProtoDecodeError('common.Block', `block ${block.header.number} holds ${block.data.length} envelopes; a config block holds exactly one CONFIG envelope`);
  }
  const { envelope, payload, channelHeader, signatureHeader } = parseEnvelopeHeaders(only, { allowEmptyCreator: true });
  if (channelHeader.type !== HeaderType.CONFIG) {
    throw new ProtoDecodeError('common.Block', `the envelope of block ${block.header.number} has header type ${describeHeaderType(channelHeader.type)}, not CONFIG (1): it is not a config block`);
  }
  const signatures = block.metadata[BlockMetadataSlot.SIGNATURES] ?? new Uint8Array();
  const lastConfigIndex = signatures.length === 0 ? block.header.number : parseOrdererBlockMetadata(parseMetadataValue(signatures).value).lastConfigIndex;
  return { block, envelope, channelHeader, signatureHeader, configEnvelope: payload.data, config: parseChannelConfig(payload.data), lastConfigIndex };
}
