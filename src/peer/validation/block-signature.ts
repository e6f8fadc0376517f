import { PolicyPath, type ChannelResources } from '../../common/channel-resources.js';
import { bytesEqual, toHex } from '../../core/bytes.js';
import { isFabsimError } from '../../core/errors.js';
import { signatureError, type AsyncSignatureVerifier } from '../../msp/ecdsa.js';
import type { PolicyIdentity } from '../../policy/index.js';
import { BlockMetadataSlot, blockDataHash, blockSignatureMessage, parseMetadataValue, type Block } from '../../protos/block.js';
import { parseChannelHeader, parseEnvelope, parsePayload } from '../../protos/envelope.js';
import { parseSignatureHeader } from '../../protos/signature-header.js';
import { checkChannelMember } from './channel-member.js';
import { SignatureBatch } from './signature-batch.js';

/**
 * The check a peer makes on every block an orderer delivers, before validating its transactions
 * (Fabric's MSPMessageCryptoService.VerifyBlock with protoutil.BlockSignatureVerifier): the block
 * is the expected one of this channel, its header's data hash matches its data, and the orderer
 * signatures in the SIGNATURES metadata slot satisfy the channel's /Channel/Orderer/BlockValidation
 * policy (by default ANY Writers of the orderer organizations).
 *
 * Each signature is over blockSignatureMessage(metadata value, signature header, header DER), as
 * src/orderer/block-writer.ts signs it. A signer that is not a valid channel member at `nowMs`, or
 * whose signature does not verify, is left out (Fabric's SignatureSetToValidIdentities); the
 * policy then decides whether the others suffice.
 *
 * A refused block is an expected outcome (a value): the deliver client drops it and tries another
 * orderer. The block a peer joins the channel with (the genesis block) carries no signatures and
 * is not checked here, as in Fabric.
 */

export interface BlockSignatureInput {
  readonly block: Block;
  readonly channelId: string;
  readonly resources: ChannelResources;
  readonly verify: AsyncSignatureVerifier;
  /** The instant (from the caller's Clock) at which the signers' certificates must be valid. */
  readonly nowMs: number;
  /** The block number the deliver client asked for, when it knows it. */
  readonly expectedNumber?: number;
}

export type BlockSignatureCheck = { readonly ok: true; readonly explanation: string } | { readonly ok: false; readonly reason: string };

export async function verifyBlockSignatures(input: BlockSignatureInput): Promise<BlockSignatureCheck> {
  const { block, channelId, resources } = input;
  const number = block.header.number;
  const refuse = (why: string): BlockSignatureCheck => ({ ok: false, reason: `block ${number} of channel ${channelId} is refused: ${why}` });

  if (input.expectedNumber !== undefined && number !== input.expectedNumber) {
    return refuse(`block ${input.expectedNumber} was expected; the orderer sent another block`);
  }
  const blockChannel = channelOfBlock(block);
  if (!blockChannel.ok) return refuse(blockChannel.reason);
  if (blockChannel.channelId !== channelId) return refuse(`its transactions are for channel ${blockChannel.channelId}`);
  const dataHash = blockDataHash(block.data);
  if (!bytesEqual(dataHash, block.header.dataHash)) {
    return refuse(`its header's data_hash ${toHex(block.header.dataHash) || '(empty)'} is not the SHA-256 of its data (${toHex(dataHash)}): the block was altered after it was cut`);
  }

  const slot = block.metadata[BlockMetadataSlot.SIGNATURES] ?? new Uint8Array();
  if (slot.length === 0) return refuse('its SIGNATURES metadata is empty: no orderer signed it');
  let metadata;
  try {
    metadata = parseMetadataValue(slot);
  } catch (err) {
    if (!isFabsimError(err)) throw err;
    return refuse(`its SIGNATURES metadata does not decode: ${err.message}`);
  }
  if (metadata.signatures.length === 0) return refuse('its SIGNATURES metadata holds no signature: no orderer signed it');

  // Collect every signature check first, then verify them together (in parallel on the verifier's pool).
  const batch = new SignatureBatch(input.verify);
  type Signer = { readonly index: number; readonly left: string } | { readonly index: number; readonly who: string; readonly identity: PolicyIdentity; readonly handle: number };
  const signers = metadata.signatures.map((s, index): Signer => {
    let creator: Uint8Array;
    try {
      creator = parseSignatureHeader(s.signatureHeader).creator;
    } catch (err) {
      if (!isFabsimError(err)) throw err;
      return { index, left: `signature #${index + 1} left out: its signature header does not decode (${err.message})` };
    }
    const member = checkChannelMember(resources, creator, input.nowMs);
    if (!member.ok) return { index, left: `signature #${index + 1} by ${member.who} left out: not a valid member of channel ${channelId}: ${member.reason}` };
    const handle = batch.add(member.identity.certificate.publicKey, blockSignatureMessage(metadata.value, s.signatureHeader, block.header), s.signature);
    return { index, who: member.who, identity: member.policyIdentity, handle };
  });
  await batch.verifyAll();

  const identities: PolicyIdentity[] = [];
  const names: string[] = [];
  const leftOut: string[] = [];
  for (const signer of signers) {
    if ('left' in signer) {
      leftOut.push(signer.left);
      continue;
    }
    const verdict = batch.verdict(signer.handle);
    if (verdict !== 'valid') {
      leftOut.push(`signature #${signer.index + 1} left out: ${signatureError(verdict, signer.who).message}`);
      continue;
    }
    identities.push(signer.identity);
    names.push(signer.who);
  }
  const check = resources.evaluate(PolicyPath.BLOCK_VALIDATION, identities);
  if (!check.satisfied) {
    const left = leftOut.length > 0 ? ` (${leftOut.join('; ')})` : '';
    return refuse(`its orderer signatures do not satisfy ${check.explanation}${left}; fetch the block from another orderer`);
  }
  return { ok: true, explanation: `block ${number} is signed by ${names.join(', ')}, which satisfies ${PolicyPath.BLOCK_VALIDATION}` };
}

/** Fabric's GetChannelIDFromBlock: the channel header of the block's first envelope. */
function channelOfBlock(block: Block): { readonly ok: true; readonly channelId: string } | { readonly ok: false; readonly reason: string } {
  const first = block.data[0];
  if (first === undefined) return { ok: false, reason: 'it holds no transactions (an orderer never cuts an empty block)' };
  try {
    return { ok: true, channelId: parseChannelHeader(parsePayload(parseEnvelope(first).payload).header.channelHeader).channelId };
  } catch (err) {
    if (!isFabsimError(err)) throw err;
    return { ok: false, reason: `the channel header of its first transaction does not decode (${err.message})` };
  }
}
