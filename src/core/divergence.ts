/**
 * Divergence between two top-k next-token distributions, in nats. The two sides are
 * aligned on the union of their token ids; each side's missing probability mass (the
 * tail beyond its top k) is spread evenly over the union slots it lacks, then both are
 * renormalised. Direction: `kl` is KL(ft || base) = Σ q_ft ln(q_ft / p_base), i.e. how
 * surprised the base is by the fine-tuned distribution. JS is symmetric.
 */
import type { TokenDist } from './results.js';
import { ProbeError } from './errors.js';

export type DivergenceKind = 'kl' | 'js';
export const KL_DIRECTION = 'kl(ft||base)';

const Q_FLOOR = 1e-12;

export function divergenceDirection(kind: DivergenceKind): string {
  return kind === 'kl' ? KL_DIRECTION : 'js(symmetric)';
}

function guard(side: 'base' | 'ft', d: TokenDist): void {
  let bad = 0;
  for (const lp of d.logprobs) if (!Number.isFinite(lp)) bad++;
  if (bad > 0) {
    throw new ProbeError(
      'divergence',
      `${side} TokenDist contains ${bad} non-finite logprob(s) — refusing to compute divergence on a model that produces NaN/inf logits`,
    );
  }
  if (d.logprobs.length >= 2) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const lp of d.logprobs) {
      lo = Math.min(lo, lp);
      hi = Math.max(hi, lp);
    }
    if (hi - lo < 1e-9) {
      throw new ProbeError(
        'divergence',
        `${side} TokenDist has effectively-uniform top-k logprobs (spread=${(hi - lo).toExponential(2)}) — ` +
          'the model output carries no ranking signal; check the logits or raise top_k',
      );
    }
  }
}

function toSupport(d: TokenDist, index: Map<number, number>, size: number, side: 'base' | 'ft'): Float64Array {
  const out = new Float64Array(size);
  let total = 0;
  const known = new Uint8Array(size);
  for (let i = 0; i < d.tokenIds.length; i++) {
    const p = Math.exp(d.logprobs[i] as number);
    const slot = index.get(d.tokenIds[i] as number) as number;
    out[slot] = (out[slot] as number) + p;
    known[slot] = 1;
    total += p;
  }
  const tail = Math.max(0, 1 - total);
  let missing = 0;
  for (let i = 0; i < size; i++) if (!known[i]) missing++;
  if (missing > 0 && tail > 0) {
    const share = tail / missing;
    for (let i = 0; i < size; i++) if (!known[i]) out[i] = share;
  }
  let sum = 0;
  for (const v of out) sum += v;
  if (!Number.isFinite(sum) || sum <= 0) {
    throw new ProbeError('divergence', `${side} distribution has no probability mass on the aligned support (sum=${sum})`);
  }
  for (let i = 0; i < size; i++) out[i] = (out[i] as number) / sum;
  return out;
}

/** Aligns base and ft on the sorted union of their token ids: [p_base, q_ft]. */
export function alignedProbs(base: TokenDist, ft: TokenDist): [Float64Array, Float64Array] {
  guard('base', base);
  guard('ft', ft);
  const ids = [...new Set([...base.tokenIds, ...ft.tokenIds])].sort((a, b) => a - b);
  const index = new Map(ids.map((id, i) => [id, i] as const));
  return [toSupport(base, index, ids.length, 'base'), toSupport(ft, index, ids.length, 'ft')];
}

/** KL(p || q) over aligned vectors, with q floored at 1e-12 where it is 0. */
export function klAligned(p: Float64Array, q: Float64Array): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] as number;
    if (pi <= 0) continue;
    const qi = q[i] as number;
    s += pi * (Math.log(pi) - Math.log(qi > 0 ? qi : Q_FLOOR));
  }
  if (!Number.isFinite(s)) throw new ProbeError('divergence', `KL is not finite (${s})`);
  return s;
}

export function jsAligned(p: Float64Array, q: Float64Array): number {
  const m = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) m[i] = 0.5 * ((p[i] as number) + (q[i] as number));
  const r = 0.5 * klAligned(p, m) + 0.5 * klAligned(q, m);
  if (r < -1e-9 || r > Math.LN2 + 1e-9) {
    throw new ProbeError('divergence', `JS divergence ${r} outside theoretical bound [0, ln2]`);
  }
  return Math.max(0, r);
}

/** JS (default) or KL(ft || base) between the base and fine-tuned next-token distributions. */
export function divergence(base: TokenDist, ft: TokenDist, kind: DivergenceKind = 'js'): number {
  const [p, q] = alignedProbs(base, ft);
  if (kind === 'js') return jsAligned(p, q);
  if (kind === 'kl') return klAligned(q, p);
  throw new ProbeError('divergence', `unknown divergence kind '${String(kind)}' (use 'js' or 'kl')`);
}
