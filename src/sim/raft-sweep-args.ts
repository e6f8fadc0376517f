import { FabsimError } from '../core/errors.js';
import { ALL_FAULTS, FAULT_NAMES, isFaultName } from './fault-params.js';
import type { FaultName } from './fault-params.js';
import { DEFAULT_DURATION_S } from './raft-sweep.js';
import { defaultQuietMs } from './sim-run.js';

export interface SweepArgs {
  readonly seeds: readonly number[];
  readonly nodeCounts: readonly number[];
  readonly faults: readonly FaultName[];
  readonly durationMs: number;
  readonly quietMs: number;
  readonly verbose: boolean;
  readonly jobs: number;
  readonly help: boolean;
}

export const SWEEP_USAGE = `usage: npm run sim:raft -- [--seeds N | --seed S] [options]

Runs simulated Raft clusters on a virtual clock with injected faults, checking Raft's safety
invariants after every step. Every run replays exactly from its seed.

  --seeds N          run seeds first..first+N-1 (default 100)
  --first-seed S     first seed of --seeds (default 1)
  --seed S           run exactly one seed (a replay)
  --nodes 3|5        cluster size; repeat or use 3,5 for both (default: both)
  --faults LIST      comma list of ${ALL_FAULTS.join(',')} (all: the default),
                     plus ${FAULT_NAMES.filter((f) => !(ALL_FAULTS as readonly string[]).includes(f)).join(',')} (single-server membership changes, off by default), or none
  --duration SEC     simulated seconds per run (default ${DEFAULT_DURATION_S})
  --quiet SEC        fault-free tail of each run, to check recovery (default 30% of --duration, at most 3)
  --verbose          print the event trace (with --seed: a full replay)
  --jobs N           worker threads (default 1; figures do not depend on it)
  --help`;

function usageError(message: string): FabsimError {
  return new FabsimError('SIM_USAGE', `${message}\n\n${SWEEP_USAGE}`);
}

function positiveInt(flag: string, value: string | undefined, allowZero = false): number {
  const n = Number(value);
  if (value === undefined || !Number.isSafeInteger(n) || n < (allowZero ? 0 : 1)) throw usageError(`${flag} needs a ${allowZero ? 'non-negative' : 'positive'} integer, got ${value ?? 'nothing'}`);
  return n;
}

function seconds(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || !Number.isFinite(n) || n < 0) throw usageError(`${flag} needs a number of seconds, got ${value ?? 'nothing'}`);
  return Math.round(n * 1000);
}

/** Parses the command line of `npm run sim:raft`; throws a FabsimError (code SIM_USAGE) on bad input. */
export function parseSweepArgs(argv: readonly string[]): SweepArgs {
  let count = 100;
  let first = 1;
  let single: number | undefined;
  const nodeCounts: number[] = [];
  let faults: FaultName[] = [...ALL_FAULTS];
  let durationMs = DEFAULT_DURATION_S * 1000;
  let quietMs: number | undefined;
  let verbose = false;
  let jobs = 1;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const value = (): string | undefined => argv[++i];
    switch (flag) {
      case '--seeds':
        count = positiveInt(flag, value());
        break;
      case '--first-seed':
        first = positiveInt(flag, value(), true);
        break;
      case '--seed':
        single = positiveInt(flag, value(), true);
        break;
      case '--nodes':
        for (const part of (value() ?? '').split(',')) {
          const n = positiveInt(flag, part);
          if (n !== 3 && n !== 5) throw usageError(`--nodes takes 3 or 5, got ${n}`);
          if (!nodeCounts.includes(n)) nodeCounts.push(n);
        }
        break;
      case '--faults': {
        const list = value();
        if (list === undefined) throw usageError('--faults needs a list');
        faults = [];
        for (const name of list.split(',').map((s) => s.trim()).filter((s) => s !== '' && s !== 'none')) {
          if (name === 'all') faults.push(...ALL_FAULTS);
          else if (isFaultName(name)) faults.push(name);
          else throw usageError(`unknown fault "${name}"; the faults are ${FAULT_NAMES.join(', ')}`);
        }
        faults = FAULT_NAMES.filter((f) => faults.includes(f));
        break;
      }
      case '--duration':
        durationMs = seconds(flag, value());
        break;
      case '--quiet':
        quietMs = seconds(flag, value());
        break;
      case '--verbose':
        verbose = true;
        break;
      case '--jobs':
        jobs = positiveInt(flag, value());
        break;
      case '--help':
      case '-h':
        help = true;
        break;
      default:
        throw usageError(`unknown option ${flag}`);
    }
  }
  if (durationMs <= 0) throw usageError('--duration must be more than 0 seconds');
  if (quietMs !== undefined && quietMs > durationMs) throw usageError('--quiet cannot be longer than --duration');
  quietMs ??= defaultQuietMs(durationMs);
  const seeds = single !== undefined ? [single] : Array.from({ length: count }, (_, k) => first + k);
  return { seeds, nodeCounts: nodeCounts.length > 0 ? nodeCounts.sort((a, b) => a - b) : [3, 5], faults, durationMs, quietMs, verbose, jobs, help };
}
