/**
 * The family table: every decoder family sway runs, as data. `config.ts` turns a row plus
 * config.json into an ArchSpec; the graph builder and the float64 reference read only the
 * ArchSpec (never the family name); the adapter loader, merge and the fixtures name
 * tensors only through `weightName` / `modulePath`.
 *
 * A trait that names a config key means "read this key, with this default"; a plain value
 * is fixed for the family.
 */
import { SwayError } from '../core/errors.js';

export type Activation = 'silu' | 'gelu_tanh' | 'gelu';
export type NormKind = 'rms' | 'layernorm';
/** pre: norm before attention/MLP; sandwich: pre + post norms (gemma2/3); post: norms after attention/MLP only (olmo2). */
export type NormPlacement = 'pre' | 'sandwich' | 'post';
export type ResidualLayout = 'sequential' | 'parallel';
/** per_head: one [headDim] norm applied to each head (qwen3, gemma3); full: over the whole q/k projection (olmo2). */
export type QkNormKind = 'none' | 'per_head' | 'full';
/** blocks: fused qkv output is [all q, all k, all v]; per_head: [q_h, k_h, v_h] for each head in turn (gpt_neox). */
export type QkvLayout = 'blocks' | 'per_head';

/** A value read from config.json (`key`, else `default`). */
export interface ConfigValue<T> {
  key: string;
  default: T;
}
export type Trait<T> = T | ConfigValue<T>;

/** Logical weights of one decoder layer. */
export type LayerWeight =
  | 'attn_norm'
  | 'mlp_norm'
  | 'post_attn_norm'
  | 'post_mlp_norm'
  | 'q_proj'
  | 'k_proj'
  | 'v_proj'
  | 'qkv_proj'
  | 'o_proj'
  | 'q_norm'
  | 'k_norm'
  | 'gate_proj'
  | 'up_proj'
  | 'gate_up_proj'
  | 'down_proj'
  // Gemma 4 per-layer inputs and the per-layer output scalar.
  | 'per_layer_gate'
  | 'per_layer_proj'
  | 'post_per_layer_norm'
  | 'layer_scalar';

/** Logical weights outside the layers. */
export type ModelWeight = 'embed' | 'positions' | 'final_norm' | 'lm_head' | 'per_layer_embed' | 'per_layer_model_proj' | 'per_layer_proj_norm';

/** 'param': the module path itself is the tensor name (a bare parameter or buffer, e.g. gemma4 `layer_scalar`). */
export type WeightPart = 'weight' | 'bias' | 'param';

export type WeightRef = { layer: number; module: LayerWeight; part?: WeightPart } | { layer?: undefined; module: ModelWeight; part?: WeightPart };

/**
 * How a family names its tensors. Names are `${root}${layers}.${i}.${layer[module]}.${part}`
 * inside the layers, `${root}${model[module]}.${part}` for embed/positions/final_norm and
 * `${head}.${part}` for lm_head (which sits outside the text-tower root in HF checkpoints).
 */
export interface WeightNaming {
  /** Text-tower root, ending in '.': 'model.', 'transformer.', 'model.language_model.'. */
  root: string;
  /** Container of the decoder blocks under root: 'layers', 'h'. */
  layers: string;
  /** Module path of the LM head (not under root). */
  head: string;
  /** Other module paths adapters use for the head (gpt_neox: transformers 5 calls `embed_out` `lm_head`). */
  headAliases?: readonly string[];
  model: Partial<Record<Exclude<ModelWeight, 'lm_head'>, string>>;
  layer: Partial<Record<LayerWeight, string>>;
}

/**
 * Which layers use a sliding window. `enabledKey`: a boolean config key that must be true
 * (qwen's use_sliding_window). `layerTypesKey`: a per-layer list of 'sliding_attention' /
 * 'full_attention' that wins when present. Otherwise `fallback` decides.
 */
export interface SlidingRule {
  windowKey: string | null;
  enabledKey?: string;
  layerTypesKey?: string;
  /** The last layer is always global, whatever layer_types says (gemma4's config forces it). */
  lastGlobal?: boolean;
  fallback:
    | { kind: 'all' }
    | { kind: 'below'; key: string } // layers i < config[key] (qwen max_window_layers)
    | { kind: 'alternate' } // even layers sliding, odd global (gemma2)
    | { kind: 'pattern'; key: string; default: number }; // every Nth layer global (gemma3 sliding_window_pattern)
}

/** A config value refused by name: `refuse(value, cfg)` returns the reason, or null when the value is fine. */
export interface RefusedKey {
  key: string;
  refuse: (value: unknown, cfg: Readonly<Record<string, unknown>>) => string | null;
}

export interface FamilyTraits {
  /**
   * config.json keys this family spells differently, canonical -> family key (gpt2
   * `hidden_size: 'n_embd'`). Used when the canonical key is absent.
   */
  configAliases?: Readonly<Record<string, string>>;
  /** Defaults of canonical keys the family may omit: a number, or a multiple of another key (gpt2 n_inner = 4 × n_embd). */
  configDefaults?: Readonly<Record<string, number | { timesKey: string; factor: number }>>;
  /** Config key holding the text config when the checkpoint is a multimodal wrapper (gemma3 `text_config`). */
  textConfigKey?: string;
  /** Root of the text tower when `textConfigKey` was used. */
  nestedRoot?: string;
  /**
   * Older spellings of tensor-name prefixes, legacy -> canonical (gemma3 conditional-generation
   * checkpoints store `language_model.model.*` while PEFT names the modules `model.language_model.*`).
   * The weight source presents legacy names under the canonical prefix.
   */
  legacyPrefixes?: Readonly<Record<string, string>>;
  /** Config keys whose values change the math in ways sway does not implement: refused by name. */
  refusedKeys?: readonly RefusedKey[];
  /** Scale-free RMSNorm on each value head (gemma4 v_norm). */
  vNorm?: boolean;
  /** Per-layer inputs (gemma4 PLE): config keys of the per-layer width and of its vocabulary. */
  perLayerInputs?: { sizeKey: string; vocabKey: string };
  /** Each layer's output is multiplied by its stored `layer_scalar` (gemma4). */
  layerScalar?: boolean;
  /**
   * Per-layer head sizes (gemma4): `overridesKey` maps layer index -> {head_dim?,
   * num_key_value_heads?}; without it, full-attention layers take `globalHeadDimKey` (default
   * `globalHeadDimDefault`) and, where `globalKvGateKey` is true, `globalKvHeadsKey`.
   */
  layerHeads?: { overridesKey: string; globalHeadDimKey: string; globalHeadDimDefault: number; globalKvHeadsKey: string; globalKvGateKey: string };
  /**
   * KV sharing (gemma4): the last `countKey` layers attend to the keys/values of the last
   * earlier layer of the same attention type; where `doubleWideKey` is true their MLP is twice as wide.
   */
  kvSharing?: { countKey: string; doubleWideKey: string };
  /** Where config key `key` is true, full-attention layers use their raw key projection as values (gemma4 attention_k_eq_v). */
  keysAsValues?: { key: string };
  norm: { kind: NormKind; /** weights stored as w - 1 (gemma's (1 + w)) */ weightOffset: 0 | 1; bias: boolean; epsKeys: readonly string[]; epsDefault: number };
  normPlacement: NormPlacement;
  activation: { keys: readonly string[]; /** a config spelling, looked up in `allowed` */ default: string; allowed: Readonly<Record<string, Activation>> };
  /** gated: down(act(gate(x)) * up(x)); plain: down(act(up(x))). */
  mlp: 'gated' | 'plain';
  /** none; sqrt_hidden: embeddings times √hidden_size (gemma); or a config multiplier (granite embedding_multiplier). */
  embeddingScale: 'none' | 'sqrt_hidden' | ConfigValue<number>;
  /** Fixed, or parallel when a boolean config key says so (gpt_neox use_parallel_residual). */
  residual: ResidualLayout | { parallelKey: string; default: boolean };
  /** rotary, or learned absolute position embeddings (gpt2). */
  positions: 'rotary' | 'learned';
  rotary: {
    /** Fraction of head_dim that is rotated. */
    partial: Trait<number>;
    /** Per-layer 0/1 list of layers that use rotary (smollm3 no_rope_layers). */
    layersKey?: string;
    /** When layersKey is absent: every Nth layer has no rotary (smollm3 no_rope_layer_interval). */
    intervalKey?: { key: string; default: number };
    /** Separate theta for sliding (local) layers (gemma3 rope_local_base_freq). */
    localThetaKey?: string;
  };
  /**
   * Attention logit scale: head_dim^-0.5; 1 (gemma4, whose q/k norms set the scale); query_pre_attn_scalar^-0.5 (gemma2/3);
   * or a config multiplier (granite attention_multiplier).
   */
  attentionScale: 'head_dim' | 'unscaled' | { inverseSqrtOf: string } | ConfigValue<number>;
  softcap: { attention?: string; finalLogits?: string };
  /** Config keys of granite-style multipliers: residual adds times residual, logits divided by logitsDivisor. */
  multipliers: { residual?: string; logitsDivisor?: string };
  slidingWindow: SlidingRule;
  bias: { qkv: Trait<boolean>; o: Trait<boolean>; mlp: Trait<boolean> };
  qkNorm: QkNormKind;
  /** The checkpoint stores these projections fused (phi3 qkv_proj/gate_up_proj, gpt_neox query_key_value). */
  fused: { qkv: boolean; gateUp: boolean };
  /** Output layout of the fused qkv projection (default blocks). */
  qkvLayout?: QkvLayout;
  /** Config values this family's modeling code supports only partly: refused by key with the reason. */
  unsupportedWhen?: readonly { key: string; value: unknown; why: string }[];
  /** Linear weights stored [in, out] (gpt2 Conv1D) rather than [out, in]. */
  transposedLinear: boolean;
  tieWordEmbeddings: boolean;
  naming: WeightNaming;
}

const LLAMA_NAMING: WeightNaming = {
  root: 'model.',
  layers: 'layers',
  head: 'lm_head',
  model: { embed: 'embed_tokens', final_norm: 'norm' },
  layer: {
    attn_norm: 'input_layernorm',
    mlp_norm: 'post_attention_layernorm',
    q_proj: 'self_attn.q_proj',
    k_proj: 'self_attn.k_proj',
    v_proj: 'self_attn.v_proj',
    o_proj: 'self_attn.o_proj',
    q_norm: 'self_attn.q_norm',
    k_norm: 'self_attn.k_norm',
    gate_proj: 'mlp.gate_proj',
    up_proj: 'mlp.up_proj',
    down_proj: 'mlp.down_proj',
  },
};

const LLAMA: FamilyTraits = {
  norm: { kind: 'rms', weightOffset: 0, bias: false, epsKeys: ['rms_norm_eps'], epsDefault: 1e-6 },
  normPlacement: 'pre',
  activation: { keys: ['hidden_act'], default: 'silu', allowed: { silu: 'silu' } },
  mlp: 'gated',
  embeddingScale: 'none',
  residual: 'sequential',
  positions: 'rotary',
  rotary: { partial: 1 },
  attentionScale: 'head_dim',
  softcap: {},
  multipliers: {},
  slidingWindow: { windowKey: null, fallback: { kind: 'all' } },
  bias: { qkv: { key: 'attention_bias', default: false }, o: { key: 'attention_bias', default: false }, mlp: { key: 'mlp_bias', default: false } },
  qkNorm: 'none',
  fused: { qkv: false, gateUp: false },
  transposedLinear: false,
  tieWordEmbeddings: false,
  naming: LLAMA_NAMING,
};

// ---- Gemma families (gemma, gemma2, gemma3 / gemma3_text, gemma4 / gemma4_text) ----

const GEMMA_ACT = { gelu_pytorch_tanh: 'gelu_tanh', gelu_new: 'gelu_tanh', gelu: 'gelu' } as const;

/** Gemma 1: RMSNorm (1 + w), embeddings × √hidden, GeGLU with tanh-GELU. */
const GEMMA: FamilyTraits = {
  ...LLAMA,
  norm: { kind: 'rms', weightOffset: 1, bias: false, epsKeys: ['rms_norm_eps'], epsDefault: 1e-6 },
  // transformers reads hidden_act and maps its legacy value 'gelu' to the tanh approximation.
  activation: { keys: ['hidden_act', 'hidden_activation'], default: 'gelu_pytorch_tanh', allowed: { ...GEMMA_ACT, gelu: 'gelu_tanh' } },
  embeddingScale: 'sqrt_hidden',
  bias: { qkv: { key: 'attention_bias', default: false }, o: { key: 'attention_bias', default: false }, mlp: false },
  tieWordEmbeddings: true,
};

const GEMMA2_NAMING: WeightNaming = {
  ...LLAMA_NAMING,
  layer: { ...LLAMA_NAMING.layer, mlp_norm: 'pre_feedforward_layernorm', post_attn_norm: 'post_attention_layernorm', post_mlp_norm: 'post_feedforward_layernorm' },
};

/** Gemma 2: sandwich norms, soft-caps, alternating sliding/global layers, query_pre_attn_scalar. */
const GEMMA2: FamilyTraits = {
  ...GEMMA,
  activation: { keys: ['hidden_activation'], default: 'gelu_pytorch_tanh', allowed: GEMMA_ACT },
  normPlacement: 'sandwich',
  attentionScale: { inverseSqrtOf: 'query_pre_attn_scalar' },
  softcap: { attention: 'attn_logit_softcapping', finalLogits: 'final_logit_softcapping' },
  slidingWindow: { windowKey: 'sliding_window', layerTypesKey: 'layer_types', fallback: { kind: 'alternate' } },
  naming: GEMMA2_NAMING,
};

const causalOnly: RefusedKey = {
  key: 'use_bidirectional_attention',
  refuse: (v) => (v === true || v === 'all' ? `= ${JSON.stringify(v)} makes text attention bidirectional (an encoder); sway scores causal decoders only` : null),
};

/**
 * Gemma 3 text (Gemma3ForCausalLM): q/k norms, local/global rotary bases, the sliding
 * pattern. transformers 5.25 applies no attention soft-cap for Gemma 3 (attn_logit_softcapping
 * is read but unused), so neither does sway.
 */
const GEMMA3_TEXT: FamilyTraits = {
  ...GEMMA2,
  configAliases: { sliding_window_pattern: '_sliding_window_pattern' },
  rotary: { partial: 1, localThetaKey: 'rope_local_base_freq' },
  softcap: { finalLogits: 'final_logit_softcapping' },
  slidingWindow: { windowKey: 'sliding_window', layerTypesKey: 'layer_types', fallback: { kind: 'pattern', key: 'sliding_window_pattern', default: 6 } },
  qkNorm: 'per_head',
  refusedKeys: [causalOnly],
};

/**
 * Gemma 3 conditional generation: the text tower under text_config. Its checkpoints store
 * `language_model.model.*` (older) or `model.language_model.*`; PEFT names the latter.
 * Gemma3ForConditionalGeneration applies no final-logit soft-cap in transformers 5.25.
 */
const GEMMA3: FamilyTraits = {
  ...GEMMA3_TEXT,
  softcap: {},
  textConfigKey: 'text_config',
  nestedRoot: 'model.language_model.',
  legacyPrefixes: { 'language_model.model.': 'model.language_model.', 'language_model.lm_head.': 'lm_head.' },
};

const GEMMA4_NAMING: WeightNaming = {
  ...GEMMA2_NAMING,
  model: { ...GEMMA2_NAMING.model, per_layer_embed: 'embed_tokens_per_layer', per_layer_model_proj: 'per_layer_model_projection', per_layer_proj_norm: 'per_layer_projection_norm' },
  layer: { ...GEMMA2_NAMING.layer, per_layer_gate: 'per_layer_input_gate', per_layer_proj: 'per_layer_projection', post_per_layer_norm: 'post_per_layer_input_norm', layer_scalar: 'layer_scalar' },
};

const truthy = (why: string) => (v: unknown) => (v === true ? `= true ${why}` : null);
/**
 * Gemma 4 text tower: RMSNorm with a plain w (no 1 + w), unscaled attention after q/k norms,
 * a scale-free v norm, per-layer inputs (PLE), a stored per-layer output scalar, per-type
 * rotary (proportional on global layers), final-logit soft-cap, per-layer head sizes
 * (global_head_dim on full-attention layers), KV sharing with the double-wide MLP of the
 * sharing layers, k = v attention on full-attention layers. Refused by name: MoE blocks and
 * bidirectional attention.
 */
const GEMMA4_TEXT: FamilyTraits = {
  ...GEMMA3_TEXT,
  configAliases: {},
  norm: { kind: 'rms', weightOffset: 0, bias: false, epsKeys: ['rms_norm_eps'], epsDefault: 1e-6 },
  attentionScale: 'unscaled',
  softcap: { finalLogits: 'final_logit_softcapping' },
  slidingWindow: { windowKey: 'sliding_window', layerTypesKey: 'layer_types', lastGlobal: true, fallback: { kind: 'pattern', key: 'sliding_window_pattern', default: 6 } },
  vNorm: true,
  perLayerInputs: { sizeKey: 'hidden_size_per_layer_input', vocabKey: 'vocab_size_per_layer_input' },
  layerScalar: true,
  kvSharing: { countKey: 'num_kv_shared_layers', doubleWideKey: 'use_double_wide_mlp' },
  keysAsValues: { key: 'attention_k_eq_v' },
  layerHeads: { overridesKey: 'per_layer_config', globalHeadDimKey: 'global_head_dim', globalHeadDimDefault: 512, globalKvHeadsKey: 'num_global_key_value_heads', globalKvGateKey: 'attention_k_eq_v' },
  naming: GEMMA4_NAMING,
  refusedKeys: [
    causalOnly,
    { key: 'enable_moe_block', refuse: truthy('adds mixture-of-experts blocks, which sway does not implement') },
  ],
};

const GEMMA4: FamilyTraits = { ...GEMMA4_TEXT, textConfigKey: 'text_config', nestedRoot: 'model.language_model.' };

/** model_type -> traits. Adding a family is one row here plus any genuinely new operation. */
export const FAMILIES = {
  llama: LLAMA,
  mistral: { ...LLAMA, slidingWindow: { windowKey: 'sliding_window', layerTypesKey: 'layer_types', fallback: { kind: 'all' } } },
  qwen2: {
    ...LLAMA,
    bias: { qkv: true, o: false, mlp: false },
    slidingWindow: { windowKey: 'sliding_window', enabledKey: 'use_sliding_window', layerTypesKey: 'layer_types', fallback: { kind: 'below', key: 'max_window_layers' } },
  },
  qwen3: {
    ...LLAMA,
    bias: { qkv: { key: 'attention_bias', default: false }, o: false, mlp: false },
    qkNorm: 'per_head',
    slidingWindow: { windowKey: 'sliding_window', enabledKey: 'use_sliding_window', layerTypesKey: 'layer_types', fallback: { kind: 'below', key: 'max_window_layers' } },
  },
  gemma: GEMMA,
  gemma2: GEMMA2,
  gemma3_text: GEMMA3_TEXT,
  gemma3: GEMMA3,
  gemma4_text: GEMMA4_TEXT,
  gemma4: GEMMA4,
  // --- phi3, olmo2, granite, smollm3, gpt2, gpt_neox ---
  phi3: {
    ...LLAMA,
    rotary: { partial: { key: 'partial_rotary_factor', default: 1 } },
    bias: { qkv: false, o: false, mlp: false },
    fused: { qkv: true, gateUp: true },
    slidingWindow: { windowKey: 'sliding_window', fallback: { kind: 'all' } },
    naming: { ...LLAMA_NAMING, layer: { ...LLAMA_NAMING.layer, qkv_proj: 'self_attn.qkv_proj', gate_up_proj: 'mlp.gate_up_proj' } },
  },
  olmo2: {
    ...LLAMA,
    normPlacement: 'post',
    qkNorm: 'full',
    bias: { qkv: { key: 'attention_bias', default: false }, o: { key: 'attention_bias', default: false }, mlp: false },
    naming: {
      ...LLAMA_NAMING,
      layer: {
        q_proj: 'self_attn.q_proj',
        k_proj: 'self_attn.k_proj',
        v_proj: 'self_attn.v_proj',
        o_proj: 'self_attn.o_proj',
        q_norm: 'self_attn.q_norm',
        k_norm: 'self_attn.k_norm',
        post_attn_norm: 'post_attention_layernorm',
        post_mlp_norm: 'post_feedforward_layernorm',
        gate_proj: 'mlp.gate_proj',
        up_proj: 'mlp.up_proj',
        down_proj: 'mlp.down_proj',
      },
    },
  },
  granite: {
    ...LLAMA,
    embeddingScale: { key: 'embedding_multiplier', default: 1 },
    attentionScale: { key: 'attention_multiplier', default: 1 },
    multipliers: { residual: 'residual_multiplier', logitsDivisor: 'logits_scaling' },
  },
  smollm3: {
    ...LLAMA,
    rotary: { partial: 1, layersKey: 'no_rope_layers', intervalKey: { key: 'no_rope_layer_interval', default: 4 } },
    tieWordEmbeddings: true,
    unsupportedWhen: [{ key: 'use_sliding_window', value: true, why: 'is not supported: sliding-window attention is not implemented for this family; set it to false, as the released checkpoints do' }],
  },
  gpt2: {
    ...LLAMA,
    configAliases: { hidden_size: 'n_embd', num_hidden_layers: 'n_layer', num_attention_heads: 'n_head', max_position_embeddings: 'n_positions', intermediate_size: 'n_inner' },
    configDefaults: { intermediate_size: { timesKey: 'hidden_size', factor: 4 } },
    norm: { kind: 'layernorm', weightOffset: 0, bias: true, epsKeys: ['layer_norm_epsilon'], epsDefault: 1e-5 },
    activation: { keys: ['activation_function'], default: 'gelu_new', allowed: { gelu_new: 'gelu_tanh', gelu_pytorch_tanh: 'gelu_tanh', gelu: 'gelu' } },
    mlp: 'plain',
    positions: 'learned',
    bias: { qkv: true, o: true, mlp: true },
    fused: { qkv: true, gateUp: false },
    transposedLinear: true,
    tieWordEmbeddings: true,
    unsupportedWhen: [
      { key: 'scale_attn_by_inverse_layer_idx', value: true, why: 'is not implemented (per-layer attention scaling); use a checkpoint with it false' },
      { key: 'scale_attn_weights', value: false, why: 'is not implemented (unscaled attention); use a checkpoint with it true' },
    ],
    naming: {
      root: 'transformer.',
      layers: 'h',
      head: 'lm_head',
      model: { embed: 'wte', positions: 'wpe', final_norm: 'ln_f' },
      layer: { attn_norm: 'ln_1', mlp_norm: 'ln_2', qkv_proj: 'attn.c_attn', o_proj: 'attn.c_proj', up_proj: 'mlp.c_fc', down_proj: 'mlp.c_proj' },
    },
  },
  gpt_neox: {
    ...LLAMA,
    configAliases: { partial_rotary_factor: 'rotary_pct', rope_theta: 'rotary_emb_base' },
    norm: { kind: 'layernorm', weightOffset: 0, bias: true, epsKeys: ['layer_norm_eps'], epsDefault: 1e-5 },
    activation: { keys: ['hidden_act'], default: 'gelu', allowed: { gelu: 'gelu', gelu_new: 'gelu_tanh', gelu_pytorch_tanh: 'gelu_tanh' } },
    mlp: 'plain',
    residual: { parallelKey: 'use_parallel_residual', default: true },
    rotary: { partial: { key: 'partial_rotary_factor', default: 0.25 } },
    bias: { qkv: { key: 'attention_bias', default: true }, o: { key: 'attention_bias', default: true }, mlp: true },
    fused: { qkv: true, gateUp: false },
    qkvLayout: 'per_head',
    naming: {
      root: 'gpt_neox.',
      layers: 'layers',
      head: 'embed_out',
      headAliases: ['lm_head'],
      model: { embed: 'embed_in', final_norm: 'final_layer_norm' },
      layer: { attn_norm: 'input_layernorm', mlp_norm: 'post_attention_layernorm', qkv_proj: 'attention.query_key_value', o_proj: 'attention.dense', up_proj: 'mlp.dense_h_to_4h', down_proj: 'mlp.dense_4h_to_h' },
    },
  },
} satisfies Record<string, FamilyTraits>;

export type Family = keyof typeof FAMILIES;
export const SUPPORTED_FAMILIES = Object.keys(FAMILIES) as Family[];

export function familyTraits(family: Family): FamilyTraits {
  return FAMILIES[family];
}

export function isFamily(v: unknown): v is Family {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(FAMILIES, v);
}

/** Module path (no `.weight`/`.bias`) of a logical weight; null when the family has no such module. */
export function modulePathOrNull(naming: WeightNaming, ref: WeightRef): string | null {
  if (ref.layer !== undefined) {
    const m = naming.layer[ref.module];
    return m === undefined ? null : `${naming.root}${naming.layers}.${ref.layer}.${m}`;
  }
  if (ref.module === 'lm_head') return naming.head;
  const m = naming.model[ref.module];
  return m === undefined ? null : `${naming.root}${m}`;
}

export function modulePath(naming: WeightNaming, ref: WeightRef): string {
  const p = modulePathOrNull(naming, ref);
  if (p === null) throw new SwayError(`internal: this family's naming has no '${ref.module}' weight`, 'SWAY_RUNTIME', 3);
  return p;
}

/** The HF tensor name of a logical weight: the one naming function every part of the engine uses. */
export function weightName(naming: WeightNaming, ref: WeightRef): string {
  const part = ref.part ?? 'weight';
  return part === 'param' ? modulePath(naming, ref) : `${modulePath(naming, ref)}.${part}`;
}

/** Inverse of modulePath for adapter module paths: which logical weight does `path` name? */
export function parseModulePath(naming: WeightNaming, path: string): WeightRef | null {
  if (path === naming.head || naming.headAliases?.includes(path)) return { module: 'lm_head' };
  for (const [k, m] of Object.entries(naming.model)) if (path === `${naming.root}${m}`) return { module: k as ModelWeight };
  const lp = `${naming.root}${naming.layers}.`;
  if (!path.startsWith(lp)) return null;
  const rest = path.slice(lp.length);
  const dot = rest.indexOf('.');
  if (dot <= 0 || !/^\d+$/.test(rest.slice(0, dot))) return null;
  const tail = rest.slice(dot + 1);
  for (const [k, m] of Object.entries(naming.layer)) if (tail === m) return { layer: Number(rest.slice(0, dot)), module: k as LayerWeight };
  return null;
}

/** The same naming under another text-tower root (e.g. a conditional-generation wrapper). */
export function withRoot(naming: WeightNaming, root: string): WeightNaming {
  return { ...naming, root };
}

/** Order of the LoRA-capable linear modules inside a layer (slot order, messages). */
export const LINEAR_ORDER = ['q_proj', 'k_proj', 'v_proj', 'qkv_proj', 'o_proj', 'gate_proj', 'up_proj', 'gate_up_proj', 'down_proj'] as const satisfies readonly LayerWeight[];

/** The linear modules one layer of this architecture has (its checkpoint's projections). */
/** Linear modules of a layer; a layer that reuses another's keys/values has no k/v projections, one whose values are its keys no v_proj (gemma4). */
export function layerLinearModules(a: { fused: { qkv: boolean; gateUp: boolean }; mlp: 'gated' | 'plain' }, kvShared = false, keysAsValues = false): LayerWeight[] {
  const attn: LayerWeight[] = a.fused.qkv ? ['qkv_proj'] : kvShared ? ['q_proj'] : keysAsValues ? ['q_proj', 'k_proj'] : ['q_proj', 'k_proj', 'v_proj'];
  const mlp: LayerWeight[] = a.mlp === 'plain' ? ['up_proj'] : a.fused.gateUp ? ['gate_up_proj'] : ['gate_proj', 'up_proj'];
  return [...attn, 'o_proj', ...mlp, 'down_proj'];
}
