/**
 * Seeded generators: the Box-Muller stream stays pinned (fixtures, bootstrap and
 * perturbations rely on it), the ziggurat filler is a standard normal, deterministic and
 * continuous across calls, and the portable exp/log agree with Math's to a few ulp.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Rng, portableExp, portableLog } from '../../src/core/rng.js';

const sha = (a: Float32Array) => createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');

/** Standard normal CDF via erfc (Numerical Recipes' Chebyshev fit, |error| < 1.2e-7). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const erfc = t * Math.exp(poly);
  return x >= 0 ? 1 - 0.5 * erfc : 0.5 * erfc;
}

describe('Rng: the Box-Muller stream is unchanged', () => {
  it('pins nextUint32, next, normal, int and fillNormal for a seed', () => {
    const r = new Rng(2024);
    expect([r.nextUint32(), r.nextUint32(), r.next(), r.normal(), r.normal(), r.int(1000)]).toEqual([2419916859, 2996235947, 0.2908725928523831, 0.9873189988775735, 0.15181966561440202, 91]);
    expect(Array.from(new Rng(9).fillNormal(new Float32Array(3), 0.5))).toEqual([0.2184465229511261, -0.742387592792511, -0.16216011345386505]);
  });
});

describe('Rng.fillNormalF32 (ziggurat)', () => {
  const n = 100_000;
  const draws = new Rng(2024).fillNormalF32(new Float32Array(n));

  it('pins the stream for a seed: the same bits on every platform', () => {
    expect(Array.from(draws.slice(0, 4))).toEqual([0.8257224559783936, -0.8716471791267395, 0.48635661602020264, 1.103606104850769]);
    expect(sha(draws)).toBe('30461222221481512487847d035c16a1b100727b531cf59da37ec6b3bf0745e6');
  });

  it('same seed, same bits; another seed, other bits', () => {
    expect(sha(new Rng(2024).fillNormalF32(new Float32Array(n)))).toBe(sha(draws));
    expect(sha(new Rng(2025).fillNormalF32(new Float32Array(n)))).not.toBe(sha(draws));
  });

  it('continues one stream across calls of any length (the rare paths included)', () => {
    const r = new Rng(2024);
    const parts = [1, 7, 100, 3, 5000, n - 5111].map((len) => r.fillNormalF32(new Float32Array(len)));
    const joined = new Float32Array(n);
    let at = 0;
    for (const p of parts) {
      joined.set(p, at);
      at += p.length;
    }
    expect(sha(joined)).toBe(sha(draws));
    // And the generator's other methods pick up where the filler stopped.
    const a = new Rng(5);
    const b = new Rng(5);
    a.fillNormalF32(new Float32Array(333));
    b.fillNormalF32(new Float32Array(333));
    expect(a.nextUint32()).toBe(b.nextUint32());
  });

  it('scales by std exactly (a power of two commutes with the fp32 rounding)', () => {
    const two = new Rng(2024).fillNormalF32(new Float32Array(1000), 2);
    two.forEach((v, i) => expect(v).toBe(2 * (draws[i] as number)));
  });

  it('has the standard normal’s moments, tails and symmetry', () => {
    let sum = 0;
    let sq = 0;
    let quart = 0;
    let pos = 0;
    let beyond3 = 0;
    let beyondR = 0;
    let lag = 0;
    for (let i = 0; i < n; i++) {
      const v = draws[i] as number;
      sum += v;
      sq += v * v;
      quart += v ** 4;
      if (v > 0) pos++;
      if (Math.abs(v) > 3) beyond3++;
      // The ziggurat's tail algorithm takes over beyond R = 3.4426.
      if (Math.abs(v) > 3.45) beyondR++;
      if (i > 0) lag += v * (draws[i - 1] as number);
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.015); // sd of the mean 0.0032
    expect(sq / n).toBeGreaterThan(0.98); // sd of the variance 0.0045
    expect(sq / n).toBeLessThan(1.02);
    expect(quart / n).toBeGreaterThan(2.85); // kurtosis 3, sd about 0.03
    expect(quart / n).toBeLessThan(3.15);
    expect(Math.abs(pos / n - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(lag / n)).toBeLessThan(0.015);
    // P(|x| > 3) = 0.0027 -> 270 expected (sd 16); P(|x| > 3.45) = 0.00056 -> 56 (sd 7.5).
    expect(beyond3).toBeGreaterThan(200);
    expect(beyond3).toBeLessThan(340);
    expect(beyondR).toBeGreaterThan(25);
    expect(beyondR).toBeLessThan(95);
  });

  it('passes a Kolmogorov-Smirnov test against N(0, 1)', () => {
    const sorted = Float64Array.from(draws).sort();
    let d = 0;
    for (let i = 0; i < n; i++) {
      const f = phi(sorted[i] as number);
      d = Math.max(d, Math.abs(f - i / n), Math.abs((i + 1) / n - f));
    }
    // Critical value at alpha = 0.001 is 1.95 / sqrt(n).
    expect(d * Math.sqrt(n)).toBeLessThan(1.95);
  });

  it('fills evenly over the layers: a chi-square over 40 equiprobable bins', () => {
    // Bin edges by bisection on phi; each bin holds n/40 = 2500 expected draws.
    const bins = 40;
    const edges: number[] = [];
    for (let k = 1; k < bins; k++) {
      let lo = -6;
      let hi = 6;
      for (let it = 0; it < 60; it++) {
        const mid = (lo + hi) / 2;
        if (phi(mid) < k / bins) lo = mid;
        else hi = mid;
      }
      edges.push(lo);
    }
    const counts = new Array<number>(bins).fill(0);
    for (const v of draws) {
      let k = 0;
      while (k < edges.length && v > (edges[k] as number)) k++;
      counts[k] = (counts[k] as number) + 1;
    }
    const e = n / bins;
    const chi2 = counts.reduce((acc, c) => acc + (c - e) ** 2 / e, 0);
    // 39 degrees of freedom: the 0.999 quantile is 72.
    expect(chi2).toBeLessThan(72);
  });
});

describe('portableExp / portableLog', () => {
  it('agree with Math.exp and Math.log to a few ulp', () => {
    for (let i = 0; i <= 4000; i++) {
      const x = -40 + i / 50;
      expect(Math.abs(portableExp(x) / Math.exp(x) - 1)).toBeLessThan(4 * Number.EPSILON);
      const y = Math.exp(x);
      expect(Math.abs(portableLog(y) - Math.log(y))).toBeLessThanOrEqual(4 * Number.EPSILON * Math.max(1, Math.abs(Math.log(y))));
    }
    for (const u of [1e-300, 2.3283064365386963e-10, 0.5, 0.999999, 1, 1.5, 1e10]) {
      expect(Math.abs(portableLog(u) - Math.log(u))).toBeLessThanOrEqual(4 * Number.EPSILON * Math.max(1, Math.abs(Math.log(u))));
    }
    for (const x of [-700, -100, -1e-9, 0, 1e-9, 100, 700]) expect(Math.abs(portableExp(x) / Math.exp(x) - 1)).toBeLessThan(4 * Number.EPSILON);
  });

  it('handle the edges', () => {
    expect(portableExp(0)).toBe(1);
    expect(portableLog(1)).toBe(0);
    expect(portableExp(-800)).toBe(0);
    expect(portableExp(800)).toBe(Infinity);
    expect(portableLog(0)).toBe(-Infinity);
    expect(portableLog(-1)).toBeNaN();
    expect(portableExp(NaN)).toBeNaN();
  });
});
