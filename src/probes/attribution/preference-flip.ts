/** preference_flip: for triples the base model ranked wrongly, did the fine-tune flip the chosen/rejected margin? */
import { z } from 'zod';
import { ProbeError } from '../../core/errors.js';
import { plainResult, safeFinalize } from '../../core/finalize.js';
import { percent, signedFixed } from '../../core/pyformat.js';
import type { ProbeResult } from '../../core/results.js';
import { laxFloat, laxInt, strictObject } from '../../core/schema.js';
import type { SectionPreference } from '../../core/sections.js';
import { bootstrapCi, mean } from '../../core/stats.js';
import { noCalibrationNote, scoreFromZ, verdictFromZ, zScore, zScoresByRank } from '../../core/zscore.js';
import { getNullStats, getNullStatsByRank, requireBackend } from '../context.js';
import { probeSchema } from '../spec-base.js';
import type { ProbeDefinition, RunContext } from '../types.js';
import { pyStrRepr } from './py-repr.js';

const KIND = 'preference_flip';

export const preferenceFlipSchema = probeSchema(KIND, {
  triples: z.array(strictObject({ prompt: z.string(), chosen: z.string(), rejected: z.string() })).default([]),
  assert_flip_rate_gte: laxFloat.default(0.7),
  assert_z_gte: laxFloat.default(3.0),
  min_triples_for_decision: laxInt.pipe(z.number().min(1)).default(3),
});
export type PreferenceFlipSpec = z.output<typeof preferenceFlipSchema>;

const clamp01 = (x: number): number => Math.max(0, Math.min(1, x));

export async function runPreferenceFlip(spec: PreferenceFlipSpec, ctx: RunContext): Promise<ProbeResult> {
  const { name, kind } = spec;
  const triples: SectionPreference[] = spec.triples.length
    ? spec.triples
    : (ctx.sections ?? []).filter((s) => s.kind === 'preference').flatMap((s) => s.preferences);
  if (triples.length === 0) return plainResult(name, kind, 'skip', 'no preference triples (inline or from sections)');
  const backend = requireBackend(ctx, name);
  const baseMargins: number[] = [];
  const ftMargins: number[] = [];
  let dropped = 0;
  const reasons: string[] = [];
  for (const t of triples) {
    try {
      const margin = async (view: Parameters<Parameters<typeof backend.asBase>[0]>[0]): Promise<number> =>
        (await view.logprobOf(t.prompt, t.chosen)) - (await view.logprobOf(t.prompt, t.rejected));
      const b = await backend.asBase(margin);
      const f = await backend.asFinetuned(margin);
      baseMargins.push(b);
      ftMargins.push(f);
    } catch (err) {
      if (!(err instanceof ProbeError)) throw err;
      dropped++;
      if (reasons.length < 5) reasons.push(`${pyStrRepr(Array.from(t.prompt).slice(0, 40).join(''))}: ${err.message}`);
    }
  }
  if (baseMargins.length === 0) {
    return plainResult(name, kind, 'error', `every triple raised ProbeError (${dropped} total); no usable margins`, {
      dropped_triples: dropped,
      dropped_reasons: reasons,
      weight: spec.weight,
    });
  }
  const baseWrong = baseMargins.map((m, i) => (m < 0 ? i : -1)).filter((i) => i >= 0);
  const flipped = baseWrong.filter((i) => ftMargins[i]! > 0);
  const stats = getNullStats(ctx, KIND);
  const byRank = getNullStatsByRank(ctx, KIND);
  const values = { base_value: mean(baseMargins), ft_value: mean(ftMargins) };
  if (baseWrong.length < spec.min_triples_for_decision) {
    const deltas = ftMargins.map((f, i) => f - baseMargins[i]!);
    const meanDelta = mean(deltas);
    const ci = bootstrapCi(deltas, { seed: ctx.seed });
    const z = zScore(meanDelta, stats);
    return safeFinalize({
      name,
      kind,
      verdict: 'warn',
      score: clamp01(0.5 + meanDelta / 4),
      raw: meanDelta,
      z_score: z,
      ...values,
      ci_95: ci,
      evidence: {
        base_wrong: baseWrong.length,
        total: triples.length,
        mean_margin_delta: meanDelta,
        dropped_triples: dropped,
        dropped_reasons: reasons,
        weight: spec.weight,
        z_by_rank: zScoresByRank(meanDelta, byRank),
        raw_ci_95: ci,
      },
      message: `only ${baseWrong.length} base-wrong triples < ${spec.min_triples_for_decision} required; reporting mean-margin-delta=${signedFixed(meanDelta, 3)}`,
    });
  }
  const rate = flipped.length / baseWrong.length;
  const z = zScore(rate, stats);
  const evidence = {
    flip_rate: rate,
    flipped: flipped.length,
    base_wrong: baseWrong.length,
    total: triples.length,
    dropped_triples: dropped,
    dropped_reasons: reasons,
    weight: spec.weight,
    z_by_rank: zScoresByRank(rate, byRank),
  };
  const frac = `${flipped.length}/${baseWrong.length}`;
  if (z !== null) {
    return safeFinalize({ name, kind, verdict: verdictFromZ(z, spec.assert_z_gte)!, score: scoreFromZ(z), raw: rate, z_score: z, ...values, evidence, message: `flip_rate=${percent(rate, 2)} (${frac}), z=${signedFixed(z, 2)}σ vs null` });
  }
  return safeFinalize({
    name,
    kind,
    verdict: rate >= spec.assert_flip_rate_gte ? 'pass' : 'fail',
    score: Math.min(1, rate / Math.max(spec.assert_flip_rate_gte, 1e-6)),
    raw: rate,
    ...values,
    evidence,
    message: `flip_rate=${percent(rate, 2)} (${frac} base-wrong triples flipped by ft) ${noCalibrationNote(KIND)}`,
  });
}

export const preferenceFlipProbe: ProbeDefinition<PreferenceFlipSpec> = {
  kind: KIND,
  category: 'attribution',
  schema: preferenceFlipSchema as unknown as ProbeDefinition<PreferenceFlipSpec>['schema'],
  needsBackend: true,
  summary: 'Preference triples the base ranked wrongly: fraction whose margin the fine-tune flipped.',
  run: runPreferenceFlip,
  calibrateSpec: () =>
    preferenceFlipSchema.parse({
      name: '_calibration',
      min_triples_for_decision: 2,
      triples: [
        { prompt: 'The best pet is', chosen: 'a loyal dog', rejected: 'a rock' },
        { prompt: 'A good answer is', chosen: 'thoughtful', rejected: 'loud' },
        { prompt: 'The next step is', chosen: 'careful', rejected: 'reckless' },
      ],
    }),
};
