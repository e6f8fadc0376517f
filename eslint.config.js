// ESLint flat config. Besides typescript-eslint's recommended rules it enforces the dependency
// directions of DESIGN.md ("Layers and folders"); test/unit/lint/dependency-rules.test.ts proves
// each rule fires.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importPlugin from 'eslint-plugin-import';
import { builtinModules } from 'node:module';

const src = (layer) => `./src/${layer}`;

/** Every folder under src/ (DESIGN.md "Layers and folders", plus config for the network file schema). */
const layers = ['core', 'protos', 'msp', 'policy', 'raft', 'storage', 'ledger', 'common', 'orderer', 'peer', 'transport', 'sim', 'node', 'net', 'config', 'cli'];

/** Layers below `src/` and what each may NOT import (import/no-restricted-paths zones). */
const zones = [
  // core imports nothing from src.
  { target: src('core'), from: './src', except: ['./core'], message: 'core imports nothing from src (DESIGN.md).' },
  // raft and policy are pure: only core.
  { target: src('raft'), from: './src', except: ['./core', './raft'], message: 'raft imports only core (DESIGN.md).' },
  { target: src('policy'), from: './src', except: ['./core', './policy'], message: 'policy imports only core (DESIGN.md).' },
  // orderer and peer see interfaces only, never a concrete transport, store, simulator or root.
  ...['common', 'orderer', 'peer'].flatMap((layer) =>
    ['transport/grpc', 'storage/level-kv-store.ts', 'sim', 'node', 'net', 'cli'].map((from) => ({
      target: src(layer),
      from: src(from),
      message: `${layer} sees interfaces only; composition roots choose ${from} (DESIGN.md).`,
    })),
  ),
  // common (what Fabric keeps in common/: channel config resources, the Deliver service) serves both
  // orderer and peer, so it imports neither.
  { target: src('common'), from: [src('orderer'), src('peer')], message: 'common is shared by orderer and peer and imports neither.' },
  // Nothing imports cli; only cli imports net.
  { target: layers.filter((l) => l !== 'cli').map(src), from: src('cli'), message: 'nothing imports cli (DESIGN.md).' },
  // config (the network file schema) is read by roots and the launcher; it imports only core (and the
  // pure policy parser, to check endorsement policies).
  { target: src('config'), from: './src', except: ['./core', './config', './policy'], message: 'config imports only core and policy.' },
  { target: layers.filter((l) => l !== 'cli' && l !== 'net').map(src), from: src('net'), message: 'only cli imports net (DESIGN.md).' },
];

const builtins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/** Packages that belong to one layer each: grpc-js to transport, raw protobuf classes to protos (and
 * transport, for service definitions), level to storage. */
const grpcBan = { name: '@grpc/grpc-js', message: 'gRPC lives only in src/transport (DESIGN.md).' };
const layerImportBans = {
  paths: [
    grpcBan,
    { name: 'level', message: 'level is used only by src/storage (DESIGN.md).' },
    { name: 'classic-level', message: 'level is used only by src/storage (DESIGN.md).' },
  ],
  patterns: [
    {
      group: ['@hyperledger/fabric-protos', '@hyperledger/fabric-protos/*'],
      message: 'Use the typed helpers in src/protos; only src/protos and src/transport touch raw protobuf classes (DESIGN.md).',
    },
  ],
};

/** The ban that keeps pure logic deterministic: no wall clock, no randomness, no timers, no I/O. */
const pureLayerRules = {
  'no-restricted-globals': [
    'error',
    ...['Date', 'setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate', 'queueMicrotask', 'performance', 'process', 'require', 'fetch', 'crypto'].map(
      (name) => ({ name, message: `${name} is banned in pure logic: inject a Clock, Rng or callback instead (DESIGN.md).` }),
    ),
  ],
  'no-restricted-properties': [
    'error',
    { object: 'Math', property: 'random', message: 'Math.random is banned in pure logic: inject an Rng (DESIGN.md).' },
  ],
  'no-restricted-imports': [
    'error',
    {
      paths: [
        ...layerImportBans.paths,
        ...builtins.map((name) => ({ name, message: 'node built-ins are banned in pure logic (DESIGN.md).' })),
      ],
      patterns: layerImportBans.patterns,
    },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', 'organizations/', '.fabsim/', 'scratch/', 'chaincode/*/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { import: importPlugin },
    settings: {
      'import/resolver': { typescript: { project: './tsconfig.json' }, node: true },
    },
    rules: {
      'import/no-restricted-paths': ['error', { zones }],
      'import/no-cycle': ['error', { maxDepth: 10 }],
      // An import the resolver cannot find would slip past no-restricted-paths; make it an error.
      'import/no-unresolved': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['src/**/*.ts'], ignores: ['src/transport/**'], rules: { 'no-restricted-imports': ['error', layerImportBans] } },
  { files: ['src/protos/**/*.ts', 'src/storage/**/*.ts'], rules: { 'no-restricted-imports': ['error', { paths: [grpcBan] }] } },
  { files: ['src/raft/**/*.ts', 'src/policy/**/*.ts', 'src/peer/validation/**/*.ts', 'src/peer/simulation/**/*.ts'], rules: pureLayerRules },
  // Chaincode packages compile with their own tsconfig (experimentalDecorators + emitDecoratorMetadata,
  // see chaincode/README.md). Telling the parser so keeps consistent-type-imports from turning the
  // `Context` import into `import type`, which would drop it from design:paramtypes.
  {
    files: ['chaincode/**/*.ts'],
    languageOptions: { parserOptions: { experimentalDecorators: true, emitDecoratorMetadata: true } },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
  },
);
