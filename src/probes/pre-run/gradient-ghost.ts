/**
 * gradient_ghost (pre-run, no model load): does the optimizer state in dlm's
 * training_state.pt say the adapter trained long enough? Few steps, all-NaN second
 * moments, or layers whose Adam second moment is still far above the calmest layer's.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { MissingTrainingStateError } from '../../core/errors.js';
import { plainResult, safeFinalize } from '../../core/finalize.js';
import { mean } from '../../core/stats.js';
import type { ProbeDefinition } from '../types.js';
import { loadTrainingState, TrainingStateError } from './training-state.js';

export const GradientGhostSpec = z
  .object({
    name: z.string().min(1),
    enabled: z.boolean().default(true),
    weight: z.number().default(1.0),
    kind: z.literal('gradient_ghost'),
    adapter_path: z.string(),
    min_steps_threshold: z.number().int().min(1).default(50),
    undertrained_layer_ratio: z.number().gt(1).default(2.0),
    layer_failure_frac: z.number().min(0).max(1).default(0.3),
  })
  .strict();
export type GradientGhostSpec = z.infer<typeof GradientGhostSpec>;

/** Tensor names from a safetensors header (only the names are needed; probes do not load weights). */
function safetensorsNames(file: string): string[] | null {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(8);
    if (readSync(fd, head, 0, 8, 0) !== 8) return null;
    const len = Number(head.readBigUInt64LE(0));
    if (len > 100 * 1024 * 1024) return null;
    const json = Buffer.alloc(len);
    if (readSync(fd, json, 0, len, 8) !== len) return null;
    return Object.keys(JSON.parse(json.toString('utf8')) as object).filter((k) => k !== '__metadata__');
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** Param ordinal -> layer index from the adapter's safetensors keys; null when it cannot be mapped. */
export function mapParamsToLayers(dir: string, numParams: number): { layerOf: (number | undefined)[]; numLayers: number; perLayer: number } | null {
  const file = join(dir, 'adapter_model.safetensors');
  if (!existsSync(file)) return null;
  const names = safetensorsNames(file);
  if (!names) return null;
  const counts = new Map<number, number>();
  for (const n of names) {
    const m = /\.layers\.(\d+)\./.exec(n);
    if (m) counts.set(Number(m[1]), (counts.get(Number(m[1])) ?? 0) + 1);
  }
  if (!counts.size) return null;
  const per = [...counts.values()];
  if (per.some((c) => c !== per[0])) return null;
  const layers = [...counts.keys()].sort((a, b) => a - b);
  const perLayer = per[0] as number;
  const expected = perLayer * layers.length;
  if (numParams < expected) return null;
  return { layerOf: Array.from({ length: expected }, (_, i) => layers[Math.floor(i / perLayer)]), numLayers: layers.length, perLayer };
}

export const gradientGhost: ProbeDefinition<GradientGhostSpec> = {
  kind: 'gradient_ghost',
  category: 'calibration',
  schema: GradientGhostSpec,
  needsBackend: false,
  summary: 'pre-run: optimizer state says the adapter trained long enough (steps, NaN moments, undertrained layers)',
  async run(spec, ctx) {
    const raw = spec.adapter_path.startsWith('~/') ? join(homedir(), spec.adapter_path.slice(2)) : spec.adapter_path;
    const dir = isAbsolute(raw) ? raw : resolve(ctx.specDir, raw);
    let st;
    try {
      st = loadTrainingState(dir);
    } catch (err) {
      if (err instanceof MissingTrainingStateError) return plainResult(spec.name, spec.kind, 'skip', err.message);
      if (err instanceof TrainingStateError) return plainResult(spec.name, spec.kind, 'error', err.message);
      throw err;
    }
    const finiteBest = Number.isFinite(st.bestValLoss) ? st.bestValLoss : null;
    if (st.globalStep < spec.min_steps_threshold) {
      return safeFinalize({
        name: spec.name,
        kind: spec.kind,
        verdict: 'fail',
        score: 0,
        raw: st.globalStep,
        message: `severely undertrained: global_step=${st.globalStep} < threshold ${spec.min_steps_threshold}. Probe scores on this adapter will be unreliable; consider retraining.`,
        evidence: { global_step: st.globalStep, min_steps_threshold: spec.min_steps_threshold, epoch: st.epoch, num_params: st.params.length, num_layers: 0, best_val_loss: finiteBest, primary_signal: 'global_step_below_threshold' },
      });
    }
    const finite = st.params.filter((p) => Number.isFinite(p.expAvgSqMean));
    if (!finite.length) {
      return safeFinalize({
        name: spec.name,
        kind: spec.kind,
        verdict: 'fail',
        score: 0,
        raw: 0,
        message: "every per-param exp_avg_sq is NaN or non-finite — training didn't propagate gradients meaningfully.",
        evidence: { global_step: st.globalStep, num_params: st.params.length, num_nonfinite_exp_avg_sq: st.params.length - finite.length, primary_signal: 'all_optimizer_state_nan' },
      });
    }
    const globalMean = mean(finite.map((p) => p.expAvgSqMean));
    const mapping = mapParamsToLayers(dir, st.params.length);
    let undertrained = 0;
    let numLayers = 0;
    let worst: { layer: number; ratio: number | null }[] = [];
    if (mapping && globalMean > 0) {
      numLayers = mapping.numLayers;
      const buckets = new Map<number, number[]>();
      st.params.forEach((p, ordinal) => {
        const layer = mapping.layerOf[ordinal];
        if (layer === undefined || !Number.isFinite(p.expAvgSqMean)) return;
        buckets.set(layer, [...(buckets.get(layer) ?? []), p.expAvgSqMean]);
      });
      const layerMeans = [...buckets].map(([layer, xs]) => ({ layer, m: mean(xs) })).sort((a, b) => a.layer - b.layer);
      const baseline = Math.min(...layerMeans.map((l) => l.m));
      if (baseline > 0) undertrained = layerMeans.filter((l) => l.m > spec.undertrained_layer_ratio * baseline).length;
      worst = [...layerMeans].sort((a, b) => b.m - a.m || a.layer - b.layer).slice(0, 3).map((l) => ({ layer: l.layer, ratio: baseline > 0 ? l.m / baseline : null }));
    }
    const frac = numLayers ? undertrained / numLayers : 0;
    const pct = `${Math.round(frac * 100)}%`;
    const [verdict, score, message] =
      frac > spec.layer_failure_frac
        ? (['fail', 0.3, `${pct} of layers (${undertrained}/${numLayers}) still show high gradient variance — training-loss curve likely hasn't flattened. global_step=${st.globalStep}.`] as const)
        : undertrained > 0
          ? (['warn', 0.7, `${pct} of layers (${undertrained}/${numLayers}) above ${spec.undertrained_layer_ratio.toFixed(1)}× the calmest layer's exp_avg_sq mean — adapter may be partially undertrained but other probes can still produce signal. global_step=${st.globalStep}.`] as const)
          : (['pass', 0.9, `global_step=${st.globalStep}, no layer above ${spec.undertrained_layer_ratio.toFixed(1)}× the calmest layer's exp_avg_sq mean — training looks converged.`] as const);
    return safeFinalize({
      name: spec.name,
      kind: spec.kind,
      verdict,
      score,
      raw: frac,
      message,
      evidence: {
        global_step: st.globalStep,
        epoch: st.epoch,
        num_params: st.params.length,
        num_layers: numLayers,
        params_per_layer: mapping?.perLayer ?? 0,
        global_mean_exp_avg_sq: globalMean,
        frac_layers_undertrained: frac,
        num_layers_undertrained: undertrained,
        worst_layers: worst,
        num_nonfinite_exp_avg_sq: st.params.length - finite.length,
        best_val_loss: finiteBest,
        use_qlora: st.useQlora,
      },
    });
  },
};
