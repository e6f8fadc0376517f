import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
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
  let cli: string;
  try {
    cli = join(dirname(createRequire(manifestPath).resolve('fabric-shim/package.json')), 'cli.js');
  } catch (err) {
    throw new ChaincodeLaunchError('CHAINCODE_PACKAGE_INVALID', `cannot find fabric-shim from ${packageDir}: ${messageOf(err)}; run npm install in the chaincode package`, {
      cause: err,
      context: { packageDir },
    });
  }
  const extra = direct?.[1]?.trim().split(/\s+/).filter((a) => a !== '') ?? [];
  return { command: process.execPath, args: [cli, 'start', ...extra, ...peerArgs, '--module-path', packageDir], launcher };
}

export class ChaincodeProcess {
  private exitInfo: ChaincodeExit | undefined;
  /** Resolves when the process is gone. */
  readonly exited: Promise<ChaincodeExit>;

  private constructor(
    readonly spec: ChaincodeProcessSpec,
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
    const packageDir = resolve(spec.packageDir);
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      CORE_CHAINCODE_ID_NAME: spec.chaincodeIdName,
      CORE_PEER_ADDRESS: spec.peerAddress,
      CORE_PEER_TLS_ENABLED: spec.tls === undefined ? 'false' : 'true',
      ...(spec.mspId === undefined ? {} : { CORE_PEER_LOCALMSPID: spec.mspId }),
      ...(spec.tls === undefined ? {} : writeTlsFiles(spec.tls, spec.tlsDir ?? join(dirname(resolve(spec.logFile)), `${safeName(spec.chaincodeIdName)}-tls`))),
      ...spec.env,
    };
    mkdirSync(dirname(resolve(spec.logFile)), { recursive: true });
    const logFd = openSync(spec.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(command.command, [...command.args], {
        cwd: packageDir,
        env,
        stdio: ['ignore', logFd, logFd],
        // npm start forks: give it its own process group so kill() reaches the chaincode too.
        detached: command.launcher === 'npm',
      });
    } finally {
      closeSync(logFd);
    }
    if (child.pid === undefined) {
      throw new ChaincodeLaunchError('CHAINCODE_SPAWN_FAILED', `could not start chaincode ${spec.chaincodeIdName} (${command.command}): the process did not spawn`, {
        context: { chaincode: spec.chaincodeIdName },
      });
    }
    child.on('error', () => undefined); // spawn errors surface as exit; keep them off the event loop's error path
    return new ChaincodeProcess(spec, command, child);
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
