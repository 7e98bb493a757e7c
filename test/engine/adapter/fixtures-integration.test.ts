/** The loader on real files: tiny HF-layout models and the fixture adapters the engine-io fixtures write. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doraGains } from '../../../src/engine/adapter/dora.js';
import { loadAdapter } from '../../../src/engine/adapter/load.js';
import { mergeAdapterWeights } from '../../../src/engine/adapter/merge.js';
import { nullAdapterSlots } from '../../../src/engine/adapter/null-adapter.js';
import { loadArchSpec } from '../../../src/engine/config.js';
import { writeAdapter } from '../../../src/engine/fixtures/adapter-writer.js';
import { openModel, type OpenedModel } from '../../../src/engine/fixtures/model-view.js';
import { buildDoraAdapter, buildModulesToSaveAdapter, buildRandomAdapter } from '../../../src/engine/fixtures/simple-adapters.js';
import { writeTinyModel } from '../../../src/engine/fixtures/tiny-model.js';
import { getWeightFromSource, referenceAdapterWeights, referenceForward } from '../../../src/engine/reference/index.js';
import { openModelWeights } from '../../../src/engine/safetensors/source.js';
import type { WeightSource } from '../../../src/engine/types.js';
import { tmpDir } from './helpers.js';

describe.each(['llama', 'mistral', 'qwen2'] as const)('%s tiny model', (family) => {
  let dir: string;
  let model: OpenedModel;
  let weights: WeightSource;
  beforeAll(() => {
    dir = path.join(tmpDir(), 'base');
    writeTinyModel(dir, { family, seed: 3, numMerges: 60 });
    model = openModel(dir);
    weights = openModelWeights(dir);
  });
  afterAll(() => {
    model.close();
    weights.close();
  });

  const load = (files: ReturnType<typeof buildRandomAdapter>) => {
    const out = path.join(tmpDir(), 'adapter');
    writeAdapter(out, files);
    return loadAdapter(out, { arch: loadArchSpec(dir), baseWeights: weights });
  };

  it('loads a random q/v/lm_head adapter and matches the reference merge', () => {
    const a = load(buildRandomAdapter(model, { seed: 1, rank: 4, baseModel: dir, std: 0.2 }));
    const L = model.arch.numLayers;
    expect(a.slots).toHaveLength(2 * L + 1);
    expect(a.slots.at(-1)!.target).toEqual({ scope: 'lm_head' });
    expect(a.slots.at(-1)!.outFeatures).toBe(model.arch.vocabSize);
    expect(a.slots[0]!.scaling).toBe(2);
    expect(a.warnings).toEqual([]);
    const ids = [4, 9, 2];
    const tied = model.arch.tieWordEmbeddings;
    const ours = mergeAdapterWeights(model.getWeight, a, 1, { tiedEmbeddings: tied });
    const ref = referenceAdapterWeights(model.arch, model.getWeight, a, 1);
    const x = referenceForward(model.arch, ours, ids, { lmHead: ours('lm_head.weight') }).logits;
    const y = referenceForward(model.arch, ref.getWeight, ids, ref.options).logits;
    expect(x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0)).toBeLessThan(1e-12);
    const nul = nullAdapterSlots(a, 1000, { rankScale: 2 });
    expect(nul.map((s) => [s.modulePath, s.a.length, s.b.length])).toEqual(a.slots.map((s) => [s.modulePath, s.a.length, s.b.length]));
  });

  it('loads the modules_to_save fixture with overrides by role and one vision warning', () => {
    const a = load(buildModulesToSaveAdapter(model, { seed: 2, rank: 4, baseModel: dir }));
    expect([...a.overrides.keys()].sort()).toEqual(['lm_head.weight', 'model.embed_tokens.weight']);
    expect(a.warnings).toHaveLength(1);
    expect(a.warnings[0]).toContain('base_model.model.vision_tower.patch_embed.weight');
  });

  it('loads the DoRA fixture', () => {
    const a = load(buildDoraAdapter(model, { seed: 3, rank: 4, baseModel: dir }));
    expect(a.useDora).toBe(true);
    expect(a.slots.every((s) => s.magnitude?.length === s.outFeatures)).toBe(true);
    expect(a.contentHash).toMatch(/^[0-9a-f]{64}$/);
    const slot = a.slots[0]!;
    const w = getWeightFromSource(weights)(`${slot.modulePath}.weight`);
    const g = doraGains(slot, w, 0.5 * slot.scaling);
    const merged = mergeAdapterWeights(model.getWeight, a, 0.5, { tiedEmbeddings: model.arch.tieWordEmbeddings })(`${slot.modulePath}.weight`);
    // merged row = g ⊙ (W + λ·s·B·A) row, whose norm is the magnitude
    for (let o = 0; o < slot.outFeatures; o++) {
      let ss = 0;
      for (let i = 0; i < slot.inFeatures; i++) ss += merged[o * slot.inFeatures + i]! ** 2;
      expect(Math.sqrt(ss)).toBeCloseTo(slot.magnitude![o]!, 5);
      expect(g[o]).toBeGreaterThan(0);
    }
  });
});
