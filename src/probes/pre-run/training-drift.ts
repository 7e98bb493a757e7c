/** training_drift (pre-run, no model load): is the dlm training-loss curve smooth, converged and spike-free? */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { plainResult, safeFinalize } from '../../core/finalize.js';
import { fixed, pyFloat } from '../../core/pyformat.js';
import type { ProbeResult } from '../../core/results.js';
import { laxFloat, laxInt } from '../../core/schema.js';
import { probeSchema } from '../spec-base.js';
import type { ProbeDefinition } from '../types.js';
import { curveMetrics } from './loss-curve.js';
import { collectSteps, TrainingLogError } from './training-logs.js';

export const trainingDriftSchema = probeSchema('training_drift', {
  store_path: z.string().nullable().default(null),
  min_steps: laxInt.pipe(z.number().min(2)).default(10),
  rolling_window: laxInt.pipe(z.number().min(2)).default(10),
  spike_sigma: laxFloat.pipe(z.number().gt(0)).default(3.0),
  assert_smoothness_gte: laxFloat.pipe(z.number().min(0).max(1)).default(0.7),
  assert_convergence_ratio_lte: laxFloat.pipe(z.number().gt(0)).default(0.7),
  assert_instability_events_lte: laxInt.pipe(z.number().min(0)).default(0),
});
export type TrainingDriftSpec = z.output<typeof trainingDriftSchema>;

const MAX_CURVE_POINTS = 512;
const clamp01 = (x: number): number => (Number.isNaN(x) ? 0 : Math.max(0, Math.min(1, x)));
/** Python str() of a threshold: ints stay ints when the spec wrote an int. */
const thr = (x: number, isInt: boolean): string => (isInt ? String(x) : pyFloat(x));

export function sampleCurve(points: [number, number][]): [number, number][] {
  if (points.length <= MAX_CURVE_POINTS) return points;
  const stride = Math.ceil(points.length / MAX_CURVE_POINTS);
  const out: [number, number][] = [];
  for (let i = 0; i < points.length; i += stride) out.push(points[i]!);
  if ((points.length - 1) % stride !== 0) out.push(points[points.length - 1]!);
  return out;
}

export function runTrainingDrift(spec: TrainingDriftSpec): ProbeResult {
  const { name, kind } = spec;
  if (spec.store_path === null) return plainResult(name, kind, 'skip', 'no store_path provided (no .dlm context)');
  const store = resolve(spec.store_path.replace(/^~(?=$|\/)/, homedir()));
  const logs = join(store, 'logs');
  if (!existsSync(logs) || !statSync(logs).isDirectory()) return plainResult(name, kind, 'skip', `no logs/ directory under ${store}`);
  const logPaths = readdirSync(logs)
    .filter((f) => f.startsWith('train-') && f.endsWith('.jsonl'))
    .map((f) => join(logs, f))
    .sort();
  if (logPaths.length === 0) return plainResult(name, kind, 'skip', `no train-*.jsonl files under ${logs}`);
  let steps: Map<number, number>;
  try {
    steps = collectSteps(logPaths);
  } catch (err) {
    if (err instanceof TrainingLogError) return plainResult(name, kind, 'error', err.message, { log_paths: logPaths });
    throw err;
  }
  if (steps.size < spec.min_steps) {
    return plainResult(name, kind, 'skip', `only ${steps.size} step records (< min_steps=${spec.min_steps}); curve too short to fit reliably`, {
      num_steps: steps.size,
    });
  }
  const points = [...steps.entries()].sort((a, b) => a[0] - b[0]);
  const m = curveMetrics(
    points.map((p) => p[1]),
    spec.rolling_window,
    spec.spike_sigma,
  );
  const headline = `smoothness=${fixed(m.smoothness, 2)}, convergence_ratio=${fixed(m.convergenceRatio, 2)}, instability_events=${m.instabilityEvents}, final_loss=${fixed(m.finalLoss, 3)}`;
  const warnings: string[] = [];
  if (!(m.smoothness >= spec.assert_smoothness_gte)) {
    warnings.push(`smoothness=${fixed(m.smoothness, 2)} < ${thr(spec.assert_smoothness_gte, false)}`);
  }
  if (!(m.convergenceRatio <= spec.assert_convergence_ratio_lte)) {
    warnings.push(`convergence_ratio=${fixed(m.convergenceRatio, 2)} > ${thr(spec.assert_convergence_ratio_lte, false)}`);
  }
  if (!(m.instabilityEvents <= spec.assert_instability_events_lte)) {
    warnings.push(`instability_events=${m.instabilityEvents} > ${thr(spec.assert_instability_events_lte, true)}`);
  }
  const pass = warnings.length === 0;
  return safeFinalize({
    name,
    kind,
    verdict: pass ? 'pass' : 'warn',
    score: pass ? clamp01(m.smoothness) : clamp01(0.5 * m.smoothness),
    raw: m.smoothness,
    criticalFields: [],
    evidence: {
      final_loss: m.finalLoss,
      initial_loss: m.initialLoss,
      convergence_ratio: m.convergenceRatio,
      smoothness: m.smoothness,
      instability_events: m.instabilityEvents,
      num_steps: points.length,
      num_log_files: logPaths.length,
      curve_sampled: sampleCurve(points),
      thresholds: {
        smoothness_gte: spec.assert_smoothness_gte,
        convergence_ratio_lte: spec.assert_convergence_ratio_lte,
        instability_events_lte: spec.assert_instability_events_lte,
      },
      weight: spec.weight,
    },
    message: pass ? headline : `${headline}; warnings: ${warnings.join('; ')}`,
  });
}

export const trainingDriftProbe: ProbeDefinition<TrainingDriftSpec> = {
  kind: 'training_drift',
  category: 'calibration',
  schema: trainingDriftSchema as unknown as ProbeDefinition<TrainingDriftSpec>['schema'],
  needsBackend: false,
  summary: 'Pre-run: dlm training-loss curve is smooth, converged and free of loss spikes (no model load).',
  run: (spec) => Promise.resolve(runTrainingDrift(spec)),
  calibrateSpec: () => null,
};
