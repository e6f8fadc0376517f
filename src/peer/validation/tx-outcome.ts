import type { TxValidationCodeName } from '../../protos/tx-validation-code.js';

/** One transaction's verdict as the validator explains it to a learner. */
export interface TxOutcome {
  readonly txId: string;
  readonly code: TxValidationCodeName;
  /** One line: `CODE: what happened[; what to do]`. */
  readonly explanation: string;
}

export function outcome(txId: string, code: TxValidationCodeName, detail: string): TxOutcome {
  return { txId, code, explanation: `${code}: ${detail}` };
}

/** `3f2a9c1e…`: a transaction ID short enough for a sentence. */
export function shortTxId(txId: string): string {
  return txId.length > 8 ? `${txId.slice(0, 8)}…` : txId === '' ? '(no tx id)' : txId;
}

/** A key as messages name it: `basic/asset1`. */
export function keyName(namespace: string, key: string): string {
  return `${namespace}/${key}`;
}

/** A version as Fabric prints a height: `4:0`; undefined (the key did not exist) as `absent`. */
export function versionText(version: { readonly blockNum: number; readonly txNum: number } | undefined): string {
  return version === undefined ? 'absent' : `${version.blockNum}:${version.txNum}`;
}

/** `a, b, c and 4 more`. */
export function listSome(items: readonly string[], max = 4): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}
