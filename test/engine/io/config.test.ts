import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelError } from '../../../src/core/errors.js';
import { archSpecFromConfig, loadArchSpec } from '../../../src/engine/config.js';
import { writeTinyModel } from '../../../src/engine/fixtures/tiny-model.js';
import { ropeInvFreq } from '../../../src/engine/rope.js';

const F = '/m/config.json';
const base = {
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 4,
  num_attention_heads: 4,
  vocab_size: 300,
  rms_norm_eps: 1e-5,
  hidden_act: 'silu',
};

describe('config → ArchSpec', () => {
  it('llama defaults', () => {
    const a = archSpecFromConfig({ ...base, model_type: 'llama', eos_token_id: 2, bos_token_id: 1 }, F);
    expect(a).toMatchObject({
      family: 'llama', numKvHeads: 4, headDim: 16, tieWordEmbeddings: false, qkvBias: false, oBias: false,
      mlpBias: false, qkNorm: false, eosTokenIds: [2], bosTokenId: 1, padTokenId: null,
    });
    expect(a.rope).toEqual({ theta: 10000, rotaryDim: 16, scaling: { type: 'default' } });
    expect(a.slidingWindow).toEqual([null, null, null, null]);
  });
  it('max_position_embeddings falls back to each HF config class default', () => {
    const mp = (model_type: string): number => archSpecFromConfig({ ...base, model_type }, F).maxPositionEmbeddings;
    expect([mp('llama'), mp('mistral'), mp('qwen2'), mp('qwen3')]).toEqual([2048, 131072, 32768, 32768]);
    expect(archSpecFromConfig({ ...base, model_type: 'qwen2', max_position_embeddings: 4096 }, F).maxPositionEmbeddings).toBe(4096);
  });
  it('llama attention_bias, mlp_bias, tied, eos list + generation config', () => {
    const a = archSpecFromConfig(
      { ...base, model_type: 'llama', attention_bias: true, mlp_bias: true, tie_word_embeddings: true, eos_token_id: [2, 5] },
      F,
      { eos_token_id: [5, 7] },
    );
    expect(a).toMatchObject({ qkvBias: true, oBias: true, mlpBias: true, tieWordEmbeddings: true, eosTokenIds: [2, 5, 7] });
  });
  it('mistral sliding window and explicit head_dim', () => {
    const a = archSpecFromConfig({ ...base, model_type: 'mistral', num_key_value_heads: 2, sliding_window: 8, head_dim: 32 }, F);
    expect(a.slidingWindow).toEqual([8, 8, 8, 8]);
    expect(a.headDim).toBe(32);
    expect(a.numKvHeads).toBe(2);
    expect(archSpecFromConfig({ ...base, model_type: 'mistral', sliding_window: null }, F).slidingWindow).toEqual([null, null, null, null]);
  });
  it('qwen2 biases and sliding window only with use_sliding_window', () => {
    const q = { ...base, model_type: 'qwen2', sliding_window: 16, max_window_layers: 2, rope_theta: 1e6 };
    const a = archSpecFromConfig(q, F);
    expect(a).toMatchObject({ qkvBias: true, oBias: false, tieWordEmbeddings: false });
    expect(a.rope.theta).toBe(1e6);
    expect(a.slidingWindow).toEqual([null, null, null, null]);
    expect(archSpecFromConfig({ ...q, use_sliding_window: true }, F).slidingWindow).toEqual([null, null, 16, 16]);
    const lt = { ...q, use_sliding_window: true, layer_types: ['sliding_attention', 'full_attention', 'sliding_attention', 'full_attention'] };
    expect(archSpecFromConfig(lt, F).slidingWindow).toEqual([16, null, 16, null]);
  });
  it('qwen3 q/k norm, head_dim, attention_bias', () => {
    const a = archSpecFromConfig({ ...base, model_type: 'qwen3', head_dim: 32, num_key_value_heads: 2 }, F);
    expect(a).toMatchObject({ qkNorm: true, headDim: 32, qkvBias: false, oBias: false });
    expect(archSpecFromConfig({ ...base, model_type: 'qwen3', attention_bias: true }, F)).toMatchObject({ qkvBias: true, oBias: true });
  });
  it('rope scaling variants (legacy type, rope_type, rope_parameters)', () => {
    expect(archSpecFromConfig({ ...base, model_type: 'llama', rope_scaling: { type: 'linear', factor: 4 } }, F).rope.scaling)
      .toEqual({ type: 'linear', factor: 4 });
    expect(archSpecFromConfig({ ...base, model_type: 'llama', rope_scaling: { rope_type: 'dynamic', factor: 2 } }, F).rope.scaling)
      .toEqual({ type: 'default' });
    const v5 = archSpecFromConfig({ ...base, model_type: 'llama', rope_parameters: { rope_type: 'default', rope_theta: 500000 } }, F);
    expect(v5.rope).toMatchObject({ theta: 500000, scaling: { type: 'default' } });
    const l3 = archSpecFromConfig({
      ...base, model_type: 'llama', rope_theta: 500000,
      rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
    }, F);
    expect(l3.rope.scaling).toEqual({ type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
  });
  it('refusals name the key and file', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...base, model_type: 'gpt_bigcode' }, /model_type.*supported model types: llama, mistral, qwen2, qwen3/],
      [{ ...base, model_type: 'llama', quantization_config: { bits: 4 } }, /quantization_config/],
      [{ ...base, model_type: 'llama', hidden_act: 'gelu' }, /hidden_act.*gelu/],
      [{ ...base, model_type: 'llama', rope_scaling: { rope_type: 'yarn', factor: 4 } }, /rope_scaling.*yarn/],
      [{ ...base, model_type: 'llama', rope_scaling: { type: 'longrope' } }, /longrope/],
      [{ ...base, model_type: 'llama', hidden_size: undefined }, /hidden_size.*missing/],
      [{ ...base, model_type: 'llama', num_key_value_heads: 3 }, /multiple of num_key_value_heads/],
      [{ ...base, model_type: 'llama', rope_scaling: { type: 'linear' } }, /rope_scaling\.factor/],
    ];
    for (const [cfg, re] of cases) {
      let err: unknown;
      try {
        archSpecFromConfig(cfg, F);
      } catch (e) {
        err = e;
      }
      expect(err, String(re)).toBeInstanceOf(ModelError);
      expect((err as Error).message).toMatch(re);
      expect((err as Error).message).toContain(F);
    }
  });
});

describe('rope inverse frequencies', () => {
  it('default and linear', () => {
    const inv = ropeInvFreq({ theta: 10000, rotaryDim: 4, scaling: { type: 'default' } });
    expect([...inv]).toEqual([1, 1 / 100]);
    const lin = ropeInvFreq({ theta: 10000, rotaryDim: 4, scaling: { type: 'linear', factor: 4 } });
    expect([...lin]).toEqual([0.25, 1 / 400]);
  });
  it('llama3 keeps high frequencies, divides low ones, blends the middle', () => {
    const spec = { type: 'llama3' as const, factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 };
    const d = 128;
    const plain = ropeInvFreq({ theta: 500000, rotaryDim: d, scaling: { type: 'default' } });
    const inv = ropeInvFreq({ theta: 500000, rotaryDim: d, scaling: spec });
    let kept = 0, divided = 0, blended = 0;
    for (let i = 0; i < d / 2; i++) {
      const wl = (2 * Math.PI) / plain[i]!;
      if (wl < 8192 / 4) { expect(inv[i]).toBe(plain[i]); kept++; }
      else if (wl > 8192) { expect(inv[i]).toBeCloseTo(plain[i]! / 8, 15); divided++; }
      else {
        const s = (8192 / wl - 1) / 3;
        expect(inv[i]).toBeCloseTo((1 - s) * plain[i]! / 8 + s * plain[i]!, 15);
        expect(inv[i]!).toBeLessThan(plain[i]!);
        expect(inv[i]!).toBeGreaterThan(plain[i]! / 8);
        blended++;
      }
    }
    expect(kept).toBeGreaterThan(0);
    expect(divided).toBeGreaterThan(0);
    expect(blended).toBeGreaterThan(0);
  });
});

describe('loadArchSpec on fixture directories', () => {
  it('reads config.json and merges generation_config eos ids', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sway-cfg-'));
    try {
      writeTinyModel(dir, { family: 'qwen3' });
      const a = loadArchSpec(dir);
      expect(a).toMatchObject({ family: 'qwen3', headDim: 32, numHeads: 4, numKvHeads: 2, qkNorm: true, tieWordEmbeddings: true, vocabSize: 768 });
      // config eos <|endoftext|> (736) first, then generation_config's <|im_end|> (738).
      expect(a.eosTokenIds).toEqual([736, 738]);
      expect(a.rope.theta).toBe(1e6);
      expect(() => loadArchSpec(path.join(dir, 'nope'))).toThrow(/config\.json not found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
