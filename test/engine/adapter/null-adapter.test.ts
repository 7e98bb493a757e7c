import { describe, expect, it } from 'vitest';
import { SwayError } from '../../../src/core/errors.js';
import { Rng } from '../../../src/core/rng.js';
import { nullAdapterSlots } from '../../../src/engine/adapter/null-adapter.js';
import type { LoraSlot } from '../../../src/engine/adapter/types.js';

function slot(modulePath: string, rank: number, inF: number, outF: number, extra: Partial<LoraSlot> = {}): LoraSlot {
  return {
    modulePath,
    target: { scope: 'layer', layer: 0, module: 'q_proj' },
    rank,
    inFeatures: inF,
    outFeatures: outF,
    scaling: 2,
    a: new Float32Array(rank * inF).fill(1),
    b: new Float32Array(outF * rank).fill(1),
    bBias: null,
    magnitude: null,
    ...extra,
  };
}

const adapter = {
  slots: [
    slot('model.layers.0.self_attn.q_proj', 2, 8, 8, { magnitude: Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8), bBias: new Float32Array(8).fill(0.5) }),
    slot('model.layers.0.self_attn.v_proj', 4, 8, 4),
  ],
};

function std(x: Float32Array): number {
  let s = 0;
  let ss = 0;
  for (const v of x) {
    s += v;
    ss += v * v;
  }
  const m = s / x.length;
  return Math.sqrt(ss / x.length - m * m);
}

describe('nullAdapterSlots', () => {
  it('keeps shapes, ranks, scaling, DoRA magnitude and B bias', () => {
    const n = nullAdapterSlots(adapter, 1000);
    expect(n.map((s) => [s.modulePath, s.rank, s.a.length, s.b.length, s.scaling])).toEqual([
      ['model.layers.0.self_attn.q_proj', 2, 16, 16, 2],
      ['model.layers.0.self_attn.v_proj', 4, 32, 16, 2],
    ]);
    expect(n[0]!.magnitude).toBe(adapter.slots[0]!.magnitude);
    expect(n[0]!.bBias).toBe(adapter.slots[0]!.bBias);
    expect(n[0]!.a).toBeInstanceOf(Float32Array);
    expect(adapter.slots[0]!.a[0]).toBe(1);
  });

  it('draws A then B per slot in slot order from one Rng(seed)', () => {
    const n = nullAdapterSlots(adapter, 7, { initScale: 0.5, rankScale: 4 });
    const rng = new Rng(7);
    const want = [16, 16, 32, 16].map((len) => rng.fillNormal(new Float32Array(len), 0.5 * 2));
    expect([n[0]!.a, n[0]!.b, n[1]!.a, n[1]!.b]).toEqual(want);
  });

  it('is bit-identical for a seed and differs across seeds', () => {
    const x = nullAdapterSlots(adapter, 1001);
    const y = nullAdapterSlots(adapter, 1001);
    const z = nullAdapterSlots(adapter, 1002);
    expect(Buffer.from(x[1]!.b.buffer).equals(Buffer.from(y[1]!.b.buffer))).toBe(true);
    expect(Buffer.from(x[1]!.b.buffer).equals(Buffer.from(z[1]!.b.buffer))).toBe(false);
  });

  it('has std initScale·sqrt(rankScale) within a few percent', () => {
    const big = { slots: [slot('model.layers.0.mlp.up_proj', 8, 1024, 1024)] };
    for (const rankScale of [1, 4, 0.25]) {
      const [s] = nullAdapterSlots(big, 3, { rankScale });
      const want = 0.02 * Math.sqrt(rankScale);
      expect(Math.abs(std(s!.a) / want - 1)).toBeLessThan(0.03);
      expect(Math.abs(std(s!.b) / want - 1)).toBeLessThan(0.03);
    }
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('refuses rank_scale %s', (rankScale) => {
    expect(() => nullAdapterSlots(adapter, 1, { rankScale })).toThrow(SwayError);
    expect(() => nullAdapterSlots(adapter, 1, { rankScale })).toThrow('rank_scale must be a finite number > 0');
  });

  it('refuses a bad init_scale or seed', () => {
    expect(() => nullAdapterSlots(adapter, 1, { initScale: Number.NaN })).toThrow('init_scale');
    expect(() => nullAdapterSlots(adapter, 1.5)).toThrow('seed must be an integer');
  });
});
