import { join } from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/repo.js';

/**
 * DESIGN.md's dependency directions are enforced by eslint.config.js. Each case lints a small
 * probe file as if it lived in a given layer and asserts which rule fires, so a config change that
 * silently disables a rule fails here.
 */
let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: REPO_ROOT });
});

async function rulesFiredFor(layerFile: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(REPO_ROOT, layerFile) });
  return (result?.messages ?? []).map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

describe('lint enforces the layer rules of DESIGN.md', () => {
  it('keeps policy and raft pure: no imports above core', async () => {
    expect(await rulesFiredFor('src/policy/probe.ts', "import { X509Msp } from '../msp/x509-msp.js';\nexport const x = X509Msp;\n")).toContain('import/no-restricted-paths');
    expect(await rulesFiredFor('src/raft/probe.ts', "import { Certificate } from '../msp/certificate.js';\nexport const x = Certificate;\n")).toContain('import/no-restricted-paths');
    expect(await rulesFiredFor('src/policy/probe.ts', "import { FabsimError } from '../core/errors.js';\nexport const x = FabsimError;\n")).toEqual([]);
  });

  it('bans the wall clock, randomness, timers and node built-ins in pure logic', async () => {
    expect(await rulesFiredFor('src/raft/probe.ts', 'export const t = Date.now();\n')).toContain('no-restricted-globals');
    expect(await rulesFiredFor('src/raft/probe.ts', 'export const r = Math.random();\n')).toContain('no-restricted-properties');
    expect(await rulesFiredFor('src/policy/probe.ts', 'setTimeout(() => undefined, 1);\n')).toContain('no-restricted-globals');
    expect(await rulesFiredFor('src/policy/probe.ts', "import { randomBytes } from 'node:crypto';\nexport const b = randomBytes(1);\n")).toContain('no-restricted-imports');
    expect(await rulesFiredFor('src/raft/probe.ts', "import { readFileSync } from 'fs';\nexport const f = readFileSync;\n")).toContain('no-restricted-imports');
    expect(await rulesFiredFor('src/peer/validation/probe.ts', 'export const t = Date.now();\n')).toContain('no-restricted-globals');
    // the same code is fine outside the pure layers
    expect(await rulesFiredFor('src/msp/probe.ts', 'export const t = Date.now();\n')).toEqual([]);
  });

  it('keeps core at the bottom', async () => {
    expect(await rulesFiredFor('src/core/probe.ts', "import { Certificate } from '../msp/certificate.js';\nexport const x = Certificate;\n")).toContain('import/no-restricted-paths');
  });

  it('keeps common shared: it imports neither orderer nor peer', async () => {
    expect(await rulesFiredFor('src/common/probe.ts', "import { BlockCutter } from '../orderer/block-cutter.js';\nexport const c = BlockCutter;\n")).toContain('import/no-restricted-paths');
    expect(await rulesFiredFor('src/common/probe.ts', "import type { KvStore } from '../storage/kv-store.js';\nexport type S = KvStore;\n")).toEqual([]);
  });

  it('keeps orderer and peer on interfaces: no level store, no gRPC transport', async () => {
    expect(await rulesFiredFor('src/orderer/probe.ts', "import { LevelKvStore } from '../storage/level-kv-store.js';\nexport const s = LevelKvStore;\n")).toContain('import/no-restricted-paths');
    expect(await rulesFiredFor('src/peer/probe.ts', "import { startGrpcServer } from '../transport/grpc/grpc-server.js';\nexport const s = startGrpcServer;\n")).toContain('import/no-restricted-paths');
    expect(await rulesFiredFor('src/orderer/probe.ts', "import type { KvStore } from '../storage/kv-store.js';\nexport type S = KvStore;\n")).toEqual([]);
  });

  it('lets nothing import the CLI, and only the CLI import the launcher', async () => {
    expect(await rulesFiredFor('src/msp/probe.ts', "import '../cli/main.js';\n")).toContain('import/no-restricted-paths');
    expect(await rulesFiredFor('src/msp/probe.ts', "import { generateCrypto } from '../net/generate-crypto.js';\nexport const g = generateCrypto;\n")).toContain('import/no-restricted-paths');
    expect(await rulesFiredFor('src/cli/probe.ts', "import { generateCrypto } from '../net/generate-crypto.js';\nexport const g = generateCrypto;\n")).toEqual([]);
  });

  it('keeps grpc-js in src/transport and raw protobuf classes in src/protos', async () => {
    expect(await rulesFiredFor('src/msp/probe.ts', "import * as grpc from '@grpc/grpc-js';\nexport const g = grpc;\n")).toContain('no-restricted-imports');
    expect(await rulesFiredFor('src/msp/probe.ts', "import { msp } from '@hyperledger/fabric-protos';\nexport const m = msp;\n")).toContain('no-restricted-imports');
    expect(await rulesFiredFor('src/protos/probe.ts', "import { msp } from '@hyperledger/fabric-protos';\nexport const m = msp;\n")).toEqual([]);
  });

  it('fails an import it cannot resolve, so no import slips past the zones', async () => {
    expect(await rulesFiredFor('src/peer/probe.ts', "import { GrpcTransport } from '../transport/grpc/not-yet.js';\nexport const t = GrpcTransport;\n")).toContain('import/no-unresolved');
  });
});
