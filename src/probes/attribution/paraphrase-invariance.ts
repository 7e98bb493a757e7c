/**
 * paraphrase_invariance: does the adapter's lift on a gold answer survive rewording of
 * the prompt (generalisation), or appear only on the verbatim prompt (memorisation)?
 */
import { z } from 'zod';
import { plainResult, safeFinalize } from '../../core/finalize.js';
import { bootstrapCi, mean } from '../../core/stats.js';
import { scoreFromZ } from '../../core/zscore.js';
import { baseFields, logprobsBaseFt, requireBackend, signed } from '../common.js';
import { calibrate, clamp01, zSuffix } from '../verdict.js';
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
    const cal = calibrate(ctx, 'paraphrase_invariance', meanVerb);
    const z = cal.z;
    const head = `verb=${signed(meanVerb)}, para=${signed(meanPar)}, ratio=${ratio.toFixed(2)}`;
    // The lift itself: z against the null when calibrated, else the absolute min_verbatim_lift.
    const liftOk = z !== null ? z >= spec.assert_z_gte : meanVerb >= spec.min_verbatim_lift;
    const liftScore = z !== null ? (scoreFromZ(z) ?? 0) : clamp01(meanVerb / Math.max(spec.min_verbatim_lift, 1e-6));
    // The question `intent` asks is answered by the generalisation ratio, calibrated or not.
    const memorize = spec.intent === 'memorize';
    const ratioOk = memorize ? ratio <= spec.max_generalization_ratio_if_memorize : ratio >= spec.min_generalization_ratio;
    const ratioRule = memorize ? `ratio ${ratioOk ? '≤' : '>'} ${spec.max_generalization_ratio_if_memorize}` : `ratio ${ratioOk ? '≥' : '<'} ${spec.min_generalization_ratio}`;
    const ratioScore = memorize ? (ratioOk ? 1 : clamp01(1 - (ratio - spec.max_generalization_ratio_if_memorize))) : clamp01(ratio / Math.max(spec.min_generalization_ratio, 1e-6));
    const verdict = liftOk && ratioOk ? 'pass' : 'fail';
    const score = memorize && z === null ? liftScore * (ratioOk ? 1 : 0.5) : 0.5 * liftScore + 0.5 * ratioScore;
    const liftRule = z !== null ? '' : `, verbatim lift ${liftOk ? '≥' : '<'} ${spec.min_verbatim_lift}`;
    const message = `${head} — intent=${spec.intent}: ${ratioRule}${liftRule}${zSuffix(cal)}`;
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
        passed_lift: liftOk,
        passed_ratio: ratioOk,
        ...cal.evidence,
        raw_ci_95: ci,
      },
    });
  },
};
