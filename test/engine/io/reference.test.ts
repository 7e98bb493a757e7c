import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadArchSpec } from '../../../src/engine/config.js';
import { writeTinyModel } from '../../../src/engine/fixtures/tiny-model.js';
import { getWeightFromSource, mergedWeights, referenceForward } from '../../../src/engine/reference/index.js';
import { openModelWeights } from '../../../src/engine/safetensors/index.js';
import { SUPPORTED_FAMILIES, type Family } from '../../../src/engine/types.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'sway-ref-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function load(family: Family) {
  const dir = path.join(root, family);
  writeTinyModel(dir, { family, seed: 3 });
  const arch = loadArchSpec(dir);
  const src = openModelWeights(dir);
  return { arch, get: getWeightFromSource(src) };
}

const ids = [10, 300, 41, 512, 99, 7, 256, 640, 33, 401, 402, 5, 77, 600, 123, 321, 222, 111];

function maxAbsDiff(a: Float64Array, b: Float64Array, from: number, to: number): number {
  let m = 0;
  for (let i = from; i < to; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe.each(SUPPORTED_FAMILIES)('reference forward (%s)', (family) => {
  const { arch, get } = load(family);
  const V = arch.vocabSize;
  it('produces finite, moderate logits of the right shape', () => {
    const out = referenceForward(arch, get, ids);
    expect(out.logits.length).toBe(ids.length * V);
    expect(out.finalHidden.length).toBe(ids.length * arch.hiddenSize);
    let maxAbs = 0;
    for (const x of out.logits) {
      expect(Number.isFinite(x)).toBe(true);
      maxAbs = Math.max(maxAbs, Math.abs(x));
    }
    expect(maxAbs).toBeGreaterThan(0.05);
    expect(maxAbs).toBeLessThan(20);
  });
  it('is causal: later tokens do not change earlier logits', () => {
    const a = referenceForward(arch, get, ids);
    const changed = [...ids];
    changed[10] = 500;
    const b = referenceForward(arch, get, changed);
    expect(maxAbsDiff(a.logits, b.logits, 0, 10 * V)).toBe(0);
    expect(maxAbsDiff(a.logits, b.logits, 10 * V, 11 * V)).toBeGreaterThan(1e-4);
    expect(maxAbsDiff(a.logits, b.logits, 12 * V, 13 * V)).toBeGreaterThan(1e-8);
  });
  it('uses the stored weights (prefix of a longer sequence gives the same logits)', () => {
    const full = referenceForward(arch, get, ids);
    const prefix = referenceForward(arch, get, ids.slice(0, 5));
    expect(maxAbsDiff(full.logits, prefix.logits, 0, 5 * V)).toBeLessThan(1e-12);
  });
});

describe('sliding window (mistral, window 8, 2 layers)', () => {
  const { arch, get } = load('mistral');
  it('position i is blind to tokens at or before i - 2·(W-1) - 1', () => {
    expect(arch.slidingWindow).toEqual([8, 8]);
    const V = arch.vocabSize;
    const a = referenceForward(arch, get, ids);
    const changed = [...ids];
    changed[0] = 700;
    const b = referenceForward(arch, get, changed);
    // Two windowed layers reach back 2·(8−1) = 14 positions: position 15+ cannot see token 0.
    expect(maxAbsDiff(a.logits, b.logits, 15 * V, ids.length * V)).toBe(0);
    expect(maxAbsDiff(a.logits, b.logits, 14 * V, 15 * V)).toBeGreaterThan(0);
    expect(maxAbsDiff(a.logits, b.logits, 3 * V, 4 * V)).toBeGreaterThan(1e-6);
  });
  it('without the window, token 0 reaches the last position', () => {
    const full = { ...arch, slidingWindow: [null, null] };
    const a = referenceForward(full, get, ids);
    const changed = [...ids];
    changed[0] = 700;
    const b = referenceForward(full, get, changed);
    expect(maxAbsDiff(a.logits, b.logits, 17 * arch.vocabSize, 18 * arch.vocabSize)).toBeGreaterThan(0);
  });
});

describe('LoRA merge', () => {
  const { arch, get } = load('llama');
  it('a zero B leaves logits unchanged; a tied lm_head delta changes only the head', () => {
    const H = arch.hiddenSize;
    const V = arch.vocabSize;
    const a = Float64Array.from({ length: 2 * H }, (_, i) => Math.sin(i));
    const zero = mergedWeights(get, [{ weightName: 'model.layers.0.self_attn.q_proj.weight', outFeatures: 64, inFeatures: H, rank: 2, scaling: 2, a, b: new Float64Array(128) }], true);
    const base = referenceForward(arch, get, ids.slice(0, 6));
    expect(maxAbsDiff(referenceForward(arch, zero.getWeight, ids.slice(0, 6)).logits, base.logits, 0, 6 * V)).toBe(0);
    const b = new Float64Array(V * 2);
    b[42 * 2] = 1;
    const head = mergedWeights(get, [{ weightName: 'lm_head.weight', outFeatures: V, inFeatures: H, rank: 2, scaling: 1, a, b }], true);
    expect(head.lmHead).toBeDefined();
    const out = referenceForward(arch, head.getWeight, ids.slice(0, 6), head.lmHead ? { lmHead: head.lmHead } : {});
    // Hidden states unchanged (embedding not touched), only logit 42 moves by a·h.
    expect(maxAbsDiff(out.finalHidden, base.finalHidden, 0, 6 * H)).toBe(0);
    for (let p = 0; p < 6; p++) {
      let dot = 0;
      for (let i = 0; i < H; i++) dot += a[i]! * base.finalHidden[p * H + i]!;
      expect(out.logits[p * V + 42]! - base.logits[p * V + 42]!).toBeCloseTo(dot, 10);
      expect(out.logits[p * V + 41]).toBe(base.logits[p * V + 41]);
    }
  });
});
