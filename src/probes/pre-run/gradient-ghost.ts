/**
 * gradient_ghost (pre-run, no model load): reads dlm's training_state.pt and flags
 * adapters whose Adam second moments say training stopped early.
 */
import { homedir } from 'node:os';
import { z } from 'zod';
import { MissingTrainingStateError, SwayError } from '../../core/errors.js';
import { plainResult, safeFinalize } from '../../core/finalize.js';
import { fixed, percent } from '../../core/pyformat.js';
import type { ProbeResult } from '../../core/results.js';
import { laxFloat, laxInt } from '../../core/schema.js';
import { mean } from '../../core/stats.js';
import { probeSchema } from '../spec-base.js';
import type { ProbeDefinition } from '../types.js';
import { mapParamIdsToLayers, ParamMappingError, type LayerMapping } from './param-layers.js';
import { loadTrainingState, type TrainingStateSnapshot } from './training-state.js';

export const gradientGhostSchema = probeSchema('gradient_ghost', {
  adapter_path: z.string(),
  min_steps_threshold: laxInt.pipe(z.number().min(1)).default(50),
  undertrained_layer_ratio: laxFloat.pipe(z.number().gt(1)).default(2.0),
  layer_failure_frac: laxFloat.pipe(z.number().min(0).max(1)).default(0.3),
});
export type GradientGhostSpec = z.output<typeof gradientGhostSchema>;

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function runGradientGhost(spec: GradientGhostSpec): ProbeResult {
  const { name, kind } = spec;
  const dir = spec.adapter_path.replace(/^~(?=$|\/)/, homedir());
  let snap: TrainingStateSnapshot;
  try {
    snap = loadTrainingState(dir);
  } catch (err) {
    if (err instanceof MissingTrainingStateError) return plainResult(name, kind, 'skip', err.message);
    if (err instanceof SwayError) return plainResult(name, kind, 'error', err.message);
    throw err;
  }
  const g = snap.globalStep;
  const numParams = snap.params.length;
  let mapping: LayerMapping | null = null;
  try {
    mapping = mapParamIdsToLayers(dir, numParams);
  } catch (err) {
    if (!(err instanceof ParamMappingError)) throw err;
  }
  const numLayers = mapping?.numLayers ?? 0;
  if (g < spec.min_steps_threshold) {
    return safeFinalize({
      name,
      kind,
      verdict: 'fail',
      score: 0,
      raw: g,
      evidence: {
        global_step: g,
        min_steps_threshold: spec.min_steps_threshold,
        epoch: snap.epoch,
        num_params: numParams,
        num_layers: numLayers,
        best_val_loss: finiteOrNull(snap.bestValLoss),
        primary_signal: 'global_step_below_threshold',
      },
      message: `severely undertrained: global_step=${g} < threshold ${spec.min_steps_threshold}. Probe scores on this adapter will be unreliable; consider retraining.`,
    });
  }
  const finite = snap.params.filter((p) => Number.isFinite(p.expAvgSqMean));
  const nonFinite = numParams - finite.length;
  if (finite.length === 0) {
    return safeFinalize({
      name,
      kind,
      verdict: 'fail',
      score: 0,
      raw: 0,
      evidence: { global_step: g, num_params: numParams, num_nonfinite_exp_avg_sq: nonFinite, primary_signal: 'all_optimizer_state_nan' },
      message: "every per-param exp_avg_sq is NaN or non-finite — training didn't propagate gradients meaningfully.",
    });
  }
  const globalMean = mean(finite.map((p) => p.expAvgSqMean));
  let undertrained = 0;
  let worst: { layer: number; ratio: number | null }[] = [];
  if (mapping && globalMean > 0) {
    const buckets = new Map<number, number[]>();
    for (const p of finite) {
      const layer = mapping.layerOf.get(p.paramId);
      if (layer === undefined) continue;
      const b = buckets.get(layer) ?? [];
      b.push(p.expAvgSqMean);
      buckets.set(layer, b);
    }
    const layerMeans = [...buckets.entries()].map(([layer, xs]) => ({ layer, mean: mean(xs) })).sort((a, b) => a.layer - b.layer);
    if (layerMeans.length > 0) {
      const baselineMin = Math.min(...layerMeans.map((l) => l.mean));
      if (baselineMin > 0) undertrained = layerMeans.filter((l) => l.mean > spec.undertrained_layer_ratio * baselineMin).length;
      worst = [...layerMeans]
        .sort((a, b) => b.mean - a.mean || a.layer - b.layer)
        .slice(0, 3)
        .map((l) => ({ layer: l.layer, ratio: baselineMin > 0 ? l.mean / baselineMin : null }));
    }
  }
  const frac = numLayers > 0 ? undertrained / numLayers : 0;
  const evidence = {
    global_step: g,
    epoch: snap.epoch,
    num_params: numParams,
    num_layers: numLayers,
    params_per_layer: mapping?.paramsPerLayer ?? 0,
    global_mean_exp_avg_sq: globalMean,
    frac_layers_undertrained: frac,
    num_layers_undertrained: undertrained,
    worst_layers: worst,
    num_nonfinite_exp_avg_sq: nonFinite,
    best_val_loss: finiteOrNull(snap.bestValLoss),
    use_qlora: snap.useQlora,
  };
  const ratio = fixed(spec.undertrained_layer_ratio, 1);
  const pct = percent(frac, 0);
  if (frac > spec.layer_failure_frac) {
    return safeFinalize({
      name,
      kind,
      verdict: 'fail',
      score: 0.3,
      raw: frac,
      evidence,
      message: `${pct} of layers (${undertrained}/${numLayers}) still show high gradient variance — training-loss curve likely hasn't flattened. global_step=${g}.`,
    });
  }
  if (undertrained > 0) {
    return safeFinalize({
      name,
      kind,
      verdict: 'warn',
      score: 0.7,
      raw: frac,
      evidence,
      message: `${pct} of layers (${undertrained}/${numLayers}) above ${ratio}× the global exp_avg_sq mean — adapter may be partially undertrained but other probes can still produce signal. global_step=${g}.`,
    });
  }
  return safeFinalize({
    name,
    kind,
    verdict: 'pass',
    score: 0.9,
    raw: frac,
    evidence,
    message: `global_step=${g}, no layer above ${ratio}× global exp_avg_sq mean — training looks converged.`,
  });
}

export const gradientGhostProbe: ProbeDefinition<GradientGhostSpec> = {
  kind: 'gradient_ghost',
  category: 'calibration',
  schema: gradientGhostSchema as unknown as ProbeDefinition<GradientGhostSpec>['schema'],
  needsBackend: false,
  summary: 'Pre-run: Adam state in training_state.pt shows undertrained layers (no model load).',
  run: (spec) => Promise.resolve(runGradientGhost(spec)),
  calibrateSpec: () => null,
};
