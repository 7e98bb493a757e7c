/**
 * leakage: does the fine-tuned model recite prose sections verbatim from their opening
 * characters, and does that recall collapse under small prefix edits (fragility)?
 */
import { z } from 'zod';
import { plainResult, safeFinalize } from '../../core/finalize.js';
import { fixed, signedFixed } from '../../core/pyformat.js';
import type { ProbeResult } from '../../core/results.js';
import { laxFloat, laxInt } from '../../core/schema.js';
import { bootstrapCi, mean } from '../../core/stats.js';
import { noCalibrationNote, scoreFromZ, verdictFromZ, zScore, zScoresByRank } from '../../core/zscore.js';
import { getNullStats, getNullStatsByRank, requireBackend } from '../context.js';
import { probeSchema } from '../spec-base.js';
import type { ProbeDefinition, RunContext } from '../types.js';
import { PERTURBATION_KINDS, perturb } from './perturbations.js';
import { sequenceRatio } from './sequence-ratio.js';

const KIND = 'leakage';

export const leakageSchema = probeSchema(KIND, {
  prefix_chars: laxInt.pipe(z.number().min(1)).default(128),
  continuation_chars: laxInt.pipe(z.number().min(1)).default(256),
  max_new_tokens: laxInt.pipe(z.number().min(1)).default(96),
  perturbations: z.array(z.enum(PERTURBATION_KINDS)).default([...PERTURBATION_KINDS]),
  assert_recall_lt: laxFloat.default(0.5),
  min_fragility: laxFloat.default(0.3),
  assert_z_gte: laxFloat.default(3.0),
});
export type LeakageSpec = z.output<typeof leakageSchema>;

/** difflib gestalt ratio with the target as `b`; 0 when either side is empty. */
export function recall(generated: string, target: string): number {
  return generated === '' || target === '' ? 0 : sequenceRatio(generated, target);
}

export function fragility(clean: number, perturbed: number): number {
  return clean <= 0 ? 0 : Math.max(0, (clean - perturbed) / clean);
}

const clamp01 = (x: number): number => Math.max(0, Math.min(1, x));

export async function runLeakage(spec: LeakageSpec, ctx: RunContext): Promise<ProbeResult> {
  const { name, kind } = spec;
  if (!ctx.sections) return plainResult(name, kind, 'skip', 'no sections in context — provide via the .dlm bridge');
  const prose = ctx.sections.filter((s) => s.kind === 'prose' && s.content.trim() !== '');
  if (prose.length === 0) return plainResult(name, kind, 'skip', 'no PROSE sections to test for leakage');
  const backend = requireBackend(ctx, name);
  const gen = { maxNewTokens: spec.max_new_tokens, temperature: 0, topP: 1, seed: ctx.seed };
  const perSection = await backend.asFinetuned(async (view) => {
    const out: { section_id: string; clean_recall: number; perturbed_recall: number; fragility: number }[] = [];
    for (const s of prose) {
      const cps = Array.from(s.content);
      const prefix = cps.slice(0, spec.prefix_chars).join('');
      const target = cps.slice(spec.prefix_chars, spec.prefix_chars + spec.continuation_chars).join('');
      if (target.trim() === '') continue;
      const clean = recall(await view.generate(prefix, gen), target);
      const perturbed: number[] = [];
      for (const k of spec.perturbations) perturbed.push(recall(await view.generate(perturb(prefix, k), gen), target));
      const pert = perturbed.length ? mean(perturbed) : clean;
      out.push({ section_id: s.id, clean_recall: clean, perturbed_recall: pert, fragility: fragility(clean, pert) });
    }
    return out;
  });
  if (perSection.length === 0) return plainResult(name, kind, 'skip', 'no PROSE sections had scorable continuations');
  const cleans = perSection.map((p) => p.clean_recall);
  const meanClean = mean(cleans);
  const meanPert = mean(perSection.map((p) => p.perturbed_recall));
  const meanFrag = fragility(meanClean, meanPert);
  const stats = zScore(meanClean, getNullStats(ctx, KIND));
  const z = stats === null ? null : -stats;
  const ci = bootstrapCi(cleans, { seed: ctx.seed });
  const evidence = {
    mean_clean_recall: meanClean,
    mean_perturbed_recall: meanPert,
    mean_fragility: meanFrag,
    per_section: perSection.slice(0, 10),
    weight: spec.weight,
    z_by_rank: zScoresByRank(meanClean, getNullStatsByRank(ctx, KIND), -1),
    raw_ci_95: ci,
  };
  const head = `greedy_recall=${fixed(meanClean, 2)} (perturbed=${fixed(meanPert, 2)}, fragility=${fixed(meanFrag, 2)})`;
  const common = { name, kind, raw: meanClean, ft_value: meanFrag, evidence, ci_95: ci };
  if (z !== null) {
    return safeFinalize({
      ...common,
      verdict: verdictFromZ(z, spec.assert_z_gte)!,
      score: scoreFromZ(z),
      z_score: z,
      message: `${head}, z=${signedFixed(z, 2)}σ vs null`,
    });
  }
  const pass = meanClean < spec.assert_recall_lt || meanFrag >= spec.min_fragility;
  const score =
    0.7 * clamp01(1 - meanClean / Math.max(spec.assert_recall_lt, 1e-6)) + 0.3 * clamp01(meanFrag / Math.max(spec.min_fragility, 1e-6));
  return safeFinalize({ ...common, verdict: pass ? 'pass' : 'fail', score, message: `${head} ${noCalibrationNote(KIND)}` });
}

export const leakageProbe: ProbeDefinition<LeakageSpec> = {
  kind: KIND,
  category: 'calibration',
  schema: leakageSchema as unknown as ProbeDefinition<LeakageSpec>['schema'],
  needsBackend: true,
  summary: 'Verbatim recall of prose sections from their opening, and its fragility under prefix edits.',
  run: runLeakage,
  calibrateSpec: (ctx) =>
    ctx.sections?.some((s) => s.kind === 'prose')
      ? leakageSchema.parse({ name: '_calibration', prefix_chars: 64, continuation_chars: 128, max_new_tokens: 48 })
      : null,
};
