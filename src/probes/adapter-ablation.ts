/**
 * adapter_ablation: scales the adapter by λ and measures how far each scaled view moves
 * from the smallest λ. A healthy adapter gives a smooth, growing curve (linearity as R²),
 * reaches 90% of its maximum divergence inside a sane λ band (saturation) and keeps
 * growing past λ=1 (overshoot).
 */
import { z } from 'zod';
import { divergence } from '../core/divergence.js';
import { plainResult, safeFinalize } from '../core/finalize.js';
import { fixed, signedFixed } from '../core/pyformat.js';
import { laxFloat, laxInt } from '../core/schema.js';
import { mean, rSquared } from '../core/stats.js';
import { noCalibrationNote, scoreFromZ, verdictFromZ, zScore, zScoresByRank } from '../core/zscore.js';
import type { ViewSelector } from '../backends/contract.js';
import { getNullStats, getNullStatsByRank, requireBackend } from './context.js';
import { divergenceKindSchema, probeSchema } from './spec-base.js';
import type { ProbeDefinition, RunContext } from './types.js';
import { distsForViews } from './views.js';

export const adapterAblationSchema = probeSchema('adapter_ablation', {
  prompts: z.array(z.string()).default([]),
  lambdas: z.array(laxFloat).min(3).default([0.0, 0.25, 0.5, 0.75, 1.0, 1.25]),
  divergence: divergenceKindSchema,
  top_k: laxInt.nullable().default(null),
  assert_linearity_gte: laxFloat.default(0.85),
  assert_saturation_between: z.tuple([laxFloat, laxFloat]).default([0.3, 1.05]),
  assert_overshoot_gte: laxFloat.default(1.02),
  assert_z_gte: laxFloat.default(3.0),
});
export type AdapterAblationSpec = z.output<typeof adapterAblationSchema>;

export type SaturationReason = 'found' | 'non_monotonic' | 'flat_curve' | 'below_floor';

/** First λ (in spec order) whose divergence reaches 90% of the curve's maximum. */
export function saturation(lambdas: readonly number[], y: readonly number[]): [number | null, SaturationReason] {
  if (y.length === 0) return [null, 'flat_curve'];
  const maxDiv = Math.max(...y);
  if (!Number.isFinite(maxDiv) || maxDiv <= 0) return [null, 'flat_curve'];
  const target = 0.9 * maxDiv;
  const idx = y.findIndex((v) => v >= target);
  if (idx < 0) return [null, 'below_floor'];
  let mono = true;
  for (let i = 1; i <= idx; i++) if ((y[i] as number) - (y[i - 1] as number) < -1e-9) mono = false;
  return [lambdas[idx] as number, mono ? 'found' : 'non_monotonic'];
}

/** div(λ_max) / div(λ≈1); 1.0 when there is no λ≈1, it is λ_max itself, or div(1) ≤ 0. */
export function overshoot(lambdas: readonly number[], y: readonly number[]): number {
  const one = lambdas.findIndex((l) => Math.abs(l - 1.0) <= 1e-6);
  let iMax = 0;
  lambdas.forEach((l, i) => {
    if (l > (lambdas[iMax] as number)) iMax = i;
  });
  if (one < 0 || iMax === one || (y[one] as number) <= 0) return 1.0;
  return (y[iMax] as number) / (y[one] as number);
}

async function run(spec: AdapterAblationSpec, ctx: RunContext) {
  const started = performance.now();
  if (spec.prompts.length === 0) return plainResult(spec.name, spec.kind, 'error', 'no prompts provided', { weight: spec.weight });
  const backend = requireBackend(ctx, spec.name);
  if (!backend.asScaledAdapter) {
    return plainResult(
      spec.name,
      spec.kind,
      'skip',
      'backend does not implement ScalableDifferentialBackend — adapter ablation requires LoRA-scale access',
      { weight: spec.weight },
    );
  }
  const topK = spec.top_k ?? ctx.topK;
  const lamZero = Math.min(...spec.lambdas);
  const views: ViewSelector[] = [{ kind: 'scaled', lambda: lamZero }, ...spec.lambdas.map((lambda) => ({ kind: 'scaled' as const, lambda }))];
  const dists = await distsForViews(backend, views, spec.prompts, topK);
  const ref = dists[0]!;
  const curve = spec.lambdas.map((_, li) => mean(spec.prompts.map((__, pi) => divergence(ref[pi]!, dists[li + 1]![pi]!, spec.divergence))));

  const linearity = rSquared(spec.lambdas, curve);
  const [sat, reason] = saturation(spec.lambdas, curve);
  const over = overshoot(spec.lambdas, curve);
  const [lo, hi] = spec.assert_saturation_between;
  const okLin = linearity >= spec.assert_linearity_gte;
  const okSat = sat !== null && lo <= sat && sat <= hi && (reason === 'found' || reason === 'non_monotonic');
  const okOver = over >= spec.assert_overshoot_gte;

  const z = zScore(linearity, getNullStats(ctx, spec.kind));
  const zByRank = zScoresByRank(linearity, getNullStatsByRank(ctx, spec.kind), 1);
  let verdict = verdictFromZ(z, spec.assert_z_gte);
  let score = scoreFromZ(z);
  const satText = sat === null ? `saturation undetected (${reason})` : `sat_λ=${fixed(sat, 2)} (${okSat ? 'in' : 'out of'} band)`;
  let message = `R²=${fixed(linearity, 2)}, ${satText}, overshoot=${fixed(over, 2)}`;
  if (verdict !== null && z !== null) {
    message += `, z=${signedFixed(z, 2)}σ vs null`;
  } else {
    verdict = okLin && okSat && okOver ? 'pass' : 'fail';
    const clamp = (v: number): number => Math.max(0, Math.min(1, v));
    score = 0.4 * clamp(linearity / Math.max(spec.assert_linearity_gte, 1e-6)) + 0.3 * (okSat ? 1.0 : 0.3) + 0.3 * clamp((over - 1) / 0.2);
    message += ` ${noCalibrationNote(spec.kind)}`;
  }
  return safeFinalize({
    name: spec.name,
    kind: spec.kind,
    verdict,
    score,
    raw: linearity,
    z_score: z,
    evidence: {
      lambdas: [...spec.lambdas],
      mean_divergence_per_lambda: curve,
      linearity,
      saturation_lambda: sat,
      saturation_reason: reason,
      overshoot: over,
      passed_linearity: okLin,
      passed_saturation: okSat,
      passed_overshoot: okOver,
      divergence_kind: spec.divergence,
      weight: spec.weight,
      z_by_rank: zByRank,
    },
    message,
    duration_s: (performance.now() - started) / 1000,
  });
}

export const adapterAblationProbe: ProbeDefinition<AdapterAblationSpec> = {
  kind: 'adapter_ablation',
  category: 'ablation',
  schema: adapterAblationSchema,
  needsBackend: true,
  summary: 'Scales the adapter over a λ grid: divergence curve linearity, saturation and overshoot.',
  run,
  // A null proxy has no scaled views, so there is nothing to calibrate.
  calibrateSpec: () => null,
};
