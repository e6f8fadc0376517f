import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { hostName, type NetworkConfig } from '../config/network-config.js';
import { FabsimError } from '../core/errors.js';
import { organizationDir } from '../msp/cryptogen.js';
import { readMspFolder } from '../msp/load-msp-folder.js';
import type { MspConfig } from '../msp/msp-config.js';
import { buildChannelConfig, type ChannelConfigSpec } from '../protos/channel-config.js';
import { buildConfigBlock } from '../protos/config-block.js';
import { channelProfile, type ChannelMaterial } from './channel-profile.js';

/**
 * configtxgen's job for fabsim: each channel's genesis block (`configtxgen -profile
 * ChannelUsingRaft -outputBlock mychannel.block` in test-network), from the network file and the
 * crypto material `fabsim crypto generate` wrote. The orderers join a channel with this block.
 */

export type GenesisErrorCode = 'CRYPTO_MATERIAL_MISSING';

/** Fabric's nonce length (protoutil.CreateNonce). */
const NONCE_BYTES = 24;

export interface GenesisOptions {
  /** The channel header timestamp (whole seconds are kept). */
  readonly nowMs: number;
  /** Source of the nonce; node:crypto's by default. Inject one for reproducible blocks. */
  readonly randomBytes?: (length: number) => Uint8Array;
}

export interface ChannelGenesis {
  readonly channelId: string;
  readonly spec: ChannelConfigSpec;
  /** The `common.Block` bytes of block 0. */
  readonly block: Uint8Array;
}

/**
 * Reads what the channel profiles need from a cryptogen tree: every organization's `msp/` folder
 * (as Fabric's GetVerifyingMspConfig reads it) and every orderer's `tls/server.crt`.
 * Throws FabsimError CRYPTO_MATERIAL_MISSING, naming the path, when the material is not there.
 */
export async function readChannelMaterial(config: NetworkConfig, cryptoDir: string): Promise<ChannelMaterial> {
  const msps = new Map<string, MspConfig>();
  const ordererTlsCerts = new Map<string, string>();
  for (const org of config.organizations) {
    // The folder cryptogen (and generateCrypto) writes the organization to.
    const orgDir = organizationDir(cryptoDir, { kind: org.orderers.length > 0 ? 'orderer' : 'peer', domain: org.domain });
    await mustExist(join(orgDir, 'msp'), org.name, cryptoDir);
    msps.set(org.name, await readMspFolder(join(orgDir, 'msp'), org.mspId));
    for (const orderer of org.orderers) {
      const host = hostName(orderer, org);
      const certPath = join(orgDir, 'orderers', host, 'tls', 'server.crt');
      await mustExist(certPath, org.name, cryptoDir);
      ordererTlsCerts.set(host, await readFile(certPath, 'utf8'));
    }
  }
  return { msps, ordererTlsCerts };
}

/** The genesis block of every channel of the network file, in file order. */
export async function generateGenesisBlocks(config: NetworkConfig, cryptoDir: string, options: GenesisOptions): Promise<ChannelGenesis[]> {
  const material = await readChannelMaterial(config, cryptoDir);
  const random = options.randomBytes ?? ((n: number): Uint8Array => new Uint8Array(nodeRandomBytes(n)));
  return config.channels.map((channel) => {
    const spec = channelProfile(config, channel.name, material);
    const block = buildConfigBlock({ channelId: channel.name, configEnvelope: buildChannelConfig(spec), nonce: random(NONCE_BYTES), timestampMs: options.nowMs });
    return { channelId: channel.name, spec, block };
  });
}

async function mustExist(path: string, organization: string, cryptoDir: string): Promise<void> {
  const found = await stat(path).then(
    () => true,
    () => false,
  );
  if (!found) {
    throw new FabsimError<GenesisErrorCode>(
      'CRYPTO_MATERIAL_MISSING',
      `cannot build the genesis block: ${path} is missing (crypto material of ${organization}); run \`fabsim crypto generate --out ${cryptoDir}\` first`,
      { context: { organization, path } },
    );
  }
}
