/**
 * calibration_drift: did the fine-tune damage general knowledge? Per-token change of the
 * gold answers' log-probability on a shipped pack of 200 short facts (data/calibration-facts.json,
 * written for this project), or on inline items.
 */
import { z } from 'zod';
import { plainResult, safeFinalize } from '../../core/finalize.js';
import { bootstrapCi, mean } from '../../core/stats.js';
import { tokenEstimate } from '../attribution/section-internalization.js';
import { baseFields, logprobsBaseFt, requireBackend, signed } from '../common.js';
import { calibrate, harmScore, harmText, judgeHarm, zSuffix } from '../verdict.js';
import { readPackageText } from '../package-data.js';
import type { ProbeDefinition } from '../types.js';

export const CalibrationDriftSpec = z
  .object({
    ...baseFields,
    kind: z.literal('calibration_drift'),
    pack: z.enum(['builtin']).default('builtin'),
    items_limit: z.number().int().positive().nullable().default(null),
    items: z.array(z.tuple([z.string(), z.string()])).default([]),
    assert_fraction_regressed_lt: z.number().default(0.15),
    assert_mean_delta_gte: z.number().default(-0.5),
    regression_nats: z.number().default(1.0),
    assert_z_gte: z.number().default(3.0),
  })
  .strict();
export type CalibrationDriftSpec = z.infer<typeof CalibrationDriftSpec>;

export function builtinPack(): [string, string][] {
  return (JSON.parse(readPackageText('data/calibration-facts.json')) as { items: [string, string][] }).items;
}

export const calibrationDrift: ProbeDefinition<CalibrationDriftSpec> = {
  kind: 'calibration_drift',
  category: 'calibration',
  schema: CalibrationDriftSpec,
  needsBackend: true,
  summary: 'general knowledge kept: per-token logprob change of gold answers on 200 short facts',
  calibrateSpec: () => CalibrationDriftSpec.parse({ name: '_calibration', kind: 'calibration_drift', items_limit: 10 }),
  async run(spec, ctx) {
    let items = spec.items.length ? spec.items : builtinPack();
    if (spec.items_limit !== null) items = items.slice(0, spec.items_limit);
    if (!items.length) return plainResult(spec.name, spec.kind, 'error', 'no calibration items', { weight: spec.weight });
    const backend = requireBackend(ctx, spec.name);
    const pairs = items.map(([prompt, completion]) => ({ prompt, completion }));
    const [base, ft] = await logprobsBaseFt(backend, pairs, (n) => ctx.progress?.(n, pairs.length, 'items'));
    const deltas = items.map(([, gold], i) => ((ft[i] as number) - (base[i] as number)) / Math.max(tokenEstimate(gold), 1));
    const regressed = items.map(([prompt, gold], i) => ({ prompt, gold, delta: deltas[i] as number })).filter((r) => r.delta < -spec.regression_nats);
    const frac = regressed.length / items.length;
    const md = mean(deltas);
    const ci = bootstrapCi(deltas.map((d) => (d < -spec.regression_nats ? 1 : 0)), { seed: ctx.seed });
    // Harm: a larger regressed fraction than the null's. z > 0 means fewer regressions than the null.
    const cal = calibrate(ctx, 'calibration_drift', frac, -1, 'upper');
    const z = cal.z;
    const pct = `${(frac * 100).toFixed(1)}%`;
    const md3 = `${signed(md, 3)}`;
    const ok = frac < spec.assert_fraction_regressed_lt && md >= spec.assert_mean_delta_gte;
    const { verdict, score } = judgeHarm(cal, spec.assert_z_gte, () => {
      // Each rule's harm relative to its limit; the worse one sets the score.
      const fracRatio = frac / Math.max(spec.assert_fraction_regressed_lt, 1e-6);
      const mdRatio = spec.assert_mean_delta_gte < 0 ? -md / -spec.assert_mean_delta_gte : md < spec.assert_mean_delta_gte ? 1 : 0;
      return { verdict: ok ? 'pass' : 'fail', score: ok ? Math.max(0.6, harmScore(Math.max(fracRatio, mdRatio))) : Math.min(0.59, harmScore(Math.max(fracRatio, mdRatio, 1))) };
    });
    return safeFinalize({
      name: spec.name,
      kind: spec.kind,
      verdict,
      score,
      raw: frac,
      z_score: z,
      ft_value: md,
      ci_95: ci,
      message:
        z !== null
          ? `${regressed.length}/${items.length} items regressed (frac=${pct}), mean_delta=${md3} nats/tok, ${harmText(verdict, spec.assert_z_gte)}${zSuffix(cal)}`
          : `${regressed.length}/${items.length} items regressed >${spec.regression_nats.toFixed(1)} nats (frac=${pct}, limit < ${(spec.assert_fraction_regressed_lt * 100).toFixed(1)}%), mean_delta=${md3} nats/tok (limit ≥ ${signed(spec.assert_mean_delta_gte, 2)})${zSuffix(cal)}`,
      evidence: {
        fraction_regressed: frac,
        mean_delta_nats: md,
        regressed_count: regressed.length,
        total_items: items.length,
        worst_offenders: [...regressed].sort((a, b) => a.delta - b.delta).slice(0, 5),
        regression_nats_threshold: spec.regression_nats,
        weight: spec.weight,
        question: 'harm',
        ...cal.evidence,
        raw_ci_95: ci,
      },
    });
  },
};
