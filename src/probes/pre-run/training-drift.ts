/**
 * training_drift (pre-run, no model load): from dlm's training logs, did the loss curve
 * descend smoothly, converge, and stay free of loss-increase spikes?
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { plainResult, safeFinalize } from '../../core/finalize.js';
import type { ProbeDefinition } from '../types.js';
import { clamp01 } from '../verdict.js';

export const TrainingDriftSpec = z
  .object({
    name: z.string().min(1),
    enabled: z.boolean().default(true),
    weight: z.number().default(1.0),
    kind: z.literal('training_drift'),
    store_path: z.string().nullable().default(null),
    min_steps: z.number().int().min(2).default(10),
    rolling_window: z.number().int().min(2).default(10),
    spike_sigma: z.number().gt(0).default(3.0),
    assert_smoothness_gte: z.number().min(0).max(1).default(0.7),
    assert_convergence_ratio_lte: z.number().gt(0).default(0.7),
    assert_instability_events_lte: z.number().int().min(0).default(0),
  })
  .strict();
export type TrainingDriftSpec = z.infer<typeof TrainingDriftSpec>;

/** JSON.parse that also accepts Python's bare NaN / Infinity / -Infinity tokens. */
function parseLine(line: string): unknown {
  return JSON.parse(line.replace(/(:\s*)(-?Infinity|NaN)\b/g, '$1"__$2__"'), (_k, v: unknown) => (v === '__NaN__' ? NaN : v === '__Infinity__' ? Infinity : v === '__-Infinity__' ? -Infinity : v));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const variance = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length;
};

export function countSpikes(d: number[], window: number, sigma: number): number {
  if (!d.length) return 0;
  const abs = d.map(Math.abs);
  if (d.length < window) {
    const b = median(abs);
    return b === 0 ? 0 : d.filter((x) => x > 0 && x > sigma * b).length;
  }
  let n = 0;
  const half = Math.floor(window / 2);
  d.forEach((x, i) => {
    if (x <= 0) return;
    const lo = Math.max(0, i - half);
    const hi = Math.min(d.length, i + half + 1);
    let w = abs.slice(lo, hi);
    if (w.length > 1) w = w.filter((_, j) => j + lo !== i);
    const b = median(w);
    if (b === 0 || x > sigma * b) n++;
  });
  return n;
}

export function curveMetrics(raw: number[], window: number, sigma: number) {
  const nanCount = raw.filter((x) => !Number.isFinite(x)).length;
  if (nanCount === raw.length) return { initial: NaN, final: NaN, convergence: NaN, smoothness: 0, instability: raw.length };
  const firstFinite = raw.find((x) => Number.isFinite(x)) as number;
  const losses: number[] = [];
  for (const x of raw) losses.push(Number.isFinite(x) ? x : (losses[losses.length - 1] ?? firstFinite));
  const d = losses.slice(1).map((x, i) => x - (losses[i] as number));
  const vl = variance(losses);
  const smoothness = vl === 0 || !d.length ? 0 : Math.max(0, 1 - variance(d) / vl);
  const initial = losses[0] as number;
  const final = losses[losses.length - 1] as number;
  return { initial, final, convergence: initial === 0 ? Infinity : final / initial, smoothness, instability: countSpikes(d, window, sigma) + nanCount };
}

export const trainingDrift: ProbeDefinition<TrainingDriftSpec> = {
  kind: 'training_drift',
  category: 'calibration',
  schema: TrainingDriftSpec,
  needsBackend: false,
  summary: 'pre-run: the training loss curve from dlm logs is smooth, converged and spike-free',
  async run(spec, ctx) {
    if (!spec.store_path) return plainResult(spec.name, spec.kind, 'skip', 'no store_path provided (no .dlm context)');
    const p = spec.store_path.startsWith('~/') ? join(homedir(), spec.store_path.slice(2)) : spec.store_path;
    const store = isAbsolute(p) ? p : resolve(ctx.specDir, p);
    const logs = join(store, 'logs');
    if (!existsSync(logs) || !statSync(logs).isDirectory()) return plainResult(spec.name, spec.kind, 'skip', `no logs/ directory under ${store}`);
    const files = readdirSync(logs).filter((f) => /^train-.*\.jsonl$/.test(f)).sort().map((f) => join(logs, f));
    if (!files.length) return plainResult(spec.name, spec.kind, 'skip', `no train-*.jsonl files under ${logs}`);
    const steps = new Map<number, number>();
    try {
    for (const f of files) {
      let text: string;
      try {
        text = readFileSync(f, 'utf8');
      } catch (err) {
        return plainResult(spec.name, spec.kind, 'error', `failed to read ${f}: ${(err as Error).message}`, { log_paths: files });
      }
      text.split('\n').forEach((line, i) => {
        if (!line.trim()) return;
        let rec: unknown;
        try {
          rec = parseLine(line);
        } catch (err) {
          if (i === 0) throw Object.assign(new Error(`first line of ${f.split('/').pop()} is not valid JSON: ${(err as Error).message}`), { firstLine: true });
          return;
        }
        if (!rec || typeof rec !== 'object' || (rec as Record<string, unknown>)['type'] !== 'step') return;
        const step = Math.trunc(Number((rec as Record<string, unknown>)['step']));
        const lossRaw = (rec as Record<string, unknown>)['loss'];
        const loss = typeof lossRaw === 'number' ? lossRaw : Number(lossRaw);
        if (!Number.isFinite(step) || lossRaw === undefined || lossRaw === null) return;
        if (Number.isNaN(loss) && typeof lossRaw !== 'number') return; // not a number at all
        steps.set(step, Number.isFinite(loss) ? loss : Infinity);
      });
    }
    } catch (err) {
      if ((err as { firstLine?: boolean }).firstLine) return plainResult(spec.name, spec.kind, 'error', (err as Error).message, { log_paths: files });
      throw err;
    }
    if (steps.size < spec.min_steps) return plainResult(spec.name, spec.kind, 'skip', `only ${steps.size} step records (< min_steps=${spec.min_steps}); curve too short to fit reliably`, { num_steps: steps.size });
    const ordered = [...steps].sort((a, b) => a[0] - b[0]);
    const m = curveMetrics(ordered.map(([, l]) => l), spec.rolling_window, spec.spike_sigma);
    const head = `smoothness=${m.smoothness.toFixed(2)}, convergence_ratio=${m.convergence.toFixed(2)}, instability_events=${m.instability}, final_loss=${m.final.toFixed(3)}`;
    const warnings: string[] = [];
    if (!(m.smoothness >= spec.assert_smoothness_gte)) warnings.push(`smoothness=${m.smoothness.toFixed(2)} < ${spec.assert_smoothness_gte}`);
    if (!(m.convergence <= spec.assert_convergence_ratio_lte)) warnings.push(`convergence_ratio=${m.convergence.toFixed(2)} > ${spec.assert_convergence_ratio_lte}`);
    if (!(m.instability <= spec.assert_instability_events_lte)) warnings.push(`instability_events=${m.instability} > ${spec.assert_instability_events_lte}`);
    const n = ordered.length;
    const stride = n <= 512 ? 1 : Math.ceil(n / 512);
    const idx = Array.from({ length: Math.ceil(n / stride) }, (_, i) => i * stride);
    if (idx[idx.length - 1] !== n - 1) idx.push(n - 1);
    return safeFinalize({
      name: spec.name,
      kind: spec.kind,
      verdict: warnings.length ? 'warn' : 'pass',
      score: clamp01(warnings.length ? 0.5 * m.smoothness : m.smoothness),
      raw: m.smoothness,
      criticalFields: [],
      message: warnings.length ? `${head}; warnings: ${warnings.join('; ')}` : head,
      evidence: {
        final_loss: m.final,
        initial_loss: m.initial,
        convergence_ratio: m.convergence,
        smoothness: m.smoothness,
        instability_events: m.instability,
        num_steps: n,
        num_log_files: files.length,
        curve_sampled: idx.map((i) => ordered[i]),
        thresholds: { smoothness_gte: spec.assert_smoothness_gte, convergence_ratio_lte: spec.assert_convergence_ratio_lte, instability_events_lte: spec.assert_instability_events_lte },
        weight: spec.weight,
      },
    });
  },
};
