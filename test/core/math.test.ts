import { describe, expect, it } from 'vitest';
import { alignedProbs, divergence, klAligned } from '../../src/core/divergence.js';
import { safeFinalize } from '../../src/core/finalize.js';
import { bootstrapCi, rSquared } from '../../src/core/stats.js';
import { noCalibrationNote, nullStatFromRaws, scoreFromZ, verdictFromZ, zScore, zScoresByRank } from '../../src/core/zscore.js';
import { formatZProfile, rankLabel, withRankProfile } from '../../src/core/rank-profile.js';
import { fixed, pyFloat, pyG, percent } from '../../src/core/pyformat.js';
import type { TokenDist } from '../../src/core/results.js';
import { ProbeError } from '../../src/core/errors.js';

function dist(ids: number[], probs: number[]): TokenDist {
  return {
    tokenIds: Int32Array.from(ids),
    logprobs: Float64Array.from(probs.map(Math.log)),
    vocabSize: 100,
    tailLogprob: null,
  };
}

describe('divergence', () => {
  it('aligns on the union and spreads each tail over the missing slots', () => {
    const [p, q] = alignedProbs(dist([1, 2, 3], [0.5, 0.3, 0.1]), dist([2, 3, 4], [0.6, 0.2, 0.1]));
    expect(p.length).toBe(4);
    // base: tail 0.1 goes to id 4; ft: tail 0.1 goes to id 1
    expect([...p].map((v) => +v.toFixed(12))).toEqual([0.5, 0.3, 0.1, 0.1]);
    expect([...q].map((v) => +v.toFixed(12))).toEqual([0.1, 0.6, 0.2, 0.1]);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });

  it('KL is KL(ft||base) and matches a hand computation', () => {
    const base = dist([0, 1], [0.75, 0.25]);
    const ft = dist([0, 1], [0.4, 0.6]);
    const expected = 0.4 * Math.log(0.4 / 0.75) + 0.6 * Math.log(0.6 / 0.25);
    expect(divergence(base, ft, 'kl')).toBeCloseTo(expected, 12);
    const reverse = 0.75 * Math.log(0.75 / 0.4) + 0.25 * Math.log(0.25 / 0.6);
    expect(divergence(ft, base, 'kl')).toBeCloseTo(reverse, 12);
  });

  it('JS is symmetric, zero on identical inputs, bounded by ln2 on disjoint support', () => {
    const a = dist([0, 1, 2], [0.7, 0.2, 0.1]);
    const b = dist([0, 1, 2], [0.2, 0.5, 0.3]);
    const m = [0.45, 0.35, 0.2];
    const pa = [0.7, 0.2, 0.1];
    const pb = [0.2, 0.5, 0.3];
    const hand = 0.5 * pa.reduce((s, v, i) => s + v * Math.log(v / m[i]!), 0) + 0.5 * pb.reduce((s, v, i) => s + v * Math.log(v / m[i]!), 0);
    expect(divergence(a, b)).toBeCloseTo(hand, 12);
    expect(divergence(a, b)).toBeCloseTo(divergence(b, a), 12);
    expect(divergence(a, a)).toBe(0);
    expect(divergence(a, a, 'kl')).toBe(0);
    const d = divergence(dist([0, 1], [0.6, 0.4]), dist([5, 6], [0.6, 0.4]));
    expect(d).toBeCloseTo(Math.LN2, 9);
  });

  it('floors q at 1e-12 and rejects NaN or uniform inputs', () => {
    expect(klAligned(Float64Array.from([1, 0]), Float64Array.from([0, 1]))).toBeCloseTo(-Math.log(1e-12), 9);
    const nan = dist([0, 1], [0.5, 0.5]);
    nan.logprobs[0] = NaN;
    expect(() => divergence(nan, dist([0, 1], [0.4, 0.6]))).toThrow(/base TokenDist contains 1 non-finite/);
    expect(() => divergence(dist([0, 1], [0.4, 0.6]), dist([0, 1], [0.5, 0.5]))).toThrow(ProbeError);
  });
});

describe('safeFinalize', () => {
  it('turns a non-finite raw into ERROR recording every non-finite field', () => {
    const r = safeFinalize({ name: 'p', kind: 'k', verdict: 'pass', raw: NaN, score: Infinity, z_score: 1, evidence: { a: 1 }, ci_95: [0, 1] });
    expect(r.verdict).toBe('error');
    expect(r.raw).toBeNull();
    expect(r.z_score).toBeNull();
    expect(r.ci_95).toBeNull();
    expect(r.evidence).toEqual({ a: 1, non_finite_inputs: { score: Infinity, raw: NaN } });
    expect(r.message).toBe('non-finite critical field(s): raw — probe cannot produce a meaningful result');
  });
  it('nulls non-critical non-finite fields and keeps the verdict', () => {
    const r = safeFinalize({ name: 'p', kind: 'k', verdict: 'fail', raw: 0.5, z_score: NaN, ft_value: -Infinity, ci_95: [0.1, 0.9] });
    expect(r.verdict).toBe('fail');
    expect(r.z_score).toBeNull();
    expect(r.evidence['defensively_nulled']).toEqual(['ft_value', 'z_score']);
    expect(r.ci_95).toEqual([0.1, 0.9]);
  });
  it('lets NaN raw through as a defensive null with no critical fields, clearing ci_95', () => {
    const r = safeFinalize({ name: 'p', kind: 'k', verdict: 'warn', raw: NaN, criticalFields: [], ci_95: [0, 1] });
    expect(r.verdict).toBe('warn');
    expect(r.raw).toBeNull();
    expect(r.ci_95).toBeNull();
    expect(r.evidence['defensively_nulled']).toEqual(['raw']);
  });
});

describe('bootstrapCi', () => {
  it('is deterministic per seed and brackets the mean', () => {
    const xs = [0.1, 0.4, 0.35, 0.8, 0.2, 0.5, 0.13, 0.77, 0.61, 0.29, 0.44, 0.05, 0.93, 0.38];
    const a = bootstrapCi(xs, { seed: 7 });
    expect(a).toEqual(bootstrapCi(xs, { seed: 7 }));
    expect(a).not.toEqual(bootstrapCi(xs, { seed: 8 }));
    const m = xs.reduce((s, v) => s + v, 0) / xs.length;
    expect(a![0]).toBeLessThan(m);
    expect(a![1]).toBeGreaterThan(m);
    expect(a![0]).toBeGreaterThanOrEqual(0.05);
  });
  it('handles the edge cases', () => {
    expect(bootstrapCi([])).toBeNull();
    expect(bootstrapCi([1, NaN])).toBeNull();
    expect(bootstrapCi([1, 2], { confidence: 1 })).toBeNull();
    expect(bootstrapCi([0.3, 0.3, 0.3])).toEqual([0.3, 0.3]);
  });
  it('R² is 1 for a line and a constant curve, 0 for constant x', () => {
    expect(rSquared([0, 1, 2], [1, 3, 5])).toBeCloseTo(1, 12);
    expect(rSquared([0, 1, 2], [2, 2, 2])).toBe(1);
    expect(rSquared([1, 1, 1], [0, 1, 2])).toBe(0);
    expect(rSquared([0, 1, 2, 3], [0, 1, 0, 1])).toBeCloseTo(0.2, 12);
  });
});

describe('z-score helpers', () => {
  it('applies the guard chain', () => {
    expect(zScore(0.5, { mean: 0.1, std: 0.1, n: 3 })).toBeCloseTo(4, 12);
    expect(zScore(0.5, null)).toBeNull();
    expect(zScore(0.5, { mean: 0.1, std: 1e-7, n: 3 })).toBeNull();
    expect(zScore(0.5, { mean: 0.1, std: 1e-6, n: 3 })).toBeCloseTo(400000, 3);
    expect(zScore(0.5, { mean: 0.1, std: 0.1, n: 1, degenerate: 1 })).toBeNull();
    expect(zScore(NaN, { mean: 0.1, std: 0.1, n: 3 })).toBeNull();
    expect(verdictFromZ(3, 3)).toBe('pass');
    expect(verdictFromZ(2.999, 3)).toBe('fail');
    expect(scoreFromZ(0)).toBe(0.5);
    expect(scoreFromZ(3)).toBeCloseTo(0.7310585786, 9);
    expect(scoreFromZ(-1000)).toBeGreaterThan(0);
    expect(noCalibrationNote('delta_kl')).toBe('(no calibration for delta_kl)');
    expect(zScoresByRank(1, { 'rank_1.00': { mean: 0, std: 0.5 }, 'rank_2.00': { mean: 0, std: 0 } }, -1)).toEqual({ 'rank_1.00': -2 });
  });
  it('computes null stats with the floor and degenerate flag', () => {
    expect(nullStatFromRaws([1, 3])).toEqual({ mean: 2, std: 1, n: 2, degenerate: 0 });
    expect(nullStatFromRaws([2])).toEqual({ mean: 2, std: 1e-6, n: 1, degenerate: 1 });
    expect(nullStatFromRaws([2, 2])).toEqual({ mean: 2, std: 1e-6, n: 2, degenerate: 1 });
  });
  it('formats the rank profile', () => {
    expect(rankLabel('rank_0.50')).toBe('0.5x');
    expect(rankLabel('rank_2.00')).toBe('2x');
    expect(rankLabel('weird')).toBe('weird');
    const z = { 'rank_1.00': 4.2, 'rank_0.50': 6.8, 'rank_2.00': 2.1 };
    expect(formatZProfile(z)).toBe('+4.20σ @ 1x / +6.80σ @ 0.5x / +2.10σ @ 2x');
    expect(withRankProfile('m', z)).toBe('m | rank profile: +4.20σ @ 1x / +6.80σ @ 0.5x / +2.10σ @ 2x');
    expect(withRankProfile('m', { 'rank_1.00': 1 })).toBe('m');
  });
  it('formats numbers like Python', () => {
    expect(pyFloat(0.02)).toBe('0.02');
    expect(pyFloat(2)).toBe('2.0');
    expect(pyG(0.5)).toBe('0.5');
    expect(pyG(1)).toBe('1');
    expect(pyG(1234567)).toBe('1.23457e+06');
    expect(fixed(0.125, 2)).toBe('0.12');
    expect(percent(0.25)).toBe('25.00%');
  });
});
