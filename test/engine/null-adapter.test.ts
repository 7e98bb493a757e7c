/** Null adapter draws: strength matched per module, rank multiplier as sqrt(m), seed contract, init family, draw layout. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { SWAY_VERSION } from '../../src/core/version.js';
import { nullAdapterSlots, slotUpdateNorms, updateNorm } from '../../src/engine/adapter/null.js';
import { nullCacheKey } from '../../src/probes/baseline/null-cache.js';
import type { LoraSlot } from '../../src/engine/adapter/types.js';

function slot(rank: number, inF: number, outF: number, scaling: number, rng: Rng, std: number): LoraSlot {
  return {
    modulePath: `m.${rank}.${inF}.${outF}`,
    target: { scope: 'lm_head' },
    rank,
    inFeatures: inF,
    outFeatures: outF,
    scaling,
    a: rng.fillNormal(new Float32Array(rank * inF), std),
    b: rng.fillNormal(new Float32Array(outF * rank), std),
    bBias: null,
    magnitude: null,
  };
}

/** ||B A||_F by forming B A explicitly, in float64. */
function explicitNorm(s: LoraSlot): number {
  let ss = 0;
  for (let o = 0; o < s.outFeatures; o++) {
    for (let i = 0; i < s.inFeatures; i++) {
      let v = 0;
      for (let k = 0; k < s.rank; k++) v += (s.b[o * s.rank + k] as number) * (s.a[k * s.inFeatures + i] as number);
      ss += v * v;
    }
  }
  return Math.sqrt(ss);
}

describe('null adapters of the adapter’s own strength', () => {
  const rng = new Rng(5);
  // Modules of very different strengths, ranks and shapes.
  const real = [slot(4, 16, 24, 2, rng, 0.3), slot(8, 24, 16, 0.5, rng, 0.01), slot(2, 8, 40, 8, rng, 1.5)];

  it('updateNorm equals the Frobenius norm of the explicit product', () => {
    for (const s of real) expect(updateNorm(s.a, s.b, s.rank)).toBeCloseTo(explicitNorm(s), 4);
  });

  it('matches every module’s scaled update norm, times sqrt(m) for rank multiplier m', () => {
    const target = slotUpdateNorms(real);
    for (const m of [0.5, 1, 2, 4]) {
      const got = slotUpdateNorms(nullAdapterSlots(real, 1000, { rankScale: m }));
      got.forEach((g, i) => expect(g / (target[i]! * Math.sqrt(m))).toBeCloseTo(1, 5));
    }
  });

  it('matches the strength for odd ranks and rank 1 as well', () => {
    const odd = [slot(1, 12, 20, 1, rng, 0.2), slot(3, 30, 10, 1, rng, 0.2), slot(5, 9, 33, 4, rng, 0.05), slot(7, 40, 40, 1, rng, 0.1)];
    const target = slotUpdateNorms(odd);
    slotUpdateNorms(nullAdapterSlots(odd, 4)).forEach((g, i) => expect(g / target[i]!).toBeCloseTo(1, 6));
  });

  it('keeps shapes, ranks and scaling, and the null directions are not the real ones', () => {
    const nul = nullAdapterSlots(real, 1000);
    nul.forEach((n, i) => {
      const r = real[i]!;
      expect([n.rank, n.scaling, n.a.length, n.b.length]).toEqual([r.rank, r.scaling, r.a.length, r.b.length]);
      let dot = 0;
      for (let k = 0; k < n.a.length; k++) dot += (n.a[k] as number) * (r.a[k] as number);
      expect(Math.abs(dot) / (Math.hypot(...n.a) * Math.hypot(...r.a))).toBeLessThan(0.5);
    });
  });

  it('same seed, same bits; another seed, other bits', () => {
    const a = nullAdapterSlots(real, 7, { rankScale: 2 });
    const b = nullAdapterSlots(real, 7, { rankScale: 2 });
    const c = nullAdapterSlots(real, 8, { rankScale: 2 });
    a.forEach((s, i) => {
      expect(Buffer.from(s.a.buffer).equals(Buffer.from(b[i]!.a.buffer))).toBe(true);
      expect(Buffer.from(s.b.buffer).equals(Buffer.from(b[i]!.b.buffer))).toBe(true);
      expect(Buffer.from(s.a.buffer).equals(Buffer.from(c[i]!.a.buffer))).toBe(false);
    });
  });

  it('pins the bits of a seed’s null (the same on every platform)', () => {
    const h = createHash('sha256');
    for (const n of nullAdapterSlots(real, 7, { rankScale: 2 })) h.update(new Uint8Array(n.a.buffer)).update(new Uint8Array(n.b.buffer));
    expect(h.digest('hex')).toBe('da2f030c6304c2a9dac0759e9cb62349a10cf8636ce2dd63ba5857d2a4fdbc41');
  });

  it('draws A row by row, then B column by column, from one fillNormalF32 stream; matched scales both by one factor', () => {
    const s = real[0]!;
    const stream = new Rng(21).fillNormalF32(new Float32Array(s.a.length + s.b.length));
    const inStreamOrder = (n: { a: Float32Array; b: Float32Array }) => {
      const out = Float32Array.from(n.a);
      const bt = new Float32Array(s.b.length);
      for (let o = 0; o < s.outFeatures; o++) for (let i = 0; i < s.rank; i++) bt[i * s.outFeatures + o] = n.b[o * s.rank + i] as number;
      return [...out, ...bt];
    };
    const [init] = nullAdapterSlots([s], 21, { scale: 'init', initScale: 1 });
    expect(inStreamOrder(init!)).toEqual([...stream]);
    const [matched] = nullAdapterSlots([s], 21);
    const half = (matched!.a[0] as number) / (stream[0] as number);
    inStreamOrder(matched!).forEach((v, k) => expect(Math.abs(v - (stream[k] as number) * half)).toBeLessThanOrEqual(1e-6 * Math.abs(v)));
  });

  it('a zero real update (PEFT B = 0 init) gives a zero null update', () => {
    const z = { ...real[0]!, b: new Float32Array(real[0]!.b.length) };
    const [n] = nullAdapterSlots([z], 3);
    expect(updateNorm(n!.a, n!.b, n!.rank)).toBe(0);
  });

  it('the init family keeps the reference draw: N(0, (init_scale·sqrt(m))²), independent of the real weights', () => {
    const big = nullAdapterSlots(real, 11, { scale: 'init', initScale: 0.02, rankScale: 4 });
    const again = nullAdapterSlots(real.map((s) => ({ ...s, a: new Float32Array(s.a.length), b: new Float32Array(s.b.length) })), 11, { scale: 'init', initScale: 0.02, rankScale: 4 });
    const all = big.flatMap((s) => [...s.a, ...s.b]);
    const std = Math.sqrt(all.reduce((acc, v) => acc + v * v, 0) / all.length);
    expect(std).toBeGreaterThan(0.04 * 0.9);
    expect(std).toBeLessThan(0.04 * 1.1);
    big.forEach((s, i) => expect(Buffer.from(s.a.buffer).equals(Buffer.from(again[i]!.a.buffer))).toBe(true));
  });

  it('null statistics cached from the previous draw stream never hit: the cache key carries the draw version', () => {
    const params = { runs: 5, seed_base: 0 };
    // The key as written before the draw changed (no null_draw field).
    const before = createHash('sha256').update(JSON.stringify({ backend: 'hf:x', params, sway_version: SWAY_VERSION })).digest('hex').slice(0, 32);
    expect(nullCacheKey('hf:x', params)).not.toBe(before);
    expect(nullCacheKey('hf:x', params)).toBe(nullCacheKey('hf:x', { ...params }));
  });

  it('refuses a non-positive rank multiplier and an unknown family', () => {
    expect(() => nullAdapterSlots(real, 1, { rankScale: 0 })).toThrow(/rank_scale/);
    expect(() => nullAdapterSlots(real, 1, { scale: 'huge' as 'init' })).toThrow(/null_scale/);
  });
});
