#!/usr/bin/env node
// The `fabsim` command. fabsim ships TypeScript sources and runs them through tsx's
// loader, so a fresh clone works after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
