import type { ChannelResources } from '../../common/channel-resources.js';
import { isFabsimError } from '../../core/errors.js';
import type { CommittedTransaction, StateReader, StateUpdate, TxIdLookup } from '../../ledger/ledger-types.js';
import type { AsyncSignatureVerifier } from '../../msp/ecdsa.js';
import type { Block } from '../../protos/block.js';
import { HeaderType, parseEnvelopeHeaders } from '../../protos/envelope.js';
import type { TxRwSet } from '../../protos/rwset.js';
import { TxValidationCode } from '../../protos/tx-validation-code.js';
import type { ChaincodeDefinitions } from './chaincode-definition.js';
import { checkEndorsements } from './endorsement-check.js';
import { inspectTransaction, type EndorsedAction, type Inspection } from './inspect-envelope.js';
import { findStateConflict, InBlockUpdates, writesOf } from './mvcc.js';
import { SignatureBatch } from './signature-batch.js';
import { signatureError } from '../../msp/ecdsa.js';
import { keyName, listSome, outcome, shortTxId, type TxOutcome } from './tx-outcome.js';

/**
 * The committing peer's validation of one block (Fabric's core/committer/txvalidator/v20 with its
 * builtin validation plugin, then kvledger's MVCC validation), as pure logic over interfaces: no
 * I/O of its own, no clock (`nowMs` is given), no randomness. Every transaction gets a
 * TxValidationCode and a one-line explanation; only VALID ones produce StateUpdates.
 *
 * Order, per transaction, as Fabric decides (the first failing check gives the code):
 *  1. envelope decoding and headers: NIL_ENVELOPE, INVALID_OTHER_REASON, BAD_PAYLOAD, BAD_COMMON_HEADER;
 *  2. the creator: BAD_CREATOR_SIGNATURE (not a valid channel member at `nowMs`, or the signature
 *     over the payload does not verify: strict DER, low-S);
 *  3. BAD_PROPOSAL_TXID, INVALID_ENDORSER_TRANSACTION, UNSUPPORTED_TX_PAYLOAD, TARGET_CHAIN_NOT_FOUND;
 *  4. DUPLICATE_TXID against the ledger (TxIdLookup);
 *  5. the dispatcher: BAD_HEADER_EXTENSION, BAD_RESPONSE_PAYLOAD, BAD_RWSET, INVALID_CHAINCODE,
 *     ILLEGAL_WRITESET, INVALID_OTHER_REASON; then ENDORSEMENT_POLICY_FAILURE;
 *  6. DUPLICATE_TXID within the block: a later transaction with the tx id of an earlier one that
 *     is VALID so far (Fabric's markTXIdDuplicates);
 *  7. INVALID_WRITESET: the state database refuses a written key or value (Fabric's
 *     VersionedDB.ValidateKeyValue; see `validateWrite`);
 *  8. MVCC, in block order, over committed state plus the earlier VALID transactions' writes:
 *     MVCC_READ_CONFLICT, then PHANTOM_READ_CONFLICT.
 * Signature checks of the whole block are collected in steps 1–5 and verified together (in
 * parallel with verifyEcdsaInThreadPool), while the ledger duplicate checks run.
 *
 * A CONFIG transaction after the genesis block is VALID when it decodes and has the next config
 * sequence, but fabsim does not apply config updates yet (see inspect-envelope.ts). A CONFIG
 * transaction in block 0 is the genesis config the peer joined with: VALID, not validated, as in
 * Fabric, which commits the genesis block without running the validator.
 */

/** A state database's rule for what it can store (Fabric's VersionedDB.ValidateKeyValue); returns why not, or undefined. */
export type WriteRule = (namespace: string, key: string, value: Uint8Array) => string | undefined;

/**
 * fabsim's world state accepts any value and any key but the empty one. (Fabric's LevelDB state
 * database accepts every key; its CouchDB one refuses empty keys, keys starting with `_` and keys
 * that are not UTF-8. Fabric's shim refuses empty keys in PutState, so only a hand-made rwset has one.)
 */
export const fabsimWriteRule: WriteRule = (_namespace, key) => (key === '' ? 'an empty key, which the world state cannot store' : undefined);

export interface ValidateBlockInput {
  readonly block: Block;
  readonly channelId: string;
  /** The channel config in force for this block. */
  readonly resources: ChannelResources;
  readonly chaincodes: ChaincodeDefinitions;
  /** Committed state, as of the block before this one. */
  readonly state: StateReader;
  readonly txIds: TxIdLookup;
  /** verifyEcdsaInThreadPool in production. */
  readonly verify: AsyncSignatureVerifier;
  /**
   * The instant at which certificates must be valid, from the committer's Clock. Fabric validates
   * identities at validation time, not at the channel header's timestamp (which the client chose).
   */
  readonly nowMs: number;
  /** Default fabsimWriteRule. */
  readonly validateWrite?: WriteRule;
}

export interface ValidatedTransaction extends CommittedTransaction {
  /** One line for learners: `CODE: what happened[; what to do]`. */
  readonly explanation: string;
}

export interface BlockValidation {
  readonly transactions: readonly ValidatedTransaction[];
  /** The TRANSACTIONS_FILTER metadata: one TxValidationCode byte per transaction, in block order. */
  readonly filter: Uint8Array;
}

/** A transaction after the signature and policy checks: its verdict so far, and its action when it may still be VALID. */
interface Stage {
  outcome: TxOutcome;
  readonly action: EndorsedAction | undefined;
  /** The sentence about endorsements, for the VALID explanation. */
  readonly endorsed: string;
}

export async function validateBlock(input: ValidateBlockInput): Promise<BlockValidation> {
  const { block, resources } = input;
  const batch = new SignatureBatch(input.verify);
  const ctx = { channelId: input.channelId, blockNumber: block.header.number, resources, chaincodes: input.chaincodes, nowMs: input.nowMs, batch };
  const inspections: Inspection[] = block.data.map((bytes) => genesisConfig(block, bytes) ?? inspectTransaction(bytes, ctx));

  // Verify every signature of the block at once, while the ledger answers the duplicate checks.
  const ledgerChecks = inspections.map((i) => (i.kind === 'signed' && i.next.kind === 'endorser' ? input.txIds.hasTxId(i.txId) : Promise.resolve(false)));
  const [, inLedger] = await Promise.all([batch.verifyAll(), Promise.all(ledgerChecks)]);

  const stages = inspections.map((inspection, txNum): Stage => decide(inspection, inLedger[txNum] === true, batch, resources));

  // Fabric's markTXIdDuplicates: a later transaction with the tx id of an earlier VALID one.
  const firstValid = new Map<string, number>();
  stages.forEach((stage, txNum) => {
    if (stage.action === undefined || stage.outcome.code !== 'VALID') return;
    const txId = stage.outcome.txId;
    const earlier = firstValid.get(txId);
    if (earlier === undefined) {
      firstValid.set(txId, txNum);
      return;
    }
    stage.outcome = outcome(txId, 'DUPLICATE_TXID', `tx ${shortTxId(txId)} already appears earlier in this block (#${earlier}); a transaction is committed once, the repeat is kept in the block but marked invalid`);
  });

  // kvledger's preprocessing: the state database must accept every written key and value.
  const validateWrite = input.validateWrite ?? fabsimWriteRule;
  for (const stage of stages) {
    if (stage.action === undefined || stage.outcome.code !== 'VALID') continue;
    const refused = refusedWrite(stage.action.rwset, validateWrite);
    if (refused !== undefined) stage.outcome = outcome(stage.outcome.txId, 'INVALID_WRITESET', refused);
  }

  // MVCC in block order.
  const updates = new InBlockUpdates(block.header.number);
  const transactions: ValidatedTransaction[] = [];
  for (const [txNum, stage] of stages.entries()) {
    let result = stage.outcome;
    let stateUpdates: readonly StateUpdate[] = [];
    if (stage.action !== undefined && result.code === 'VALID') {
      const conflict = await findStateConflict(stage.action.rwset, input.state, updates);
      if (conflict !== undefined) {
        result = outcome(result.txId, conflict.code, conflict.detail);
      } else {
        const writes = await writesOf(stage.action.rwset, input.state, updates);
        for (const k of writes.keys) updates.set(k.namespace, k.key, { txId: result.txId, txNum, state: k.state });
        stateUpdates = writes.updates;
        result = outcome(result.txId, 'VALID', `${stage.action.chaincode.name} ${stage.action.chaincode.version} ${stage.endorsed}; ${describeWrites(stateUpdates)}`);
      }
    }
    transactions.push({ txId: result.txId, txNum, code: result.code, updates: stateUpdates, explanation: result.explanation });
  }
  return { transactions, filter: Uint8Array.from(transactions.map((t) => TxValidationCode[t.code])) };
}

/** Steps 2–5 for one transaction, once the signatures are verified and the ledger has answered. */
function decide(inspection: Inspection, inLedger: boolean, batch: SignatureBatch, resources: ChannelResources): Stage {
  const done = (o: TxOutcome): Stage => ({ outcome: o, action: undefined, endorsed: '' });
  if (inspection.kind === 'decided') return done(inspection.outcome);
  const { txId, next } = inspection;
  const verdict = batch.verdict(inspection.creatorHandle);
  if (verdict !== 'valid') {
    return done(outcome(txId, 'BAD_CREATOR_SIGNATURE', `the envelope's signature is not the creator's: ${signatureError(verdict, inspection.creator).message}`));
  }
  if (next.kind === 'decided' || next.kind === 'config') return done(next.outcome);
  if (inLedger) return done(outcome(txId, 'DUPLICATE_TXID', `tx ${shortTxId(txId)} is already committed on this channel; a transaction is committed once (resubmitting the same signed envelope does nothing)`));
  const { dispatch } = next;
  if (dispatch.kind === 'decided') return done(dispatch.outcome);
  const endorsements = checkEndorsements(dispatch, batch, resources);
  if (!endorsements.ok) return done(outcome(txId, 'ENDORSEMENT_POLICY_FAILURE', endorsements.detail));
  return { outcome: outcome(txId, 'VALID', endorsements.summary), action: dispatch, endorsed: endorsements.summary };
}

/** Block 0's CONFIG envelope: the genesis config, committed as it is (it has no creator or signature). */
function genesisConfig(block: Block, bytes: Uint8Array): Inspection | undefined {
  if (block.header.number !== 0) return undefined;
  try {
    const { channelHeader } = parseEnvelopeHeaders(bytes, { allowEmptyCreator: true });
    if (channelHeader.type !== HeaderType.CONFIG) return undefined;
    return { kind: 'decided', outcome: outcome(channelHeader.txId, 'VALID', `the genesis config of channel ${channelHeader.channelId}, which the peer joined with; it is not validated, as in Fabric`) };
  } catch (err) {
    if (!isFabsimError(err)) throw err;
    return undefined;
  }
}

function refusedWrite(rwset: TxRwSet, rule: WriteRule): string | undefined {
  for (const ns of rwset.nsRwsets) {
    for (const write of ns.rwset.writes) {
      const why = rule(ns.namespace, write.key, write.value);
      if (why !== undefined) return `the write of ${keyName(ns.namespace, write.key)} has ${why}; the chaincode must write a non-empty key`;
    }
  }
  return undefined;
}

function describeWrites(updates: readonly StateUpdate[]): string {
  if (updates.length === 0) return 'it writes nothing (a read-only transaction)';
  const puts = updates.filter((u) => u.kind !== 'delete').map((u) => keyName(u.namespace, u.key));
  const deletes = updates.filter((u) => u.kind === 'delete').map((u) => keyName(u.namespace, u.key));
  const parts = [puts.length > 0 ? `writes ${listSome(puts)}` : '', deletes.length > 0 ? `deletes ${listSome(deletes)}` : ''].filter((p) => p !== '');
  return parts.join(', ');
}
