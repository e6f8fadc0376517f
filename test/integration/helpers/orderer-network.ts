import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { parseNetworkConfig } from '../../../src/config/load-network-config.js';
import { loadSigningIdentity, type SigningIdentity } from '../../../src/msp/signing-identity.js';
import { generateCrypto } from '../../../src/net/generate-crypto.js';
import { generateGenesisBlocks } from '../../../src/net/genesis-block.js';
import { NodeProcess } from '../../../src/net/node-process.js';
import type { ChainStatus } from '../../../src/orderer/chain-status.js';
import { AtomicBroadcastConnection } from '../../../src/transport/grpc/atomic-broadcast-client.js';
import type { ClientTlsMaterial } from '../../../src/transport/grpc/tls-credentials.js';
import { freePort } from '../../helpers/free-port.js';
import { makeTempDir, REPO_ROOT } from '../../helpers/repo.js';
import { ParticipationClient } from '../../../src/transport/http/participation-client.js';

/**
 * N real orderer processes (`fabsim node start`) on free ports of 127.0.0.1, from a temp network
 * file with a short Raft tick, with crypto material and the genesis block of `mychannel` generated
 * into a temp dir; each orderer joined to the channel through its admin API. The network file also
 * has peer0.org1 and peer0.org2 on free ports, which tests start with startPeer. `cleanup()` kills
 * every process by PID and removes the temp dir: call it in afterAll/finally.
 */

export const CHANNEL = 'mychannel';
const READY_MARKER = '"event":"ready"';

export interface OrdererNetworkSettings {
  readonly orderers?: number;
  readonly batchTimeout?: string;
  readonly maxMessageCount?: number;
  readonly tickInterval?: string;
  /** Raft snapshot interval (e.g. "64 KB"): small values make a restarted orderer catch up by snapshot and block pulling. */
  readonly snapshotIntervalSize?: string;
  /** Chaincode definitions of the channel (network file syntax); peers validate against them. */
  readonly chaincodes?: ReadonlyArray<{ readonly name: string; readonly version?: string; readonly endorsementPolicy?: string; readonly path?: string; readonly ccaas?: string }>;
}

/** One of the two peers (peer0.org1, peer0.org2) the network file defines, on free ports. */
export interface PeerHandle {
  readonly index: number;
  readonly org: 'org1' | 'org2';
  readonly host: string;
  readonly port: number;
  readonly adminPort: number;
  readonly dataDir: string;
  readonly logFile: string;
  process: NodeProcess | undefined;
}

export interface OrdererHandle {
  readonly index: number;
  readonly host: string;
  readonly port: number;
  readonly adminPort: number;
  readonly dataDir: string;
  readonly logFile: string;
  process: NodeProcess | undefined;
}

export interface ChannelInfoResponse {
  readonly name: string;
  readonly height: number;
  readonly raftId: number;
  readonly raft: ChainStatus;
}

/** What a peer's admin API says about a channel (src/node/peer-channels.ts info). */
export interface PeerChannelInfo {
  readonly name: string;
  readonly height: number;
  readonly stateHash: string;
  /** The orderer the deliver client pulls from, or 'connecting'. */
  readonly orderer: string;
}

export class OrdererNetwork {
  private readonly connections = new Set<AtomicBroadcastConnection>();

  private constructor(
    readonly dir: string,
    readonly cryptoDir: string,
    readonly configPath: string,
    readonly genesisBlock: Uint8Array,
    readonly nodes: readonly OrdererHandle[],
    readonly peers: readonly PeerHandle[],
    private readonly removeDir: () => void,
  ) {}

  static async create(prefix: string, s: OrdererNetworkSettings = {}): Promise<OrdererNetwork> {
    const temp = makeTempDir(prefix);
    try {
      const count = s.orderers ?? 3;
      const ports: number[] = [];
      while (ports.length < count * 2 + 4) {
        const p = await freePort();
        if (!ports.includes(p)) ports.push(p);
      }
      const names = Array.from({ length: count }, (_, i) => (i === 0 ? 'orderer' : `orderer${i + 1}`));
      const network = {
        organizations: [
          { name: 'OrdererOrg', mspId: 'OrdererMSP', domain: 'example.com', orderers: names.map((name, i) => ({ name, port: ports[i] })) },
          { name: 'Org1', mspId: 'Org1MSP', domain: 'org1.example.com', peers: [{ name: 'peer0', port: ports[count * 2] }], users: ['User1'] },
          { name: 'Org2', mspId: 'Org2MSP', domain: 'org2.example.com', peers: [{ name: 'peer0', port: ports[count * 2 + 1] }], users: ['User1'] },
        ],
        channels: [{ name: CHANNEL, organizations: ['Org1', 'Org2'], chaincodes: s.chaincodes ?? [] }],
        orderer: {
          batchTimeout: s.batchTimeout ?? '200ms',
          batchSize: { maxMessageCount: s.maxMessageCount ?? 50 },
          raft: { tickInterval: s.tickInterval ?? '100ms', electionTick: 10, heartbeatTick: 1, ...(s.snapshotIntervalSize ? { snapshotIntervalSize: s.snapshotIntervalSize } : {}) },
        },
      };
      const text = stringify(network);
      const configPath = join(temp.dir, 'network.yaml');
      writeFileSync(configPath, text);
      const config = parseNetworkConfig(text, configPath);
      const cryptoDir = join(temp.dir, 'organizations');
      await generateCrypto(config, cryptoDir, { force: false, nowMs: Date.now() - 60_000 });
      const [genesis] = await generateGenesisBlocks(config, cryptoDir, { nowMs: Date.now() });
      const nodes = names.map((name, i) => ({
        index: i,
        host: `${name}.example.com`,
        port: ports[i]!,
        adminPort: ports[count + i]!,
        dataDir: join(temp.dir, 'data', `${name}.example.com`),
        logFile: join(temp.dir, 'logs', `${name}.example.com.log`),
        process: undefined,
      }));
      const peers = (['org1', 'org2'] as const).map((org, j) => ({
        index: j,
        org,
        host: `peer0.${org}.example.com`,
        port: ports[count * 2 + j]!,
        adminPort: ports[count * 2 + 2 + j]!,
        dataDir: join(temp.dir, 'data', `peer0.${org}.example.com`),
        logFile: join(temp.dir, 'logs', `peer0.${org}.example.com.log`),
        process: undefined,
      }));
      mkdirSync(join(temp.dir, 'logs'), { recursive: true });
      return new OrdererNetwork(temp.dir, cryptoDir, configPath, genesis!.block, nodes, peers, temp.cleanup);
    } catch (err) {
      temp.cleanup();
      throw err;
    }
  }

  node(i: number): OrdererHandle {
    const n = this.nodes[i];
    if (n === undefined) throw new Error(`no orderer #${i}`);
    return n;
  }

  async start(i: number): Promise<NodeProcess> {
    return this.startNode(this.node(i));
  }

  private async startNode(n: OrdererHandle | PeerHandle): Promise<NodeProcess> {
    n.process = await NodeProcess.start({
      name: n.host,
      command: process.execPath,
      args: [join(REPO_ROOT, 'bin/fabsim.mjs'), 'node', 'start', n.host, '--config', this.configPath, '--crypto', this.cryptoDir, '--data', n.dataDir, '--admin-port', String(n.adminPort)],
      cwd: REPO_ROOT,
      logFile: n.logFile,
      readyMarker: READY_MARKER,
      readyTimeoutMs: 60_000,
    });
    return n.process;
  }

  async startAll(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.start(n.index)));
  }

  /** SIGKILL by PID (a crash). */
  async kill(i: number): Promise<void> {
    await this.node(i).process?.kill();
  }

  /** SIGTERM by PID; resolves with the exit code. */
  async stop(i: number): Promise<number | null> {
    const p = this.node(i).process;
    if (p === undefined) return null;
    await p.stop();
    return (await p.exited).code;
  }

  running(): OrdererHandle[] {
    return this.nodes.filter((n) => n.process?.running === true);
  }

  /** A request to orderer i's channel participation API, as the orderer org's Admin (its TLS client certificate). */
  admin(i: number, method: string, path: string, body?: Uint8Array): Promise<{ status: number; json: unknown }> {
    const n = this.node(i);
    return this.adminRequest(n, join(this.cryptoDir, 'ordererOrganizations', 'example.com', 'users', 'Admin@example.com', 'tls'), method, path, body);
  }

  private adminRequest(n: OrdererHandle | PeerHandle, userTls: string, method: string, path: string, body?: Uint8Array): Promise<{ status: number; json: unknown }> {
    const read = (f: string): string => readFileSync(join(userTls, f), 'utf8');
    const client = new ParticipationClient({ host: '127.0.0.1', port: n.adminPort, servername: n.host, caPem: read('ca.crt'), certPem: read('client.crt'), keyPem: read('client.key'), timeoutMs: 10_000 });
    return client.request(method, path, body);
  }

  peer(j: number): PeerHandle {
    const p = this.peers[j];
    if (p === undefined) throw new Error(`no peer #${j}`);
    return p;
  }

  startPeer(j: number): Promise<NodeProcess> {
    return this.startNode(this.peer(j));
  }

  async killPeer(j: number): Promise<void> {
    await this.peer(j).process?.kill();
  }

  /** A request to peer j's channel admin API, as its org's Admin. */
  peerAdmin(j: number, method: string, path: string, body?: Uint8Array): Promise<{ status: number; json: unknown }> {
    const p = this.peer(j);
    return this.adminRequest(p, join(this.cryptoDir, 'peerOrganizations', `${p.org}.example.com`, 'users', `Admin@${p.org}.example.com`, 'tls'), method, path, body);
  }

  async joinPeer(j: number): Promise<void> {
    const r = await this.peerAdmin(j, 'POST', '/participation/v1/channels', this.genesisBlock);
    if (r.status !== 201) throw new Error(`joining ${this.peer(j).host} to ${CHANNEL}: HTTP ${r.status} ${JSON.stringify(r.json)}`);
  }

  async peerInfo(j: number): Promise<PeerChannelInfo | undefined> {
    try {
      const r = await this.peerAdmin(j, 'GET', `/participation/v1/channels/${CHANNEL}`);
      return r.status === 200 ? (r.json as PeerChannelInfo) : undefined;
    } catch {
      return undefined;
    }
  }

  async waitForPeerHeight(j: number, height: number, timeoutMs = 30_000): Promise<void> {
    await waitFor(`${this.peer(j).host} at height ${height}`, async () => ((await this.peerInfo(j))?.height ?? -1) >= height, timeoutMs);
  }

  /** A peer's signing identity (endorsements are signed with it). */
  peerIdentity(j: number): Promise<SigningIdentity> {
    const p = this.peer(j);
    return loadSigningIdentity(join(this.cryptoDir, 'peerOrganizations', `${p.org}.example.com`, 'peers', p.host, 'msp'), p.org === 'org1' ? 'Org1MSP' : 'Org2MSP');
  }

  peerLog(j: number): string {
    try {
      return readFileSync(this.peer(j).logFile, 'utf8');
    } catch {
      return '';
    }
  }

  async join(i: number): Promise<void> {
    const r = await this.admin(i, 'POST', '/participation/v1/channels', this.genesisBlock);
    if (r.status !== 201) throw new Error(`joining ${this.node(i).host} to ${CHANNEL}: HTTP ${r.status} ${JSON.stringify(r.json)}`);
  }

  async channelInfo(i: number): Promise<ChannelInfoResponse | undefined> {
    try {
      const r = await this.admin(i, 'GET', `/participation/v1/channels/${CHANNEL}`);
      return r.status === 200 ? (r.json as ChannelInfoResponse) : undefined;
    } catch {
      return undefined;
    }
  }

  /** The index of the leader every running orderer agrees on, or undefined. */
  async leader(): Promise<number | undefined> {
    const running = this.running();
    const infos = await Promise.all(running.map((n) => this.channelInfo(n.index)));
    const leaders = infos.map((info) => info?.raft.leader);
    const first = leaders[0];
    if (first === undefined || first === 0 || !leaders.every((l) => l === first)) return undefined;
    const idx = running.findIndex((_, k) => infos[k]?.raft.role === 'leader');
    return idx < 0 ? undefined : running[idx]!.index;
  }

  async waitForLeader(timeoutMs = 30_000): Promise<number> {
    let found: number | undefined;
    await waitFor('a Raft leader all running orderers agree on', async () => (found = await this.leader()) !== undefined, timeoutMs);
    return found!;
  }

  async waitForHeight(i: number, height: number, timeoutMs = 30_000): Promise<void> {
    await waitFor(`${this.node(i).host} at height ${height}`, async () => ((await this.channelInfo(i))?.height ?? -1) >= height, timeoutMs);
  }

  /** The TLS material a client uses: trusts the orderer TLS CA (no client certificate). */
  clientTls(): ClientTlsMaterial {
    return { serverCaPems: [readFileSync(join(this.cryptoDir, 'ordererOrganizations', 'example.com', 'tlsca', 'tlsca.example.com-cert.pem'), 'utf8')] };
  }

  connect(i: number): AtomicBroadcastConnection {
    const c = new AtomicBroadcastConnection(`127.0.0.1:${this.node(i).port}`, this.clientTls());
    this.connections.add(c);
    return c;
  }

  user(org: 'org1' | 'org2', name: 'User1' | 'Admin' = 'User1'): Promise<SigningIdentity> {
    const msp = join(this.cryptoDir, 'peerOrganizations', `${org}.example.com`, 'users', `${name}@${org}.example.com`, 'msp');
    return loadSigningIdentity(msp, org === 'org1' ? 'Org1MSP' : 'Org2MSP');
  }

  ordererIdentity(i: number): Promise<SigningIdentity> {
    return loadSigningIdentity(join(this.cryptoDir, 'ordererOrganizations', 'example.com', 'orderers', this.node(i).host, 'msp'), 'OrdererMSP');
  }

  log(i: number): string {
    try {
      return readFileSync(this.node(i).logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** Kills every process by PID, closes clients, removes the temp dir. */
  async cleanup(options: { keepDir?: boolean } = {}): Promise<void> {
    for (const c of this.connections) c.close();
    await Promise.all([...this.nodes, ...this.peers].map((n) => n.process?.kill()));
    if (!options.keepDir) this.removeDir();
  }
}

/** Polls `condition` (every 50 ms) until it holds; fails naming `what` after `timeoutMs`. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
