import { describe, expect, it } from 'vitest';
import { doraGains, doraGainsForScales } from '../../../src/engine/adapter/dora.js';
import { Rng } from '../../../src/core/rng.js';
import { loadAdapter } from '../../../src/engine/adapter/load.js';
import { mergeAdapterWeights } from '../../../src/engine/adapter/merge.js';
import type { LoraSlot, OverrideTensors } from '../../../src/engine/adapter/types.js';
import { getWeightFromSource, mergeOne, referenceForward } from '../../../src/engine/reference/index.js';
import { baseConfig, baseSource, loraPair, tinyArch, writeAdapter } from './helpers.js';

function slot(modulePath: string, over: Partial<LoraSlot>): LoraSlot {
  return {
    modulePath,
    target: { scope: 'layer', layer: 0, module: 'q_proj' },
    rank: 1,
    inFeatures: 2,
    outFeatures: 2,
    scaling: 0.5,
    a: Float32Array.of(1, 1),
    b: Float32Array.of(1, 2),
    bBias: null,
    magnitude: null,
    ...over,
  };
}

const Q = 'model.layers.0.self_attn.q_proj';
const base = new Map<string, Float64Array>([
  [`${Q}.weight`, Float64Array.of(1, 2, 3, 4)],
  ['model.embed_tokens.weight', Float64Array.of(1, 0, 0, 1, 1, 1)],
  ['model.norm.weight', Float64Array.of(1, 1)],
]);
const get = (n: string) => {
  const w = base.get(n);
  if (!w) throw new Error(`no ${n}`);
  return w;
};
const none = { overrides: new Map() as OverrideTensors, trainableTokens: null };

describe('doraGains', () => {
  it('matches a hand-computed example', () => {
    const s = slot(Q, { a: Float32Array.of(1, 0), b: Float32Array.of(0, 1), magnitude: Float32Array.of(6, 5) });
    const W = Float32Array.of(3, 0, 0, 1);
    // V = W + 2·B·A = [[3,0],[2,1]] → norms 3, √5
    expect(Array.from(doraGains(s, W, 2))).toEqual([2, Math.fround(Math.sqrt(5))]);
    expect(Array.from(doraGains(s, W, 0))).toEqual([2, 5]);
  });

  it('doraGainsForScales agrees with doraGains for each scale', () => {
    const rng = new Rng(4);
    const s = slot(Q, {
      rank: 3,
      inFeatures: 40,
      outFeatures: 24,
      a: rng.fillNormal(new Float32Array(120), 0.3),
      b: rng.fillNormal(new Float32Array(72), 0.3),
      magnitude: rng.fillNormal(new Float32Array(24), 1).map(Math.abs),
    });
    const W = rng.fillNormal(new Float32Array(24 * 40), 0.2);
    const scales = [0, 0.5, 2, -1.5];
    const sweep = doraGainsForScales(s, W, scales);
    scales.forEach((c, n) => {
      const one = doraGains(s, W, c);
      for (let o = 0; o < 24; o++) expect(Math.abs(sweep[n]![o]! - one[o]!) / one[o]!).toBeLessThan(1e-6);
    });
    expect(Array.from(doraGainsForScales(slot(Q, { a: Float32Array.of(1, 0), b: Float32Array.of(0, 1), magnitude: Float32Array.of(6, 5) }), Float32Array.of(3, 0, 0, 1), [2])[0]!)).toEqual([
      2,
      Math.fround(Math.sqrt(5)),
    ]);
  });

  it('requires a magnitude and a matching base', () => {
    expect(() => doraGains(slot(Q, {}), Float32Array.of(1, 2, 3, 4), 1)).toThrow('needs a DoRA magnitude');
    expect(() => doraGains(slot(Q, { magnitude: Float32Array.of(1, 1) }), Float32Array.of(1, 2, 3), 1)).toThrow('expected 2×2');
  });
});

describe('mergeAdapterWeights', () => {
  it('W + λ·s·B·A and the scaled LoRA B bias (hand-computed)', () => {
    const m = mergeAdapterWeights(get, { slots: [slot(Q, { bBias: Float32Array.of(1, -1) })], ...none }, 2);
    expect(Array.from(m(`${Q}.weight`))).toEqual([2, 3, 5, 6]);
    expect(Array.from(m(`${Q}.bias`))).toEqual([1, -1]);
    expect(m('model.norm.weight')).toBe(base.get('model.norm.weight'));
    const zero = mergeAdapterWeights(get, { slots: [slot(Q, {})], ...none }, 0);
    expect(Array.from(zero(`${Q}.weight`))).toEqual([1, 2, 3, 4]);
  });

  it('DoRA rows rescaled to the magnitude, also at λ=0', () => {
    const m = mergeAdapterWeights(get, { slots: [slot(Q, { magnitude: Float32Array.of(1, 10) })], ...none }, 2);
    const w = m(`${Q}.weight`);
    const r0 = 1 / Math.sqrt(13);
    const r1 = 10 / Math.sqrt(61);
    [2 * r0, 3 * r0, 5 * r1, 6 * r1].forEach((v, i) => expect(w[i]).toBeCloseTo(v, 14));
    const z = mergeAdapterWeights(get, { slots: [slot(Q, { magnitude: Float32Array.of(1, 10) })], ...none }, 0)(`${Q}.weight`);
    [1 / Math.sqrt(5), 2 / Math.sqrt(5), 30 / 5, 40 / 5].forEach((v, i) => expect(z[i]).toBeCloseTo(v, 14));
  });

  it('embedding LoRA adds (B·A)ᵀ to the rows (hand-computed)', () => {
    const emb = slot('model.embed_tokens', {
      target: { scope: 'embed_tokens' },
      inFeatures: 3,
      outFeatures: 2,
      scaling: 1,
      a: Float32Array.of(1, 0, 2),
      b: Float32Array.of(1, -1),
    });
    const m = mergeAdapterWeights(get, { slots: [emb], ...none }, 1);
    expect(Array.from(m('model.embed_tokens.weight'))).toEqual([2, -1, 0, 1, 3, -1]);
  });

  it('trainable tokens and overrides by role on a tied model', () => {
    const tokens = { tensorName: 'model.embed_tokens.weight', indices: [1], rows: Float32Array.of(9, 9) };
    const m = mergeAdapterWeights(get, { slots: [], overrides: new Map(), trainableTokens: tokens }, 1, { tiedEmbeddings: true });
    expect(Array.from(m('model.embed_tokens.weight'))).toEqual([1, 0, 9, 9, 1, 1]);
    expect(Array.from(m('lm_head.weight'))).toEqual([1, 0, 9, 9, 1, 1]);
    const head: OverrideTensors = new Map([['lm_head.weight', { shape: [3, 2], data: Float32Array.of(5, 5, 5, 5, 5, 5) }]]);
    const o = mergeAdapterWeights(get, { slots: [], overrides: head, trainableTokens: null }, 1, { tiedEmbeddings: true });
    expect(Array.from(o('lm_head.weight'))).toEqual([5, 5, 5, 5, 5, 5]);
    expect(Array.from(o('model.embed_tokens.weight'))).toEqual([1, 0, 0, 1, 1, 1]);
  });

  it('agrees with the reference mergeOne and drives the float64 reference forward', () => {
    const arch = tinyArch({ tieWordEmbeddings: true });
    const src = baseSource(arch);
    const tensors = [...loraPair(0, 'self_attn.q_proj', 2), ...loraPair(1, 'mlp.down_proj', 2), ...loraPair(0, 'self_attn.v_proj', 2)];
    const adapter = loadAdapter(writeAdapter(baseConfig({ target_modules: ['q_proj', 'v_proj', 'down_proj'] }), tensors), { arch, baseWeights: src });
    const getBase = getWeightFromSource(src);
    const m = mergeAdapterWeights(getBase, adapter, 0.7, { tiedEmbeddings: true });
    for (const s of adapter.slots) {
      const name = `${s.modulePath}.weight`;
      const ref = mergeOne(getBase(name), { weightName: name, outFeatures: s.outFeatures, inFeatures: s.inFeatures, rank: s.rank, scaling: 0.7 * s.scaling, a: s.a, b: s.b });
      const got = m(name);
      for (let i = 0; i < ref.length; i++) expect(Math.abs(got[i]! - ref[i]!)).toBeLessThan(1e-12);
    }
    const ids = [1, 5, 2, 7];
    const baseOut = referenceForward(arch, getBase, ids).logits;
    const lam0 = mergeAdapterWeights(getBase, adapter, 0, { tiedEmbeddings: true });
    const z = referenceForward(arch, lam0, ids, { lmHead: lam0('lm_head.weight') }).logits;
    expect(Array.from(z)).toEqual(Array.from(baseOut));
    const ft = referenceForward(arch, m, ids, { lmHead: m('lm_head.weight') }).logits;
    const maxDiff = ft.reduce((acc, v, i) => Math.max(acc, Math.abs(v - baseOut[i]!)), 0);
    expect(maxDiff).toBeGreaterThan(1e-4);
    expect(adapter.slots.map((s) => s.modulePath)).toContain('model.layers.1.mlp.down_proj');
  });
});
