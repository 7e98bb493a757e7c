/** Two independent float64 mergers must agree: ours (adapter/merge.ts) and the reference's (reference/adapter.ts). */
import { describe, expect, it } from 'vitest';
import { loadAdapter } from '../../../src/engine/adapter/load.js';
import { mergeAdapterWeights } from '../../../src/engine/adapter/merge.js';
import { getWeightFromSource, referenceAdapterWeights, referenceForward } from '../../../src/engine/reference/index.js';
import type { TensorToWrite } from '../../../src/engine/safetensors/writer.js';
import { baseConfig, baseSource, loraPair, P, tinyArch, writeAdapter } from './helpers.js';

const fill = (n: number, f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => f(i));

function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  expect(x.length).toBe(y.length);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

describe.each([
  ['tied, DoRA, saved norm, trainable tokens', true, true],
  ['untied, embedding LoRA, lm_head LoRA, saved embed', false, false],
])('%s', (_label, tied, dora) => {
  it('gives the same logits at λ = 0.6 and λ = 1', () => {
    const arch = tinyArch({ tieWordEmbeddings: tied });
    const src = baseSource(arch, 5);
    const tensors: TensorToWrite[] = [...loraPair(0, 'self_attn.q_proj', 2), ...loraPair(1, 'mlp.up_proj', 2), ...loraPair(1, 'self_attn.o_proj', 2)];
    let cfg: Record<string, unknown>;
    if (dora) {
      for (const [m, out] of [['model.layers.0.self_attn.q_proj', 8], ['model.layers.1.mlp.up_proj', 12], ['model.layers.1.self_attn.o_proj', 8]] as const) {
        tensors.push({ name: `${P}${m}.lora_magnitude_vector`, dtype: 'F32', shape: [out], data: fill(out, (i) => 0.5 + 0.05 * i) });
      }
      tensors.push({ name: `${P}model.norm.weight`, dtype: 'F32', shape: [8], data: fill(8, (i) => 1 + 0.1 * i) });
      tensors.push({ name: `${P}model.embed_tokens.token_adapter.trainable_tokens_delta`, dtype: 'F32', shape: [2, 8], data: fill(16, (i) => Math.sin(i)) });
      cfg = baseConfig({ target_modules: 'all-linear', use_dora: true, modules_to_save: ['norm'], trainable_token_indices: [2, 5] });
    } else {
      tensors.push({ name: `${P}model.embed_tokens.lora_embedding_A`, dtype: 'F32', shape: [2, 16], data: fill(32, (i) => Math.cos(i) * 0.3) });
      tensors.push({ name: `${P}model.embed_tokens.lora_embedding_B`, dtype: 'F32', shape: [8, 2], data: fill(16, (i) => Math.sin(i) * 0.3) });
      tensors.push({ name: `${P}lm_head.lora_A.weight`, dtype: 'F32', shape: [2, 8], data: fill(16, (i) => 0.1 * i) });
      tensors.push({ name: `${P}lm_head.lora_B.weight`, dtype: 'F32', shape: [16, 2], data: fill(32, (i) => 0.02 * i) });
      tensors.push({ name: `${P}model.embed_tokens.weight`, dtype: 'F32', shape: [16, 8], data: fill(128, (i) => Math.cos(i) * 0.1) });
      cfg = baseConfig({ target_modules: ['q_proj', 'up_proj', 'o_proj', 'embed_tokens', 'lm_head'], modules_to_save: ['embed_tokens'] });
    }
    const adapter = loadAdapter(writeAdapter(cfg, tensors), { arch, baseWeights: src });
    expect(adapter.warnings).toEqual([]);
    const getBase = getWeightFromSource(src);
    const ids = [3, 2, 9, 5, 1];
    for (const lambda of [0.6, 1]) {
      const ours = mergeAdapterWeights(getBase, adapter, lambda, { tiedEmbeddings: tied });
      const theirs = referenceAdapterWeights(arch, getBase, adapter, lambda);
      const a = referenceForward(arch, ours, ids, { lmHead: tied ? ours('lm_head.weight') : undefined }).logits;
      const b = referenceForward(arch, theirs.getWeight, ids, theirs.options).logits;
      expect(maxAbsDiff(a, b)).toBeLessThan(1e-12);
      const base = referenceForward(arch, getBase, ids).logits;
      expect(maxAbsDiff(a, base)).toBeGreaterThan(1e-3);
    }
  });
});
