/**
 * Divergences between two top-k next-token distributions, in nats. Both are aligned on
 * the union of their token ids; each side's tail mass (1 - sum of its top-k) is spread
 * evenly over the union slots it lacks; both are renormalised.
 *
 * Direction: `kl` is KL(ft || base) = sum ft * ln(ft / base) — what the reference computes
 * (its docs say KL(base || ft)); reports name it `kl(ft||base)`. JS is symmetric.
 */
import { ProbeError } from './errors.js';
import type { TokenDist } from './results.js';

export type DivergenceKind = 'kl' | 'js';

export const KL_DIRECTION = 'kl(ft||base)';

function guard(side: string, d: TokenDist): void {
  const bad = Array.from(d.logprobs).filter((v) => !Number.isFinite(v)).length;
  if (bad > 0) {
    throw new ProbeError('divergence', `${side} TokenDist contains ${bad} non-finite logprob(s) — refusing to compute divergence on a model that produces NaN/inf logits`);
  }
  if (d.logprobs.length >= 2) {
    const spread = Math.max(...d.logprobs) - Math.min(...d.logprobs);
    if (spread < 1e-9) {
      throw new ProbeError('divergence', `${side} TokenDist has effectively-uniform top-k logprobs (spread=${spread.toExponential(2)}); the backend is not producing a usable distribution`);
    }
  }
}

function toSupport(d: TokenDist, support: readonly number[]): Float64Array {
  const index = new Map(support.map((id, i) => [id, i]));
  const p = new Float64Array(support.length);
  let sum = 0;
  d.tokenIds.forEach((id, i) => {
    const v = Math.exp(d.logprobs[i] as number);
    p[index.get(id) as number] = v;
    sum += v;
  });
  const tail = Math.max(0, 1 - sum);
  const missing: number[] = [];
  p.forEach((v, i) => {
    if (v === 0) missing.push(i);
  });
  if (missing.length > 0 && tail > 0) for (const i of missing) p[i] = tail / missing.length;
  const total = p.reduce((a, b) => a + b, 0);
  if (!Number.isFinite(total) || total <= 0) throw new ProbeError('divergence', 'distribution has no usable probability mass');
  for (let i = 0; i < p.length; i++) p[i] = (p[i] as number) / total;
  return p;
}

export function alignedProbs(base: TokenDist, ft: TokenDist): [Float64Array, Float64Array] {
  guard('base', base);
  guard('ft', ft);
  const support = [...new Set([...base.tokenIds, ...ft.tokenIds])].sort((a, b) => a - b);
  return [toSupport(base, support), toSupport(ft, support)];
}

export function kl(p: Float64Array, q: Float64Array): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] as number;
    if (pi > 0) s += pi * (Math.log(pi) - Math.log((q[i] as number) > 0 ? (q[i] as number) : 1e-12));
  }
  if (!Number.isFinite(s)) throw new ProbeError('divergence', 'KL divergence is not finite');
  return s;
}

export function js(p: Float64Array, q: Float64Array): number {
  const m = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) m[i] = 0.5 * ((p[i] as number) + (q[i] as number));
  const v = 0.5 * kl(p, m) + 0.5 * kl(q, m);
  if (v < -1e-9 || v > Math.LN2 + 1e-9) throw new ProbeError('divergence', `JS divergence ${v} is outside its theoretical bound [0, ln 2]`);
  return Math.max(0, v);
}

export function divergence(base: TokenDist, ft: TokenDist, kind: DivergenceKind = 'js'): number {
  const [p, q] = alignedProbs(base, ft);
  return kind === 'js' ? js(p, q) : kl(q, p);
}
