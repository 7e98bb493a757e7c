/** Float64 log-softmax and top-k over fp32 logits, with the reference's tail semantics. */
import type { TokenDist } from '../core/results.js';

export function logSoftmax(logits: Float32Array, offset: number, n: number): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[offset + i] as number);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp((logits[offset + i] as number) - max);
  const lse = max + Math.log(sum);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (logits[offset + i] as number) - lse;
  return out;
}

/**
 * Top-k of a log-distribution, sorted by descending probability (ties by token id).
 * tail: null when k covers the vocabulary; 0 when the remaining mass underflows (<= 1e-12);
 * otherwise ln(1 - sum(exp(top-k))).
 */
export function topKDist(lp: Float64Array, topK: number): TokenDist {
  const V = lp.length;
  const k = Math.max(1, Math.min(topK, V));
  const idx = Array.from({ length: V }, (_, i) => i);
  idx.sort((a, b) => (lp[b] as number) - (lp[a] as number) || a - b);
  const ids = Int32Array.from(idx.slice(0, k));
  const lps = Float64Array.from(ids, (i) => lp[i] as number);
  let tail: number | null = null;
  if (k < V) {
    let mass = 0;
    for (const v of lps) mass += Math.exp(v);
    const rest = 1 - mass;
    tail = rest > 1e-12 ? Math.log(rest) : 0;
  }
  return { tokenIds: ids, logprobs: lps, vocabSize: V, tailLogprob: tail };
}
