/**
 * config.json -> ArchSpec for the phi3, olmo2, granite, smollm3, gpt2 and gpt_neox rows:
 * the keys each family spells its own way, the LongRoPE block, and the refusals by key.
 */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { SafetensorsSource } from '../../src/engine/safetensors/reader.js';
import { writeSafetensors } from '../../src/engine/safetensors/writer.js';
import { maxAbsDiff, tinyFixtures } from '../support/fixtures.js';
import { ModelError } from '../../src/core/errors.js';
import { archFromConfig } from '../../src/engine/config.js';
import { parseModulePath, weightName } from '../../src/engine/families.js';
import { tinyConfig } from '../../src/engine/fixtures/tiny-model.js';
import { qkvColumnMap } from '../../src/engine/graph/lora-groups.js';
import { referenceFrequencies, referenceRotaryScale } from '../../src/engine/reference/rope.js';
import { ropeCaches, ropeInvFreq, ropeMagnitude } from '../../src/engine/rope.js';
import type { RopeSpec } from '../../src/engine/types.js';
import { greedyBesideFullForwards } from '../support/greedy.js';

const cfg = (family: Parameters<typeof tinyConfig>[0], extra: Record<string, unknown> = {}) => ({ ...tinyConfig(family, 300, 1, 4), ...extra });
const refusal = (c: Record<string, unknown>): string => {
  try {
    archFromConfig(c, 'config.json');
  } catch (e) {
    expect(e).toBeInstanceOf(ModelError);
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
};

describe('phi3', () => {
  it('fused projections, partial rotary and a LongRoPE block (a top-level original_max_position_embeddings wins)', () => {
    const a = archFromConfig(cfg('phi3', { rope_scaling: { type: 'su', short_factor: [1, 1, 1, 1], long_factor: [2, 2, 2, 2], original_max_position_embeddings: 64 } }), 'c');
    expect(a.fused).toEqual({ qkv: true, gateUp: true });
    expect(a.rope.rotaryDim).toBe(8);
    expect(a.rope.scaling).toEqual({ type: 'longrope', shortFactor: [1, 1, 1, 1], longFactor: [2, 2, 2, 2], originalMaxPositionEmbeddings: 16, factor: 512 / 16, attentionFactor: null });
    expect(weightName(a.weights, { layer: 1, module: 'gate_up_proj' })).toBe('model.layers.1.mlp.gate_up_proj.weight');
  });

  it('partial_rotary_factor inside rope_parameters (transformers 5 configs) counts too', () => {
    const c = cfg('phi3', { rope_scaling: null, partial_rotary_factor: undefined, rope_parameters: { rope_type: 'default', rope_theta: 10000, partial_rotary_factor: 0.5 } });
    expect(archFromConfig(c, 'c').rope.rotaryDim).toBe(8);
  });

  it('refuses factor lists of the wrong length or content by key', () => {
    expect(refusal(cfg('phi3', { rope_scaling: { type: 'longrope', short_factor: [1, 1], long_factor: [1, 1, 1, 1] } }))).toMatch(/config\.json: rope_scaling\.short_factor has 2 entries but the rotary dimension 8 needs 4 — fix config\.json/);
    expect(refusal(cfg('phi3', { rope_scaling: { type: 'longrope', short_factor: [1, 1, 1, 1], long_factor: 'x' } }))).toMatch(/rope_scaling\.long_factor must be a non-empty list of numbers > 0/);
  });
});

describe('LongRoPE frequencies: graph (rope.ts) and reference (reference/rope.ts) agree', () => {
  const spec: RopeSpec = {
    theta: 10000,
    rotaryDim: 16,
    scaling: { type: 'longrope', shortFactor: [1, 1.1, 1.2, 1.3, 1.5, 2, 3, 4], longFactor: [1, 2, 4, 8, 16, 32, 48, 64], originalMaxPositionEmbeddings: 4096, factor: 32, attentionFactor: null },
  };
  it('short factors up to the original length, long factors past it', () => {
    const close = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      for (let i = 0; i < a.length; i++) expect(Math.abs((a[i] as number) - (b[i] as number)) / (b[i] as number)).toBeLessThan(1e-12);
    };
    close(referenceFrequencies(spec, 4096), ropeInvFreq(spec, false));
    close(referenceFrequencies(spec, 4097), ropeInvFreq(spec, true));
    expect(referenceFrequencies(spec, 4097)[7]).toBeCloseTo((referenceFrequencies({ ...spec, scaling: { type: 'default' } })[7] as number) / 64, 15);
  });
  it('attention factor sqrt(1 + ln(factor) / ln(original)) scales cos and sin, unless the config gives one', () => {
    const want = Math.sqrt(1 + Math.log(32) / Math.log(4096));
    expect(referenceRotaryScale(spec)).toBeCloseTo(want, 15);
    expect(ropeMagnitude(spec)).toBeCloseTo(want, 15);
    const { cos, sin } = ropeCaches(spec, 4);
    expect(cos[0]).toBeCloseTo(want, 6);
    expect(Math.hypot(cos[8 * 3 + 2] as number, sin[8 * 3 + 2] as number)).toBeCloseTo(want, 6);
    const fixed = { ...spec, scaling: { ...spec.scaling, attentionFactor: 1.25 } } as RopeSpec;
    expect(referenceRotaryScale(fixed)).toBe(1.25);
    expect(ropeMagnitude(fixed)).toBe(1.25);
  });
});

describe('olmo2, granite, smollm3', () => {
  it('olmo2: post-norms only and full-width q/k norms', () => {
    const a = archFromConfig(cfg('olmo2'), 'c');
    expect([a.normPlacement, a.qkNorm]).toEqual(['post', 'full']);
    expect(weightName(a.weights, { layer: 0, module: 'post_mlp_norm' })).toBe('model.layers.0.post_feedforward_layernorm.weight');
  });
  it('granite: the four multipliers come from config.json', () => {
    const a = archFromConfig(cfg('granite'), 'c');
    expect([a.embeddingScale, a.residualMultiplier, a.attentionScale, a.logitsDivisor]).toEqual([3, 0.4, 0.2, 2.5]);
  });
  it('smollm3: no_rope_layers wins; otherwise every no_rope_layer_interval-th layer has no rotary', () => {
    expect(archFromConfig(cfg('smollm3', { no_rope_layer_interval: undefined }), 'c').ropeLayers).toEqual([true, true, true, false]);
    expect(archFromConfig(cfg('smollm3'), 'c').ropeLayers).toEqual([true, false, true, false]);
    expect(archFromConfig(cfg('smollm3', { no_rope_layers: [0, 1, 1, 1] }), 'c').ropeLayers).toEqual([false, true, true, true]);
    expect(refusal(cfg('smollm3', { no_rope_layers: [1, 1] }))).toMatch(/no_rope_layers has 2 entries but num_hidden_layers is 4/);
    expect(refusal(cfg('smollm3', { use_sliding_window: true, sliding_window: 4 }))).toMatch(/config\.json: use_sliding_window = true is not supported: sliding-window attention is not implemented/);
  });
});

describe('gpt2', () => {
  it('GPT-2 spellings, Conv1D weights, learned positions', () => {
    const a = archFromConfig(cfg('gpt2'), 'c');
    expect([a.hiddenSize, a.numLayers, a.numHeads, a.numKvHeads, a.intermediateSize, a.maxPositionEmbeddings]).toEqual([64, 4, 4, 4, 256, 512]);
    expect([a.positions, a.transposedLinear, a.hiddenAct, a.tieWordEmbeddings, a.norm.kind, a.norm.bias]).toEqual(['learned', true, 'gelu_tanh', true, 'layernorm', true]);
    expect(weightName(a.weights, { layer: 2, module: 'down_proj' })).toBe('transformer.h.2.mlp.c_proj.weight');
    expect(weightName(a.weights, { module: 'positions' })).toBe('transformer.wpe.weight');
  });
  it('refuses the attention variants it does not implement, by key', () => {
    expect(refusal(cfg('gpt2', { scale_attn_by_inverse_layer_idx: true }))).toMatch(/config\.json: scale_attn_by_inverse_layer_idx = true is not implemented/);
    expect(refusal(cfg('gpt2', { scale_attn_weights: false }))).toMatch(/scale_attn_weights = false/);
    expect(refusal(cfg('gpt2', { activation_function: 'relu' }))).toMatch(/activation_function 'relu' is not supported for gpt2/);
  });
});

describe('gpt2 checkpoints saved from the bare base model (wte.weight, h.0...., no transformer. prefix)', () => {
  it('load under the family root and score exactly as the prefixed checkpoint, adapters included', async () => {
    const fx = tinyFixtures('gpt2');
    const bare = join(mkdtempSync(join(tmpdir(), 'sway-gpt2-bare-')), 'base');
    cpSync(fx.base, bare, { recursive: true });
    const src = SafetensorsSource.openDir(fx.base);
    const tensors = src.names().map((n) => ({ name: n.replace(/^transformer\./, ''), dtype: src.dtype(n), shape: src.shape(n), data: src.readF32(n) }));
    src.close();
    expect(tensors.some((t) => t.name === 'wte.weight')).toBe(true);
    writeSafetensors(join(bare, 'model.safetensors'), tensors, { format: 'pt' });
    const a = await Engine.load({ base: fx.base, adapter: fx.trained, threads: 1 });
    const b = await Engine.load({ base: bare, adapter: fx.trained, threads: 1 });
    try {
      const ids = a.encode('The capital of France is');
      for (const view of [{ kind: 'base' }, { kind: 'ft' }] as const) expect(maxAbsDiff(await a.fullLogits(view, ids), await b.fullLogits(view, ids))).toBe(0);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('gpt_neox', () => {
  it('rotary_pct / rotary_emb_base, use_parallel_residual, the per-head fused layout', () => {
    const a = archFromConfig(cfg('gpt_neox', { rotary_emb_base: 500 }), 'c');
    expect([a.rope.rotaryDim, a.rope.theta, a.residual, a.qkvLayout, a.qkvBias, a.oBias, a.mlpBias]).toEqual([4, 500, 'parallel', 'per_head', true, true, true]);
    expect(archFromConfig(cfg('gpt_neox', { use_parallel_residual: false }), 'c').residual).toBe('sequential');
    expect(weightName(a.weights, { module: 'lm_head' })).toBe('embed_out.weight');
    // transformers 5 names the module lm_head (PEFT adapters say so) while checkpoints keep embed_out.
    expect(parseModulePath(a.weights, 'lm_head')).toEqual({ module: 'lm_head' });
    expect(parseModulePath(a.weights, 'embed_out')).toEqual({ module: 'lm_head' });
  });
  it('the graph regroups [q_h, k_h, v_h] per head into [all q, all k, all v]', () => {
    const a = archFromConfig(cfg('gpt_neox'), 'c');
    const map = qkvColumnMap(a)!;
    const D = a.headDim;
    const q = a.numHeads * D;
    expect(map[0]).toBe(0); // q of head 0
    expect(map[D]).toBe(q); // k of head 0
    expect(map[2 * D]).toBe(2 * q); // v of head 0
    expect(map[3 * D]).toBe(D); // q of head 1
    expect(new Set(map).size).toBe(3 * q);
    expect(qkvColumnMap(archFromConfig(cfg('phi3'), 'c'))).toBeNull();
  });
  it('refuses grouped k/v heads, which the per-head layout cannot hold', () => {
    expect(refusal(cfg('gpt_neox', { num_key_value_heads: 2 }))).toMatch(/config\.json: num_key_value_heads \(2\) differs from num_attention_heads \(4\)/);
  });
});

describe('KV-cache generation through rotary done with plain ops (phi3 LongRoPE, gpt_neox rotary dim 4) and learned positions (gpt2)', () => {
  for (const family of ['phi3', 'gpt_neox', 'gpt2'] as const) {
    it(`${family}: greedy generation equals argmax over full forwards`, async () => {
      const fx = tinyFixtures(family);
      const engine = await Engine.load({ base: fx.base, adapter: fx.trained, threads: 1 });
      try {
        // phi3 (original length 16): 4 prompt tokens + 8 (short factors), + 16 (crosses 16: the cache is
        // re-encoded with the long factors, as transformers does), and 23 (long factors throughout).
        await greedyMatchesFull(engine, engine.encode('The sky is'), 8);
        await greedyMatchesFull(engine, engine.encode('The sky is'), 16);
        await greedyMatchesFull(engine, engine.encode('Once upon a time there was a fish. The sky is'), 8);
      } finally {
        await engine.close();
      }
    });
  }
});

async function greedyMatchesFull(engine: Engine, prompt: number[], maxNewTokens: number): Promise<void> {
  const { generated, expected } = await greedyBesideFullForwards(engine, prompt, maxNewTokens);
  expect(generated).toEqual(expected);
  expect(generated.length).toBe(maxNewTokens);
}
