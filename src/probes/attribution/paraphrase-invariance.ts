/** paraphrase_invariance: does the adapter's lift on a gold answer survive rewording of the prompt? */
import { z } from 'zod';
import { plainResult, safeFinalize } from '../../core/finalize.js';
import { fixed, signedFixed } from '../../core/pyformat.js';
import type { ProbeResult } from '../../core/results.js';
import { laxFloat, strictObject } from '../../core/schema.js';
import { bootstrapCi, mean } from '../../core/stats.js';
import { noCalibrationNote, scoreFromZ, verdictFromZ, zScore, zScoresByRank } from '../../core/zscore.js';
import { getNullStats, getNullStatsByRank, requireBackend } from '../context.js';
import { probeSchema } from '../spec-base.js';
import type { ProbeDefinition, RunContext } from '../types.js';
import { tokenEstimate } from './token-estimate.js';

const KIND = 'paraphrase_invariance';

const caseSchema = strictObject({ prompt: z.string(), gold: z.string(), paraphrases: z.array(z.string()).min(1) });

export const paraphraseInvarianceSchema = probeSchema(KIND, {
  cases: z.array(caseSchema).default([]),
  intent: z.enum(['generalize', 'memorize', 'both']).default('generalize'),
  min_verbatim_lift: laxFloat.default(0.2),
  min_generalization_ratio: laxFloat.default(0.5),
  max_generalization_ratio_if_memorize: laxFloat.default(0.5),
  assert_z_gte: laxFloat.default(3.0),
});
export type ParaphraseInvarianceSpec = z.output<typeof paraphraseInvarianceSchema>;

const clamp01 = (x: number): number => Math.max(0, Math.min(1, x));

export async function runParaphraseInvariance(spec: ParaphraseInvarianceSpec, ctx: RunContext): Promise<ProbeResult> {
  const { name, kind } = spec;
  if (spec.cases.length === 0) return plainResult(name, kind, 'error', 'no cases provided');
  const backend = requireBackend(ctx, name);
  const perCase: { prompt: string; verbatim_lift: number; paraphrase_lift: number }[] = [];
  for (const c of spec.cases) {
    const t = Math.max(tokenEstimate(c.gold), 1);
    const prompts = [c.prompt, ...c.paraphrases];
    const score = async (view: Parameters<Parameters<typeof backend.asBase>[0]>[0]): Promise<number[]> => {
      const out: number[] = [];
      for (const p of prompts) out.push((await view.logprobOf(p, c.gold)) / t);
      return out;
    };
    const base = await backend.asBase(score);
    const ft = await backend.asFinetuned(score);
    const lifts = prompts.map((_, i) => ft[i]! - base[i]!);
    perCase.push({ prompt: Array.from(c.prompt).slice(0, 80).join(''), verbatim_lift: lifts[0]!, paraphrase_lift: mean(lifts.slice(1)) });
  }
  const verbs = perCase.map((c) => c.verbatim_lift);
  const meanVerb = mean(verbs);
  const meanPar = mean(perCase.map((c) => c.paraphrase_lift));
  const ratio = Math.abs(meanVerb) > 1e-9 ? meanPar / meanVerb : 0;
  const z = zScore(meanVerb, getNullStats(ctx, KIND));
  const ci = bootstrapCi(verbs, { seed: ctx.seed });
  const evidence = {
    verbatim_lift_mean: meanVerb,
    paraphrase_lift_mean: meanPar,
    generalization_ratio: ratio,
    intent: spec.intent,
    per_case: perCase.slice(0, 8),
    weight: spec.weight,
    z_by_rank: zScoresByRank(meanVerb, getNullStatsByRank(ctx, KIND)),
    raw_ci_95: ci,
  };
  const head = `verb=${signedFixed(meanVerb, 3)}, para=${signedFixed(meanPar, 3)}, ratio=${fixed(ratio, 2)}`;
  const common = { name, kind, raw: meanVerb, base_value: meanVerb, ft_value: meanPar, evidence, ci_95: ci };
  if (z !== null) {
    return safeFinalize({ ...common, verdict: verdictFromZ(z, spec.assert_z_gte)!, score: scoreFromZ(z), z_score: z, message: `${head}, z=${signedFixed(z, 2)}σ vs null` });
  }
  const verbOk = meanVerb >= spec.min_verbatim_lift;
  const verbScore = clamp01(meanVerb / Math.max(spec.min_verbatim_lift, 1e-6));
  if (spec.intent === 'memorize') {
    const pass = verbOk && ratio <= spec.max_generalization_ratio_if_memorize;
    return safeFinalize({ ...common, verdict: pass ? 'pass' : 'fail', score: verbScore, message: `${head} — intent=memorize ${noCalibrationNote(KIND)}` });
  }
  const pass = verbOk && ratio >= spec.min_generalization_ratio;
  const score = 0.5 * clamp01(ratio / Math.max(spec.min_generalization_ratio, 1e-6)) + 0.5 * verbScore;
  return safeFinalize({ ...common, verdict: pass ? 'pass' : 'fail', score, message: `${head} — intent=${spec.intent} ${noCalibrationNote(KIND)}` });
}

export const paraphraseInvarianceProbe: ProbeDefinition<ParaphraseInvarianceSpec> = {
  kind: KIND,
  category: 'attribution',
  schema: paraphraseInvarianceSchema as unknown as ProbeDefinition<ParaphraseInvarianceSpec>['schema'],
  needsBackend: true,
  summary: 'Lift on gold answers under the verbatim prompt vs paraphrased prompts (generalisation ratio).',
  run: runParaphraseInvariance,
  calibrateSpec: () =>
    paraphraseInvarianceSchema.parse({
      name: '_calibration',
      cases: [
        { prompt: 'The capital of France is', gold: ' Paris', paraphrases: ["What's the capital of France?", "Tell me about France's capital."] },
        { prompt: 'Two plus two equals', gold: ' four', paraphrases: ['Sum of two and two:', 'Add 2 and 2:'] },
      ],
    }),
};
