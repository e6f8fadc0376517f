import { toHex } from '../core/bytes.js';
import type { LedgerQueries } from '../ledger/ledger-types.js';
import { parseBlock } from '../protos/block.js';
import { buildBlockchainInfo, buildProcessedTransaction } from '../protos/ledger-info.js';
import type { ChaincodeResponse } from '../protos/transaction.js';
import { TxValidationCode } from '../protos/tx-validation-code.js';

/**
 * Fabric's query system chaincode, QSCC (core/scc/qscc/query.go): ledger queries answered by the
 * peer itself, reached through a signed proposal to chaincode `qscc` (what `peer channel getinfo`
 * and `peer channel fetch` by tx id use). The chaincode input is
 *
 *   args[0]  the function: GetChainInfo | GetBlockByNumber | GetBlockByHash | GetTransactionByID | GetBlockByTxID
 *   args[1]  the channel name
 *   args[2]  the function's argument: a decimal block number, a block header hash (raw bytes), or a tx id
 *
 * Answers follow Fabric: status 200 with the serialized message (BlockchainInfo, Block,
 * ProcessedTransaction), or status 500 with a message saying what was wrong. Pure apart from the
 * ledger reads it is given; it never throws for a bad request.
 */

export const QSCC_NAME = 'qscc';

export const QsccFunction = {
  GET_CHAIN_INFO: 'GetChainInfo',
  GET_BLOCK_BY_NUMBER: 'GetBlockByNumber',
  GET_BLOCK_BY_HASH: 'GetBlockByHash',
  GET_TRANSACTION_BY_ID: 'GetTransactionByID',
  GET_BLOCK_BY_TX_ID: 'GetBlockByTxID',
} as const;
export type QsccFunctionName = (typeof QsccFunction)[keyof typeof QsccFunction];

const FUNCTIONS: readonly string[] = Object.values(QsccFunction);

/**
 * The policy Fabric's default ACLs (configtx.yaml `Application.ACLs`) give every qscc function:
 * `qscc/GetChainInfo: /Channel/Application/Readers`, and the same for the others.
 */
export const QSCC_ACL_POLICY = '/Channel/Application/Readers';

export interface QsccOptions {
  /**
   * Fabric's ACL check (aclProvider.CheckACL("qscc/<function>", channel, signedProposal)), run after
   * the arguments and the channel are checked: undefined admits the caller, a string is why not.
   * Omitted: everyone is admitted (for tests of the functions alone).
   */
  readonly checkAccess?: (fn: QsccFunctionName, channelId: string) => string | undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const success = (payload: Uint8Array): ChaincodeResponse => ({ status: 200, message: '', payload });
const failure = (message: string): ChaincodeResponse => ({ status: 500, message, payload: new Uint8Array() });

/** Runs one qscc invocation. `ledgerOf` gives the ledger of a channel this peer has joined, or undefined. */
export async function invokeQscc(args: readonly Uint8Array[], ledgerOf: (channelId: string) => LedgerQueries | undefined, options: QsccOptions = {}): Promise<ChaincodeResponse> {
  const [fnBytes, channelBytes, argument] = args;
  if (fnBytes === undefined || channelBytes === undefined) {
    return failure(`Incorrect number of arguments, ${args.length}: qscc expects a function (${FUNCTIONS.join(', ')}) and a channel name, e.g. ["GetChainInfo", "mychannel"]`);
  }
  const fn = decoder.decode(fnBytes);
  const channelId = decoder.decode(channelBytes);
  if (fn !== QsccFunction.GET_CHAIN_INFO && argument === undefined) {
    return failure(`missing 3rd argument for ${fn}: ${thirdArgumentHelp(fn)}`);
  }
  const ledger = ledgerOf(channelId);
  if (ledger === undefined) return failure(`Invalid chain ID, ${channelId}: this peer has not joined channel "${channelId}"`);
  if (!isFunction(fn)) return failure(`Requested function ${fn} not found. qscc's functions are ${FUNCTIONS.join(', ')}`);
  const refusal = options.checkAccess?.(fn, channelId);
  if (refusal !== undefined) return failure(`access denied for [${fn}][${channelId}]: [${refusal}]`);

  switch (fn) {
    case QsccFunction.GET_CHAIN_INFO:
      return success(buildBlockchainInfo(ledger.chainInfo()));
    case QsccFunction.GET_BLOCK_BY_NUMBER:
      return getBlockByNumber(ledger, channelId, decoder.decode(argument));
    case QsccFunction.GET_BLOCK_BY_HASH:
      return getBlockByHash(ledger, channelId, argument ?? new Uint8Array());
    case QsccFunction.GET_TRANSACTION_BY_ID:
      return getTransactionById(ledger, channelId, decoder.decode(argument));
    case QsccFunction.GET_BLOCK_BY_TX_ID:
      return getBlockByTxId(ledger, channelId, decoder.decode(argument));
  }
}

function isFunction(fn: string): fn is QsccFunctionName {
  return FUNCTIONS.includes(fn);
}

function thirdArgumentHelp(fn: string): string {
  switch (fn) {
    case QsccFunction.GET_BLOCK_BY_NUMBER:
      return 'the block number, in decimal';
    case QsccFunction.GET_BLOCK_BY_HASH:
      return "the block's header hash, as raw bytes";
    case QsccFunction.GET_TRANSACTION_BY_ID:
    case QsccFunction.GET_BLOCK_BY_TX_ID:
      return 'the transaction ID';
    default:
      return `qscc's functions are ${FUNCTIONS.join(', ')}`;
  }
}

function heightNote(ledger: LedgerQueries, channelId: string): string {
  const { height } = ledger.chainInfo();
  return height === 0 ? `channel ${channelId} has no blocks yet` : `channel ${channelId} has ${height} block${height === 1 ? '' : 's'} (0 to ${height - 1})`;
}

async function getBlockByNumber(ledger: LedgerQueries, channelId: string, text: string): Promise<ChaincodeResponse> {
  // Fabric parses with strconv.ParseUint(s, 10, 64): decimal digits only, no sign, no spaces.
  if (!/^[0-9]+$/.test(text) || BigInt(text) > 2n ** 64n - 1n) {
    return failure(`Failed to parse block number with error: "${text}" is not a block number (a whole number from 0)`);
  }
  const number = BigInt(text);
  const block = number <= BigInt(Number.MAX_SAFE_INTEGER) ? await ledger.getBlock(Number(number)) : undefined;
  if (block === undefined) return failure(`Failed to get block number ${number}, error: no such block; ${heightNote(ledger, channelId)}`);
  return success(block);
}

async function getBlockByHash(ledger: LedgerQueries, channelId: string, hash: Uint8Array): Promise<ChaincodeResponse> {
  const block = await ledger.getBlockByHash(hash);
  if (block === undefined) {
    return failure(`Failed to get block hash ${toHex(hash)}, error: no block of channel ${channelId} has this header hash (pass the 32 raw bytes of a block header hash)`);
  }
  return success(block);
}

async function getTransactionById(ledger: LedgerQueries, channelId: string, txId: string): Promise<ChaincodeResponse> {
  const location = await ledger.getTransactionLocation(txId);
  if (location === undefined) return failure(`Failed to get transaction with id ${txId}, error: no transaction with this ID is committed on channel ${channelId}`);
  const block = await ledger.getBlock(location.blockNum);
  const envelope = block === undefined ? undefined : parseBlock(block).data[location.txNum];
  if (envelope === undefined) {
    return failure(`Failed to get transaction with id ${txId}, error: the tx index places it at block ${location.blockNum} position ${location.txNum}, which the block store does not hold`);
  }
  return success(buildProcessedTransaction({ transactionEnvelope: envelope, validationCode: TxValidationCode[location.code] }));
}

async function getBlockByTxId(ledger: LedgerQueries, channelId: string, txId: string): Promise<ChaincodeResponse> {
  const location = await ledger.getTransactionLocation(txId);
  const block = location === undefined ? undefined : await ledger.getBlock(location.blockNum);
  if (block === undefined) return failure(`Failed to get block for txID ${txId}, error: no transaction with this ID is committed on channel ${channelId}`);
  return success(block);
}

/** `["GetChainInfo", "mychannel"]` as chaincode args. */
export function qsccArgs(fn: QsccFunctionName, channelId: string, argument?: string | Uint8Array): Uint8Array[] {
  const args: Uint8Array[] = [encoder.encode(fn), encoder.encode(channelId)];
  if (argument !== undefined) args.push(typeof argument === 'string' ? encoder.encode(argument) : argument);
  return args;
}
