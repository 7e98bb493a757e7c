/** Float64 log-softmax and top-k over fp32 logits, with the reference's tail semantics. */
import type { TokenDist } from '../core/results.js';

/** log(sum(exp(logits[offset .. offset+n)))) in float64 (max-shifted). */
export function logSumExp(logits: Float32Array, offset: number, n: number): number {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[offset + i] as number);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp((logits[offset + i] as number) - max);
  return max + Math.log(sum);
}

export function logSoftmax(logits: Float32Array, offset: number, n: number): Float64Array {
  const lse = logSumExp(logits, offset, n);
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
  return topKOf(lp.length, topK, (i) => lp[i] as number);
}

/** The same distribution straight from one row of logits, without a vocabulary-sized array. */
export function topKFromLogits(logits: Float32Array, offset: number, n: number, topK: number): TokenDist {
  const lse = logSumExp(logits, offset, n);
  return topKOf(n, topK, (i) => (logits[offset + i] as number) - lse);
}

/** Beyond this k a full sort is cheaper than insertion into the kept list. */
const SELECT_LIMIT = 512;

function topKOf(V: number, topK: number, lpAt: (i: number) => number): TokenDist {
  const k = Math.max(1, Math.min(topK, V));
  let ids: Int32Array;
  let lps: Float64Array;
  if (k > SELECT_LIMIT) {
    const idx = Array.from({ length: V }, (_, i) => i);
    const lp = Float64Array.from(idx, lpAt);
    idx.sort((a, b) => (lp[b] as number) - (lp[a] as number) || a - b);
    ids = Int32Array.from(idx.slice(0, k));
    lps = Float64Array.from(ids, (i) => lp[i] as number);
  } else {
    // Partial selection: a descending kept list; ids arrive in ascending order, so an equal
    // value never displaces a kept one (ties stay ordered by token id, as with a full sort).
    ids = new Int32Array(k);
    lps = new Float64Array(k).fill(-Infinity);
    let filled = 0;
    for (let i = 0; i < V; i++) {
      const v = lpAt(i);
      if (filled === k && !(v > (lps[k - 1] as number))) continue;
      let j = filled < k ? filled++ : k - 1;
      while (j > 0 && v > (lps[j - 1] as number)) {
        lps[j] = lps[j - 1] as number;
        ids[j] = ids[j - 1] as number;
        j--;
      }
      lps[j] = v;
      ids[j] = i;
    }
  }
  let tail: number | null = null;
  if (k < V) {
    let mass = 0;
    for (const v of lps) mass += Math.exp(v);
    const rest = 1 - mass;
    tail = rest > 1e-12 ? Math.log(rest) : 0;
  }
  return { tokenIds: ids, logprobs: lps, vocabSize: V, tailLogprob: tail };
}
