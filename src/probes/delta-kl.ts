/**
 * delta_kl: mean per-prompt divergence between the base and fine-tuned next-token
 * distributions (one batched call per view), with a bootstrap CI, z-scored against the
 * null adapter when calibrated, else a fixed threshold.
 */
import { z } from 'zod';
import { divergence, divergenceDirection } from '../core/divergence.js';
import { plainResult, safeFinalize } from '../core/finalize.js';
import { fixed, pyFloat, signedFixed } from '../core/pyformat.js';
import { laxFloat, laxInt } from '../core/schema.js';
import { bootstrapCi, mean } from '../core/stats.js';
import { noCalibrationNote, scoreFromZ, verdictFromZ, zScore, zScoresByRank } from '../core/zscore.js';
import { getNullStats, getNullStatsByRank, requireBackend } from './context.js';
import { SENTINEL_PROMPTS, divergenceKindSchema, probeSchema } from './spec-base.js';
import type { ProbeDefinition, RunContext } from './types.js';
import { baseAndFtDists } from './views.js';

export const deltaKlSchema = probeSchema('delta_kl', {
  prompts: z.array(z.string()).default([]),
  divergence: divergenceKindSchema,
  top_k: laxInt.nullable().default(null),
  assert_mean_gte: laxFloat.default(0.02),
  assert_z_gte: laxFloat.default(3.0),
});
export type DeltaKlSpec = z.output<typeof deltaKlSchema>;

async function run(spec: DeltaKlSpec, ctx: RunContext) {
  const started = performance.now();
  if (spec.prompts.length === 0) {
    return plainResult(spec.name, spec.kind, 'error', "no prompts provided (inline 'prompts' was empty)", { weight: spec.weight });
  }
  const backend = requireBackend(ctx, spec.name);
  const topK = spec.top_k ?? ctx.topK;
  const [base, ft] = await baseAndFtDists(backend, spec.prompts, topK);
  const perPrompt = spec.prompts.map((_, i) => divergence(base[i]!, ft[i]!, spec.divergence));
  const raw = mean(perPrompt);
  const ci = bootstrapCi(perPrompt, { seed: ctx.seed });
  const z = zScore(raw, getNullStats(ctx, spec.kind));
  const zByRank = zScoresByRank(raw, getNullStatsByRank(ctx, spec.kind), 1);

  let verdict = verdictFromZ(z, spec.assert_z_gte);
  let score = scoreFromZ(z);
  let message: string;
  if (verdict !== null && z !== null) {
    message = `mean ${spec.divergence}=${fixed(raw, 4)}, z=${signedFixed(z, 2)}σ vs null`;
  } else {
    const ok = raw >= spec.assert_mean_gte;
    verdict = ok ? 'pass' : 'fail';
    score = Math.min(1, raw / (spec.divergence === 'js' ? Math.LN2 : 1.0));
    message = `mean ${spec.divergence}=${fixed(raw, 4)} (${ok ? '≥' : '<'} ${pyFloat(spec.assert_mean_gte)}) ${noCalibrationNote(spec.kind)}`;
  }
  return safeFinalize({
    name: spec.name,
    kind: spec.kind,
    verdict,
    score,
    raw,
    z_score: z,
    evidence: {
      divergence_kind: spec.divergence,
      divergence_direction: divergenceDirection(spec.divergence),
      per_prompt: perPrompt,
      max: Math.max(...perPrompt),
      num_prompts: perPrompt.length,
      weight: spec.weight,
      z_by_rank: zByRank,
      raw_ci_95: ci ? [...ci] : null,
    },
    message,
    ci_95: ci,
    duration_s: (performance.now() - started) / 1000,
  });
}

export const deltaKlProbe: ProbeDefinition<DeltaKlSpec> = {
  kind: 'delta_kl',
  category: 'adherence',
  schema: deltaKlSchema,
  needsBackend: true,
  summary: 'Mean next-token divergence (JS or KL(ft||base)) between base and fine-tuned views over the prompts.',
  run,
  calibrateSpec: (ctx) => deltaKlSchema.parse({ name: '_calibration', prompts: [...SENTINEL_PROMPTS], top_k: ctx.topK }),
};
