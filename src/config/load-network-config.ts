import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from './config-error.js';
import { networkConfigSchema, type NetworkConfig } from './network-config.js';

/** The default network, relative to the working directory (the repository root for `npm start`). */
export const DEFAULT_CONFIG_PATH = 'config/network.yaml';

/** Reads, parses and validates a network file. Throws ConfigError naming the file and the field. */
export function loadNetworkConfig(path: string = DEFAULT_CONFIG_PATH): NetworkConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError('CONFIG_NOT_FOUND', `cannot read network config ${path}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}; pass an existing file with --config`, {
      cause,
      context: { file: path },
    });
  }
  return parseNetworkConfig(text, path);
}

/** Parses and validates network-file text; `file` is used in messages only. */
export function parseNetworkConfig(text: string, file: string): NetworkConfig {
  const doc = parseDocument(text, { prettyErrors: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const pos = syntax.linePos?.[0];
    const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
    throw new ConfigError('CONFIG_YAML_SYNTAX', `${where}: not valid YAML: ${syntax.message.split('\n')[0]}`, { context: { file } });
  }
  const result = networkConfigSchema.safeParse(doc.toJS(), { reportInput: true });
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${formatPath(issue.path)}: expected ${describeIssue(issue)}`);
    throw new ConfigError('CONFIG_INVALID', `${file} is not a valid fabsim network config:\n${lines.join('\n')}`, { context: { file } });
  }
  return result.data;
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `no field named ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling)`;
    case 'invalid_type': {
      const expected = issue.path.length === 0 ? 'a mapping with "organizations" and "channels"' : issue.expected === 'int' ? 'a whole number' : `a ${issue.expected}`;
      return issue.input === undefined ? `${expected} (the field is required)` : `${expected}, got ${JSON.stringify(issue.input)}`;
    }
    default: {
      const input = (issue as { input?: unknown }).input;
      const shown = input === undefined || (typeof input === 'object' && input !== null) ? '' : `, got ${JSON.stringify(input)}`;
      return `${issue.message}${shown}`;
    }
  }
}
