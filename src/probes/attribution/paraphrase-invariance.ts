/**
 * paraphrase_invariance: does the adapter's lift on a gold answer survive rewording of
 * the prompt (generalisation), or appear only on the verbatim prompt (memorisation)?
 */
import { z } from 'zod';
import { plainResult, safeFinalize } from '../../core/finalize.js';
import { bootstrapCi, mean } from '../../core/stats.js';
import { noCalibrationNote, scoreFromZ, verdictFromZ, zScore, zScoresByRank } from '../../core/zscore.js';
import { baseFields, logprobsBaseFt, nullStatsByRankFor, nullStatsFor, requireBackend, signed } from '../common.js';
import type { ProbeDefinition } from '../types.js';
import { tokenEstimate } from './section-internalization.js';

const Case = z.object({ prompt: z.string(), gold: z.string(), paraphrases: z.array(z.string()).min(1) }).strict();

export const ParaphraseInvarianceSpec = z
  .object({
    ...baseFields,
    kind: z.literal('paraphrase_invariance'),
    cases: z.array(Case).default([]),
    intent: z.enum(['generalize', 'memorize', 'both']).default('generalize'),
    min_verbatim_lift: z.number().default(0.2),
    min_generalization_ratio: z.number().default(0.5),
    max_generalization_ratio_if_memorize: z.number().default(0.5),
    assert_z_gte: z.number().default(3.0),
  })
  .strict();
export type ParaphraseInvarianceSpec = z.infer<typeof ParaphraseInvarianceSpec>;

const clamp01 = (x: number) => Math.max(0, Math.min(1, x));

export const paraphraseInvariance: ProbeDefinition<ParaphraseInvarianceSpec> = {
  kind: 'paraphrase_invariance',
  category: 'attribution',
  schema: ParaphraseInvarianceSpec,
  needsBackend: true,
  summary: 'does the per-token lift on gold answers survive paraphrased prompts?',
  calibrateSpec: () =>
    ParaphraseInvarianceSpec.parse({
      name: '_calibration',
      kind: 'paraphrase_invariance',
      cases: [
        { prompt: 'The capital of France is', gold: ' Paris', paraphrases: ["What's the capital of France?", "Tell me about France's capital."] },
        { prompt: 'Two plus two equals', gold: ' four', paraphrases: ['Sum of two and two:', 'Add 2 and 2:'] },
      ],
    }),
  async run(spec, ctx) {
    if (!spec.cases.length) return plainResult(spec.name, spec.kind, 'error', 'no cases provided', { weight: spec.weight });
    const backend = requireBackend(ctx, spec.name);
    const pairs = spec.cases.flatMap((c) => [c.prompt, ...c.paraphrases].map((prompt) => ({ prompt, completion: c.gold })));
    const [base, ft] = await logprobsBaseFt(backend, pairs);
    let k = 0;
    const perCase = spec.cases.map((c) => {
      const t = Math.max(tokenEstimate(c.gold), 1);
      const lift = () => {
        const v = ((ft[k] as number) - (base[k] as number)) / t;
        k++;
        return v;
      };
      const verbatim = lift();
      const para = mean(c.paraphrases.map(() => lift()));
      return { prompt: c.prompt.slice(0, 80), verbatim_lift: verbatim, paraphrase_lift: para };
    });
    const verb = perCase.map((p) => p.verbatim_lift);
    const meanVerb = mean(verb);
    const meanPar = mean(perCase.map((p) => p.paraphrase_lift));
    const ratio = Math.abs(meanVerb) > 1e-9 ? meanPar / meanVerb : 0;
    const z = zScore(meanVerb, nullStatsFor(ctx, 'paraphrase_invariance'));
    const head = `verb=${signed(meanVerb)}, para=${signed(meanPar)}, ratio=${ratio.toFixed(2)}`;
    let verdict;
    let score;
    let message;
    if (z !== null) {
      verdict = verdictFromZ(z, spec.assert_z_gte)!;
      score = scoreFromZ(z);
      message = `${head}, z=${signed(z, 2)}σ vs null`;
    } else if (spec.intent === 'memorize') {
      verdict = meanVerb >= spec.min_verbatim_lift && ratio <= spec.max_generalization_ratio_if_memorize ? 'pass' : 'fail';
      score = clamp01(meanVerb / Math.max(spec.min_verbatim_lift, 1e-6));
      message = `${head} — intent=memorize ${noCalibrationNote('paraphrase_invariance')}`;
    } else {
      verdict = meanVerb >= spec.min_verbatim_lift && ratio >= spec.min_generalization_ratio ? 'pass' : 'fail';
      score = 0.5 * clamp01(ratio / Math.max(spec.min_generalization_ratio, 1e-6)) + 0.5 * clamp01(meanVerb / Math.max(spec.min_verbatim_lift, 1e-6));
      message = `${head} — intent=${spec.intent} ${noCalibrationNote('paraphrase_invariance')}`;
    }
    const ci = bootstrapCi(verb, { seed: ctx.seed });
    return safeFinalize({
      name: spec.name,
      kind: spec.kind,
      verdict: verdict as 'pass' | 'fail',
      score,
      raw: meanVerb,
      z_score: z,
      base_value: meanVerb,
      ft_value: meanPar,
      ci_95: ci,
      message,
      evidence: {
        verbatim_lift_mean: meanVerb,
        paraphrase_lift_mean: meanPar,
        generalization_ratio: ratio,
        intent: spec.intent,
        per_case: perCase.slice(0, 8),
        weight: spec.weight,
        z_by_rank: zScoresByRank(meanVerb, nullStatsByRankFor(ctx, 'paraphrase_invariance')),
        raw_ci_95: ci,
      },
    });
  },
};
