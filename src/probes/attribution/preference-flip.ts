/**
 * preference_flip: for preference triples the base model ranked wrongly, did the
 * fine-tune flip the ranking (the effect DPO/ORPO training aims for)?
 */
import { z } from 'zod';
import type { ScoringView } from '../../backends/contract.js';
import { ProbeError } from '../../core/errors.js';
import { plainResult, safeFinalize } from '../../core/finalize.js';
import { bootstrapCi, mean } from '../../core/stats.js';
import { baseFields, logprobsBaseFt, requireBackend, signed } from '../common.js';
import { calibrate, clamp01, judgeEffect, zSuffix } from '../verdict.js';
import type { ProbeDefinition } from '../types.js';

const Triple = z.object({ prompt: z.string(), chosen: z.string(), rejected: z.string() }).strict();

export const PreferenceFlipSpec = z
  .object({
    ...baseFields,
    kind: z.literal('preference_flip'),
    triples: z.array(Triple).default([]),
    assert_flip_rate_gte: z.number().default(0.7),
    assert_z_gte: z.number().default(3.0),
    min_triples_for_decision: z.number().int().min(1).default(3),
  })
  .strict();
export type PreferenceFlipSpec = z.infer<typeof PreferenceFlipSpec>;


export const preferenceFlip: ProbeDefinition<PreferenceFlipSpec> = {
  kind: 'preference_flip',
  category: 'attribution',
  schema: PreferenceFlipSpec,
  needsBackend: true,
  summary: 'share of base-misranked preference triples whose ranking the fine-tune flipped',
  calibrateSpec: () =>
    PreferenceFlipSpec.parse({
      name: '_calibration',
      kind: 'preference_flip',
      min_triples_for_decision: 2,
      triples: [
        { prompt: 'The best pet is', chosen: 'a loyal dog', rejected: 'a rock' },
        { prompt: 'A good answer is', chosen: 'thoughtful', rejected: 'loud' },
        { prompt: 'The next step is', chosen: 'careful', rejected: 'reckless' },
      ],
    }),
  async run(spec, ctx) {
    const triples = spec.triples.length ? spec.triples : (ctx.sections ?? []).filter((s) => s.kind === 'preference').flatMap((s) => s.preferences);
    if (!triples.length) return plainResult(spec.name, spec.kind, 'skip', 'no preference triples (inline or from sections)', { weight: spec.weight });
    const backend = requireBackend(ctx, spec.name);
    const margin = (v: ScoringView, t: (typeof triples)[number]) => Promise.all([v.logprobOf(t.prompt, t.chosen), v.logprobOf(t.prompt, t.rejected)]).then(([c, r]) => c - r);
    const baseM: number[] = [];
    const ftM: number[] = [];
    const reasons: string[] = [];
    let dropped = 0;
    // Every triple × {chosen, rejected} × {base, ft} in one batch where the backend can;
    // a triple that raises ProbeError sends the probe down the per-triple path, which drops it alone.
    if (backend.logprobOfViews) {
      try {
        const [b, f] = await logprobsBaseFt(backend, triples.flatMap((t) => [{ prompt: t.prompt, completion: t.chosen }, { prompt: t.prompt, completion: t.rejected }]));
        triples.forEach((_, i) => {
          baseM.push((b[2 * i] as number) - (b[2 * i + 1] as number));
          ftM.push((f[2 * i] as number) - (f[2 * i + 1] as number));
        });
      } catch (err) {
        if (!(err instanceof ProbeError)) throw err;
      }
    }
    if (!baseM.length) for (const t of triples) {
      try {
        const b = await backend.asBase((v) => margin(v, t));
        const f = await backend.asFinetuned((v) => margin(v, t));
        baseM.push(b);
        ftM.push(f);
      } catch (err) {
        if (!(err instanceof ProbeError)) throw err;
        dropped++;
        if (reasons.length < 5) reasons.push(`${JSON.stringify(t.prompt.slice(0, 40))}: ${err.message}`);
      }
    }
    if (!baseM.length) {
      return plainResult(spec.name, spec.kind, 'error', `every triple raised ProbeError (${triples.length} total); no usable margins`, { dropped_triples: dropped, dropped_reasons: reasons, weight: spec.weight });
    }
    const wrong = baseM.map((m, i) => (m < 0 ? i : -1)).filter((i) => i >= 0);
    const flipped = wrong.filter((i) => (ftM[i] as number) > 0);
    const common = { dropped_triples: dropped, dropped_reasons: reasons, weight: spec.weight };
    if (wrong.length < spec.min_triples_for_decision) {
      const deltas = ftM.map((f, i) => f - (baseM[i] as number));
      const md = mean(deltas);
      const ci = bootstrapCi(deltas, { seed: ctx.seed });
      return safeFinalize({
        name: spec.name,
        kind: spec.kind,
        verdict: 'warn',
        score: clamp01(0.5 + md / 4),
        raw: md,
        z_score: null,
        base_value: mean(baseM),
        ft_value: mean(ftM),
        ci_95: ci,
        message: `only ${wrong.length} base-wrong triples < ${spec.min_triples_for_decision} required; reporting mean-margin-delta=${signed(md)}`,
        evidence: { base_wrong: wrong.length, total: triples.length, mean_margin_delta: md, ...common, z_by_rank: null, raw_ci_95: ci, null_fallback: 'the null calibrates flip_rate; mean-margin-delta is not z-scored against it' },
      });
    }
    const rate = flipped.length / wrong.length;
    const cal = calibrate(ctx, 'preference_flip', rate);
    const z = cal.z;
    const pct = `${(rate * 100).toFixed(2)}%`;
    const { verdict, score } = judgeEffect(cal, spec.assert_z_gte, () => ({ verdict: rate >= spec.assert_flip_rate_gte ? 'pass' : 'fail', score: Math.min(1, rate / Math.max(spec.assert_flip_rate_gte, 1e-6)) }));
    return safeFinalize({
      name: spec.name,
      kind: spec.kind,
      verdict,
      score,
      raw: rate,
      z_score: z,
      base_value: mean(baseM),
      ft_value: mean(ftM),
      message: z !== null ? `flip_rate=${pct} (${flipped.length}/${wrong.length})${zSuffix(cal)}` : `flip_rate=${pct} (${flipped.length}/${wrong.length} base-wrong triples flipped by ft)${zSuffix(cal)}`,
      evidence: { flip_rate: rate, flipped: flipped.length, base_wrong: wrong.length, total: triples.length, ...common, ...cal.evidence },
    });
  },
};
