/**
 * null_adapter: runs the other probes' calibration specs with the fine-tuned view replaced
 * by seeded random adapters of the same shape and (by default) the same per-module update
 * norm, and publishes per-kind mean/std and samples (per rank multiplier) so later probes
 * can z-score their raw metric against noise of the adapter's own strength.
 */
import { z } from 'zod';
import { plainResult, safeFinalize } from '../../core/finalize.js';
import type { NullStat } from '../../core/results.js';
import { mean, populationStd } from '../../core/stats.js';
import { formatMultiplier, rankKey } from '../../core/zscore.js';
import { baseFields, requireBackend } from '../common.js';
import { NullCalibrationProxy } from '../null-proxy.js';
import type { NullAdapterOptions, ViewSelector } from '../../backends/contract.js';
import type { BaseProbeSpec, ProbeDefinition, RunContext } from '../types.js';
import { loadNullCache, nullCacheKey, saveNullCache } from './null-cache.js';

export const NullAdapterSpec = z
  .object({
    ...baseFields,
    kind: z.literal('null_adapter'),
    runs: z.number().int().min(1).max(10).default(3),
    null_scale: z.enum(['matched', 'init']).default('matched'),
    init_scale: z.number().default(0.02),
    seed_base: z.number().int().default(1000),
    calibrate_kinds: z.array(z.string()).default([]),
    cache: z.boolean().default(true),
    rank_multipliers: z.array(z.number()).default([1.0]),
  })
  .strict();
export type NullAdapterSpec = z.infer<typeof NullAdapterSpec>;

/** The registry lookup the null probe needs (injected to avoid an import cycle). */
export type ProbeLookup = (kind: string) => ProbeDefinition | undefined;

export function statsOf(raws: readonly number[]): NullStat {
  const rawStd = raws.length > 1 ? populationStd(raws) : 0;
  return { mean: mean(raws), std: Math.max(rawStd, 1e-6), n: raws.length, degenerate: raws.length <= 1 || rawStd === 0 ? 1 : 0, values: [...raws] };
}

/** How reports name the null family a calibration used. */
export function nullFamilyLabel(scale: 'matched' | 'init', initScale: number): string {
  return scale === 'matched' ? 'strength-matched (per-module ||B·A||_F of the adapter)' : `fixed init scale (N(0, ${initScale}²) A and B, the reference's nulls)`;
}

function nullOptions(spec: NullAdapterSpec, mult: number): NullAdapterOptions {
  return spec.null_scale === 'init' ? { scale: 'init', initScale: spec.init_scale, rankScale: mult } : { scale: 'matched', rankScale: mult };
}

/**
 * The spec a kind is calibrated with: the first later suite entry of that kind, re-run
 * under null views (so raw and null are measured on the same prompts), or the probe's own
 * small calibration spec when the kind is not in the suite or opts out.
 */
export function calibrationSpecFor(def: ProbeDefinition, ctx: RunContext): BaseProbeSpec | null {
  if (!def.calibrateSpec) return null;
  const fallback = def.calibrateSpec(ctx);
  if (!fallback) return null;
  const entry = ctx.downstreamEntries?.find((e) => e['kind'] === def.kind && e['enabled'] !== false);
  if (!entry) return fallback;
  const parsed = def.schema.safeParse({ ...entry, name: '_calibration' });
  return parsed.success ? parsed.data : fallback;
}

/**
 * For calibrations that score a fixed prompt list, asks for the base view and every
 * seed × rank null view of those prompts in one multi-view batch. Backends that cache
 * their answers (the local engine does) then serve each per-seed calibration run from
 * that batch instead of one forward per seed; for others this is skipped.
 */
async function prefetchNullViews(spec: NullAdapterSpec, ctx: RunContext, kinds: string[], mults: number[], specs: Record<string, BaseProbeSpec | null>): Promise<void> {
  const backend = ctx.backend;
  if (!backend?.nextTokenDistViews || !backend.stats) return;
  const views: ViewSelector[] = [{ kind: 'base' }];
  for (const m of mults) for (let run = 0; run < spec.runs; run++) views.push({ kind: 'null', seed: spec.seed_base + run, ...nullOptions(spec, m) });
  for (const kind of kinds) {
    const s = specs[kind] as (BaseProbeSpec & { prompts?: unknown; top_k?: number | null }) | null;
    if (!s || !Array.isArray(s.prompts) || !s.prompts.length || !s.prompts.every((p) => typeof p === 'string')) continue;
    try {
      await backend.nextTokenDistViews(views, s.prompts as string[], s.top_k ?? ctx.topK);
    } catch {
      /* the per-seed runs will report the problem */
    }
  }
}

interface RankGroup {
  stats: Record<string, NullStat>;
  samples: Record<string, number[]>;
  skipped: { kind: string; reason: string }[];
}

/** Counts null runs (kinds × seeds × rank multipliers) for RunContext.progress. */
interface RunCounter {
  done: number;
  total: number;
}

async function calibrateAtRank(spec: NullAdapterSpec, ctx: RunContext, kinds: string[], mult: number, lookup: ProbeLookup, runs: RunCounter): Promise<RankGroup> {
  const backend = requireBackend(ctx, spec.name);
  const group: RankGroup = { stats: {}, samples: {}, skipped: [] };
  for (const kind of kinds) {
    const def = lookup(kind)!;
    let calSpec;
    try {
      calSpec = calibrationSpecFor(def, ctx);
    } catch (err) {
      group.skipped.push({ kind, reason: `calibrate_spec raised: ${(err as Error).message}` });
      runs.total -= spec.runs;
      continue;
    }
    if (!calSpec) {
      group.skipped.push({ kind, reason: 'probe opted out (calibrate_spec returned None)' });
      runs.total -= spec.runs;
      continue;
    }
    const raws: number[] = [];
    let firstError: string | null = null;
    for (let run = 0; run < spec.runs; run++) {
      const seed = spec.seed_base + run;
      // The calibration run reports no progress of its own: this probe counts whole runs.
      const { progress: _own, ...outer } = ctx;
      const calCtx: RunContext = {
        ...outer,
        backend: new NullCalibrationProxy(backend, seed, nullOptions(spec, mult)),
        seed,
        nullStats: {},
        nullStatsByRank: {},
        downstreamKinds: [],
      };
      try {
        const r = await def.run(calSpec, calCtx);
        if (typeof r.raw === 'number' && Number.isFinite(r.raw)) raws.push(r.raw);
        else if (r.verdict === 'error') firstError ??= `seed=${seed}: probe ERROR — ${r.message}`;
      } catch (err) {
        firstError ??= `seed=${seed}: ${(err as Error).name}: ${(err as Error).message}`;
      }
      ctx.progress?.(++runs.done, runs.total, 'runs');
    }
    if (raws.length) {
      group.stats[kind] = statsOf(raws);
      group.samples[kind] = raws;
    } else {
      group.skipped.push({ kind, reason: `no finite raws across all seeds${firstError ? ` (${firstError})` : ''}` });
    }
  }
  return group;
}

export function makeNullAdapter(lookup: ProbeLookup): ProbeDefinition<NullAdapterSpec> {
  return {
    kind: 'null_adapter',
    category: 'baseline',
    schema: NullAdapterSpec,
    needsBackend: true,
    summary: 'calibrates later probes against seeded random adapters of the same shape and per-module strength (null distribution per kind and rank multiplier)',
    async run(spec, ctx) {
      const backend = requireBackend(ctx, spec.name);
      const warn = ctx.warn ?? ((): void => undefined);
      if (!backend.asNullAdapter) {
        return plainResult(spec.name, spec.kind, 'skip', 'backend does not implement NullCalibratedBackend — numeric probes will fall back to fixed thresholds', { weight: spec.weight });
      }
      const wanted = spec.calibrate_kinds.length ? spec.calibrate_kinds : ctx.downstreamKinds.filter((k) => k && k !== 'null_adapter');
      const kinds = [...new Set(wanted)].filter((k) => k !== 'null_adapter' && lookup(k));
      const mults = spec.rank_multipliers.length ? spec.rank_multipliers : [1.0];
      if (mults.some((m) => !Number.isFinite(m) || m <= 0)) {
        return plainResult(spec.name, spec.kind, 'error', `rank_multipliers must be positive and finite; got [${mults.join(', ')}]`, { weight: spec.weight });
      }
      const calibrationSpecs = Object.fromEntries(kinds.map((k) => [k, calibrationSpecFor(lookup(k)!, ctx)]));
      const key = spec.cache
        ? nullCacheKey(backend.identity?.() ?? null, { runs: spec.runs, null_scale: spec.null_scale, init_scale: spec.init_scale, seed_base: spec.seed_base, top_k: ctx.topK, kinds: [...kinds].sort(), rank_multipliers: [...mults].sort((a, b) => a - b), calibration_specs: calibrationSpecs })
        : null;
      const cached = key ? loadNullCache(key, warn) : null;
      const family = { null_scale: spec.null_scale, null_family: nullFamilyLabel(spec.null_scale, spec.init_scale) };
      const familyShort = spec.null_scale === 'matched' ? 'strength-matched nulls' : `init-scale nulls, std ${spec.init_scale}`;
      if (cached) {
        const byRank = cached['null_stats_by_rank'] as Record<string, Record<string, NullStat>>;
        const primary = byRank['rank_1.00'] ?? (cached['null_stats'] as Record<string, NullStat> | undefined) ?? {};
        const ranks = Object.keys(byRank).length;
        return safeFinalize({
          name: spec.name,
          kind: spec.kind,
          verdict: 'pass',
          score: 1,
          message: `null calibration: ${Object.keys(primary).length} kinds${ranks > 1 ? ` × ${ranks} ranks` : ''} (loaded from cache; ${familyShort})`,
          evidence: { ...cached, null_stats: primary, null_stats_by_rank: byRank, skipped_kinds: [], calibrated_kinds: Object.keys(primary), weight: spec.weight, from_cache: true, ...family },
        });
      }
      await prefetchNullViews(spec, ctx, kinds, mults, calibrationSpecs);
      const byRank: Record<string, Record<string, NullStat>> = {};
      const groups = new Map<string, RankGroup>();
      const runs: RunCounter = { done: 0, total: kinds.length * spec.runs * mults.length };
      for (const m of mults) {
        const g = await calibrateAtRank(spec, ctx, kinds, m, lookup, runs);
        groups.set(rankKey(m), g);
        byRank[rankKey(m)] = g.stats;
      }
      const primary = groups.get('rank_1.00') ?? groups.get(rankKey(mults[0] as number))!;
      if (key) {
        saveNullCache(key, { backend_identity: backend.identity?.() ?? null, null_stats: primary.stats, null_stats_by_rank: byRank, runs: spec.runs, null_scale: spec.null_scale, init_scale: spec.init_scale, seed_base: spec.seed_base, rank_multipliers: mults, calibrated_kinds: Object.keys(primary.stats) }, warn);
      }
      const n = Object.keys(primary.stats).length;
      const head = mults.length === 1 ? `null calibration: ${n} kinds calibrated over ${spec.runs} seeds` : `null calibration: ${n} kinds × ${mults.length} ranks [${mults.map((m) => `${formatMultiplier(m)}x`).join(', ')}] over ${spec.runs} seeds`;
      return safeFinalize({
        name: spec.name,
        kind: spec.kind,
        verdict: 'pass',
        score: 1,
        message: `${head}, ${familyShort}${primary.skipped.length ? ` (${primary.skipped.length} opted out)` : ''}`,
        evidence: {
          null_stats: primary.stats,
          null_stats_by_rank: byRank,
          per_kind_raw_samples: primary.samples,
          skipped_kinds: primary.skipped,
          calibrated_kinds: Object.keys(primary.stats),
          runs: spec.runs,
          init_scale: spec.init_scale,
          seed_base: spec.seed_base,
          rank_multipliers: mults,
          weight: spec.weight,
          from_cache: false,
          ...family,
        },
      });
    },
  };
}
