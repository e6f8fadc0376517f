import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNetworkConfig } from '../../src/config/load-network-config.js';
import { ManualClock } from '../../src/core/clock.js';
import { loadSigningIdentity, type SigningIdentity } from '../../src/msp/signing-identity.js';
import { generateCrypto } from '../../src/net/generate-crypto.js';
import { generateGenesisBlocks, type ChannelGenesis } from '../../src/net/genesis-block.js';
import { channelResourcesFromBlock, MapChannelRegistry } from '../../src/common/channel-resources.js';
import { buildChannelHeader, buildEnvelope, buildPayload, computeTxId, HeaderType } from '../../src/protos/envelope.js';
import { buildSignatureHeader } from '../../src/protos/signature-header.js';
import { makeTempDir, REPO_ROOT } from './repo.js';

/**
 * A real network's material for orderer tests: `generateCrypto` + `generateGenesisBlocks` of the
 * default network plus a channel "lab" that holds Org1 only and has a 4 KB AbsoluteMaxBytes,
 * in a temp dir; a registry with both channels; a ManualClock; signers from the cryptogen tree.
 */

/** When the material is made (and the clock starts): 2026-06-01T09:30:00Z. */
export const NOW = Date.UTC(2026, 5, 1, 9, 30, 0);
export const LAB_MAX_BYTES = 4 * 1024;

export interface ChannelFixture {
  readonly cryptoDir: string;
  readonly clock: ManualClock;
  readonly registry: MapChannelRegistry;
  readonly genesis: ReadonlyMap<string, ChannelGenesis>;
  /** User1 (a client) or Admin of org1 / org2. */
  user(org: 'org1' | 'org2', name?: 'User1' | 'Admin'): Promise<SigningIdentity>;
  /** peer0 of org1: a channel member (and Reader) that is not a Writer. */
  peer(org: 'org1' | 'org2'): Promise<SigningIdentity>;
  cleanup(): void;
}

export async function makeChannelFixture(prefix: string): Promise<ChannelFixture> {
  const temp = makeTempDir(prefix);
  const cryptoDir = join(temp.dir, 'organizations');
  const text = readFileSync(join(REPO_ROOT, 'config/network.yaml'), 'utf8');
  const config = parseNetworkConfig(`${text}\n  - name: lab\n    organizations: [Org1]\n    orderer: { batchSize: { absoluteMaxBytes: 4 KB, preferredMaxBytes: 2 KB } }\n`, 'orderer-fixture.yaml');
  await generateCrypto(config, cryptoDir, { force: false, nowMs: NOW });
  const blocks = await generateGenesisBlocks(config, cryptoDir, { nowMs: NOW });
  const clock = new ManualClock(NOW);
  const registry = new MapChannelRegistry(await Promise.all(blocks.map((b) => channelResourcesFromBlock(b.block, clock))));
  const mspId = (org: string): string => `${org[0]?.toUpperCase()}${org.slice(1)}MSP`;
  return {
    cryptoDir,
    clock,
    registry,
    genesis: new Map(blocks.map((b) => [b.channelId, b])),
    user: (org, name = 'User1') => loadSigningIdentity(join(cryptoDir, 'peerOrganizations', `${org}.example.com`, 'users', `${name}@${org}.example.com`, 'msp'), mspId(org)),
    peer: (org) => loadSigningIdentity(join(cryptoDir, 'peerOrganizations', `${org}.example.com`, 'peers', `peer0.${org}.example.com`, 'msp'), mspId(org)),
    cleanup: temp.cleanup,
  };
}

export interface EnvelopeSpec {
  readonly channelId: string;
  /** ENDORSER_TRANSACTION by default. */
  readonly type?: number;
  readonly data?: Uint8Array;
  /** The channel header timestamp; null leaves it out. Defaults to the clock's time. */
  readonly timestampMs?: number | null;
  /** Overrides the creator written in the signature header (the signature stays the signer's). */
  readonly creator?: Uint8Array;
}

let nonceCounter = 0;

/** The unsigned payload bytes an envelope of `spec` would carry. */
export function payloadBytes(signer: SigningIdentity, spec: EnvelopeSpec, nowMs: number): Uint8Array {
  const nonce = new Uint8Array(24);
  new DataView(nonce.buffer).setUint32(0, ++nonceCounter);
  const creator = spec.creator ?? signer.serialized;
  const timestampMs = spec.timestampMs === null ? undefined : (spec.timestampMs ?? nowMs);
  const channelHeader = buildChannelHeader({
    type: spec.type ?? HeaderType.ENDORSER_TRANSACTION,
    channelId: spec.channelId,
    txId: computeTxId(nonce, creator),
    ...(timestampMs === undefined ? {} : { timestampMs }),
  });
  return buildPayload({ header: { channelHeader, signatureHeader: buildSignatureHeader({ creator, nonce }) }, data: spec.data ?? new TextEncoder().encode('a transaction') });
}

/** A signed Envelope's bytes, as a client SDK makes it. */
export function signedEnvelope(signer: SigningIdentity, spec: EnvelopeSpec, nowMs: number): Uint8Array {
  const payload = payloadBytes(signer, spec, nowMs);
  return buildEnvelope({ payload, signature: signer.sign(payload) });
}
