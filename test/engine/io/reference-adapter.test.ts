import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadArchSpec } from '../../../src/engine/config.js';
import type { LoadedAdapter, LoraSlot } from '../../../src/engine/adapter/types.js';
import { writeTinyModel } from '../../../src/engine/fixtures/tiny-model.js';
import { getWeightFromSource, mergedWeights, referenceAdapterWeights, referenceForward } from '../../../src/engine/reference/index.js';
import { openModelWeights } from '../../../src/engine/safetensors/index.js';
import { Rng } from '../../../src/core/rng.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'sway-refad-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dir = path.join(root, 'llama');
writeTinyModel(dir, { family: 'llama', seed: 5 });
const arch = loadArchSpec(dir);
const get = getWeightFromSource(openModelWeights(dir));
const H = arch.hiddenSize;
const V = arch.vocabSize;
const EMBED = 'model.embed_tokens.weight';
const ids = [3, 400, 27, 650, 91];
const rng = new Rng(9);

function adapter(parts: Partial<LoadedAdapter>): LoadedAdapter {
  return { dir: 'x', contentHash: 'h', baseModelNameOrPath: null, useDora: false, slots: [], overrides: new Map(), trainableTokens: null, warnings: [], ...parts };
}
function slot(target: LoraSlot['target'], modulePath: string, inF: number, outF: number, r = 4, extra: Partial<LoraSlot> = {}): LoraSlot {
  return {
    modulePath, target, rank: r, inFeatures: inF, outFeatures: outF, scaling: 2,
    a: rng.fillNormal(new Float32Array(r * inF), 0.1), b: rng.fillNormal(new Float32Array(outF * r), 0.1), bBias: null, magnitude: null, ...extra,
  };
}
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('referenceAdapterWeights', () => {
  const base = referenceForward(arch, get, ids);
  const q = slot({ scope: 'layer', layer: 0, module: 'q_proj' }, 'model.layers.0.self_attn.q_proj', H, 64);
  const head = slot({ scope: 'lm_head' }, 'lm_head', H, V);

  it('λ = 0 reproduces the base; λ = 1 matches mergedWeights', () => {
    const ad = adapter({ slots: [q, head] });
    const zero = referenceAdapterWeights(arch, get, ad, 0);
    expect(maxDiff(referenceForward(arch, zero.getWeight, ids, zero.options).logits, base.logits)).toBeLessThan(1e-12);
    const one = referenceAdapterWeights(arch, get, ad);
    const m = mergedWeights(get, [q, head].map((s, i) => ({
      weightName: i === 0 ? 'model.layers.0.self_attn.q_proj.weight' : 'lm_head.weight',
      outFeatures: s.outFeatures, inFeatures: s.inFeatures, rank: s.rank, scaling: s.scaling, a: s.a, b: s.b,
    })), true);
    const x = referenceForward(arch, one.getWeight, ids, one.options).logits;
    const y = referenceForward(arch, m.getWeight, ids, m.lmHead ? { lmHead: m.lmHead } : {}).logits;
    expect(maxDiff(x, y)).toBe(0);
    expect(maxDiff(x, base.logits)).toBeGreaterThan(1e-3);
  });

  it('a saved embed_tokens copy on a tied model leaves the head on the original embedding', () => {
    const copy = Float32Array.from(get(EMBED), (x) => x * 1.5);
    const w = referenceAdapterWeights(arch, get, adapter({ overrides: new Map([[EMBED, { shape: [V, H], data: copy }]]) }));
    expect(w.options.lmHead).toBe(get(EMBED));
    expect(w.getWeight(EMBED)[7]).toBeCloseTo(copy[7]!, 6);
  });

  it('embed_tokens LoRA adds s·(B·A)ᵀ to the input embedding only', () => {
    const e = slot({ scope: 'embed_tokens' }, 'model.embed_tokens', V, H, 2);
    const w = referenceAdapterWeights(arch, get, adapter({ slots: [e] }), 0.5);
    const v = 42;
    const h = 5;
    const expected = get(EMBED)[v * H + h]! + 0.5 * 2 * (e.b[h * 2]! * e.a[v]! + e.b[h * 2 + 1]! * e.a[V + v]!);
    expect(w.getWeight(EMBED)[v * H + h]).toBeCloseTo(expected, 12);
    expect(w.options.lmHead).toBe(get(EMBED));
  });

  it('lora_bias adds λ·s·b_B to a module without a checkpoint bias', () => {
    const bBias = Float32Array.from({ length: H }, (_, i) => i / 100);
    const o = slot({ scope: 'layer', layer: 1, module: 'o_proj' }, 'model.layers.1.self_attn.o_proj', 64, H, 4, { bBias, b: new Float32Array(H * 4) });
    const w = referenceAdapterWeights(arch, get, adapter({ slots: [o] }), 0.5);
    const bias = w.options.extraBias?.get('model.layers.1.self_attn.o_proj.bias');
    expect(bias?.[10]).toBeCloseTo(0.5 * 2 * 0.1, 7);
    expect(maxDiff(referenceForward(arch, w.getWeight, ids, w.options).logits, base.logits)).toBeGreaterThan(1e-4);
  });

  it('DoRA rows take the magnitude vector as their norm', () => {
    const magnitude = Float32Array.from({ length: 64 }, (_, i) => 0.5 + i / 64);
    const d = { ...q, magnitude };
    const w = referenceAdapterWeights(arch, get, adapter({ slots: [d], useDora: true }));
    const W = w.getWeight('model.layers.0.self_attn.q_proj.weight');
    for (const row of [0, 31, 63]) {
      let ss = 0;
      for (let i = 0; i < H; i++) ss += W[row * H + i]! ** 2;
      expect(Math.sqrt(ss)).toBeCloseTo(magnitude[row]!, 6);
    }
  });

  it('trainable tokens replace rows of the embedding and of the tied head', () => {
    const rows = Float32Array.from({ length: 2 * H }, (_, i) => (i % 7) / 10);
    const w = referenceAdapterWeights(arch, get, adapter({ trainableTokens: { tensorName: EMBED, indices: [10, 700], rows } }));
    expect(w.getWeight(EMBED)[700 * H + 3]).toBeCloseTo(rows[H + 3]!, 6);
    expect(w.options.lmHead?.[10 * H + 6]).toBeCloseTo(rows[6]!, 6);
    expect(w.getWeight(EMBED)[11 * H]).toBe(get(EMBED)[11 * H]);
  });
});
