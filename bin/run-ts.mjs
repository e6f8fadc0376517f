#!/usr/bin/env node
// Runs one TypeScript file (a benchmark or a script) with tsx's loader:
//   node bin/run-ts.mjs path/to/file.ts [args...]
import { register } from 'tsx/esm/api';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bin/run-ts.mjs FILE.ts [args...]');
  process.exit(2);
}
process.argv = [process.argv[0], resolve(file), ...args];
register();
await import(pathToFileURL(resolve(file)).href);
