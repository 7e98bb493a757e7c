/**
 * Each architecture trait the graph builder implements, checked against the float64
 * reference on random weights drawn for that trait combination (no family row needed).
 * A new family's new operation gets a variant here before its row lands.
 */
import type * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { archFromConfig } from '../../src/engine/config.js';
import { mergedWeights } from '../../src/engine/adapter/merge.js';
import { slotFeatures } from '../../src/engine/adapter/targets.js';
import type { LayerModule, LoadedAdapter, LoraSlot, SlotTarget } from '../../src/engine/adapter/types.js';
import { FAMILIES, layerLinearModules, modulePath } from '../../src/engine/families.js';
import { buildGroups } from '../../src/engine/graph/lora-groups.js';
import { emptyPastFeeds, tokenFeeds, viewFeeds } from '../../src/engine/feeds.js';
import { memoryWeights, randomBaseWeights } from '../../src/engine/fixtures/random-weights.js';
import { tinyConfig } from '../../src/engine/fixtures/tiny-model.js';
import { createSession } from '../../src/engine/session.js';
import { referenceForward } from '../../src/engine/reference/forward.js';
import type { ArchSpec } from '../../src/engine/types.js';
import { maxAbsDiff } from '../support/fixtures.js';

const VOCAB = 96;
const IDS = [3, 17, 42, 5, 88, 9, 61, 23, 4, 70, 11, 35];

function baseArch(): ArchSpec {
  return archFromConfig({ ...tinyConfig('llama', VOCAB, 1, 2), rope_scaling: null, tie_word_embeddings: false }, 'config.json');
}

/** LoRA (with lora_B.bias) on every linear module of every layer and on lm_head, as the loader would produce it. */
function randomSlots(arch: ArchSpec, rng: Rng): LoraSlot[] {
  const r = 2;
  const targets: SlotTarget[] = [];
  for (let l = 0; l < arch.numLayers; l++) for (const m of layerLinearModules(arch, (arch.kvSource?.[l] ?? l) !== l, arch.keysAsValues?.[l] ?? false)) targets.push({ scope: 'layer', layer: l, module: m as LayerModule });
  targets.push({ scope: 'lm_head' });
  return targets.map((target) => {
    const [inF, outF] = slotFeatures(arch, target);
    const path = target.scope === 'layer' ? modulePath(arch.weights, { layer: target.layer, module: target.module }) : modulePath(arch.weights, { module: 'lm_head' });
    return {
      modulePath: path,
      target,
      rank: r,
      inFeatures: inF,
      outFeatures: outF,
      scaling: 1.5,
      a: rng.fillNormal(new Float32Array(r * inF), 0.1),
      b: rng.fillNormal(new Float32Array(outF * r), 0.1),
      bBias: rng.fillNormal(new Float32Array(outF), 0.1),
      magnitude: null,
    };
  });
}

/**
 * Builds the ORT graph for `arch` over random weights and compares all-position logits with
 * the reference, for the base view and (with `lora`) a LoRA view at lambda 0.5.
 */
async function graphVsReference(arch: ArchSpec, lora = false, seed = 1): Promise<number> {
  const rng = new Rng(seed);
  const tensors = randomBaseWeights(arch, rng);
  const weights = memoryWeights(tensors);
  const slots = lora ? randomSlots(arch, rng) : [];
  const groups = buildGroups(arch, slots);
  const { session } = await createSession({ arch, groups, dora: false, overrides: new Map(), maxPositions: 64 }, weights, 1, { session: 0 });
  try {
    const lambda = lora ? 0.5 : 0;
    const view = { id: 'v', slots, coeff: lambda, useSaved: false, gains: null };
    const rows = [{ view, ids: IDS, positions: IDS.map((_, i) => i) }];
    const feeds = { ...tokenFeeds(rows, 0).feeds, ...viewFeeds({ arch, groups, useDora: false, hasOverrides: false }, [view]), ...emptyPastFeeds(arch, 1) };
    const out = await session.run(feeds, ['logits']);
    const got = (out['logits'] as ort.Tensor).data as Float32Array;
    const adapter: LoadedAdapter = { dir: 'memory', contentHash: '', baseModelNameOrPath: null, useDora: false, slots, overrides: new Map(), trainableTokens: null, warnings: [], nonFinite: [] };
    const ref = referenceForward(arch, mergedWeights(arch, (n) => weights.readF32(n), adapter, { lambda, applyOverrides: false }), IDS);
    return maxAbsDiff(got, ref.logits);
  } finally {
    await session.release();
  }
}

// Fused projections under phi3-style names, learned positions (the rows land with their families).
const FAMILIES_PHI3_LIKE = {
  ...FAMILIES.llama.naming,
  model: { ...FAMILIES.llama.naming.model, positions: 'embed_positions' },
  layer: { ...FAMILIES.llama.naming.layer, qkv_proj: 'self_attn.qkv_proj', gate_up_proj: 'mlp.gate_up_proj' },
};
// Post norms under gemma2-style names.
const NAMING_WIDE = {
  ...FAMILIES.llama.naming,
  layer: { ...FAMILIES.llama.naming.layer, mlp_norm: 'pre_feedforward_layernorm', post_attn_norm: 'post_attention_layernorm', post_mlp_norm: 'post_feedforward_layernorm' },
};

function longrope(original: number): ArchSpec['rope']['scaling'] {
  const f = (k: number) => Array.from({ length: 8 }, (_, i) => 1 + k * i);
  return { type: 'longrope', shortFactor: f(0.1), longFactor: f(0.7), originalMaxPositionEmbeddings: original, factor: 8, attentionFactor: null };
}

/** gemma4 RoPE: plain local tables, proportional global ones over twice the rotary width. */
function gemma4Ropes(a: ArchSpec): Pick<ArchSpec, 'ropeLocal' | 'rope'> {
  return {
    ropeLocal: { ...a.rope, theta: 1e4, scaling: { type: 'default' } },
    rope: { ...a.rope, rotaryDim: 2 * a.rope.rotaryDim, theta: 1e6, scaling: { type: 'proportional', factor: 1, angles: a.rope.rotaryDim / 4 } },
  };
}

/** gemma4 on two layers: a sliding one, then a global one with twice the head size and one kv head, per-head q/k norms, v norm, unscaled attention. */
function gemma4GlobalLayer(a: ArchSpec): ArchSpec {
  return {
    ...a,
    qkNorm: 'per_head',
    vNorm: true,
    attentionScale: 1,
    slidingWindow: [4, null],
    layerHeads: [{ headDim: a.headDim, numKvHeads: a.numKvHeads }, { headDim: 2 * a.headDim, numKvHeads: 1 }],
    ...gemma4Ropes(a),
  };
}

/** gemma4 KV sharing on four layers: the last two attend to the keys/values of the last earlier layer of their type, double-wide MLP there, global head size 2x (RoPE left to the caller). */
function kvSharedFourLayers(a: ArchSpec): ArchSpec {
  return {
    ...a,
    numLayers: 4,
    qkNorm: 'per_head',
    vNorm: true,
    attentionScale: 1,
    slidingWindow: [4, null, 4, null],
    ropeLayers: [true, true, true, true],
    layerHeads: [1, 2, 1, 2].map((m) => ({ headDim: m * a.headDim, numKvHeads: a.numKvHeads })),
    kvSource: [0, 1, 0, 1],
    layerIntermediate: [1, 1, 2, 2].map((m) => m * a.intermediateSize),
  };
}

const VARIANTS: [string, (a: ArchSpec) => ArchSpec][] = [
  ['plain llama layout', (a) => a],
  ['norm weights stored as w - 1 (gemma (1 + w))', (a) => ({ ...a, norm: { ...a.norm, weightOffset: 1 } })],
  ['embedding scale √hidden', (a) => ({ ...a, embeddingScale: Math.sqrt(a.hiddenSize) })],
  ['attention scale from query_pre_attn_scalar', (a) => ({ ...a, attentionScale: 1 / Math.sqrt(24) })],
  ['residual multiplier and logits divisor (granite)', (a) => ({ ...a, residualMultiplier: 0.3, logitsDivisor: 2.5 })],
  ['fused qkv_proj and gate_up_proj (phi3)', (a) => ({ ...a, fused: { qkv: true, gateUp: true }, weights: FAMILIES_PHI3_LIKE })],
  ['biases everywhere, tied head', (a) => ({ ...a, qkvBias: true, oBias: true, mlpBias: true, tieWordEmbeddings: true })],
  ['per-layer sliding windows and per-head q/k norm', (a) => ({ ...a, slidingWindow: [4, null], qkNorm: 'per_head' })],
  ['linear RoPE scaling', (a) => ({ ...a, rope: { ...a.rope, scaling: { type: 'linear', factor: 3 } } })],
  ['RMSNorm (1 + w), GeGLU with tanh-GELU, √hidden embeddings (gemma)', (a) => ({ ...a, norm: { ...a.norm, weightOffset: 1 }, hiddenAct: 'gelu_tanh', embeddingScale: Math.sqrt(a.hiddenSize) })],
  ['exact GELU', (a) => ({ ...a, hiddenAct: 'gelu' })],
  ['sandwich norms, attention and final-logit soft-caps, alternating windows (gemma2)', (a) => ({ ...a, normPlacement: 'sandwich', attnSoftcap: 2, finalLogitSoftcap: 3, slidingWindow: [4, null], weights: NAMING_WIDE })],
  ['post-only norms and full-width q/k norm (olmo2)', (a) => ({ ...a, normPlacement: 'post', qkNorm: 'full', weights: NAMING_WIDE })],
  ['a layer without rotary (smollm3 no_rope_layers)', (a) => ({ ...a, ropeLayers: [true, false] })],
  ['separate rotary base for sliding layers (gemma3)', (a) => ({ ...a, slidingWindow: [4, null], ropeLocal: { ...a.rope, theta: 1000 }, rope: { ...a.rope, theta: 1e6 } })],
  ['linear-scaled global and plain local rotary (gemma3 per-type rope_parameters)', (a) => ({ ...a, slidingWindow: [4, null], ropeLocal: { ...a.rope, theta: 1e4, scaling: { type: 'default' } }, rope: { ...a.rope, theta: 1e6, scaling: { type: 'linear', factor: 8 } } })],
  ['proportional rotary on global layers, two of eight pairs turning (gemma4)', (a) => ({ ...a, slidingWindow: [4, null], ropeLocal: { ...a.rope, theta: 1e4, scaling: { type: 'default' } }, rope: { ...a.rope, theta: 1e6, scaling: { type: 'proportional', factor: 1, angles: 2 } } })],
  [
    'per-layer head sizes: global layer with twice the head size and one kv head, own RoPE tables (gemma4 global_head_dim)',
    gemma4GlobalLayer,
  ],
  [
    'KV sharing: the last two of four layers attend to the keys/values of the last earlier layer of their type, double-wide MLP there, global head size 2x (gemma4 num_kv_shared_layers)',
    (a) => ({
      ...kvSharedFourLayers(a),
      ...gemma4Ropes(a),
    }),
  ],
  [
    'keys as values on the global layer (no v_proj; v = v_norm(raw k)), twice the head size, one kv head (gemma4 attention_k_eq_v)',
    (a) => ({
      ...gemma4GlobalLayer(a),
      keysAsValues: [false, true],
    }),
  ],
  ['unscaled attention, per-head q/k norms and a scale-free v norm (gemma4)', (a) => ({ ...a, qkNorm: 'per_head', vNorm: true, attentionScale: 1 })],
  [
    'per-layer inputs and per-layer output scalar, sandwich norms (gemma4 PLE)',
    (a) => ({ ...a, normPlacement: 'sandwich', hiddenAct: 'gelu_tanh', embeddingScale: Math.sqrt(a.hiddenSize), perLayerInput: { size: 8, vocab: VOCAB }, layerScalar: true, weights: FAMILIES.gemma4_text.naming }),
  ],
  ['LayerNorm with bias, plain GELU MLP, parallel residual (gpt_neox)', (a) => ({ ...a, norm: { ...a.norm, kind: 'layernorm', bias: true }, mlp: 'plain', hiddenAct: 'gelu', residual: 'parallel', qkvBias: true, oBias: true, mlpBias: true })],
  ['learned positions, Conv1D weights, fused qkv (gpt2)', (a) => ({ ...a, positions: 'learned', ropeLayers: [false, false], transposedLinear: true, fused: { qkv: true, gateUp: false }, mlp: 'plain', hiddenAct: 'gelu_tanh', norm: { ...a.norm, kind: 'layernorm', bias: true }, weights: FAMILIES_PHI3_LIKE })],
  // ORT's fused rotary needs rotaryDim/2 to be a multiple of 8.
  ['partial rotary (phi3 / gpt_neox)', (a) => ({ ...a, headDim: 32, attentionScale: 1 / Math.sqrt(32), rope: { ...a.rope, rotaryDim: 16 } })],
  // Rotary outside GroupQueryAttention (graph/rotary.ts): a rotary dimension of 8, and LongRoPE whose factors depend on the row length (IDS has 12 tokens).
  ['rotary dimension 8 (half-rotary heads of 16)', (a) => ({ ...a, rope: { ...a.rope, rotaryDim: 8 } })],
  ['LongRoPE, short factors and attention factor (row of 12 ≤ original 16)', (a) => ({ ...a, rope: { ...a.rope, scaling: longrope(16) } })],
  ['LongRoPE, long factors (row of 12 > original 8), partial rotary', (a) => ({ ...a, rope: { ...a.rope, rotaryDim: 8, scaling: { ...longrope(8), shortFactor: [1, 1.2, 1.6, 2.4], longFactor: [1.5, 2.5, 4, 8] } } })],
  ['fused per-head query_key_value with partial rotary 4, parallel residual (gpt_neox)', (a) => ({
    ...a,
    numKvHeads: a.numHeads,
    fused: { qkv: true, gateUp: false },
    qkvLayout: 'per_head',
    mlp: 'plain',
    hiddenAct: 'gelu',
    residual: 'parallel',
    norm: { ...a.norm, kind: 'layernorm', bias: true },
    qkvBias: true,
    rope: { ...a.rope, rotaryDim: 4 },
    weights: FAMILIES_PHI3_LIKE,
  })],
  [
    'plain-op rotary with per-layer head sizes and KV sharing: sliding rotary 8 of head 16, global rotary 16 of head 32, last two layers shared (gemma4 with rotary widths GQA cannot take)',
    (a) => ({
      ...kvSharedFourLayers(a),
      ropeLocal: { ...a.rope, rotaryDim: a.headDim / 2, theta: 1e4, scaling: { type: 'default' } },
      rope: { ...a.rope, rotaryDim: a.headDim, theta: 1e6, scaling: { type: 'default' } },
    }),
  ],
  ['llama3 RoPE scaling', (a) => ({ ...a, rope: { ...a.rope, theta: 500000, scaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8 } } })],
];

describe('graph builder vs float64 reference, trait by trait', () => {
  for (const [title, mutate] of VARIANTS) {
    it(`${title}: base and LoRA (with lora_B.bias, λ = 0.5) views, max |Δlogit| < 1e-4`, async () => {
      expect(await graphVsReference(mutate(baseArch()))).toBeLessThan(1e-4);
      expect(await graphVsReference(mutate(baseArch()), true)).toBeLessThan(1e-4);
    });
  }
});
