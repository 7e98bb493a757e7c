/**
 * adapter_ablation: scales the adapter by lambda and traces how far the next-token
 * distribution moves from the lambda_min view. A healthy adapter moves roughly linearly,
 * saturates inside the band and keeps moving past lambda = 1 (overshoot).
 */
import { z } from 'zod';
import { divergence } from '../../core/divergence.js';
import { plainResult, safeFinalize } from '../../core/finalize.js';
import { linearR2, mean } from '../../core/stats.js';
import { zScore } from '../../core/zscore.js';
import { baseFields, distsForViews, nullStatsFor, requireBackend, signed } from '../common.js';
import { calibrate, clamp01, judgeEffect, zSuffix } from '../verdict.js';
import type { ProbeDefinition } from '../types.js';

export const AdapterAblationSpec = z
  .object({
    ...baseFields,
    kind: z.literal('adapter_ablation'),
    prompts: z.array(z.string()).default([]),
    lambdas: z.array(z.number()).min(3).default([0.0, 0.25, 0.5, 0.75, 1.0, 1.25]),
    divergence: z.enum(['js', 'kl']).default('js'),
    top_k: z.number().int().positive().nullable().default(null),
    assert_linearity_gte: z.number().default(0.85),
    assert_saturation_between: z.tuple([z.number(), z.number()]).default([0.3, 1.05]),
    assert_overshoot_gte: z.number().default(1.02),
    assert_z_gte: z.number().default(3.0),
  })
  .strict();
export type AdapterAblationSpec = z.infer<typeof AdapterAblationSpec>;

export function saturation(lambdas: readonly number[], curve: readonly number[]): [number | null, string] {
  if (curve.length === 0) return [null, 'flat_curve'];
  const maxDiv = Math.max(...curve);
  if (!Number.isFinite(maxDiv) || maxDiv <= 0) return [null, 'flat_curve'];
  const target = 0.9 * maxDiv;
  const idx = curve.findIndex((y) => y >= target);
  if (idx < 0) return [null, 'below_floor'];
  let mono = true;
  for (let i = 1; i <= idx; i++) if ((curve[i] as number) - (curve[i - 1] as number) < -1e-9) mono = false;
  return [lambdas[idx] as number, mono ? 'found' : 'non_monotonic'];
}

export function overshoot(lambdas: readonly number[], curve: readonly number[]): number {
  const one = lambdas.findIndex((l) => Math.abs(l - 1) <= 1e-6);
  const maxIdx = lambdas.indexOf(Math.max(...lambdas));
  if (one < 0 || maxIdx === one || (curve[one] as number) <= 0) return 1;
  return (curve[maxIdx] as number) / (curve[one] as number);
}

export const adapterAblation: ProbeDefinition<AdapterAblationSpec> = {
  kind: 'adapter_ablation',
  category: 'ablation',
  schema: AdapterAblationSpec,
  needsBackend: true,
  summary: 'divergence curve over adapter scales lambda: linearity (R²), saturation, overshoot',
  calibrateSpec: () => null,
  async run(spec, ctx) {
    if (spec.prompts.length === 0) return plainResult(spec.name, spec.kind, 'error', 'no prompts provided', { weight: spec.weight });
    const backend = requireBackend(ctx, spec.name);
    if (!backend.asScaledAdapter) {
      return plainResult(spec.name, spec.kind, 'skip', 'backend does not implement ScalableDifferentialBackend — adapter ablation requires LoRA-scale access', { weight: spec.weight });
    }
    const topK = spec.top_k ?? ctx.topK;
    const lamZero = Math.min(...spec.lambdas);
    const uniq = [...new Set([lamZero, ...spec.lambdas])];
    const dists = await distsForViews(backend, uniq.map((lambda) => ({ kind: 'scaled' as const, lambda })), spec.prompts, topK);
    const byLambda = new Map(uniq.map((l, i) => [l, dists[i]!]));
    const ref = byLambda.get(lamZero)!;
    const curve = spec.lambdas.map((l) => mean(spec.prompts.map((_, p) => divergence(ref[p]!, byLambda.get(l)![p]!, spec.divergence))));
    const linearity = linearR2(spec.lambdas, curve);
    const [sat, satReason] = saturation(spec.lambdas, curve);
    const over = overshoot(spec.lambdas, curve);
    const [lo, hi] = spec.assert_saturation_between;
    const okLin = linearity >= spec.assert_linearity_gte;
    const okSat = sat !== null && lo <= sat && sat <= hi && (satReason === 'found' || satReason === 'non_monotonic');
    const okOver = over >= spec.assert_overshoot_gte;
    const cal = calibrate(ctx, 'adapter_ablation', linearity);
    const z = cal.z;
    const clamp = clamp01;
    const shapeScore = 0.4 * clamp(linearity / Math.max(spec.assert_linearity_gte, 1e-6)) + 0.3 * (okSat ? 1 : 0.3) + 0.3 * clamp((over - 1) / 0.2);
    // The curve's shape only means something when the effect at lambda = 1 stands above noise:
    // with a delta_kl null available (JS, delta_kl's default), scale the shape score by that z.
    const oneIdx = spec.lambdas.findIndex((l) => Math.abs(l - 1) <= 1e-6);
    const effectZ = oneIdx >= 0 && lamZero === 0 && spec.divergence === 'js' ? zScore(curve[oneIdx] as number, nullStatsFor(ctx, 'delta_kl')) : null;
    const effectFactor = effectZ === null ? 1 : clamp(effectZ / 3);
    const { verdict, score } = judgeEffect(cal, spec.assert_z_gte, () => ({ verdict: okLin && okSat && okOver ? 'pass' : 'fail', score: shapeScore * effectFactor }));
    const failed: string[] = [];
    if (z === null) {
      if (!okLin) failed.push(`linearity R²=${linearity.toFixed(3)} < ${spec.assert_linearity_gte} (assert_linearity_gte)`);
      if (!okSat) failed.push(`${sat === null ? `saturation λ undetected (${satReason})` : `saturation λ=${sat.toFixed(2)}`} outside [${lo}, ${hi}] (assert_saturation_between)`);
      if (!okOver) failed.push(`overshoot=${over.toFixed(3)} < ${spec.assert_overshoot_gte} (assert_overshoot_gte)`);
    }
    const satText = sat !== null ? `sat_λ=${sat.toFixed(2)} (${okSat ? 'in' : 'out of'} band)` : `saturation undetected (${satReason})`;
    const effectText = effectZ !== null && effectFactor < 1 ? `, effect at λ=1 only ${signed(effectZ, 2)}σ above the delta_kl null` : '';
    const failText = failed.length ? ` — failed: ${failed.join('; ')}` : '';
    const message = `R²=${linearity.toFixed(2)}, ${satText}, overshoot=${over.toFixed(2)}${effectText}${failText}${zSuffix(cal)}`;
    return safeFinalize({
      name: spec.name,
      kind: spec.kind,
      verdict,
      score,
      raw: linearity,
      z_score: z,
      message,
      evidence: {
        lambdas: spec.lambdas,
        mean_divergence_per_lambda: curve,
        linearity,
        saturation_lambda: sat,
        saturation_reason: satReason,
        overshoot: over,
        passed_linearity: okLin,
        passed_saturation: okSat,
        passed_overshoot: okOver,
        weight: spec.weight,
        failed_checks: failed,
        ...cal.evidence,
        effect_z_at_1: effectZ,
      },
    });
  },
};
