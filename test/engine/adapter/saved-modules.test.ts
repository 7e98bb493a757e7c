import { describe, expect, it } from 'vitest';
import { AdapterError } from '../../../src/core/errors.js';
import { loadAdapter } from '../../../src/engine/adapter/load.js';
import { baseConfig, baseSource, loraPair, P, tinyArch, writeAdapter } from './helpers.js';

const untied = tinyArch();
const tied = tinyArch({ tieWordEmbeddings: true });
const q0 = loraPair(0, 'self_attn.q_proj', 2);
const fill = (n: number, v: number) => new Float32Array(n).fill(v);

describe('modules_to_save', () => {
  it('maps saved copies to the base tensor names, however the config names the module', () => {
    const tensors = [
      ...q0,
      { name: `${P}lm_head.weight`, dtype: 'F32' as const, shape: [16, 8], data: fill(128, 0.5) },
      { name: `${P}model.embed_tokens.weight`, dtype: 'F32' as const, shape: [16, 8], data: fill(128, 0.25) },
      { name: `${P}model.norm.modules_to_save.default.weight`, dtype: 'F32' as const, shape: [8], data: fill(8, 2) },
    ];
    const cfg = baseConfig({ modules_to_save: ['model.lm_head', 'embed_tokens', 'norm'] });
    const a = loadAdapter(writeAdapter(cfg, tensors), { arch: untied, baseWeights: baseSource(untied) });
    expect([...a.overrides.keys()].sort()).toEqual(['lm_head.weight', 'model.embed_tokens.weight', 'model.norm.weight']);
    expect(a.overrides.get('model.norm.weight')!.data[3]).toBe(2);
    expect(a.overrides.get('lm_head.weight')!.shape).toEqual([16, 8]);
    expect(a.warnings).toEqual([]);
  });

  it('a saved lm_head on a tied base overrides the output role only', () => {
    const tensors = [...q0, { name: `${P}lm_head.weight`, dtype: 'F32' as const, shape: [16, 8], data: fill(128, 0.5) }];
    const a = loadAdapter(writeAdapter(baseConfig({ modules_to_save: ['lm_head'] }), tensors), { arch: tied, baseWeights: baseSource(tied) });
    expect([...a.overrides.keys()]).toEqual(['lm_head.weight']);
  });

  it('ensure_weight_tying on a tied base: one saved copy serves both roles; tied LoRA is refused', () => {
    const o = { arch: tied, baseWeights: baseSource(tied) };
    const embed = { name: `${P}model.embed_tokens.weight`, dtype: 'F32' as const, shape: [16, 8], data: fill(128, 0.5) };
    const a = loadAdapter(writeAdapter(baseConfig({ modules_to_save: ['embed_tokens'], ensure_weight_tying: true }), [...q0, embed]), o);
    expect([...a.overrides.keys()].sort()).toEqual(['lm_head.weight', 'model.embed_tokens.weight']);
    expect(a.overrides.get('lm_head.weight')).toBe(a.overrides.get('model.embed_tokens.weight'));
    const untiedLoad = loadAdapter(writeAdapter(baseConfig({ modules_to_save: ['embed_tokens'], ensure_weight_tying: true }), [...q0, embed]), {
      arch: untied,
      baseWeights: baseSource(untied),
    });
    expect([...untiedLoad.overrides.keys()]).toEqual(['model.embed_tokens.weight']);
    const noTying = loadAdapter(writeAdapter(baseConfig({ modules_to_save: ['embed_tokens'] }), [...q0, embed]), o);
    expect([...noTying.overrides.keys()]).toEqual(['model.embed_tokens.weight']);
    const lm = [
      { name: `${P}lm_head.lora_A.weight`, dtype: 'F32' as const, shape: [2, 8], data: fill(16, 0.1) },
      { name: `${P}lm_head.lora_B.weight`, dtype: 'F32' as const, shape: [16, 2], data: fill(32, 0.1) },
    ];
    expect(() => loadAdapter(writeAdapter(baseConfig({ target_modules: ['q_proj', 'lm_head'], ensure_weight_tying: true }), [...q0, ...lm]), o)).toThrow(
      'ensure_weight_tying is true and LoRA targets the tied lm_head',
    );
  });

  it('loads vision_tower copies with one warning and no override', () => {
    const tensors = [
      ...q0,
      { name: `${P}model.vision_tower.encoder.layers.0.fc1.weight`, dtype: 'F32' as const, shape: [4, 4], data: fill(16, 1) },
      { name: `${P}model.vision_tower.encoder.layers.0.fc1.bias`, dtype: 'F32' as const, shape: [4], data: fill(4, 1) },
      { name: `${P}model.embed_vision.embedding_projection.weight`, dtype: 'F32' as const, shape: [2, 2], data: fill(4, 1) },
    ];
    const a = loadAdapter(writeAdapter(baseConfig({ modules_to_save: ['vision_tower', 'embed_vision'] }), tensors), { arch: untied, baseWeights: baseSource(untied) });
    expect(a.overrides.size).toBe(0);
    expect(a.warnings).toHaveLength(1);
    expect(a.warnings[0]).toContain('3 saved tensor(s) of modules a text-only forward never runs');
    expect(a.warnings[0]).toContain('vision_tower.encoder.layers.0.fc1.weight');
  });

  it('warns for a listed module without tensors and for uncovered tensors', () => {
    const tensors = [...q0, { name: `${P}model.norm.weight`, dtype: 'F32' as const, shape: [8], data: fill(8, 2) }];
    const a = loadAdapter(writeAdapter(baseConfig({ modules_to_save: ['lm_head'] }), tensors), { arch: untied, baseWeights: baseSource(untied) });
    expect(a.overrides.size).toBe(0);
    expect(a.warnings.some((w) => w.includes("modules_to_save lists 'lm_head' but the adapter holds no tensor"))).toBe(true);
    expect(a.warnings.some((w) => w.includes(`ignored 1 tensor(s)`) && w.includes('model.norm.weight'))).toBe(true);
  });

  it('refuses a saved copy with the wrong shape or for a tensor the base lacks', () => {
    const wrong = [...q0, { name: `${P}lm_head.weight`, dtype: 'F32' as const, shape: [12, 8], data: fill(96, 0) }];
    expect(() => loadAdapter(writeAdapter(baseConfig({ modules_to_save: ['lm_head'] }), wrong), { arch: untied, baseWeights: baseSource(untied) })).toThrow(
      `tensor '${P}lm_head.weight' has shape [12, 8], expected [16, 8] (the base tensor 'lm_head.weight')`,
    );
    const missing = [...q0, { name: `${P}score.weight`, dtype: 'F32' as const, shape: [2, 8], data: fill(16, 0) }];
    expect(() => loadAdapter(writeAdapter(baseConfig({ modules_to_save: ['score'] }), missing), { arch: untied, baseWeights: baseSource(untied) })).toThrow(
      "replaces 'score.weight', which the base model (memory base) does not have",
    );
  });
});

describe('bias all / lora_only', () => {
  it('saved biases become overrides of the base biases', () => {
    const withBias = tinyArch({ qkvBias: true });
    const tensors = [...q0, { name: `${P}model.layers.0.self_attn.q_proj.bias`, dtype: 'F32' as const, shape: [8], data: fill(8, 0.125) }];
    const a = loadAdapter(writeAdapter(baseConfig({ bias: 'lora_only' }), tensors), { arch: withBias, baseWeights: baseSource(withBias) });
    expect([...a.overrides.keys()]).toEqual(['model.layers.0.self_attn.q_proj.bias']);
    expect(a.overrides.get('model.layers.0.self_attn.q_proj.bias')!.data[0]).toBe(0.125);
  });

  it('tolerates the base_layer infix of a LoRA-wrapped module bias (bias: all)', () => {
    const withBias = tinyArch({ qkvBias: true });
    const tensors = [...q0, { name: `${P}model.layers.0.self_attn.q_proj.base_layer.bias`, dtype: 'F32' as const, shape: [8], data: fill(8, 0.25) }];
    tensors.push({ name: `${P}model.layers.1.self_attn.k_proj.bias`, dtype: 'F32' as const, shape: [4], data: fill(4, -1) });
    const a = loadAdapter(writeAdapter(baseConfig({ bias: 'all' }), tensors), { arch: withBias, baseWeights: baseSource(withBias) });
    expect([...a.overrides.keys()].sort()).toEqual(['model.layers.0.self_attn.q_proj.bias', 'model.layers.1.self_attn.k_proj.bias']);
    expect(a.warnings).toEqual([]);
  });

  it('ignores saved biases when bias is none', () => {
    const withBias = tinyArch({ qkvBias: true });
    const tensors = [...q0, { name: `${P}model.layers.0.self_attn.q_proj.bias`, dtype: 'F32' as const, shape: [8], data: fill(8, 0.25) }];
    const a = loadAdapter(writeAdapter(baseConfig(), tensors), { arch: withBias, baseWeights: baseSource(withBias) });
    expect(a.overrides.size).toBe(0);
    expect(a.warnings[0]).toContain('ignored 1 tensor(s)');
  });
});

describe('DoRA and lora_bias', () => {
  it('reads magnitude vectors and B biases', () => {
    const dora = [...q0, { name: `${P}model.layers.0.self_attn.q_proj.lora_magnitude_vector`, dtype: 'F32' as const, shape: [8], data: fill(8, 1.5) }];
    const a = loadAdapter(writeAdapter(baseConfig({ use_dora: true }), dora), { arch: untied, baseWeights: baseSource(untied) });
    expect(a.useDora).toBe(true);
    expect(Array.from(a.slots[0]!.magnitude!)).toEqual(Array(8).fill(1.5));
    const lb = [...q0, { name: `${P}model.layers.0.self_attn.q_proj.lora_B.bias`, dtype: 'F32' as const, shape: [8], data: fill(8, 0.5) }];
    const b = loadAdapter(writeAdapter(baseConfig({ lora_bias: true }), lb), { arch: untied, baseWeights: baseSource(untied) });
    expect(b.slots[0]!.bBias![7]).toBe(0.5);
  });

  it('refuses inconsistent DoRA / lora_bias tensors', () => {
    const o = { arch: untied, baseWeights: baseSource(untied) };
    expect(() => loadAdapter(writeAdapter(baseConfig({ use_dora: true }), q0), o)).toThrow("use_dora is true but module 'model.layers.0.self_attn.q_proj' has no lora_magnitude_vector");
    const mag = [...q0, { name: `${P}model.layers.0.self_attn.q_proj.lora_magnitude_vector`, dtype: 'F32' as const, shape: [8], data: fill(8, 1) }];
    expect(() => loadAdapter(writeAdapter(baseConfig(), mag), o)).toThrow('is a DoRA magnitude but use_dora is false');
    const badMag = [...q0, { name: `${P}model.layers.0.self_attn.q_proj.lora_magnitude_vector`, dtype: 'F32' as const, shape: [4], data: fill(4, 1) }];
    expect(() => loadAdapter(writeAdapter(baseConfig({ use_dora: true }), badMag), o)).toThrow('has shape [4], expected [8]');
    expect(() => loadAdapter(writeAdapter(baseConfig({ lora_bias: true }), q0), o)).toThrow('lora_bias is true but module');
  });
});

describe('embedding LoRA and trainable tokens', () => {
  it('loads lora_embedding_A/B as an embed_tokens slot last in order', () => {
    const emb = [
      { name: `${P}model.embed_tokens.lora_embedding_A`, dtype: 'F32' as const, shape: [2, 16], data: fill(32, 0.1) },
      { name: `${P}model.embed_tokens.lora_embedding_B`, dtype: 'F32' as const, shape: [8, 2], data: fill(16, 0.2) },
    ];
    const lm = [
      { name: `${P}lm_head.lora_A.weight`, dtype: 'F32' as const, shape: [2, 8], data: fill(16, 0.1) },
      { name: `${P}lm_head.lora_B.weight`, dtype: 'F32' as const, shape: [16, 2], data: fill(32, 0.1) },
    ];
    const a = loadAdapter(writeAdapter(baseConfig({ target_modules: ['embed_tokens', 'lm_head', 'q_proj'] }), [...emb, ...lm, ...q0]), {
      arch: tied,
      baseWeights: baseSource(tied),
    });
    expect(a.slots.map((s) => [s.modulePath, s.target.scope, s.inFeatures, s.outFeatures])).toEqual([
      ['model.layers.0.self_attn.q_proj', 'layer', 8, 8],
      ['lm_head', 'lm_head', 8, 16],
      ['model.embed_tokens', 'embed_tokens', 16, 8],
    ]);
  });

  it('reads trainable token rows with indices from a list or a dict', () => {
    const delta = { name: `${P}model.embed_tokens.token_adapter.trainable_tokens_delta`, dtype: 'F32' as const, shape: [2, 8], data: Float32Array.from({ length: 16 }, (_, i) => i) };
    const o = { arch: tied, baseWeights: baseSource(tied) };
    const a = loadAdapter(writeAdapter(baseConfig({ trainable_token_indices: [3, 9] }), [...q0, delta]), o);
    expect(a.trainableTokens!.tensorName).toBe('model.embed_tokens.weight');
    expect(a.trainableTokens!.indices).toEqual([3, 9]);
    expect(a.trainableTokens!.rows[15]).toBe(15);
    const b = loadAdapter(writeAdapter(baseConfig({ trainable_token_indices: { embed_tokens: [3, 9] } }), [delta]), o);
    expect(b.slots).toEqual([]);
    expect(b.trainableTokens!.indices).toEqual([3, 9]);
  });

  it('refuses inconsistent trainable tokens', () => {
    const delta = { name: `${P}model.embed_tokens.token_adapter.trainable_tokens_delta`, dtype: 'F32' as const, shape: [2, 8], data: fill(16, 0) };
    const o = { arch: tied, baseWeights: baseSource(tied) };
    const run = (cfg: Record<string, unknown>, t = [...q0, delta]) => () => loadAdapter(writeAdapter(baseConfig(cfg), t), o);
    expect(run({ trainable_token_indices: [1, 2, 3] })).toThrow('has shape [2, 8], expected [3, 8] (3 trainable_token_indices × hidden 8)');
    expect(run({ trainable_token_indices: [1, 16] })).toThrow('contains 16, outside the base vocabulary of 16 rows');
    expect(run({ trainable_token_indices: [1, 1] })).toThrow('lists a token id twice');
    expect(run({})).toThrow('trainable_token_indices is missing');
    expect(run({ trainable_token_indices: [1, 2] }, q0)).toThrow("has no 'model.embed_tokens.token_adapter.trainable_tokens_delta'");
    expect(run({ trainable_token_indices: { lm_head: [1, 2] } })).toThrow(AdapterError);
    expect(run({ trainable_token_indices: { lm_head: [1, 2] } })).toThrow("trainable_token_indices names 'lm_head'");
  });
});
