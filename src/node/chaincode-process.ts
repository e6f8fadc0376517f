import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FabsimError, messageOf } from '../core/errors.js';

/**
 * A chaincode package running as its own process, started the way a Fabric peer starts Node.js
 * chaincode (core/container/dockercontroller: `npm start -- --peer.address <peer>` in the package dir,
 * with the environment of DockerVM.GetEnv), without Docker.
 *
 * How it is started (`launcher`):
 * - 'direct' runs `node <fabric-shim>/cli.js start --peer.address ... --chaincode-id-name ...` in the
 *   package dir: exactly what `npm start` ends up running for the usual `"start": "fabric-chaincode-node
 *   start"`, without npm's own start-up (a few hundred ms) and with one PID to kill. fabric-shim is
 *   resolved from the package dir, as `npm start` would find its bin.
 * - 'npm' runs `npm start -- --peer.address ... --chaincode-id-name ...` (any start script), in its own
 *   process group so that killing it kills npm's child too.
 * - 'auto' (the default) is 'direct' when package.json's start script is `fabric-chaincode-node start`
 *   (optionally with plain extra arguments, which are kept), else 'npm'.
 *
 * Environment, as the peer sets it and fabric-shim 2.5 reads it:
 *   CORE_CHAINCODE_ID_NAME (the package id or name:version the chaincode registers with), CORE_PEER_ADDRESS,
 *   CORE_PEER_TLS_ENABLED, CORE_PEER_LOCALMSPID, and with TLS: CORE_PEER_TLS_ROOTCERT_FILE (the peer's
 *   TLS root, PEM), CORE_TLS_CLIENT_KEY_PATH / CORE_TLS_CLIENT_CERT_PATH (the chaincode's client key and
 *   certificate, base64 of the PEM: the Node shim decodes them so, as Fabric writes them),
 *   CORE_TLS_CLIENT_KEY_FILE / CORE_TLS_CLIENT_CERT_FILE (the same as plain PEM, for Go chaincode).
 *   The TLS files are written to `tlsDir` (default: next to the log file).
 * The process's stdout and stderr are appended to `logFile`. `kill` signals it by PID (its process
 * group for 'npm'); `exited` resolves when it is gone.
 */
export interface ChaincodeTls {
  /** The PEM of the CA that signed the peer's TLS server certificate. */
  readonly rootCertPem: string;
  /** A client certificate and key the peer accepts (mutual TLS). */
  readonly clientCertPem: string;
  readonly clientKeyPem: string;
  /** When the peer address is not a name in its certificate (grpc.ssl_target_name_override). */
  readonly serverNameOverride?: string;
}

export interface ChaincodeProcessSpec {
  /** The chaincode package: a directory with package.json (main, scripts.start). */
  readonly packageDir: string;
  /** CORE_CHAINCODE_ID_NAME: the name the chaincode registers with. */
  readonly chaincodeIdName: string;
  /** The peer's ChaincodeSupport endpoint, host:port. */
  readonly peerAddress: string;
  readonly tls?: ChaincodeTls;
  readonly mspId?: string;
  readonly logFile: string;
  readonly tlsDir?: string;
  readonly launcher?: 'auto' | 'direct' | 'npm';
  /** Extra environment (e.g. CORE_CHAINCODE_LOGGING_LEVEL). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Chaincode-as-a-service: the package runs its own gRPC server (`fabric-chaincode-node server`,
 * fabric-shim lib/server.js) and the peer dials it (src/transport/grpc/chaincode-connect-client.ts).
 * Started 'direct': `node <fabric-shim>/cli.js server --chaincode-address <listenAddress> --chaincode-id
 * <chaincodeId> --module-path <packageDir>` in the package dir, with TLS as fabric-shim 2.5's
 * serverCommand reads it: --chaincode-tls-cert-file / --chaincode-tls-key-file (PEM files, written to
 * `tlsDir`) and, for mutual TLS, --chaincode-tls-client-cacert-file (fabric-shim then requires a client
 * certificate signed by it). Its environment also carries fabric-samples' ccaas names,
 * CHAINCODE_SERVER_ADDRESS and CHAINCODE_ID (fabric-shim itself reads only the flags, or CORE_-prefixed
 * variables such as CORE_CHAINCODE_ID). The server listens a moment after the spawn: the peer's
 * ChaincodeServerConnector dials until it answers.
 */
export interface ChaincodeServerTls {
  /** The chaincode server's TLS certificate (PEM, serverAuth) and its key. */
  readonly certPem: string;
  readonly keyPem: string;
  /** PEM of the CA(s) whose client certificates are accepted: set, the server requires one (mutual TLS). */
  readonly clientCaPem?: string;
}

export interface ChaincodeServerSpec {
  /** The chaincode package: a directory with package.json (main) that resolves fabric-shim. */
  readonly packageDir: string;
  /** --chaincode-id (CHAINCODE_ID): the package id the chaincode registers with. */
  readonly chaincodeId: string;
  /** --chaincode-address (CHAINCODE_SERVER_ADDRESS): host:port to listen on. */
  readonly listenAddress: string;
  readonly tls?: ChaincodeServerTls;
  readonly logFile: string;
  /** Where the TLS files go; default: next to the log file. */
  readonly tlsDir?: string;
  /** Extra environment (e.g. CORE_CHAINCODE_LOGGING_LEVEL). */
  readonly env?: Readonly<Record<string, string>>;
}

export class ChaincodeLaunchError extends FabsimError<'CHAINCODE_PACKAGE_INVALID' | 'CHAINCODE_SPAWN_FAILED'> {}

export interface ChaincodeExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ChaincodeCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly launcher: 'direct' | 'npm';
}

/** The command that starts the package (see the launcher rules above). */
export function chaincodeCommand(spec: Pick<ChaincodeProcessSpec, 'packageDir' | 'chaincodeIdName' | 'peerAddress' | 'launcher' | 'tls'>): ChaincodeCommand {
  const packageDir = resolve(spec.packageDir);
  const manifestPath = join(packageDir, 'package.json');
  let manifest: { main?: unknown; scripts?: { start?: unknown } };
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as typeof manifest;
  } catch (err) {
    throw new ChaincodeLaunchError('CHAINCODE_PACKAGE_INVALID', `cannot read the chaincode package's ${manifestPath}: ${messageOf(err)}; a Node.js chaincode package needs a package.json`, {
      cause: err,
      context: { packageDir },
    });
  }
  const start = typeof manifest.scripts?.start === 'string' ? manifest.scripts.start.trim() : undefined;
  if (start === undefined) {
    throw new ChaincodeLaunchError('CHAINCODE_PACKAGE_INVALID', `${manifestPath} has no "start" script; add "start": "fabric-chaincode-node start" as Fabric's Node.js chaincode packages do`, {
      context: { packageDir },
    });
  }
  const peerArgs = ['--peer.address', spec.peerAddress, '--chaincode-id-name', spec.chaincodeIdName];
  if (spec.tls?.serverNameOverride !== undefined) peerArgs.push('--ssl-target-name-override', spec.tls.serverNameOverride);
  const direct = /^fabric-chaincode-node\s+start((?:\s+[^\s'"`$\\;&|<>()]+)*)\s*$/.exec(start);
  const launcher = spec.launcher === undefined || spec.launcher === 'auto' ? (direct ? 'direct' : 'npm') : spec.launcher;
  if (launcher === 'npm') return { command: process.platform === 'win32' ? 'npm.cmd' : 'npm', args: ['start', '--', ...peerArgs], launcher };
  const cli = fabricShimCli(packageDir);
  const extra = direct?.[1]?.trim().split(/\s+/).filter((a) => a !== '') ?? [];
  return { command: process.execPath, args: [cli, 'start', ...extra, ...peerArgs, '--module-path', packageDir], launcher };
}

/** fabric-shim's cli.js as the package resolves it (where `npm start` would find fabric-chaincode-node). */
function fabricShimCli(packageDir: string): string {
  try {
    return join(dirname(createRequire(join(packageDir, 'package.json')).resolve('fabric-shim/package.json')), 'cli.js');
  } catch (err) {
    throw new ChaincodeLaunchError('CHAINCODE_PACKAGE_INVALID', `cannot find fabric-shim from ${packageDir}: ${messageOf(err)}; run npm install in the chaincode package`, {
      cause: err,
      context: { packageDir },
    });
  }
}

/** The command that starts the package as a chaincode server (see ChaincodeServerSpec); `tlsFiles` are the paths of its TLS files. */
export function chaincodeServerCommand(
  spec: Pick<ChaincodeServerSpec, 'packageDir' | 'chaincodeId' | 'listenAddress'>,
  tlsFiles?: { readonly certFile: string; readonly keyFile: string; readonly clientCaFile?: string },
): ChaincodeCommand {
  const packageDir = resolve(spec.packageDir);
  const manifestPath = join(packageDir, 'package.json');
  try {
    JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (err) {
    throw new ChaincodeLaunchError('CHAINCODE_PACKAGE_INVALID', `cannot read the chaincode package's ${manifestPath}: ${messageOf(err)}; a Node.js chaincode package needs a package.json`, {
      cause: err,
      context: { packageDir },
    });
  }
  const args = [fabricShimCli(packageDir), 'server', '--chaincode-address', spec.listenAddress, '--chaincode-id', spec.chaincodeId];
  if (tlsFiles !== undefined) {
    args.push('--chaincode-tls-cert-file', tlsFiles.certFile, '--chaincode-tls-key-file', tlsFiles.keyFile);
    if (tlsFiles.clientCaFile !== undefined) args.push('--chaincode-tls-client-cacert-file', tlsFiles.clientCaFile);
  }
  args.push('--module-path', packageDir);
  return { command: process.execPath, args, launcher: 'direct' };
}

/**
 * A running chaincode process: `start` (the chaincode dials the peer's ChaincodeSupport) or
 * `startServer` (chaincode-as-a-service: the peer dials it). `S` is the spec it was started with.
 */
export class ChaincodeProcess<S extends ChaincodeProcessSpec | ChaincodeServerSpec = ChaincodeProcessSpec> {
  private exitInfo: ChaincodeExit | undefined;
  /** Resolves when the process is gone. */
  readonly exited: Promise<ChaincodeExit>;

  private constructor(
    readonly spec: S,
    readonly command: ChaincodeCommand,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolveExit) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolveExit(this.exitInfo);
      });
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** Spawns the chaincode. Registration is the peer's side: wait on ChaincodeRegistry.waitForRegistration. */
  static start(spec: ChaincodeProcessSpec): ChaincodeProcess {
    const command = chaincodeCommand(spec);
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      CORE_CHAINCODE_ID_NAME: spec.chaincodeIdName,
      CORE_PEER_ADDRESS: spec.peerAddress,
      CORE_PEER_TLS_ENABLED: spec.tls === undefined ? 'false' : 'true',
      ...(spec.mspId === undefined ? {} : { CORE_PEER_LOCALMSPID: spec.mspId }),
      ...(spec.tls === undefined ? {} : writeTlsFiles(spec.tls, spec.tlsDir ?? join(dirname(resolve(spec.logFile)), `${safeName(spec.chaincodeIdName)}-tls`))),
      ...spec.env,
    };
    return new ChaincodeProcess(spec, command, spawnChaincode(spec.packageDir, spec.chaincodeIdName, spec.logFile, command, env));
  }

  /**
   * Spawns the package as a chaincode server (chaincode-as-a-service, see ChaincodeServerSpec). It
   * registers when the peer dials it: run a ChaincodeServerConnector and wait on
   * ChaincodeRegistry.waitForRegistration.
   */
  static startServer(spec: ChaincodeServerSpec): ChaincodeProcess<ChaincodeServerSpec> {
    const tlsFiles = spec.tls === undefined ? undefined : writeServerTlsFiles(spec.tls, spec.tlsDir ?? join(dirname(resolve(spec.logFile)), `${safeName(spec.chaincodeId)}-server-tls`));
    const command = chaincodeServerCommand(spec, tlsFiles);
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      CHAINCODE_SERVER_ADDRESS: spec.listenAddress,
      CHAINCODE_ID: spec.chaincodeId,
      ...spec.env,
    };
    return new ChaincodeProcess(spec, command, spawnChaincode(spec.packageDir, spec.chaincodeId, spec.logFile, command, env));
  }

  /** Sends `signal` (SIGKILL by default) by PID; resolves once the process has exited. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<ChaincodeExit> {
    if (this.running) {
      try {
        if (this.command.launcher === 'npm') process.kill(-this.pid, signal);
        else process.kill(this.pid, signal);
      } catch {
        // already gone
      }
    }
    return this.exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 2000): Promise<ChaincodeExit> {
    if (!this.running) return this.exited;
    void this.kill('SIGTERM');
    const timer = setTimeout(() => void this.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The chaincode's log so far. */
  log(): string {
    try {
      return readFileSync(this.spec.logFile, 'utf8');
    } catch {
      return '';
    }
  }
}

/** The preload that ends a chaincode process when its launcher is gone (see exit-with-parent.cjs). */
const EXIT_WITH_PARENT = fileURLToPath(new URL('./exit-with-parent.cjs', import.meta.url));

/**
 * Spawns `command` in the package dir with its output appended to `logFile`. Its stdin is a pipe
 * from this process, and every Node process of it preloads exit-with-parent.cjs: when this process
 * dies, however it dies, the chaincode exits instead of living on as an orphan.
 */
function spawnChaincode(packageDir: string, name: string, logFile: string, command: ChaincodeCommand, baseEnv: Record<string, string>): ChildProcess {
  mkdirSync(dirname(resolve(logFile)), { recursive: true });
  const logFd = openSync(logFile, 'a');
  const nodeOptions = [baseEnv['NODE_OPTIONS'], `--require ${JSON.stringify(EXIT_WITH_PARENT)}`].filter((o) => o !== undefined && o !== '').join(' ');
  const env = { ...baseEnv, NODE_OPTIONS: nodeOptions, FABSIM_EXIT_WITH_PARENT: '1' };
  let child: ChildProcess;
  try {
    child = spawn(command.command, [...command.args], {
      cwd: resolve(packageDir),
      env,
      stdio: ['pipe', logFd, logFd],
      // npm start forks: give it its own process group so kill() reaches the chaincode too.
      detached: command.launcher === 'npm',
    });
  } finally {
    closeSync(logFd);
  }
  if (child.pid === undefined) {
    throw new ChaincodeLaunchError('CHAINCODE_SPAWN_FAILED', `could not start chaincode ${name} (${command.command}): the process did not spawn`, {
      context: { chaincode: name },
    });
  }
  child.on('error', () => undefined); // spawn errors surface as exit; keep them off the event loop's error path
  return child;
}

/** Writes a chaincode server's TLS files (plain PEM, as --chaincode-tls-*-file expects). */
function writeServerTlsFiles(tls: ChaincodeServerTls, dir: string): { certFile: string; keyFile: string; clientCaFile?: string } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const write = (file: string, content: string): string => {
    const path = join(dir, file);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };
  const certFile = write('server.crt', tls.certPem);
  const keyFile = write('server.key', tls.keyPem);
  return tls.clientCaPem === undefined ? { certFile, keyFile } : { certFile, keyFile, clientCaFile: write('client-ca.crt', tls.clientCaPem) };
}

/** Writes the TLS files as Fabric's DockerVM does (two of them base64, for historical reasons) and returns their env. */
function writeTlsFiles(tls: ChaincodeTls, dir: string): Record<string, string> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = {
    CORE_TLS_CLIENT_KEY_PATH: ['client.key', Buffer.from(tls.clientKeyPem).toString('base64')],
    CORE_TLS_CLIENT_CERT_PATH: ['client.crt', Buffer.from(tls.clientCertPem).toString('base64')],
    CORE_TLS_CLIENT_KEY_FILE: ['client_pem.key', tls.clientKeyPem],
    CORE_TLS_CLIENT_CERT_FILE: ['client_pem.crt', tls.clientCertPem],
    CORE_PEER_TLS_ROOTCERT_FILE: ['peer.crt', tls.rootCertPem],
  } as const;
  const env: Record<string, string> = {};
  for (const [name, [file, content]] of Object.entries(files)) {
    const path = join(dir, file);
    writeFileSync(path, content, { mode: 0o600 });
    env[name] = path;
  }
  return env;
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}
