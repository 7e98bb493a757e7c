/**
 * The Gemma rows: what each config spelling turns into, what is refused by name, older
 * checkpoint prefixes, and the seed scenario (saved vision modules named as unused, once).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AdapterError, ModelError } from '../../src/core/errors.js';
import type { LoraSlot } from '../../src/engine/adapter/types.js';
import { buildGroups } from '../../src/engine/graph/lora-groups.js';
import { archFromConfig } from '../../src/engine/config.js';
import { Engine } from '../../src/engine/engine.js';
import { tinyConfig, writeTinyModel } from '../../src/engine/fixtures/tiny-model.js';
import { SafetensorsSource } from '../../src/engine/safetensors/reader.js';
import { writeSafetensors } from '../../src/engine/safetensors/writer.js';
import { adapterDir, modelDir } from '../parity/goldens.js';
import { maxAbsDiff, tinyFixtures } from '../support/fixtures.js';
import { greedyBesideFullForwards } from '../support/greedy.js';

const FILE = '/models/g/config.json';

/** A rank-1 LoRA slot [64 -> 32] on a self-attention projection of the tiny gemma4's layer `layer`. */
function rankOneSlot(layer: number, module: 'k_proj' | 'v_proj'): LoraSlot {
  return {
    modulePath: `model.language_model.layers.${layer}.self_attn.${module}`,
    target: { scope: 'layer', layer, module },
    rank: 1,
    inFeatures: 64,
    outFeatures: 32,
    scaling: 1,
    a: new Float32Array(64),
    b: new Float32Array(32),
    bBias: null,
    magnitude: null,
  };
}
type Cfg = Record<string, unknown>;
const gemma4 = (patch: Cfg = {}): Cfg => {
  const c = tinyConfig('gemma4', 300, 1, 4);
  return { ...c, text_config: { ...(c['text_config'] as Cfg), ...patch } };
};

describe('gemma config spellings', () => {
  it('gemma: (1 + w) norms, √hidden embeddings, legacy hidden_act "gelu" is the tanh approximation', () => {
    const a = archFromConfig({ ...tinyConfig('gemma', 300, 1, 2), hidden_act: 'gelu' }, FILE);
    expect(a.norm.weightOffset).toBe(1);
    expect(a.embeddingScale).toBeCloseTo(8, 12);
    expect(a.hiddenAct).toBe('gelu_tanh');
    expect(a.tieWordEmbeddings).toBe(true);
  });

  it('gemma2: alternating windows without layer_types, query_pre_attn_scalar, both soft-caps', () => {
    const a = archFromConfig({ ...tinyConfig('gemma2', 300, 1, 4) }, FILE);
    expect(a.slidingWindow).toEqual([4, null, 4, null]);
    expect(a.attentionScale).toBeCloseTo(1 / Math.sqrt(24), 12);
    expect([a.attnSoftcap, a.finalLogitSoftcap]).toEqual([5, 3]);
    expect(a.normPlacement).toBe('sandwich');
  });

  it('gemma3_text: sliding pattern, rope_local_base_freq, rope_scaling on global layers only', () => {
    const a = archFromConfig({ ...tinyConfig('gemma3_text', 300, 1, 4) }, FILE);
    expect(a.slidingWindow).toEqual([4, null, 4, null]);
    expect(a.rope).toMatchObject({ theta: 1e6, scaling: { type: 'linear', factor: 4 } });
    expect(a.ropeLocal).toMatchObject({ theta: 1e4, scaling: { type: 'default' } });
    expect(a.qkNorm).toBe('per_head');
  });

  it('gemma3 (transformers 5 layout): per-type rope_parameters and the saved _sliding_window_pattern', () => {
    const { rope_theta: _t, rope_local_base_freq: _l, rope_scaling: _s, sliding_window_pattern: _p, ...rest } = tinyConfig('gemma3_text', 300, 1, 6);
    const a = archFromConfig(
      {
        ...rest,
        _sliding_window_pattern: 3,
        rope_parameters: { full_attention: { rope_type: 'linear', factor: 8, rope_theta: 1e6 }, sliding_attention: { rope_type: 'default', rope_theta: 1e4 } },
      },
      FILE,
    );
    expect(a.slidingWindow).toEqual([4, 4, null, 4, 4, null]);
    expect(a.rope).toMatchObject({ theta: 1e6, scaling: { type: 'linear', factor: 8 } });
    expect(a.ropeLocal).toMatchObject({ theta: 1e4, scaling: { type: 'default' } });
  });

  it('gemma3 wrapper: text_config read, text tower rooted at model.language_model.', () => {
    const a = archFromConfig(tinyConfig('gemma3', 300, 1, 2), FILE);
    expect(a.weights.root).toBe('model.language_model.');
    expect(a.finalLogitSoftcap).toBeNull();
    expect(a.hiddenSize).toBe(64);
  });

  it('gemma4: plain-w norms, unscaled attention, v norm, per-layer inputs, proportional global rotary', () => {
    const a = archFromConfig(gemma4(), FILE);
    expect(a.norm.weightOffset).toBe(0);
    expect(a.attentionScale).toBe(1);
    expect(a.vNorm).toBe(true);
    expect(a.layerScalar).toBe(true);
    expect(a.perLayerInput).toEqual({ size: 8, vocab: 300 });
    // Full-attention layers at global_head_dim 32: their RoPE spans 32 dims, a quarter of the 16 pairs turning.
    expect(a.rope).toMatchObject({ theta: 1e6, rotaryDim: 32, scaling: { type: 'proportional', factor: 1, angles: 4 } });
    expect(a.ropeLocal).toMatchObject({ rotaryDim: 16 });
    expect(a.layerHeads).toEqual([16, 32, 16, 32].map((headDim) => ({ headDim, numKvHeads: 2 })));
    expect(a.ropeLocal).toMatchObject({ theta: 1e4, scaling: { type: 'default' } });
    expect(a.slidingWindow).toEqual([4, null, 4, null]);
    expect(a.finalLogitSoftcap).toBe(30);
    expect(archFromConfig(gemma4({ hidden_size_per_layer_input: 0 }), FILE).perLayerInput).toBeNull();
    // As transformers: without layer_types every 6th layer is global, and the last layer always is.
    expect(archFromConfig(gemma4({ layer_types: undefined }), FILE).slidingWindow).toEqual([4, 4, 4, null]);
    expect(archFromConfig(gemma4({ layer_types: ['sliding_attention', 'full_attention', 'sliding_attention', 'sliding_attention'] }), FILE).slidingWindow).toEqual([4, null, 4, null]);
  });
});

describe('gemma features sway does not implement are refused by name (exit 2)', () => {
  const cases: [Cfg, RegExp][] = [
    [{ num_kv_shared_layers: 4 }, /num_kv_shared_layers must be an integer from 0 to num_hidden_layers - 1 \(3\), got 4/],
    [{ num_kv_shared_layers: 3 }, /leaves no earlier full-attention layer for layer 1 to share keys\/values with/],
    [{ num_kv_shared_layers: 2, per_layer_config: { '3': { num_key_value_heads: 1 } } }, /gives layer 3 a head geometry different from layer 1, whose keys\/values it shares/],
    [{ enable_moe_block: true }, /enable_moe_block = true adds mixture-of-experts/],
    [{ use_bidirectional_attention: 'all' }, /use_bidirectional_attention = "all" makes text attention bidirectional/],
    [{ per_layer_config: { '1': { head_dim: 32 } } }, /per_layer_config gives layers of one attention type different head sizes \(32, 16\)/],
    [{ per_layer_config: { '1': { sliding_window: 8 } } }, /per_layer_config\.1\.sliding_window overrides a setting per layer/],
  ];
  for (const [patch, re] of cases) {
    it(JSON.stringify(patch), () => {
      let caught: unknown;
      try {
        archFromConfig(gemma4(patch), FILE);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ModelError);
      expect((caught as ModelError).exitCode).toBe(2);
      expect((caught as ModelError).message).toMatch(new RegExp(`^${FILE}: `));
      expect((caught as ModelError).message).toMatch(re);
    });
  }
  it('per-layer head sizes load: global_head_dim on full-attention layers (transformers default 512), per_layer_config overrides, global kv heads only with attention_k_eq_v', () => {
    expect(archFromConfig(gemma4({ global_head_dim: undefined }), FILE).layerHeads?.[1]).toEqual({ headDim: 512, numKvHeads: 2 });
    expect(archFromConfig(gemma4({ num_global_key_value_heads: 1 }), FILE).layerHeads?.[1]).toEqual({ headDim: 32, numKvHeads: 2 });
    const explicit = archFromConfig(gemma4({ per_layer_config: { '1': { head_dim: 32, num_key_value_heads: 1 }, '3': { head_dim: 32, num_key_value_heads: 1 } } }), FILE);
    expect(explicit.layerHeads).toEqual([{ headDim: 16, numKvHeads: 2 }, { headDim: 32, numKvHeads: 1 }, { headDim: 16, numKvHeads: 2 }, { headDim: 32, numKvHeads: 1 }]);
  });
  it('KV sharing loads: the last N layers take the last earlier layer of their type as source, double-wide MLP there', () => {
    const a = archFromConfig(gemma4({ num_kv_shared_layers: 2, use_double_wide_mlp: true }), FILE);
    expect(a.kvSource).toEqual([0, 1, 0, 1]);
    expect(a.layerIntermediate).toEqual([128, 128, 256, 256]);
    const narrow = archFromConfig(gemma4({ num_kv_shared_layers: 1 }), FILE);
    expect(narrow.kvSource).toEqual([0, 1, 2, 1]);
    expect(narrow.layerIntermediate).toBeUndefined();
    expect(archFromConfig(gemma4({ num_kv_shared_layers: 0 }), FILE).kvSource).toBeUndefined();
  });
  it('LoRA on k_proj of a KV-shared layer (which has none) is refused by name', () => {
    const a = archFromConfig(gemma4({ num_kv_shared_layers: 2 }), FILE);
    const slot = rankOneSlot(2, 'k_proj');
    expect(() => buildGroups(a, [slot], 'adapter_model.safetensors')).toThrow(AdapterError);
    expect(() => buildGroups(a, [slot], 'adapter_model.safetensors')).toThrow(/layers\.2\.self_attn\.k_proj' adapts k_proj of layer 2, which reuses the keys\/values of layer 0/);
  });
  it('attention_k_eq_v loads: full-attention layers (not KV-shared) take keys as values, with num_global_key_value_heads there', () => {
    const a = archFromConfig(gemma4({ attention_k_eq_v: true, num_global_key_value_heads: 1 }), FILE);
    expect(a.keysAsValues).toEqual([false, true, false, true]);
    expect(a.layerHeads?.[1]).toEqual({ headDim: 32, numKvHeads: 1 });
    expect(archFromConfig(gemma4({ attention_k_eq_v: true, num_kv_shared_layers: 1 }), FILE).keysAsValues).toEqual([false, true, false, false]);
    const slot = rankOneSlot(1, 'v_proj');
    expect(() => buildGroups(a, [slot], 'adapter_model.safetensors')).toThrow(/adapts v_proj of layer 1, whose values are its keys \(attention_k_eq_v\)/);
  });
  it('released shapes: E2B (35 layers, 512/256 heads, 20 KV-shared, double-wide MLP) and 31B-like (k = v) load; 26B-A4B (MoE) is refused', () => {
    const layerTypes = (n: number, every: number) => Array.from({ length: n }, (_, i) => ((i + 1) % every === 0 ? 'full_attention' : 'sliding_attention'));
    const rope = { full_attention: { rope_type: 'proportional', partial_rotary_factor: 0.25, rope_theta: 1e6 }, sliding_attention: { rope_type: 'default', rope_theta: 1e4 } };
    const text = { hidden_size: 1536, intermediate_size: 6144, num_attention_heads: 8, num_key_value_heads: 1, head_dim: 256, global_head_dim: 512, sliding_window: 512, vocab_size: 262144, vocab_size_per_layer_input: 262144, hidden_size_per_layer_input: 256, rope_parameters: rope };
    const e2b = archFromConfig({ model_type: 'gemma4', text_config: { ...text, model_type: 'gemma4_text', num_hidden_layers: 35, layer_types: layerTypes(35, 5), num_kv_shared_layers: 20, use_double_wide_mlp: true, attention_k_eq_v: false } }, FILE);
    expect(e2b.kvSource?.slice(13, 20)).toEqual([13, 14, 13, 13, 13, 13, 14]);
    expect(e2b.kvSource?.[34]).toBe(14);
    expect(e2b.layerIntermediate?.[14]).toBe(6144);
    expect(e2b.layerIntermediate?.[15]).toBe(12288);
    expect(e2b.layerHeads?.[4]).toEqual({ headDim: 512, numKvHeads: 1 });
    expect(e2b.rope).toMatchObject({ rotaryDim: 512, scaling: { type: 'proportional', angles: 64 } });
    expect(e2b.ropeLocal?.rotaryDim).toBe(256);
    const keqv = { ...text, model_type: 'gemma4_text', hidden_size_per_layer_input: 0, num_key_value_heads: 8, num_attention_heads: 16, num_hidden_layers: 12, layer_types: layerTypes(12, 6), attention_k_eq_v: true, num_global_key_value_heads: 4 };
    const big = archFromConfig(keqv, FILE);
    expect(big.perLayerInput).toBeNull();
    expect(big.keysAsValues?.filter(Boolean)).toHaveLength(2);
    expect(big.layerHeads?.[5]).toEqual({ headDim: 512, numKvHeads: 4 });
    expect(() => archFromConfig({ ...keqv, enable_moe_block: true, num_experts: 128, top_k_experts: 8 }, FILE)).toThrow(/enable_moe_block = true adds mixture-of-experts/);
  });
  it('values that change nothing are accepted (global_head_dim equal to head_dim, empty per_layer_config, "vision" bidirectional)', () => {
    expect(() => archFromConfig(gemma4({ global_head_dim: 16, per_layer_config: {}, use_bidirectional_attention: 'vision' }), FILE)).not.toThrow();
  });
  it('gemma3 with bidirectional attention (an embedding model) is refused', () => {
    expect(() => archFromConfig({ ...tinyConfig('gemma3_text', 300, 1, 2), use_bidirectional_attention: true }, FILE)).toThrow(/use_bidirectional_attention = true/);
  });
});

describe('gemma3 conditional-generation checkpoints stored as language_model.model.*', () => {
  const root = mkdtempSync(join(tmpdir(), 'sway-gemma3-legacy-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('load and score exactly like the same tensors under model.language_model.*', async () => {
    const canonical = join(root, 'canonical');
    const legacy = join(root, 'legacy');
    writeTinyModel(canonical, { family: 'gemma3', dtype: 'F32' });
    writeTinyModel(legacy, { family: 'gemma3', dtype: 'F32' });
    const src = SafetensorsSource.openDir(canonical);
    const tensors = src.names().map((name) => ({ name: name.replace(/^model\.language_model\./, 'language_model.model.'), shape: src.shape(name), dtype: 'F32' as const, data: src.readF32(name) }));
    src.close();
    expect(tensors.some((t) => t.name.startsWith('language_model.model.layers.0.'))).toBe(true);
    writeSafetensors(join(legacy, 'model.safetensors'), tensors, { format: 'pt' });
    writeFileSync(join(legacy, 'config.json'), readFileSync(join(canonical, 'config.json')));
    const a = await Engine.load({ base: canonical, threads: 1 });
    const b = await Engine.load({ base: legacy, threads: 1 });
    try {
      const ids = a.encode('The sky is green and the sea is wide.');
      expect(maxAbsDiff(await a.fullLogits({ kind: 'base' }, ids), await b.fullLogits({ kind: 'base' }, ids))).toBe(0);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('seed scenario: Gemma 4 multimodal checkpoint, adapter saving vision_tower and embed_vision', () => {
  it('loads, scores text, and names the saved vision modules as unused in one warning', async () => {
    const engine = await Engine.load({ base: modelDir('gemma4-mm'), adapter: adapterDir('gemma4-mm', 'seed'), threads: 1 });
    try {
      const saved = engine.adapter!.warnings.filter((w) => w.includes('modules_to_save'));
      expect(saved).toHaveLength(1);
      expect(saved[0]).toMatch(/never runs; they are loaded and ignored: model\.embed_vision, model\.vision_tower$/);
      expect(engine.adapter!.overrides.size).toBe(0);
      const [[base], [ft]] = (await engine.logprobsOf([{ kind: 'base' }, { kind: 'ft' }], [{ prompt: 'The sky is', completion: ' blue' }])) as [[number], [number]];
      expect(Number.isFinite(base) && Number.isFinite(ft)).toBe(true);
      expect(ft).not.toBe(base);
    } finally {
      await engine.close();
    }
  });
});

describe('Gemma 4 with per-layer head sizes and KV sharing (golden fixture gemma4-gh)', () => {
  it('greedy generation with the cache equals argmax over full forwards', async () => {
    const engine = await Engine.load({ base: modelDir('gemma4-gh'), adapter: adapterDir('gemma4-gh', 'linear'), threads: 1 });
    try {
      expect(engine.arch.kvSource).toEqual([0, 1, 2, 3, 2, 3]);
      expect(engine.arch.layerHeads?.map((h) => h.headDim)).toEqual([16, 32, 16, 32, 16, 32]);
      const prompt = engine.encode('The quick brown fox jumps');
      expect(prompt.length).toBeGreaterThan(4); // decoding steps run past the window of 4
      const { generated, expected } = await greedyBesideFullForwards(engine, prompt, 6);
      expect(generated).toEqual(expected);
      expect(generated.length).toBeGreaterThan(2);
    } finally {
      await engine.close();
    }
  });
});

describe('KV-cache generation through gemma layers (sliding windows, per-layer inputs, soft-caps)', () => {
  for (const family of ['gemma2', 'gemma4'] as const) {
    it(`${family}: greedy generation with the cache equals argmax over full forwards past the window`, async () => {
      const fx = tinyFixtures(family);
      const engine = await Engine.load({ base: fx.base, adapter: fx.trained, threads: 1 });
      try {
        const prompt = engine.encode('Once upon a time there was');
        const { generated, expected } = await greedyBesideFullForwards(engine, prompt, 8);
        expect(generated).toEqual(expected);
        expect(generated.length).toBeGreaterThan(2);
        expect(prompt.length).toBeGreaterThan(4); // decoding steps run past the window of 4
      } finally {
        await engine.close();
      }
    });
  }
});
