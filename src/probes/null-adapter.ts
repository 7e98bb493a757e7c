/**
 * null_adapter: calibrates the kinds after it (or `calibrate_kinds`) by running each
 * kind's own calibration spec under seeded null adapters, at every rank multiplier, and
 * publishes per-kind {mean, std, n, degenerate} for later probes to z-score against.
 */
import { z } from 'zod';
import type { NullStat } from '../core/results.js';
import { laxAnyFloat, laxBool, laxFloat, laxInt } from '../core/schema.js';
import { nullStatFromRaws } from '../core/zscore.js';
import { rankKey } from '../core/rank-profile.js';
import { pyG } from '../core/pyformat.js';
import { plainResult, safeFinalize } from '../core/finalize.js';
import { makeRunContext, requireBackend } from './context.js';
import { NullCalibrationProxy, prefetchKey } from './null-proxy.js';
import type { ViewSelector } from '../backends/contract.js';
import type { TokenDist } from '../core/results.js';
import { computeCacheKey, loadNullCache, saveNullCache } from './null-cache.js';
import { probeSchema } from './spec-base.js';
import type { ProbeDefinition, RunContext } from './types.js';

export const nullAdapterSchema = probeSchema('null_adapter', {
  runs: laxInt.pipe(z.number().min(1).max(10)).default(3),
  init_scale: laxFloat.default(0.02),
  seed_base: laxInt.default(1000),
  calibrate_kinds: z.array(z.string()).default([]),
  cache: laxBool.default(true),
  rank_multipliers: z.array(laxAnyFloat).default([1.0]),
});
export type NullAdapterSpec = z.output<typeof nullAdapterSchema>;

type StatsMap = Record<string, Required<NullStat>>;
interface Skip {
  kind: string;
  reason: string;
}
interface RankGroup {
  stats: StatsMap;
  samples: Record<string, number[]>;
  skipped: Skip[];
}

function pyRepr(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  return Number.isInteger(v) ? `${v}.0` : String(v);
}

function errText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

async function calibrateRank(
  spec: NullAdapterSpec,
  ctx: RunContext,
  kinds: readonly string[],
  mult: number,
  lookup: (kind: string) => ProbeDefinition | undefined,
  prefetched: ReadonlyMap<string, TokenDist>,
): Promise<RankGroup> {
  const backend = requireBackend(ctx, spec.name);
  const group: RankGroup = { stats: {}, samples: {}, skipped: [] };
  for (const kind of kinds) {
    const def = lookup(kind);
    if (!def) continue;
    let calSpec: ReturnType<NonNullable<ProbeDefinition['calibrateSpec']>> | null;
    try {
      calSpec = def.calibrateSpec ? def.calibrateSpec(ctx) : null;
    } catch (err) {
      group.skipped.push({ kind, reason: `calibrate_spec raised: ${(err as Error).message ?? String(err)}` });
      continue;
    }
    if (!calSpec) {
      group.skipped.push({ kind, reason: 'probe opted out (calibrate_spec returned None)' });
      continue;
    }
    const raws: number[] = [];
    const errors: string[] = [];
    for (let i = 0; i < spec.runs; i++) {
      const seed = spec.seed_base + i;
      const proxy = new NullCalibrationProxy(backend, { seed, initScale: spec.init_scale, rankScale: mult, prefetched });
      const calCtx = makeRunContext({
        backend: proxy,
        seed,
        topK: ctx.topK,
        sections: ctx.sections,
        docText: ctx.docText,
        specDir: ctx.specDir,
      });
      try {
        const result = await def.run(calSpec, calCtx);
        if (typeof result.raw === 'number' && Number.isFinite(result.raw)) raws.push(result.raw);
        else if (result.verdict === 'error') errors.push(`seed=${seed}: probe ERROR — ${result.message}`);
      } catch (err) {
        errors.push(`seed=${seed}: ${errText(err)}`);
      }
    }
    if (raws.length > 0) {
      group.stats[kind] = nullStatFromRaws(raws);
      group.samples[kind] = raws;
    } else {
      group.skipped.push({ kind, reason: `no finite raws across all seeds${errors[0] ? ` (${errors[0]})` : ''}` });
    }
  }
  return group;
}

function targetKinds(spec: NullAdapterSpec, ctx: RunContext, known: (k: string) => boolean): string[] {
  const start = spec.calibrate_kinds.length > 0 ? spec.calibrate_kinds : ctx.downstreamKinds.filter((k) => k && k !== 'null_adapter');
  const out: string[] = [];
  for (const k of start) if (k !== 'null_adapter' && !out.includes(k) && known(k)) out.push(k);
  return out;
}

async function run(spec: NullAdapterSpec, ctx: RunContext) {
  const started = performance.now();
  const backend = requireBackend(ctx, spec.name);
  if (!backend.asNullAdapter) {
    return plainResult(
      spec.name,
      spec.kind,
      'skip',
      'backend does not implement NullCalibratedBackend — numeric probes will fall back to fixed thresholds',
      { weight: spec.weight },
    );
  }
  const { getProbe } = await import('./registry.js');
  const kinds = targetKinds(spec, ctx, (k) => getProbe(k) !== undefined);
  const mults = spec.rank_multipliers.length > 0 ? spec.rank_multipliers : [1.0];
  if (mults.some((m) => !Number.isFinite(m) || m <= 0)) {
    return plainResult(spec.name, spec.kind, 'error', `rank_multipliers must be positive and finite; got [${mults.map(pyRepr).join(', ')}]`, {
      weight: spec.weight,
    });
  }

  let identity: string | null = null;
  if (spec.cache && backend.identity) {
    try {
      identity = backend.identity() || null;
    } catch {
      identity = null;
    }
  }
  const key = spec.cache
    ? computeCacheKey(identity, {
        runs: spec.runs,
        init_scale: spec.init_scale,
        seed_base: spec.seed_base,
        top_k: ctx.topK,
        kinds: [...kinds].sort(),
        rank_multipliers: [...mults].sort((a, b) => a - b),
        calibration_specs: Object.fromEntries(kinds.map((k) => [k, safeCalibrationSpec(getProbe(k), ctx)])),
      })
    : null;

  const cached = loadNullCache(key);
  if (cached) {
    const byRank = cached.null_stats_by_rank;
    const primary = byRank['rank_1.00'] ?? cached.null_stats;
    const n = Object.keys(primary).length;
    const ranks = Object.keys(byRank).length;
    return safeFinalize({
      name: spec.name,
      kind: spec.kind,
      verdict: 'pass',
      score: 1.0,
      evidence: {
        ...cached,
        null_stats: primary,
        null_stats_by_rank: byRank,
        skipped_kinds: [],
        calibrated_kinds: cached.calibrated_kinds ?? Object.keys(primary),
        weight: spec.weight,
        from_cache: true,
        cache_key: key,
      },
      message: ranks <= 1 ? `null calibration: ${n} kinds (loaded from cache)` : `null calibration: ${n} kinds × ${ranks} ranks (loaded from cache)`,
      criticalFields: [],
      duration_s: (performance.now() - started) / 1000,
    });
  }

  const prefetched = await prefetchNullDists(spec, ctx, kinds, mults, (k) => getProbe(k));
  const groups = new Map<string, RankGroup>();
  for (const mult of mults) {
    groups.set(rankKey(mult), await calibrateRank(spec, ctx, kinds, mult, (k) => getProbe(k), prefetched));
  }
  const primaryKey = groups.has('rank_1.00') ? 'rank_1.00' : rankKey(mults[0] as number);
  const primary = groups.get(primaryKey) as RankGroup;
  const byRank: Record<string, StatsMap> = {};
  for (const [k, g] of groups) byRank[k] = g.stats;
  const calibrated = kinds.filter((k) => k in primary.stats);

  saveNullCache(key, {
    null_stats: primary.stats,
    null_stats_by_rank: byRank,
    runs: spec.runs,
    init_scale: spec.init_scale,
    seed_base: spec.seed_base,
    rank_multipliers: mults,
    calibrated_kinds: calibrated,
  });

  const n = calibrated.length;
  let message =
    mults.length === 1
      ? `null calibration: ${n} kinds calibrated over ${spec.runs} seeds`
      : `null calibration: ${n} kinds × ${mults.length} ranks [${mults.map((m) => `${pyG(m)}x`).join(', ')}] over ${spec.runs} seeds`;
  if (primary.skipped.length > 0) message += ` (${primary.skipped.length} opted out)`;
  return safeFinalize({
    name: spec.name,
    kind: spec.kind,
    verdict: 'pass',
    score: 1.0,
    evidence: {
      null_stats: primary.stats,
      null_stats_by_rank: byRank,
      per_kind_raw_samples: primary.samples,
      skipped_kinds: primary.skipped,
      calibrated_kinds: calibrated,
      runs: spec.runs,
      init_scale: spec.init_scale,
      seed_base: spec.seed_base,
      rank_multipliers: mults,
      weight: spec.weight,
      from_cache: false,
    },
    message,
    criticalFields: [],
    duration_s: (performance.now() - started) / 1000,
  });
}

/**
 * For calibration specs that score a fixed prompt list (delta_kl, cluster_kl), computes
 * the base view and every seed × rank null view in one batched multi-view call, so the
 * per-seed runs read their dists from a table instead of one small forward each.
 */
async function prefetchNullDists(
  spec: NullAdapterSpec,
  ctx: RunContext,
  kinds: readonly string[],
  mults: readonly number[],
  lookup: (kind: string) => ProbeDefinition | undefined,
): Promise<Map<string, TokenDist>> {
  const table = new Map<string, TokenDist>();
  const backend = ctx.backend;
  if (!backend?.nextTokenDistViews) return table;
  for (const kind of kinds) {
    const cal = safeCalibrationSpec(lookup(kind), ctx) as { prompts?: unknown; top_k?: unknown } | null;
    if (!cal || !Array.isArray(cal.prompts) || !cal.prompts.every((p) => typeof p === 'string') || cal.prompts.length === 0) continue;
    const prompts = cal.prompts as string[];
    const topK = typeof cal.top_k === 'number' ? cal.top_k : ctx.topK;
    const views: ViewSelector[] = [{ kind: 'base' }];
    for (const rankScale of mults) {
      for (let i = 0; i < spec.runs; i++) views.push({ kind: 'null', seed: spec.seed_base + i, initScale: spec.init_scale, rankScale });
    }
    const todo = views.filter((v) => prompts.some((p) => !table.has(prefetchKey(v, p, topK))));
    if (todo.length === 0) continue;
    try {
      const dists = await backend.nextTokenDistViews(todo, prompts, topK);
      todo.forEach((v, vi) => prompts.forEach((p, pi) => table.set(prefetchKey(v, p, topK), dists[vi]![pi]!)));
    } catch {
      // The per-seed runs compute (and report) anything the batch could not.
    }
  }
  return table;
}

function safeCalibrationSpec(def: ProbeDefinition | undefined, ctx: RunContext): unknown {
  try {
    return def?.calibrateSpec?.(ctx) ?? null;
  } catch {
    return null;
  }
}

export const nullAdapterProbe: ProbeDefinition<NullAdapterSpec> = {
  kind: 'null_adapter',
  category: 'baseline',
  schema: nullAdapterSchema,
  needsBackend: true,
  summary: 'Calibrates later probes against seeded random (null) adapters of the same shape, per rank multiplier.',
  run,
};
