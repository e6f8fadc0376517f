import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_CONFIG_PATH, loadNetworkConfig } from '../config/load-network-config.js';
import { hostName, type NetworkConfig } from '../config/network-config.js';
import { toHex } from '../core/bytes.js';
import { FabsimError, isFabsimError } from '../core/errors.js';
import { Certificate } from '../msp/certificate.js';
import { organizationDir } from '../msp/cryptogen.js';
import { loadSigningIdentity, type SigningIdentity } from '../msp/signing-identity.js';
import { DEFAULT_CRYPTO_DIR } from '../net/generate-crypto.js';
import { QSCC_NAME, QsccFunction, type QsccFunctionName } from '../peer/qscc.js';
import { BlockMetadataSlot, parseBlock, type Block } from '../protos/block.js';
import { describeHeaderType, parseEnvelopeHeaders } from '../protos/envelope.js';
import { parseSerializedIdentity } from '../protos/identity.js';
import { parseBlockchainInfo, parseProcessedTransaction, type BlockchainInfo, type ProcessedTransaction } from '../protos/ledger-info.js';
import { buildSignedProposal } from '../protos/proposal.js';
import { txValidationCodeName } from '../protos/tx-validation-code.js';
import { processProposal } from '../transport/grpc/endorser-client.js';
import type { ClientTlsMaterial } from '../transport/grpc/tls-credentials.js';

/**
 * `fabsim ledger info|block|tx`: a peer's ledger through its query system chaincode, the way
 * Fabric's `peer channel getinfo` reaches it: a proposal for chaincode `qscc`, signed by the peer
 * organization's Admin, sent to the peer's protos.Endorser/ProcessProposal over TLS.
 *
 * The peer comes from the network config (its port; the CLI dials 127.0.0.1 and checks the TLS
 * certificate for the peer's host name); the crypto from the cryptogen layout of --crypto:
 * peerOrganizations/<domain>/users/Admin@<domain>/msp (signer) and tlsca/tlsca.<domain>-cert.pem.
 */

export class LedgerCommandError extends FabsimError<'LEDGER_PEER_UNKNOWN' | 'LEDGER_CRYPTO_MISSING' | 'LEDGER_QUERY_FAILED' | 'LEDGER_BAD_ARGUMENTS'> {}

interface CommonOptions {
  readonly peer: string;
  readonly channel: string;
  readonly config: string;
  readonly crypto: string;
  readonly json?: boolean;
}

/** Where and as whom to query a peer. */
export interface PeerTarget {
  readonly host: string;
  /** 127.0.0.1:<port from the network config> */
  readonly address: string;
  readonly mspId: string;
  readonly adminMspDir: string;
  readonly tls: ClientTlsMaterial;
}

/** Finds `host` among the config's peers and the files its organization's Admin needs. */
export function resolvePeerTarget(config: NetworkConfig, host: string, cryptoDir: string): PeerTarget {
  const peers = config.organizations.flatMap((org) => org.peers.map((node) => ({ org, node, host: hostName(node, org) })));
  const found = peers.find((p) => p.host === host);
  if (found === undefined) {
    throw new LedgerCommandError('LEDGER_PEER_UNKNOWN', `no peer named ${host} in the network config (its peers: ${peers.map((p) => p.host).join(', ') || 'none'}); pass one of them with --peer, or the --config that defines it`);
  }
  const { domain } = found.org;
  const orgDir = organizationDir(cryptoDir, { kind: 'peer', domain });
  const adminDir = join(orgDir, 'users', `Admin@${domain}`);
  const files = { ca: join(orgDir, 'tlsca', `tlsca.${domain}-cert.pem`), signcerts: join(adminDir, 'msp', 'signcerts'), keystore: join(adminDir, 'msp', 'keystore') };
  for (const f of Object.values(files)) {
    if (!existsSync(f)) {
      throw new LedgerCommandError('LEDGER_CRYPTO_MISSING', `the crypto material of ${found.org.name}'s Admin is missing (${f} not found); run \`npx fabsim crypto generate --out ${cryptoDir}\` first, or pass --crypto DIR`, { context: { file: f } });
    }
  }
  const clientCert = join(adminDir, 'tls', 'client.crt');
  const clientKey = join(adminDir, 'tls', 'client.key');
  const mutual = existsSync(clientCert) && existsSync(clientKey) ? { certPem: readFileSync(clientCert, 'utf8'), keyPem: readFileSync(clientKey, 'utf8') } : {};
  return {
    host,
    address: `127.0.0.1:${found.node.port}`,
    mspId: found.org.mspId,
    adminMspDir: join(adminDir, 'msp'),
    tls: { serverCaPems: [readFileSync(files.ca, 'utf8')], ...mutual },
  };
}

/** Runs one qscc function on the peer and returns the payload of its 200 answer. */
export async function queryQscc(target: PeerTarget, signer: SigningIdentity, channelId: string, fn: QsccFunctionName, argument?: string): Promise<Uint8Array> {
  const args = argument === undefined ? [fn, channelId] : [fn, channelId, argument];
  const { signedProposal } = buildSignedProposal({ channelId, chaincode: QSCC_NAME, args, signer, timestampMs: Date.now() });
  const answer = await processProposal(target.address, target.tls, signedProposal, { serverNameOverride: target.host });
  if (answer.response.status !== 200) {
    throw new LedgerCommandError('LEDGER_QUERY_FAILED', `peer ${target.host} answered ${fn} on channel ${channelId} with status ${answer.response.status}: ${answer.response.message || '(no message)'}`, {
      context: { peer: target.host, channel: channelId, status: answer.response.status },
    });
  }
  return answer.response.payload;
}

/** What a command prints: lines for people, a value for --json. */
export interface Report {
  readonly json: unknown;
  readonly lines: readonly string[];
}

export function chainInfoReport(channelId: string, info: BlockchainInfo): Report {
  const json = { channel: channelId, height: info.height, currentBlockHash: toHex(info.currentBlockHash), previousBlockHash: toHex(info.previousBlockHash) };
  return {
    json,
    lines: [
      `channel ${channelId}`,
      `  height               ${info.height}${info.height === 0 ? ' (no blocks yet)' : ` (blocks 0 to ${info.height - 1})`}`,
      `  current block hash   ${json.currentBlockHash || '(none)'}`,
      `  previous block hash  ${json.previousBlockHash || '(none)'}`,
    ],
  };
}

/** One transaction of a block as the summary lists it. */
export interface BlockTransactionSummary {
  readonly position: number;
  /** The channel header's tx id; empty when the envelope does not say (or cannot be read: see type). */
  readonly txId: string;
  readonly type: string;
  /** From the block's TRANSACTIONS_FILTER metadata; `(not validated)` when the filter has no byte for it. */
  readonly validation: string;
}

export function summarizeBlockTransactions(block: Block): BlockTransactionSummary[] {
  const filter = block.metadata[BlockMetadataSlot.TRANSACTIONS_FILTER] ?? new Uint8Array();
  return block.data.map((envelope, position) => {
    const code = filter[position];
    const validation = code === undefined ? '(not validated)' : txValidationCodeName(code);
    try {
      const { channelHeader } = parseEnvelopeHeaders(envelope, { allowEmptyCreator: true });
      return { position, txId: channelHeader.txId, type: describeHeaderType(channelHeader.type), validation };
    } catch (err) {
      if (!isFabsimError(err)) throw err;
      return { position, txId: '', type: '(unreadable envelope)', validation };
    }
  });
}

export function blockReport(channelId: string, blockBytes: Uint8Array): Report {
  const block = parseBlock(blockBytes);
  const transactions = summarizeBlockTransactions(block);
  const json = {
    channel: channelId,
    number: block.header.number,
    dataHash: toHex(block.header.dataHash),
    previousHash: toHex(block.header.previousHash),
    transactionCount: transactions.length,
    transactions,
  };
  return {
    json,
    lines: [
      `block ${block.header.number} of channel ${channelId}`,
      `  data hash      ${json.dataHash}`,
      `  previous hash  ${json.previousHash || '(none: the genesis block)'}`,
      `  transactions   ${transactions.length}`,
      ...transactions.map((t) => `    ${String(t.position).padStart(3)}  ${t.txId || '(no tx id)'}  ${t.type}  ${t.validation}`),
    ],
  };
}

/** Creator as `User1@org1.example.com (Org1MSP)`, tolerant of anything unreadable. */
function describeCreator(creator: Uint8Array): string {
  if (creator.length === 0) return '(none)';
  try {
    const identity = parseSerializedIdentity(creator);
    try {
      return `${Certificate.fromPem(identity.idBytes, 'the creator certificate').displayName} (${identity.mspId})`;
    } catch (err) {
      if (!isFabsimError(err)) throw err;
      return `an unreadable certificate (${identity.mspId})`;
    }
  } catch (err) {
    if (!isFabsimError(err)) throw err;
    return '(unreadable identity)';
  }
}

/** A transaction from GetTransactionByID, with the block GetBlockByTxID found it in. */
export function transactionReport(channelId: string, txId: string, processed: ProcessedTransaction, blockBytes: Uint8Array): Report {
  const block = parseBlock(blockBytes);
  const position = block.data.findIndex((envelope) => {
    try {
      return parseEnvelopeHeaders(envelope, { allowEmptyCreator: true }).channelHeader.txId === txId;
    } catch (err) {
      if (!isFabsimError(err)) throw err;
      return false;
    }
  });
  const { channelHeader, signatureHeader } = parseEnvelopeHeaders(processed.transactionEnvelope, { allowEmptyCreator: true });
  const json = {
    txId,
    channel: channelId,
    block: block.header.number,
    position: position < 0 ? undefined : position,
    type: describeHeaderType(channelHeader.type),
    creator: describeCreator(signatureHeader.creator),
    timestamp: channelHeader.timestampMs === undefined ? undefined : new Date(channelHeader.timestampMs).toISOString(),
    validationCode: processed.validationCode,
    validation: txValidationCodeName(processed.validationCode),
  };
  return {
    json,
    lines: [
      `transaction ${txId}`,
      `  channel     ${channelId}`,
      `  block       ${json.block}${json.position === undefined ? '' : ` (position ${json.position})`}`,
      `  type        ${json.type}`,
      `  creator     ${json.creator}`,
      `  timestamp   ${json.timestamp ?? '(none)'}`,
      `  validation  ${json.validation} (${json.validationCode})`,
    ],
  };
}

function print(json: boolean | undefined, report: Report): void {
  if (json) console.log(JSON.stringify(report.json, null, 2));
  else for (const l of report.lines) console.log(l);
}

function parseBlockNumber(v: string): string {
  if (!/^[0-9]+$/.test(v)) throw new InvalidArgumentError('expected a block number (a whole number from 0).');
  return v;
}

function addCommon(cmd: Command): Command {
  return cmd
    .requiredOption('-p, --peer <host>', 'the peer to ask (e.g. peer0.org1.example.com), as named in the network config')
    .requiredOption('-C, --channel <name>', 'the channel (e.g. mychannel)')
    .option('-c, --config <file>', 'network config', DEFAULT_CONFIG_PATH)
    .option('--crypto <dir>', 'crypto material folder (from `fabsim crypto generate`)', DEFAULT_CRYPTO_DIR)
    .option('--json', 'print the result as JSON', false);
}

async function connect(o: CommonOptions): Promise<{ target: PeerTarget; signer: SigningIdentity }> {
  const target = resolvePeerTarget(loadNetworkConfig(o.config), o.peer, o.crypto);
  return { target, signer: await loadSigningIdentity(target.adminMspDir, target.mspId) };
}

const HELP = `
The query is a proposal for the system chaincode qscc, signed by the peer organization's Admin
(<crypto>/peerOrganizations/<domain>/users/Admin@<domain>/msp), sent to the peer's port from the
network config over TLS (trusting the organization's TLS CA), as \`peer channel getinfo\` does.`;

export function registerLedgerCommands(program: Command): void {
  const ledger = program.command('ledger').description("query a peer's ledger through its query system chaincode (qscc), as `peer channel getinfo` does");

  addCommon(ledger.command('info'))
    .description("print the channel's height and the hashes of its last two blocks (qscc GetChainInfo)")
    .addHelpText('after', `\nExample:\n  $ npx fabsim ledger info --peer peer0.org1.example.com --channel mychannel\n${HELP}`)
    .action(async (opts: CommonOptions) => {
      const { target, signer } = await connect(opts);
      const info = parseBlockchainInfo(await queryQscc(target, signer, opts.channel, QsccFunction.GET_CHAIN_INFO));
      print(opts.json, chainInfoReport(opts.channel, info));
    });

  addCommon(ledger.command('block'))
    .description('summarize a block: number, hashes, and every transaction with its validation code (qscc GetBlockByNumber / GetBlockByTxID)')
    .option('-n, --number <n>', 'the block number (default: the newest block)', parseBlockNumber)
    .option('--txid <id>', 'the block that holds this transaction')
    .addHelpText('after', `\nExamples:\n  $ npx fabsim ledger block --peer peer0.org1.example.com --channel mychannel --number 0\n  $ npx fabsim ledger block --peer peer0.org1.example.com --channel mychannel --txid 3f2a...\n${HELP}`)
    .action(async (opts: CommonOptions & { number?: string; txid?: string }) => {
      if (opts.number !== undefined && opts.txid !== undefined) throw new LedgerCommandError('LEDGER_BAD_ARGUMENTS', 'pass either --number or --txid, not both');
      const { target, signer } = await connect(opts);
      let blockBytes: Uint8Array;
      if (opts.txid !== undefined) {
        blockBytes = await queryQscc(target, signer, opts.channel, QsccFunction.GET_BLOCK_BY_TX_ID, opts.txid);
      } else {
        let number = opts.number;
        if (number === undefined) {
          const info = parseBlockchainInfo(await queryQscc(target, signer, opts.channel, QsccFunction.GET_CHAIN_INFO));
          if (info.height === 0) throw new LedgerCommandError('LEDGER_QUERY_FAILED', `channel ${opts.channel} on ${opts.peer} has no blocks yet; wait until the peer has received the genesis block`);
          number = String(info.height - 1);
        }
        blockBytes = await queryQscc(target, signer, opts.channel, QsccFunction.GET_BLOCK_BY_NUMBER, number);
      }
      print(opts.json, blockReport(opts.channel, blockBytes));
    });

  addCommon(ledger.command('tx'))
    .description('print a committed transaction: its block, type, creator and validation code (qscc GetTransactionByID)')
    .requiredOption('--txid <id>', 'the transaction ID')
    .addHelpText('after', `\nExample:\n  $ npx fabsim ledger tx --peer peer0.org1.example.com --channel mychannel --txid 3f2a...\n${HELP}`)
    .action(async (opts: CommonOptions & { txid: string }) => {
      const { target, signer } = await connect(opts);
      const processed = parseProcessedTransaction(await queryQscc(target, signer, opts.channel, QsccFunction.GET_TRANSACTION_BY_ID, opts.txid));
      const blockBytes = await queryQscc(target, signer, opts.channel, QsccFunction.GET_BLOCK_BY_TX_ID, opts.txid);
      print(opts.json, transactionReport(opts.channel, opts.txid, processed, blockBytes));
    });
}
