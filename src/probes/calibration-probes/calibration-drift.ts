/** calibration_drift: did the fine-tune lower the log-probability of general-knowledge facts? */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { plainResult, safeFinalize } from '../../core/finalize.js';
import { fixed, percent, signedFixed } from '../../core/pyformat.js';
import type { ProbeResult } from '../../core/results.js';
import { laxFloat, laxInt } from '../../core/schema.js';
import { bootstrapCi, mean } from '../../core/stats.js';
import { noCalibrationNote, scoreFromZ, verdictFromZ, zScore, zScoresByRank } from '../../core/zscore.js';
import { tokenEstimate } from '../attribution/token-estimate.js';
import { getNullStats, getNullStatsByRank, requireBackend } from '../context.js';
import { probeSchema } from '../spec-base.js';
import type { ProbeDefinition, RunContext } from '../types.js';
import { dataFile } from './data-files.js';

const KIND = 'calibration_drift';

export const calibrationDriftSchema = probeSchema(KIND, {
  pack: z.literal('builtin').default('builtin'),
  items_limit: laxInt.pipe(z.number().min(0)).nullable().default(null),
  items: z.array(z.tuple([z.string(), z.string()])).default([]),
  assert_fraction_regressed_lt: laxFloat.default(0.15),
  assert_mean_delta_gte: laxFloat.default(-0.5),
  regression_nats: laxFloat.default(1.0),
  assert_z_gte: laxFloat.default(3.0),
});
export type CalibrationDriftSpec = z.output<typeof calibrationDriftSchema>;

let pack: [string, string][] | null = null;
/** The shipped fact pack (data/calibration-facts.json): 200 [prompt, gold] pairs. */
export function builtInPack(): [string, string][] {
  pack ??= (JSON.parse(readFileSync(dataFile('calibration-facts.json'), 'utf8')) as { items: [string, string][] }).items;
  return pack;
}

const clamp01 = (x: number): number => Math.max(0, Math.min(1, x));

export async function runCalibrationDrift(spec: CalibrationDriftSpec, ctx: RunContext): Promise<ProbeResult> {
  const { name, kind } = spec;
  let items = spec.items.length ? spec.items : builtInPack();
  if (spec.items_limit !== null) items = items.slice(0, spec.items_limit);
  if (items.length === 0) return plainResult(name, kind, 'error', 'no calibration items');
  const backend = requireBackend(ctx, name);
  const deltas: number[] = [];
  const regressed: { prompt: string; gold: string; delta: number }[] = [];
  for (const [prompt, gold] of items) {
    const t = Math.max(tokenEstimate(gold), 1);
    const b = await backend.asBase((v) => v.logprobOf(prompt, gold));
    const f = await backend.asFinetuned((v) => v.logprobOf(prompt, gold));
    const delta = f / t - b / t;
    deltas.push(delta);
    if (delta < -spec.regression_nats) regressed.push({ prompt, gold, delta });
  }
  const worst = [...regressed].sort((a, b) => a.delta - b.delta).slice(0, 5);
  const n = items.length;
  const frac = regressed.length / n;
  const meanDelta = mean(deltas);
  const ci = bootstrapCi(
    deltas.map((d) => (d < -spec.regression_nats ? 1 : 0)),
    { seed: ctx.seed },
  );
  const zRaw = zScore(frac, getNullStats(ctx, KIND));
  const z = zRaw === null ? null : -zRaw;
  const evidence = {
    fraction_regressed: frac,
    mean_delta_nats: meanDelta,
    regressed_count: regressed.length,
    total_items: n,
    worst_offenders: worst,
    regression_nats_threshold: spec.regression_nats,
    weight: spec.weight,
    z_by_rank: zScoresByRank(frac, getNullStatsByRank(ctx, KIND), -1),
    raw_ci_95: ci,
  };
  const common = { name, kind, raw: frac, ft_value: meanDelta, evidence, ci_95: ci };
  const r = `${regressed.length}/${n} items regressed`;
  const tail = `(frac=${percent(frac, 1)}), mean_delta=${signedFixed(meanDelta, 3)} nats/tok`;
  if (z !== null) {
    return safeFinalize({ ...common, verdict: verdictFromZ(z, spec.assert_z_gte)!, score: scoreFromZ(z), z_score: z, message: `${r} ${tail}, z=${signedFixed(z, 2)}σ vs null` });
  }
  const pass = frac < spec.assert_fraction_regressed_lt && meanDelta >= spec.assert_mean_delta_gte;
  const score = 0.6 * Math.max(0, 1 - frac / Math.max(spec.assert_fraction_regressed_lt, 1e-6)) + 0.4 * clamp01((meanDelta + 1) / 1.5);
  return safeFinalize({
    ...common,
    verdict: pass ? 'pass' : 'fail',
    score,
    message: `${r} >${fixed(spec.regression_nats, 1)} nats ${tail} ${noCalibrationNote(KIND)}`,
  });
}

export const calibrationDriftProbe: ProbeDefinition<CalibrationDriftSpec> = {
  kind: KIND,
  category: 'calibration',
  schema: calibrationDriftSchema as unknown as ProbeDefinition<CalibrationDriftSpec>['schema'],
  needsBackend: true,
  summary: 'General-knowledge facts (200-item pack): fraction whose gold log-probability regressed.',
  run: runCalibrationDrift,
  calibrateSpec: () => calibrationDriftSchema.parse({ name: '_calibration', items_limit: 10 }),
};
