import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { archFromConfig, archFromRow } from '../../src/engine/config.js';
import { FAMILIES, SUPPORTED_FAMILIES, modulePath, parseModulePath, weightName, withRoot, type Family, type FamilyTraits, type WeightRef } from '../../src/engine/families.js';
import { tinyConfig } from '../../src/engine/fixtures/tiny-model.js';
import { referenceFrequencies } from '../../src/engine/reference/rope.js';
import { ropeInvFreq } from '../../src/engine/rope.js';
import type { RopeSpec } from '../../src/engine/types.js';

describe('family table', () => {
  it('names llama-layout tensors as Hugging Face does', () => {
    const n = FAMILIES.llama.naming;
    expect(weightName(n, { module: 'embed' })).toBe('model.embed_tokens.weight');
    expect(weightName(n, { module: 'final_norm' })).toBe('model.norm.weight');
    expect(weightName(n, { module: 'lm_head' })).toBe('lm_head.weight');
    expect(weightName(n, { layer: 3, module: 'q_proj', part: 'bias' })).toBe('model.layers.3.self_attn.q_proj.bias');
    expect(weightName(n, { layer: 0, module: 'mlp_norm' })).toBe('model.layers.0.post_attention_layernorm.weight');
    expect(weightName(n, { layer: 1, module: 'down_proj' })).toBe('model.layers.1.mlp.down_proj.weight');
    expect(() => weightName(n, { layer: 0, module: 'qkv_proj' })).toThrow(/no 'qkv_proj'/);
  });

  it('parses module paths back to logical weights, under a text-tower prefix too', () => {
    const refs: WeightRef[] = [{ module: 'embed' }, { module: 'lm_head' }, { layer: 12, module: 'v_proj' }, { layer: 0, module: 'gate_proj' }];
    for (const naming of [FAMILIES.qwen3.naming, withRoot(FAMILIES.qwen3.naming, 'model.language_model.')]) {
      for (const ref of refs) expect(parseModulePath(naming, modulePath(naming, ref))).toEqual(ref);
    }
    const nested = withRoot(FAMILIES.llama.naming, 'model.language_model.');
    expect(modulePath(nested, { layer: 2, module: 'o_proj' })).toBe('model.language_model.layers.2.self_attn.o_proj');
    expect(parseModulePath(nested, 'model.layers.2.self_attn.o_proj')).toBeNull();
    expect(parseModulePath(nested, 'model.vision_tower.layers.0.self_attn.q_proj')).toBeNull();
  });

  it('config.ts, the graph builder and the reference never branch on a family name', () => {
    for (const f of ['src/engine/config.ts', 'src/engine/graph/build.ts', 'src/engine/graph/layers.ts', 'src/engine/graph/context.ts', 'src/engine/graph/rotary.ts', 'src/engine/graph/lora-groups.ts', 'src/engine/reference/forward.ts', 'src/engine/adapter/load.ts', 'src/engine/adapter/merge.ts']) {
      const src = readFileSync(f, 'utf8');
      for (const fam of SUPPORTED_FAMILIES) expect(src.includes(`'${fam}'`), `${f} mentions '${fam}'`).toBe(false);
    }
  });

  it('every row yields an ArchSpec for its tiny fixture config', () => {
    for (const fam of SUPPORTED_FAMILIES) {
      const arch = archFromConfig(tinyConfig(fam, 300, 1, 2), `${fam}/config.json`);
      expect(arch.family).toBe(fam);
      if ((FAMILIES[fam] as FamilyTraits).attentionScale === 'head_dim') expect(arch.attentionScale).toBeCloseTo(1 / Math.sqrt(arch.headDim), 12);
    }
    expect(archFromConfig(tinyConfig('qwen2', 300, 1, 2), 'c').qkvBias).toBe(true);
    expect(archFromConfig(tinyConfig('qwen3', 300, 1, 2), 'c').qkNorm).toBe('per_head');
    expect(archFromConfig(tinyConfig('mistral', 300, 1, 2), 'c').slidingWindow).toEqual([8, 8]);
  });

  it('a config without the activation key takes the family default (a config spelling from `allowed`)', () => {
    for (const fam of SUPPORTED_FAMILIES) {
      const cfg = tinyConfig(fam, 300, 1, 2);
      const text = (cfg['text_config'] as Record<string, unknown> | undefined) ?? cfg;
      for (const k of FAMILIES[fam].activation.keys) delete text[k];
      const tr = FAMILIES[fam] as FamilyTraits;
      expect(archFromConfig(cfg, `${fam}/config.json`).hiddenAct, fam).toBe(tr.activation.allowed[tr.activation.default]);
    }
  });
});

describe('reference RoPE (independent of src/engine/rope.ts)', () => {
  const specs: RopeSpec[] = [
    { theta: 10000, rotaryDim: 16, scaling: { type: 'default' } },
    { theta: 500000, rotaryDim: 64, scaling: { type: 'linear', factor: 4 } },
    { theta: 500000, rotaryDim: 64, scaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 } },
    { theta: 1000000, rotaryDim: 256, scaling: { type: 'proportional', factor: 1, angles: 32 } },
  ];
  for (const spec of specs) {
    it(`${spec.scaling.type}: agrees with the graph's frequencies`, () => {
      const ref = referenceFrequencies(spec);
      const graph = ropeInvFreq(spec);
      expect(ref.length).toBe(graph.length);
      // Proportional RoPE leaves pairs at frequency 0: compare those absolutely.
      for (let i = 0; i < ref.length; i++) expect(Math.abs((ref[i] as number) - (graph[i] as number)) / ((graph[i] as number) || 1)).toBeLessThan(1e-12);
    });
  }
  it('proportional scaling turns only the first `angles` pairs, at theta^(-2i/rotaryDim)', () => {
    const f = referenceFrequencies(specs[3]!);
    expect(f).toHaveLength(128);
    expect(f[1]).toBeCloseTo(1e6 ** (-2 / 256), 15);
    expect(f.slice(32).every((v) => v === 0)).toBe(true);
    expect(f[31]).toBeGreaterThan(0);
  });
  it('llama3 scaling leaves short waves alone and divides long waves by the factor', () => {
    const spec = specs[2]!;
    const plain = referenceFrequencies({ ...spec, scaling: { type: 'default' } });
    const scaled = referenceFrequencies(spec);
    expect(scaled[0]).toBe(plain[0]);
    expect(scaled[scaled.length - 1]).toBeCloseTo((plain[plain.length - 1] as number) / 8, 15);
  });
});

describe('rows the table can describe before their family lands', () => {
  it('config key aliases and derived defaults (gpt2-style n_embd, n_inner = 4 × n_embd)', () => {
    const row: FamilyTraits = {
      ...FAMILIES.llama,
      configAliases: { hidden_size: 'n_embd', num_hidden_layers: 'n_layer', num_attention_heads: 'n_head', max_position_embeddings: 'n_positions', intermediate_size: 'n_inner' },
      configDefaults: { intermediate_size: { timesKey: 'hidden_size', factor: 4 } },
      norm: { kind: 'layernorm', weightOffset: 0, bias: true, epsKeys: ['layer_norm_epsilon'], epsDefault: 1e-5 },
      activation: { keys: ['activation_function'], default: 'gelu_tanh', allowed: { gelu_new: 'gelu_tanh' } },
      mlp: 'plain',
      positions: 'learned',
    };
    const arch = archFromRow('llama' as Family, row, { model_type: 'gpt2', n_embd: 64, n_layer: 2, n_head: 4, n_positions: 128, n_inner: null, vocab_size: 300, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5 }, 'config.json');
    expect([arch.hiddenSize, arch.numLayers, arch.numHeads, arch.maxPositionEmbeddings, arch.intermediateSize]).toEqual([64, 2, 4, 128, 256]);
    expect(arch.hiddenAct).toBe('gelu_tanh');
    expect(arch.norm).toEqual({ kind: 'layernorm', weightOffset: 0, bias: true, eps: 1e-5 });
    expect(arch.ropeLayers).toEqual([false, false]);
  });

  it('a text tower inside a conditional-generation wrapper reads text_config and re-roots its weights', () => {
    const row: FamilyTraits = { ...FAMILIES.llama, textConfigKey: 'text_config', nestedRoot: 'model.language_model.' };
    const text = tinyConfig('llama', 300, 1, 2);
    const arch = archFromRow('llama' as Family, row, { model_type: 'wrapper', text_config: text, vision_config: { hidden_size: 1152 } }, 'config.json');
    expect(arch.hiddenSize).toBe(64);
    expect(weightName(arch.weights, { layer: 1, module: 'q_proj' })).toBe('model.language_model.layers.1.self_attn.q_proj.weight');
    expect(weightName(arch.weights, { module: 'lm_head' })).toBe('lm_head.weight');
  });
});
