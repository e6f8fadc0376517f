import { Command, CommanderError } from 'commander';
import { isFabsimError } from '../core/errors.js';
import { registerChannelCommands } from './channel-command.js';
import { registerCryptoCommands } from './crypto-command.js';
import { registerLedgerCommands } from './ledger-command.js';
import { registerNodeCommands } from './node-command.js';

/**
 * The `fabsim` command line. Each command group lives in its own file; this file wires them and
 * turns FabsimErrors into one readable line and exit code 1 (no stack traces for user errors).
 */
const program = new Command('fabsim')
  .description('A Hyperledger-Fabric-style ledger on your laptop: real identities, blocks and Raft, no Docker.')
  .showHelpAfterError()
  .exitOverride();

registerCryptoCommands(program);
registerNodeCommands(program);
registerChannelCommands(program);
registerLedgerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  if (isFabsimError(err)) {
    console.error(`fabsim: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
