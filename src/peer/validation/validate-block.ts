import type { ChannelResources } from '../../common/channel-resources.js';
import { isFabsimError } from '../../core/errors.js';
import type { CommittedTransaction, StateReader, StateUpdate, TxIdLookup, VersionedValue } from '../../ledger/ledger-types.js';
import type { AsyncSignatureVerifier } from '../../msp/ecdsa.js';
import type { Block } from '../../protos/block.js';
import { HeaderType, parseEnvelopeHeaders } from '../../protos/envelope.js';
import type { TxRwSet } from '../../protos/rwset.js';
import { TxValidationCode } from '../../protos/tx-validation-code.js';
import type { ChaincodeDefinitions } from './chaincode-definition.js';
import { ChannelMembers } from './channel-member.js';
import { checkEndorsements } from './endorsement-check.js';
import { inspectTransaction, type EndorsedAction, type Inspection } from './inspect-envelope.js';
import { findStateConflict, InBlockUpdates, writesOf } from './mvcc.js';
import { PrefetchedState, type CommittedBlockUpdates } from './prefetched-state.js';
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
 * Signature checks of the whole block are collected in steps 1–5 and start verifying as they are
 * collected (in parallel with verifyEcdsaInThreadPool); meanwhile the ledger answers the duplicate
 * checks and the block's MVCC reads in one round trip each (TxIdLookup.hasTxIds,
 * StateReader.getStates, when the ledger has them), and steps 5–8 run speculatively as if every
 * signature verifies, kept only if they all do (see `settle`).
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
  return settleBlock(prepareBlock(input), []);
}

/**
 * A block after the state-free first stage of validateBlock (see prepareBlock): inspected, its
 * signatures verifying, its ledger reads asked. Opaque: settleBlock finishes it.
 */
export interface PreparedBlock {
  readonly input: ValidateBlockInput;
  readonly inspections: readonly Inspection[];
  readonly batch: SignatureBatch;
  readonly verified: Promise<void>;
  /** The ledger's answers, as of when prepareBlock asked (block `askedAtHeight` and later may be missing). */
  readonly reads: Promise<readonly SliceReads[]>;
}


/**
 * Steps 1–5's decoding and membership checks of `input.block`, synchronously: every signature is
 * handed to `input.verify` as it is found, and the ledger is asked for the block's duplicate tx ids
 * and the state MVCC will read (one round trip per slice of transactions: the store's reads share
 * the thread pool with the signatures, so asking early keeps them from waiting behind the whole
 * block's verifications). Nothing is decided yet; the ledger may go on committing earlier blocks
 * meanwhile (settleBlock corrects the answers for them).
 */
export function prepareBlock(input: ValidateBlockInput): PreparedBlock {
  const { block, resources } = input;
  const batch = new SignatureBatch(input.verify);
  const members = new ChannelMembers(resources, input.nowMs);
  const ctx = { channelId: input.channelId, blockNumber: block.header.number, resources, chaincodes: input.chaincodes, nowMs: input.nowMs, batch, members };
  const inspections: Inspection[] = [];
  const reads: Array<Promise<SliceReads>> = [];
  for (let start = 0; start < block.data.length; start += READ_SLICE) {
    const slice = block.data.slice(start, start + READ_SLICE).map((bytes) => genesisConfig(block, bytes) ?? inspectTransaction(bytes, ctx));
    inspections.push(...slice);
    const read = sliceReads(slice, input);
    read.catch(() => undefined); // awaited in settleBlock
    reads.push(read);
  }
  const verified = batch.verifyAll();
  verified.catch(() => undefined); // awaited in settleBlock; a verifier failure must not count as unhandled meanwhile
  const answered = Promise.all(reads);
  answered.catch(() => undefined);
  return { input, inspections, batch, verified, reads: answered };
}

/**
 * Decides `prepared`'s transactions (steps 4–8 and the signature verdicts), against the committed
 * state as of the block before it. `committedSince` are the blocks the ledger committed after
 * prepareBlock asked it (in order, each exactly as committed): their tx ids count as already
 * committed, and their state updates are applied over the prefetched values (the ledger may or may
 * not have included them in its answers; applying a block's updates again gives the same state).
 * Reads that were not prefetched (range scans; every read when the ledger has no getStates) go to
 * `input.state` now, which must then be the state as of the block before this one.
 */
export async function settleBlock(prepared: PreparedBlock, committedSince: readonly CommittedBlockUpdates[]): Promise<BlockValidation> {
  const { input, inspections, batch } = prepared;
  const answered = await prepared.reads;
  const committedIds = new Set<string>();
  for (const b of committedSince) for (const t of b.transactions) if (t.txId !== '') committedIds.add(t.txId);
  const inLedger = answered.flatMap((r) => r.inLedger).map((known, txNum) => known || (committedIds.size > 0 && isSignedTxIdIn(inspections[txNum], committedIds)));
  const state = PrefetchedState.over(input.state, answered.map((r) => r.state), committedSince);

  // While the thread pool finishes the signatures, steps 5–8 run as if every signature verifies,
  // which is what nearly every block holds. The result stands only if that turns out true;
  // otherwise the steps run again with the real verdicts. Either way the answer is the one the
  // real verdicts give.
  const speculative = await settle(inspections, inLedger, ALL_VALID, state, input);
  await prepared.verified;
  if (batch.allValid()) return speculative;
  return settle(inspections, inLedger, batch, state, input);
}

/** Whether `inspection` is an endorser transaction (the only kind step 4 asks about) whose tx id is in `ids`. */
function isSignedTxIdIn(inspection: Inspection | undefined, ids: ReadonlySet<string>): boolean {
  return inspection?.kind === 'signed' && inspection.next.kind === 'endorser' && ids.has(inspection.txId);
}

/** Where decide and checkEndorsements read signature verdicts: the verified batch, or an assumption. */
type Verdicts = Pick<SignatureBatch, 'verdict'>;
const ALL_VALID: Verdicts = { verdict: () => 'valid' };

/** Steps 5–8 of the module comment, once the ledger has answered, with the signature verdicts of `verdicts`. */
async function settle(inspections: readonly Inspection[], inLedger: readonly boolean[], verdicts: Verdicts, state: StateReader, input: ValidateBlockInput): Promise<BlockValidation> {
  const { block, resources } = input;
  const stages = inspections.map((inspection, txNum): Stage => decide(inspection, inLedger[txNum] === true, verdicts, resources));

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
      const conflict = await findStateConflict(stage.action.rwset, state, updates);
      if (conflict !== undefined) {
        result = outcome(result.txId, conflict.code, conflict.detail);
      } else {
        const writes = await writesOf(stage.action.rwset, state, updates);
        for (const k of writes.keys) updates.set(k.namespace, k.key, { txId: result.txId, txNum, state: k.state });
        stateUpdates = writes.updates;
        result = outcome(result.txId, 'VALID', `${stage.action.chaincode.name} ${stage.action.chaincode.version} ${stage.endorsed}; ${describeWrites(stateUpdates)}`);
      }
    }
    transactions.push({ txId: result.txId, txNum, code: result.code, updates: stateUpdates, explanation: result.explanation });
  }
  return { transactions, filter: Uint8Array.from(transactions.map((t) => TxValidationCode[t.code])) };
}

/** Transactions per slice of ledger reads (see validateBlock). */
const READ_SLICE = 100;

interface SliceReads {
  /** Per transaction of the slice: whether it is an endorser transaction whose tx id is already committed (step 4). */
  readonly inLedger: readonly boolean[];
  /** The committed state of the keys the slice's endorsed actions touch (PrefetchedState.fetch). */
  readonly state: ReadonlyMap<string, VersionedValue | undefined>;
}

async function sliceReads(slice: readonly Inspection[], input: ValidateBlockInput): Promise<SliceReads> {
  const endorser = slice.map((i) => i.kind === 'signed' && i.next.kind === 'endorser');
  const rwsets = slice.flatMap((i) => (i.kind === 'signed' && i.next.kind === 'endorser' && i.next.dispatch.kind === 'action' ? [i.next.dispatch.rwset] : []));
  const [inLedger, state] = await Promise.all([duplicateChecks(slice, endorser, input.txIds), PrefetchedState.fetch(input.state, rwsets)]);
  return { inLedger, state };
}

/** Step 4's ledger lookups: whether each endorser transaction's tx id is already committed (false for the others). */
async function duplicateChecks(inspections: readonly Inspection[], endorser: readonly boolean[], txIds: TxIdLookup): Promise<boolean[]> {
  const ids = inspections.flatMap((i, n) => (endorser[n] === true && i.kind === 'signed' ? [i.txId] : []));
  const answers = ids.length === 0 ? [] : txIds.hasTxIds !== undefined ? await txIds.hasTxIds(ids) : await Promise.all(ids.map((id) => txIds.hasTxId(id)));
  let next = 0;
  return endorser.map((e) => (e ? answers[next++] === true : false));
}

/** Steps 2–5 for one transaction, once the signatures are verified and the ledger has answered. */
function decide(inspection: Inspection, inLedger: boolean, batch: Verdicts, resources: ChannelResources): Stage {
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
