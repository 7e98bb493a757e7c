/**
 * delta_kl: mean next-token divergence between base and fine-tuned views over the given
 * prompts — "did the adapter move the distribution at all, more than a null adapter does?"
 */
import { z } from 'zod';
import { divergence, KL_DIRECTION } from '../../core/divergence.js';
import { safeFinalize, plainResult } from '../../core/finalize.js';
import type { TokenDist } from '../../core/results.js';
import { bootstrapCi, mean } from '../../core/stats.js';
import { baseFields, distsForViews, pyFloat, requireBackend, SENTINEL_PROMPTS } from '../common.js';
import { calibrate, judgeEffect, zSuffix } from '../verdict.js';
import type { ProbeDefinition } from '../types.js';

export const DeltaKlSpec = z
  .object({
    ...baseFields,
    kind: z.literal('delta_kl'),
    prompts: z.array(z.string()).default([]),
    divergence: z.enum(['js', 'kl']).default('js'),
    top_k: z.number().int().positive().nullable().default(null),
    assert_mean_gte: z.number().default(0.02),
    assert_z_gte: z.number().default(3.0),
  })
  .strict();
export type DeltaKlSpec = z.infer<typeof DeltaKlSpec>;

export const deltaKl: ProbeDefinition<DeltaKlSpec> = {
  kind: 'delta_kl',
  category: 'adherence',
  schema: DeltaKlSpec,
  needsBackend: true,
  summary: 'mean base-vs-ft next-token divergence (JS or KL) over prompts, z-scored against null adapters',
  calibrateSpec: (ctx) => DeltaKlSpec.parse({ name: '_calibration', kind: 'delta_kl', prompts: [...SENTINEL_PROMPTS], top_k: ctx.topK }),
  async run(spec, ctx) {
    if (spec.prompts.length === 0) return plainResult(spec.name, spec.kind, 'error', "no prompts provided (inline 'prompts' was empty)", { weight: spec.weight });
    const backend = requireBackend(ctx, spec.name);
    const topK = spec.top_k ?? ctx.topK;
    const [base, ft] = (await distsForViews(backend, [{ kind: 'base' }, { kind: 'ft' }], spec.prompts, topK)) as [TokenDist[], TokenDist[]];
    const perPrompt = spec.prompts.map((_, i) => divergence(base[i]!, ft[i]!, spec.divergence));
    const raw = mean(perPrompt);
    const ci = bootstrapCi(perPrompt, { seed: ctx.seed });
    const cal = calibrate(ctx, 'delta_kl', raw);
    const z = cal.z;
    const label = spec.divergence;
    const ok = raw >= spec.assert_mean_gte;
    const { verdict, score } = judgeEffect(cal, spec.assert_z_gte, () => ({ verdict: ok ? 'pass' : 'fail', score: Math.min(1, raw / (label === 'js' ? Math.LN2 : 1)) }));
    const message = z !== null ? `mean ${label}=${raw.toFixed(4)}${zSuffix(cal)}` : `mean ${label}=${raw.toFixed(4)} (${ok ? '≥' : '<'} ${pyFloat(spec.assert_mean_gte)})${zSuffix(cal)}`;
    return safeFinalize({
      name: spec.name,
      kind: spec.kind,
      verdict,
      score,
      raw,
      z_score: z,
      ci_95: ci,
      message,
      evidence: {
        divergence_kind: label,
        ...(label === 'kl' ? { divergence_direction: KL_DIRECTION } : {}),
        per_prompt: perPrompt,
        max: Math.max(...perPrompt),
        num_prompts: spec.prompts.length,
        weight: spec.weight,
        ...cal.evidence,
        raw_ci_95: ci,
      },
    });
  },
};
