/** Loss-curve metrics for training_drift: forward fill, smoothness, convergence and MAD spikes. */
import { popVariance } from '../../core/stats.js';

export interface CurveMetrics {
  initialLoss: number;
  finalLoss: number;
  convergenceRatio: number;
  smoothness: number;
  instabilityEvents: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Loss increases larger than sigma × the local median |Δ| (centred window, self excluded). */
export function countSpikes(deltas: readonly number[], window: number, sigma: number): number {
  if (deltas.length === 0) return 0;
  const abs = deltas.map(Math.abs);
  if (deltas.length < window) {
    const b = median(abs);
    if (b === 0) return 0;
    return deltas.filter((d) => d > 0 && d > sigma * b).length;
  }
  const half = Math.floor(window / 2);
  let count = 0;
  for (let i = 0; i < deltas.length; i++) {
    const d = deltas[i]!;
    if (!(d > 0)) continue;
    const lo = Math.max(0, i - half);
    const hi = Math.min(deltas.length, i + half + 1);
    let win = abs.slice(lo, hi);
    if (win.length > 1) win = win.filter((_, j) => lo + j !== i);
    const b = median(win);
    if (b === 0 || d > sigma * b) count++;
  }
  return count;
}

export function curveMetrics(raw: readonly number[], window: number, sigma: number): CurveMetrics {
  const nanCount = raw.filter((x) => !Number.isFinite(x)).length;
  if (nanCount === raw.length) {
    return { initialLoss: NaN, finalLoss: NaN, convergenceRatio: NaN, smoothness: 0, instabilityEvents: raw.length };
  }
  const firstFinite = raw.find((x) => Number.isFinite(x))!;
  const losses: number[] = [];
  let prev = firstFinite;
  for (const x of raw) {
    prev = Number.isFinite(x) ? x : prev;
    losses.push(prev);
  }
  const initialLoss = losses[0]!;
  const finalLoss = losses[losses.length - 1]!;
  const convergenceRatio = initialLoss === 0 ? Infinity : finalLoss / initialLoss;
  const deltas = losses.slice(1).map((x, i) => x - losses[i]!);
  const varL = popVariance(losses);
  const smoothness = varL === 0 || deltas.length === 0 ? 0 : Math.max(0, 1 - popVariance(deltas) / varL);
  return { initialLoss, finalLoss, convergenceRatio, smoothness, instabilityEvents: countSpikes(deltas, window, sigma) + nanCount };
}
