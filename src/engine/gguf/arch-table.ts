/**
 * Which llama.cpp architecture each sway family is written as, and how. Tensors are
 * addressed by sway's logical weights (the family naming's `weightName`), so one map
 * (`LAYER_STEMS`, `MODEL_STEMS`) names every family's GGUF tensors, and a family is one
 * `GgufArchRow`: the GGUF architecture, llama.cpp's rotary layout (which decides whether q/k
 * rows are permuted), how a fused qkv is laid out, metadata keys and generated tensors.
 * Transformations that follow from the ArchSpec alone (gemma's stored `w` for `1 + w`,
 * Conv1D weights stored [in, out]) apply to every row (see tensors.ts).
 */
import { ModelError } from '../../core/errors.js';
import type { LayerWeight, ModelWeight } from '../families.js';
import { ropeInvFreq, ropeMagnitude } from '../rope.js';
import type { ArchSpec } from '../types.js';
import type { GgufTensor, Kv } from './writer.js';

/** sway logical layer weight -> llama.cpp tensor stem (`blk.N.<stem>`), the same for every architecture. */
export const LAYER_STEMS: Readonly<Record<LayerWeight, string>> = {
  attn_norm: 'attn_norm',
  mlp_norm: 'ffn_norm',
  post_attn_norm: 'post_attention_norm',
  post_mlp_norm: 'post_ffw_norm',
  q_proj: 'attn_q',
  k_proj: 'attn_k',
  v_proj: 'attn_v',
  qkv_proj: 'attn_qkv',
  o_proj: 'attn_output',
  q_norm: 'attn_q_norm',
  k_norm: 'attn_k_norm',
  gate_proj: 'ffn_gate',
  up_proj: 'ffn_up',
  // phi3's fused [gate; up] is llama.cpp's ffn_up of 2 × n_ff (SwiGLU takes the first half as the gate).
  gate_up_proj: 'ffn_up',
  down_proj: 'ffn_down',
  // gemma4 per-layer inputs (no row maps gemma4 yet; llama.cpp's names, for completeness)
  per_layer_gate: 'inp_gate',
  per_layer_proj: 'proj',
  post_per_layer_norm: 'post_norm',
  layer_scalar: 'layer_output_scale',
};

export const MODEL_STEMS: Readonly<Record<ModelWeight, string>> = {
  embed: 'token_embd',
  positions: 'position_embd',
  final_norm: 'output_norm',
  lm_head: 'output',
  per_layer_embed: 'per_layer_token_embd',
  per_layer_model_proj: 'per_layer_model_proj',
  per_layer_proj_norm: 'per_layer_proj_norm',
};

/** One llama.cpp architecture. */
export interface GgufArchRow {
  /** `general.architecture` and the prefix of the hyper-parameter keys. */
  ggufArch: string;
  /** llama.cpp's rope type for the architecture: `norm` rotates interleaved pairs, so q/k rows are permuted from HF's half-split layout. */
  rope: 'norm' | 'neox' | 'none';
  /** How the checkpoint's fused qkv rows are laid out: concatenated [Q; K; V] (phi3, gpt2) or per head (gpt_neox). */
  qkvLayout?: 'concat' | 'per_head';
  /**
   * `always` (default): an `output` tensor is written, a copy of the embedding when tied, so
   * a LoRA on lm_head has a tensor to attach to. `untied`: only for untied models, because
   * the architecture reuses the embedding and refuses an extra tensor (gemma, gemma2, gemma3).
   */
  outputHead?: 'always' | 'untied';
  /** Keys beyond the common ones. */
  metadata?(a: ArchSpec): Kv[];
  /** Tensors llama.cpp needs that HF does not store (llama3 rope factors, LongRoPE factors). */
  extraTensors?(a: ArchSpec): GgufTensor[];
  /** Why this checkpoint cannot be written as this architecture, or null. */
  unsupported?(a: ArchSpec): string | null;
}

function commonMetadata(p: string, a: ArchSpec): Kv[] {
  const kvs: Kv[] = [
    [`${p}.context_length`, 'u32', a.maxPositionEmbeddings],
    [`${p}.embedding_length`, 'u32', a.hiddenSize],
    [`${p}.block_count`, 'u32', a.numLayers],
    [`${p}.feed_forward_length`, 'u32', a.intermediateSize],
    [`${p}.attention.head_count`, 'u32', a.numHeads],
    [`${p}.attention.head_count_kv`, 'u32', a.numKvHeads],
    [`${p}.attention.key_length`, 'u32', a.headDim],
    [`${p}.attention.value_length`, 'u32', a.headDim],
    [`${p}.vocab_size`, 'u32', a.vocabSize],
    a.norm.kind === 'rms' ? [`${p}.attention.layer_norm_rms_epsilon`, 'f32', a.norm.eps] : [`${p}.attention.layer_norm_epsilon`, 'f32', a.norm.eps],
  ];
  if (a.positions === 'rotary') kvs.push([`${p}.rope.freq_base`, 'f32', a.rope.theta], [`${p}.rope.dimension_count`, 'u32', a.rope.rotaryDim]);
  if (a.rope.scaling.type === 'linear') kvs.push([`${p}.rope.scaling.type`, 'str', 'linear'], [`${p}.rope.scaling.factor`, 'f32', a.rope.scaling.factor]);
  return kvs;
}

/** All metadata of a row: the common keys, then the row's own. */
export function archMetadata(row: GgufArchRow, a: ArchSpec): Kv[] {
  return [...commonMetadata(row.ggufArch, a), ...(row.metadata?.(a) ?? [])];
}

/** Sliding-window keys: the window and a per-layer pattern (true = sliding), as llama.cpp reads them. */
function slidingMetadata(p: string, a: ArchSpec): Kv[] {
  const windows = a.slidingWindow.filter((w): w is number => w !== null);
  if (windows.length === 0) return [];
  const kvs: Kv[] = [
    [`${p}.attention.sliding_window`, 'u32', windows[0]],
    [`${p}.attention.sliding_window_pattern`, 'arr_bool', a.slidingWindow.map((w) => w !== null)],
  ];
  if (a.ropeLocal !== null) kvs.push([`${p}.rope.freq_base_swa`, 'f32', a.ropeLocal.theta]);
  return kvs;
}

const oneWindow = (a: ArchSpec): string | null => {
  const sizes = new Set(a.slidingWindow.filter((w) => w !== null));
  return sizes.size > 1 ? `llama.cpp takes one sliding window size, the checkpoint has ${[...sizes].join(', ')}` : null;
};

/** LongRoPE (phi3) as llama.cpp reads it: short/long per-pair divisors, the original context and the cos/sin multiplier. */
const LONGROPE: Pick<GgufArchRow, 'metadata' | 'extraTensors'> = {
  metadata: (a) => {
    const s = a.rope.scaling;
    if (s.type !== 'longrope') return slidingMetadata('phi3', a);
    return [...slidingMetadata('phi3', a), ['phi3.rope.scaling.original_context_length', 'u32', s.originalMaxPositionEmbeddings], ['phi3.rope.scaling.attn_factor', 'f32', ropeMagnitude(a.rope)]];
  },
  extraTensors: (a) => {
    const s = a.rope.scaling;
    if (s.type !== 'longrope') return [];
    return [
      { name: 'rope_factors_long.weight', shape: [s.longFactor.length], data: Float32Array.from(s.longFactor) },
      { name: 'rope_factors_short.weight', shape: [s.shortFactor.length], data: Float32Array.from(s.shortFactor) },
    ];
  },
};

/** llama3 rope scaling as llama.cpp reads it: per-frequency divisors in `rope_freqs.weight`. */
function llama3RopeFactors(a: ArchSpec): GgufTensor[] {
  if (a.rope.scaling.type !== 'llama3') return [];
  const scaled = ropeInvFreq(a.rope);
  const plain = ropeInvFreq({ ...a.rope, scaling: { type: 'default' } });
  const factors = new Float32Array(scaled.length);
  for (let i = 0; i < scaled.length; i++) factors[i] = (plain[i] as number) / (scaled[i] as number);
  return [{ name: 'rope_freqs.weight', shape: [factors.length], data: factors }];
}

const LLAMA_ROW: GgufArchRow = {
  ggufArch: 'llama',
  rope: 'norm',
  extraTensors: llama3RopeFactors,
  unsupported: (a) => {
    if (a.slidingWindow.some((w) => w !== null)) return "sliding-window attention is not part of llama.cpp's llama architecture (set sliding_window to null in config.json if every context stays within the window)";
    if (a.rope.rotaryDim !== a.headDim) return "partial rotary is not supported by llama.cpp's llama architecture";
    return null;
  },
};

const GEMMA3_ROW: GgufArchRow = {
  ggufArch: 'gemma3',
  rope: 'neox',
  outputHead: 'untied',
  metadata: (a) => [...slidingMetadata('gemma3', a), ...(a.finalLogitSoftcap !== null ? ([['gemma3.final_logit_softcapping', 'f32', a.finalLogitSoftcap]] as Kv[]) : [])],
  unsupported: oneWindow,
};

/**
 * sway family (config.json model_type) -> llama.cpp architecture: the families llama.cpp has
 * and sway runs. gemma4 / gemma4_text have no row yet.
 */
export const GGUF_ARCHS: Readonly<Record<string, GgufArchRow>> = {
  llama: LLAMA_ROW,
  // llama.cpp converts Mistral to its llama architecture, which has no sliding window.
  mistral: LLAMA_ROW,
  qwen2: { ggufArch: 'qwen2', rope: 'neox', metadata: (a) => slidingMetadata('qwen2', a), unsupported: oneWindow },
  qwen3: { ggufArch: 'qwen3', rope: 'neox', metadata: (a) => slidingMetadata('qwen3', a), unsupported: oneWindow },
  gemma: { ggufArch: 'gemma', rope: 'neox', outputHead: 'untied' },
  gemma2: {
    ggufArch: 'gemma2',
    rope: 'neox',
    outputHead: 'untied',
    metadata: (a) => [
      ...slidingMetadata('gemma2', a),
      ...(a.attnSoftcap !== null ? ([['gemma2.attn_logit_softcapping', 'f32', a.attnSoftcap]] as Kv[]) : []),
      ...(a.finalLogitSoftcap !== null ? ([['gemma2.final_logit_softcapping', 'f32', a.finalLogitSoftcap]] as Kv[]) : []),
    ],
    unsupported: oneWindow,
  },
  gemma3_text: GEMMA3_ROW,
  // Gemma3ForConditionalGeneration: the text tower under model.language_model. is llama.cpp's gemma3 (vision goes to an mmproj file).
  gemma3: GEMMA3_ROW,
  phi3: { ggufArch: 'phi3', rope: 'neox', qkvLayout: 'concat', ...LONGROPE, unsupported: oneWindow },
  olmo2: { ggufArch: 'olmo2', rope: 'neox', metadata: (a) => slidingMetadata('olmo2', a), unsupported: oneWindow },
  granite: {
    ggufArch: 'granite',
    rope: 'norm',
    extraTensors: llama3RopeFactors,
    metadata: (a) => [
      ['granite.embedding_scale', 'f32', a.embeddingScale],
      ['granite.residual_scale', 'f32', a.residualMultiplier],
      ['granite.attention.scale', 'f32', a.attentionScale],
      ['granite.logit_scale', 'f32', a.logitsDivisor],
    ],
  },
  // llama.cpp's smollm3 skips rotary on every 4th layer, whatever the config says.
  smollm3: {
    ggufArch: 'smollm3',
    rope: 'norm',
    unsupported: (a) =>
      a.ropeLayers.every((on, i) => on === ((i + 1) % 4 !== 0)) ? null : "llama.cpp's smollm3 runs rotary on every layer but each 4th; this checkpoint's no_rope_layers differ",
  },
  gpt2: { ggufArch: 'gpt2', rope: 'none', qkvLayout: 'concat' },
  gpt_neox: { ggufArch: 'gptneox', rope: 'neox', qkvLayout: 'per_head', metadata: (a) => [['gptneox.use_parallel_residual', 'bool', a.residual === 'parallel']] },
};

/** The row for `arch`, or a ModelError naming `what` when the family has none or the checkpoint cannot be written. */
export function ggufRowFor(arch: ArchSpec, what: string): GgufArchRow {
  const row = GGUF_ARCHS[arch.family];
  if (!row) {
    throw new ModelError(`${what}: writing GGUF for the '${arch.family}' family is not supported yet (supported: ${Object.keys(GGUF_ARCHS).join(', ')})`, 'SWAY_ARCH_UNSUPPORTED');
  }
  const why = row.unsupported?.(arch) ?? null;
  if (why) throw new ModelError(`${what}: cannot write GGUF (${row.ggufArch}): ${why}`, 'SWAY_ARCH_UNSUPPORTED');
  return row;
}
