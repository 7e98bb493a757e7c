import { describe, expect, it } from 'vitest';
import { alignedProbs, divergence, js, kl } from '../../src/core/divergence.js';
import { safeFinalize } from '../../src/core/finalize.js';
import type { TokenDist } from '../../src/core/results.js';
import { bootstrapCi, linearR2 } from '../../src/core/stats.js';
import { formatZProfile, scoreFromZ, verdictFromZ, zScore, zScoresByRank } from '../../src/core/zscore.js';

const dist = (ids: number[], probs: number[], vocab = 100): TokenDist => ({
  tokenIds: Int32Array.from(ids),
  logprobs: Float64Array.from(probs.map(Math.log)),
  vocabSize: vocab,
  tailLogprob: null,
});

describe('divergence', () => {
  it('aligns on the union support, spreading each side tail over the slots it lacks', () => {
    const [p, q] = alignedProbs(dist([1, 2, 3], [0.5, 0.2, 0.1]), dist([2, 3, 4], [0.4, 0.3, 0.2]));
    expect(p.length).toBe(4);
    // base: tail 0.2 goes to id 4; ft: tail 0.1 goes to id 1.
    [0.5, 0.2, 0.1, 0.2].forEach((v, i) => expect(p[i]).toBeCloseTo(v, 12));
    expect(q[0]).toBeCloseTo(0.1, 12);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });

  it('JS is 0 on identical inputs, symmetric and bounded by ln 2; KL is KL(ft||base)', () => {
    const a = dist([1, 2], [0.7, 0.29]);
    const b = dist([1, 2], [0.2, 0.79]);
    expect(divergence(a, a)).toBe(0);
    expect(divergence(a, b)).toBeCloseTo(divergence(b, a), 12);
    expect(divergence(a, b)).toBeLessThanOrEqual(Math.LN2);
    const [p, q] = alignedProbs(a, b);
    expect(divergence(a, b, 'kl')).toBeCloseTo(kl(q, p), 15);
    expect(js(p, q)).toBeCloseTo(0.5 * kl(p, Float64Array.from(p, (v, i) => (v + q[i]!) / 2)) + 0.5 * kl(q, Float64Array.from(p, (v, i) => (v + q[i]!) / 2)), 15);
    // Disjoint top-1 supports: each side's 0.001 tail lands on the other's token.
    expect(Math.LN2 - divergence(dist([0], [0.999]), dist([1], [0.999]))).toBeLessThan(0.01);
  });

  it('refuses non-finite and effectively uniform inputs', () => {
    expect(() => divergence(dist([1, 2], [NaN, 0.5]), dist([1, 2], [0.5, 0.5]))).toThrow(/non-finite/);
    expect(() => divergence(dist([1, 2], [0.5, 0.5]), dist([1, 2], [0.4, 0.5]))).toThrow(/effectively-uniform/);
  });
});

describe('z-scores', () => {
  it('guards: no stats, degenerate, tiny std', () => {
    expect(zScore(1, null)).toBeNull();
    expect(zScore(1, { mean: 0, std: 1, n: 3, degenerate: 1 })).toBeNull();
    expect(zScore(1, { mean: 0, std: 1e-7, n: 3 })).toBeNull();
    expect(zScore(1, { mean: 0, std: 1e-6, n: 3 })).toBe(1e6);
    expect(zScore(3, { mean: 1, std: 0.5, n: 3 })).toBe(4);
  });

  it('verdict is inclusive at the threshold; score is band-aligned', () => {
    expect(verdictFromZ(3, 3)).toBe('pass');
    expect(verdictFromZ(2.99, 3)).toBe('fail');
    expect(scoreFromZ(0)).toBe(0);
    expect(scoreFromZ(2)).toBeCloseTo(0.3, 12);
    expect(scoreFromZ(3)).toBeCloseTo(0.6, 12);
    expect(scoreFromZ(1000)).toBeCloseTo(0.85, 6);
    expect(scoreFromZ(-5)).toBe(0);
  });

  it('rank profile keys and text', () => {
    const byRank = zScoresByRank(2, { 'rank_0.50': { mean: 0, std: 0.5, n: 2 }, 'rank_1.00': { mean: 0, std: 1, n: 2 }, 'rank_2.00': { mean: 0, std: 1, n: 1, degenerate: 1 } });
    expect(byRank).toEqual({ 'rank_0.50': 4, 'rank_1.00': 2 });
    expect(formatZProfile(byRank)).toBe('+4.00σ @ 0.5x / +2.00σ @ 1x');
  });
});

describe('safeFinalize', () => {
  it('turns a non-finite raw into ERROR with every scalar cleared', () => {
    const r = safeFinalize({ name: 'p', kind: 'delta_kl', verdict: 'pass', raw: NaN, score: 0.5, z_score: Infinity, ci_95: [0, 1], evidence: { weight: 1 } });
    expect(r.verdict).toBe('error');
    expect(r.score).toBeNull();
    expect(r.ci_95).toBeNull();
    expect(r.message).toBe('non-finite critical field(s): raw — probe cannot produce a meaningful result');
    expect(r.evidence['non_finite_inputs']).toEqual({ raw: NaN, z_score: Infinity });
  });

  it('nulls a non-finite non-critical field and records it', () => {
    const r = safeFinalize({ name: 'p', kind: 'k', verdict: 'pass', raw: 0.3, base_value: -Infinity, ci_95: [0.1, 0.5] });
    expect(r.verdict).toBe('pass');
    expect(r.base_value).toBeNull();
    expect(r.evidence['defensively_nulled']).toEqual(['base_value']);
    expect(r.ci_95).toEqual([0.1, 0.5]);
  });
});

describe('stats', () => {
  it('bootstrap CI is seeded, ordered and contains the mean', () => {
    const xs = [0.1, 0.4, 0.35, 0.2, 0.8, 0.5];
    const a = bootstrapCi(xs, { seed: 3 });
    expect(a).toEqual(bootstrapCi(xs, { seed: 3 }));
    expect(a![0]).toBeLessThan(a![1]);
    const m = xs.reduce((s, v) => s + v, 0) / xs.length;
    expect(a![0]).toBeLessThan(m);
    expect(a![1]).toBeGreaterThan(m);
    expect(bootstrapCi([2, 2, 2])).toEqual([2, 2]);
    expect(bootstrapCi([])).toBeNull();
    expect(bootstrapCi([1, NaN])).toBeNull();
  });

  it('R² edge cases', () => {
    expect(linearR2([0, 1, 2], [1, 1, 1])).toBe(1);
    expect(linearR2([1, 1, 1], [0, 1, 2])).toBe(0);
    expect(linearR2([0, 1, 2, 3], [0, 2, 4, 6])).toBeCloseTo(1, 12);
  });
});
