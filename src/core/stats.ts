/** Small statistics used by probes: means, population variance, percentiles, bootstrap CI, fits. */
import { Rng } from './rng.js';

export function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Population variance (divide by N). */
export function popVariance(xs: readonly number[]): number {
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return s / xs.length;
}

/** numpy's default (linear) percentile of an already sorted array; p in [0, 100]. */
export function percentileSorted(sorted: readonly number[], p: number): number {
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

export interface BootstrapOptions {
  nBootstrap?: number;
  confidence?: number;
  seed?: number;
}

/**
 * Percentile bootstrap CI of the mean. null for empty or non-finite input or a confidence
 * outside (0, 1); identical samples give (v, v) without resampling. Deterministic per seed
 * (our xoshiro Rng, so bounds differ slightly from numpy's PCG64 draws).
 */
export function bootstrapCi(samples: readonly number[], options: BootstrapOptions = {}): [number, number] | null {
  const { nBootstrap = 1000, confidence = 0.95, seed = 0 } = options;
  const n = samples.length;
  if (n === 0 || samples.some((x) => !Number.isFinite(x))) return null;
  if (!(confidence > 0 && confidence < 1)) return null;
  const first = samples[0] as number;
  if (samples.every((x) => x === first)) return [first, first];
  const rng = new Rng(seed);
  const means = new Array<number>(nBootstrap);
  for (let b = 0; b < nBootstrap; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += samples[rng.int(n)] as number;
    means[b] = s / n;
  }
  means.sort((a, b) => a - b);
  const alpha = 1 - confidence;
  const lo = percentileSorted(means, (100 * alpha) / 2);
  const hi = percentileSorted(means, 100 * (1 - alpha / 2));
  return Number.isFinite(lo) && Number.isFinite(hi) ? [lo, hi] : null;
}

/** Least-squares slope of y on x; null when x has no variance. */
export function lsSlope(x: readonly number[], y: readonly number[]): number | null {
  const mx = mean(x);
  const my = mean(y);
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < x.length; i++) {
    const dx = (x[i] as number) - mx;
    sxx += dx * dx;
    sxy += dx * ((y[i] as number) - my);
  }
  return sxx === 0 ? null : sxy / sxx;
}

/** R² of the least-squares line y ~ x: 0 for < 2 points or constant x, 1 for constant y. */
export function rSquared(x: readonly number[], y: readonly number[]): number {
  if (x.length < 2) return 0;
  const slope = lsSlope(x, y);
  if (slope === null) return 0;
  const mx = mean(x);
  const my = mean(y);
  let ssTot = 0;
  let ssRes = 0;
  for (let i = 0; i < x.length; i++) {
    const yi = y[i] as number;
    const fit = my + slope * ((x[i] as number) - mx);
    ssTot += (yi - my) ** 2;
    ssRes += (yi - fit) ** 2;
  }
  if (ssTot === 0) return 1;
  return Math.max(0, 1 - ssRes / ssTot);
}
