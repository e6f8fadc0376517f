import { z } from 'zod';
import { parseGoDuration } from '../core/go-duration.js';

/**
 * The ordering settings a channel's genesis block carries (configtx.yaml's `Orderer:` section:
 * BatchTimeout, BatchSize and EtcdRaft.Options), as the network file writes them:
 *
 *   orderer:                      # for every channel; a channel's own `orderer:` overrides field by field
 *     batchTimeout: 2s            # Go duration text: 500ms, 2s, 1m30s
 *     batchSize: { maxMessageCount: 10, absoluteMaxBytes: 99 MB, preferredMaxBytes: 512 KB }
 *     raft: { tickInterval: 500ms, electionTick: 10, heartbeatTick: 1, maxInflightBlocks: 5, snapshotIntervalSize: 16 MB }
 *
 * Sizes are bytes, or text with KB/MB/GB (powers of 1024, as configtx.yaml reads them). The
 * defaults are Fabric's test-network values.
 */

/** The resolved settings of one channel, in fabsim's units. */
export interface OrdererSettings {
  readonly batchTimeoutMs: number;
  readonly batchSize: { readonly maxMessageCount: number; readonly absoluteMaxBytes: number; readonly preferredMaxBytes: number };
  readonly raft: {
    readonly tickIntervalMs: number;
    readonly electionTick: number;
    readonly heartbeatTick: number;
    readonly maxInflightBlocks: number;
    readonly snapshotIntervalSizeBytes: number;
  };
}

/** Fabric's test-network configtx.yaml: BatchTimeout 2s, 10 messages, 99 MB, 512 KB; Raft 500ms, 10, 1, 5, 16 MB. */
export const DEFAULT_ORDERER_SETTINGS: OrdererSettings = {
  batchTimeoutMs: 2000,
  batchSize: { maxMessageCount: 10, absoluteMaxBytes: 99 * 1024 * 1024, preferredMaxBytes: 512 * 1024 },
  raft: { tickIntervalMs: 500, electionTick: 10, heartbeatTick: 1, maxInflightBlocks: 5, snapshotIntervalSizeBytes: 16 * 1024 * 1024 },
};

const UINT32_MAX = 4294967295;
const DURATION_HINT = 'a positive duration in Go syntax, such as "2s", "500ms" or "1m30s"';
const SIZE_HINT = 'a size in bytes such as 524288, or with a unit such as "512 KB" or "99 MB" (at most 4 GB - 1)';
const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };

/** A positive Go duration ("2s", "500ms", "1m30s"), kept as written. */
export const goDurationText = z.union([z.string(), z.number()], { error: DURATION_HINT }).transform((value, ctx) => {
  const ms = typeof value === 'string' ? parseGoDuration(value) : undefined;
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: DURATION_HINT, input: value });
    return z.NEVER;
  }
  return value as string;
});

const byteSize = z.union([z.number(), z.string()], { error: SIZE_HINT }).transform((value, ctx) => {
  const match = typeof value === 'string' ? /^(\d+)\s*([KMG]?B)?$/i.exec(value.trim()) : undefined;
  const bytes = typeof value === 'number' ? value : match ? Number(match[1]) * (SIZE_UNITS[(match[2] ?? '').toUpperCase()] ?? NaN) : NaN;
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > UINT32_MAX) {
    ctx.addIssue({ code: 'custom', message: SIZE_HINT, input: value });
    return z.NEVER;
  }
  return bytes;
});

/** A whole number from 1 to MaxUint32 (zod's .int() would report "expected a int"). */
const count = (what: string) =>
  z.number({ error: `a whole number (${what})` }).check((ctx) => {
    const n = ctx.value;
    const problem = !Number.isInteger(n) ? `a whole number (${what})` : n < 1 ? `at least 1 (${what})` : n > UINT32_MAX ? `at most ${UINT32_MAX} (${what})` : undefined;
    if (problem !== undefined) ctx.issues.push({ code: 'custom', message: problem, input: n });
  });

/** One `orderer:` section; every field optional (defaults and the network-wide section fill the gaps). */
export const ordererSettingsSchema = z.strictObject({
  batchTimeout: goDurationText.optional(),
  batchSize: z
    .strictObject({
      maxMessageCount: count('envelopes per block').optional(),
      absoluteMaxBytes: byteSize.optional(),
      preferredMaxBytes: byteSize.optional(),
    })
    .optional(),
  raft: z
    .strictObject({
      tickInterval: goDurationText.optional(),
      electionTick: count('Raft ticks').optional(),
      heartbeatTick: count('Raft ticks').optional(),
      maxInflightBlocks: count('append messages').optional(),
      snapshotIntervalSize: byteSize.optional(),
    })
    .optional(),
});

export type OrdererSettingsInput = z.infer<typeof ordererSettingsSchema>;

/** Layers the sections over the defaults, later ones winning field by field. */
export function resolveOrdererSettings(...sections: ReadonlyArray<OrdererSettingsInput | undefined>): OrdererSettings {
  let settings = DEFAULT_ORDERER_SETTINGS;
  for (const s of sections) {
    if (s === undefined) continue;
    const batchTimeoutMs = s.batchTimeout === undefined ? undefined : parseGoDuration(s.batchTimeout);
    const tickIntervalMs = s.raft?.tickInterval === undefined ? undefined : parseGoDuration(s.raft.tickInterval);
    settings = {
      batchTimeoutMs: batchTimeoutMs ?? settings.batchTimeoutMs,
      batchSize: {
        maxMessageCount: s.batchSize?.maxMessageCount ?? settings.batchSize.maxMessageCount,
        absoluteMaxBytes: s.batchSize?.absoluteMaxBytes ?? settings.batchSize.absoluteMaxBytes,
        preferredMaxBytes: s.batchSize?.preferredMaxBytes ?? settings.batchSize.preferredMaxBytes,
      },
      raft: {
        tickIntervalMs: tickIntervalMs ?? settings.raft.tickIntervalMs,
        electionTick: s.raft?.electionTick ?? settings.raft.electionTick,
        heartbeatTick: s.raft?.heartbeatTick ?? settings.raft.heartbeatTick,
        maxInflightBlocks: s.raft?.maxInflightBlocks ?? settings.raft.maxInflightBlocks,
        snapshotIntervalSizeBytes: s.raft?.snapshotIntervalSize ?? settings.raft.snapshotIntervalSizeBytes,
      },
    };
  }
  return settings;
}

/**
 * The rules Fabric applies to the merged settings (channelconfig validateBatchSize, etcdraft
 * VerifyConfigMetadata): PreferredMaxBytes <= AbsoluteMaxBytes and ElectionTick > HeartbeatTick.
 * Returns each violation with the field it concerns, for the caller to report at its path.
 */
export function ordererSettingsProblems(settings: OrdererSettings): Array<{ field: ['batchSize', 'preferredMaxBytes'] | ['raft', 'electionTick']; message: string }> {
  const problems: Array<{ field: ['batchSize', 'preferredMaxBytes'] | ['raft', 'electionTick']; message: string }> = [];
  const { batchSize, raft } = settings;
  if (batchSize.preferredMaxBytes > batchSize.absoluteMaxBytes) {
    problems.push({ field: ['batchSize', 'preferredMaxBytes'], message: `at most absoluteMaxBytes (${batchSize.absoluteMaxBytes}), as Fabric requires; got ${batchSize.preferredMaxBytes}` });
  }
  if (raft.electionTick <= raft.heartbeatTick) {
    problems.push({ field: ['raft', 'electionTick'], message: `more than heartbeatTick (${raft.heartbeatTick}), as Raft requires; got ${raft.electionTick}` });
  }
  return problems;
}
