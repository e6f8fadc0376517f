/* global process */
'use strict';
// Preloaded into every chaincode process fabsim launches (NODE_OPTIONS=--require, see
// chaincode-process.ts): the process ends when the node that launched it is gone, even when that
// node was killed with SIGKILL and could not stop it, as Fabric's chaincode containers go away with
// their peer. The launcher holds the write end of the process's stdin; when the launcher dies, the
// pipe closes and stdin ends. Only processes started with FABSIM_EXIT_WITH_PARENT=1 watch it.
if (process.env.FABSIM_EXIT_WITH_PARENT === '1' && process.stdin && !process.stdin.isTTY) {
  const exit = () => process.exit(0);
  process.stdin.on('end', exit);
  process.stdin.on('close', exit);
  process.stdin.on('error', exit);
  process.stdin.resume();
  // Watching must not keep a chaincode alive that would otherwise exit.
  if (typeof process.stdin.unref === 'function') process.stdin.unref();
}
