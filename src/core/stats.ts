/** Small statistics used by probes: mean, population std, percentile, bootstrap CI, R^2. */
import { Rng } from './rng.js';

export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function populationStd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
}

/** Linear-interpolation percentile (numpy's default), q in [0, 100]. */
export function percentile(sorted: readonly number[], q: number): number {
  const pos = ((sorted.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

/** Percentile-bootstrap CI of the mean; null for empty/non-finite input or a bad confidence. */
export function bootstrapCi(
  samples: readonly number[],
  options: { nBootstrap?: number; confidence?: number; seed?: number } = {},
): [number, number] | null {
  const n = samples.length;
  const confidence = options.confidence ?? 0.95;
  if (n === 0 || samples.some((x) => !Number.isFinite(x)) || !(confidence > 0 && confidence < 1)) return null;
  if (samples.every((x) => x === samples[0])) return [samples[0] as number, samples[0] as number];
  const rng = new Rng(options.seed ?? 0);
  const B = options.nBootstrap ?? 1000;
  const means: number[] = [];
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += samples[rng.int(n)] as number;
    means.push(s / n);
  }
  means.sort((a, b) => a - b);
  const alpha = 1 - confidence;
  const lo = percentile(means, (alpha / 2) * 100);
  const hi = percentile(means, (1 - alpha / 2) * 100);
  return Number.isFinite(lo) && Number.isFinite(hi) ? [lo, hi] : null;
}

/** R^2 of the least-squares line y ~ x: 0 with < 2 points or no x variance, 1 when y is constant. */
export function linearR2(x: readonly number[], y: readonly number[]): number {
  const fit = linearFit(x, y);
  if (!fit) return 0;
  const my = mean(y);
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < x.length; i++) {
    ssRes += ((y[i] as number) - (fit.slope * (x[i] as number) + fit.intercept)) ** 2;
    ssTot += ((y[i] as number) - my) ** 2;
  }
  if (ssTot === 0) return 1;
  return Math.max(0, 1 - ssRes / ssTot);
}

/** Least-squares slope and intercept. */
export function linearFit(x: readonly number[], y: readonly number[]): { slope: number; intercept: number } | null {
  if (x.length < 2) return null;
  const mx = mean(x);
  const my = mean(y);
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < x.length; i++) {
    sxx += ((x[i] as number) - mx) ** 2;
    sxy += ((x[i] as number) - mx) * ((y[i] as number) - my);
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}
