/**
 * Internal contracts between the engine's parts: the architecture spec derived from a
 * HF config, the weight source (safetensors, lazily read, converted to fp32), the
 * tokenizer, and the normalised PEFT adapter. Everything above the engine sees only
 * backends/contract.ts.
 */

import type { Activation, Family, NormKind, NormPlacement, QkNormKind, QkvLayout, ResidualLayout, WeightNaming } from './families.js';

export { SUPPORTED_FAMILIES, type Family } from './families.js';

export type RopeScaling =
  | { type: 'default' }
  | { type: 'linear'; factor: number }
  | {
      type: 'llama3';
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositionEmbeddings: number;
    }
  | {
      /** LongRoPE (phi3 `longrope`, formerly `su`): per-pair frequency divisors, long ones for sequences past the original length. */
      type: 'longrope';
      shortFactor: number[];
      longFactor: number[];
      originalMaxPositionEmbeddings: number;
      /** Context extension factor (rope `factor`, else max_position_embeddings / original). */
      factor: number;
      /** Multiplier of cos and sin; null: derived from `factor` as the LongRoPE paper does. */
      attentionFactor: number | null;
    }
  /**
   * Gemma 4 "proportional": the full head is rotated, pair i at theta^(-2i/rotaryDim) / factor
   * for i < angles and not at all (frequency 0) beyond.
   */
  | { type: 'proportional'; factor: number; angles: number };

export interface RopeSpec {
  theta: number;
  /** Number of rotated dims per head (== headDim unless partial rotary). */
  rotaryDim: number;
  scaling: RopeScaling;
}

/**
 * Normalised decoder architecture; one per loaded base model. Built from a family row of
 * families.ts plus config.json; the graph builder and the float64 reference read only this
 * (never `family`, which is for messages and identities).
 */
export interface LayerHeads {
  headDim: number;
  numKvHeads: number;
}

export interface ArchSpec {
  family: Family;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  /**
   * Per-layer head size and key/value head count where some layer differs from headDim /
   * numKvHeads (gemma4 global_head_dim on full-attention layers); absent when uniform.
   * Read it through layerHeads() in heads.ts.
   */
  layerHeads?: readonly LayerHeads[];
  /**
   * KV sharing (gemma4 num_kv_shared_layers): per layer, the layer whose keys/values it
   * attends to (itself unless shared); a shared layer has no k/v projections and no cache
   * of its own. Absent when no layer shares. Read through kvSource() in heads.ts.
   */
  kvSource?: readonly number[];
  /** Per layer: values are the raw key projection (no v_proj; gemma4 attention_k_eq_v on full-attention layers). Absent when none. */
  keysAsValues?: readonly boolean[];
  /** Per-layer MLP width where some layer differs from intermediateSize (gemma4 double-wide MLP on KV-shared layers). */
  layerIntermediate?: readonly number[];
  /** Rows of the embedding / lm_head (may exceed the tokenizer vocabulary). */
  vocabSize: number;
  maxPositionEmbeddings: number;
  /** Norm kind, (1 + w) offset, bias, epsilon. */
  norm: { kind: NormKind; weightOffset: 0 | 1; bias: boolean; eps: number };
  normPlacement: NormPlacement;
  hiddenAct: Activation;
  mlp: 'gated' | 'plain';
  /** Multiplier on the token embeddings (1 = none; √hidden for gemma; granite embedding_multiplier). */
  embeddingScale: number;
  residual: ResidualLayout;
  positions: 'rotary' | 'learned';
  rope: RopeSpec;
  /** Per layer: whether rotary is applied (false for smollm3 no_rope layers). */
  ropeLayers: boolean[];
  /** RoPE of sliding-window layers when it differs from `rope` (gemma3/4 local base, per-type rope_parameters), else null. */
  ropeLocal: RopeSpec | null;
  /** Scale-free RMSNorm on each value head before attention (gemma4 v_norm). */
  vNorm: boolean;
  /**
   * Per-layer inputs (gemma4 PLE): width per layer and rows of the per-layer embedding, or
   * null. Each layer adds norm(proj(act(gate(h)) * input_l)) to its output.
   */
  perLayerInput: { size: number; vocab: number } | null;
  /** Each layer's output is multiplied by its stored `layer_scalar` (gemma4). */
  layerScalar: boolean;
  /** Multiplier of q·k (head_dim^-0.5 unless the family says otherwise). */
  attentionScale: number;
  /** tanh soft-cap of attention scores, or null. */
  attnSoftcap: number | null;
  /** tanh soft-cap of the final logits, or null. */
  finalLogitSoftcap: number | null;
  /** Each residual branch is multiplied by this before the add (granite residual_multiplier). */
  residualMultiplier: number;
  /** Logits are divided by this (granite logits_scaling). */
  logitsDivisor: number;
  tieWordEmbeddings: boolean;
  /** q/k/v projections carry a bias (qwen2, or llama `attention_bias`). */
  qkvBias: boolean;
  /** o_proj carries a bias (llama `attention_bias`). */
  oBias: boolean;
  mlpBias: boolean;
  /** RMSNorm on q and k before RoPE: per head (qwen3) or over the whole projection (olmo2). */
  qkNorm: QkNormKind;
  /** Projections stored fused in the checkpoint. */
  fused: { qkv: boolean; gateUp: boolean };
  /** Output layout of a fused qkv: blocks [all q, all k, all v], or per_head [q_h, k_h, v_h] for each head (gpt_neox). */
  qkvLayout: QkvLayout;
  /** Linear weights stored [in, out] (Conv1D). */
  transposedLinear: boolean;
  /** Tensor naming of this checkpoint (family naming with the resolved text-tower root). */
  weights: WeightNaming;
  /** Per layer: attention window in tokens (each query sees itself and window-1 previous keys), or null. */
  slidingWindow: (number | null)[];
  bosTokenId: number | null;
  eosTokenIds: number[];
  padTokenId: number | null;
}

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';

/** Lazy access to a checkpoint's tensors by HF key (e.g. `model.layers.0.self_attn.q_proj.weight`). */
export interface ReadIntoOptions {
  /** Refuse NaN/Inf (ModelError naming file and tensor). */
  checkFinite?: boolean;
  /** First flat element to read (default 0). */
  start?: number;
}

/** A tensor's bytes as stored: file, absolute byte offset and length, element type. */
export interface StoredBytes {
  path: string;
  offset: number;
  byteLength: number;
  dtype: SafetensorsDtype;
}

export interface WeightSource {
  /** Where the tensors come from, for error messages. */
  readonly description: string;
  names(): string[];
  has(name: string): boolean;
  shape(name: string): number[];
  dtype(name: string): SafetensorsDtype;
  /** Reads and converts to fp32. Throws a ModelError naming file and tensor on NaN/Inf if `checkFinite`. */
  readF32(name: string, options?: { checkFinite?: boolean }): Float32Array;
  /** Optional: reads and converts values [start, start + out.length) straight into `out`, without a temporary copy. */
  readF32Into?(name: string, out: Float32Array, options?: ReadIntoOptions): void;
  /** Optional: where the tensor's bytes sit in a file, so the graph can use them as stored (no conversion). */
  storedBytes?(name: string): StoredBytes;
  close(): void;
}

export interface Tokenizer {
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  readonly eosTokenIds: number[];
  readonly padTokenId: number | null;
  /** Whether encode() with addSpecialTokens prepends BOS (tokenizer_config `add_bos_token` / post-processor). */
  readonly addsBos: boolean;
  encode(text: string, options?: { addSpecialTokens?: boolean }): number[];
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
  /** Display text of one token id (for top-k listings). */
  tokenText(id: number): string;
  hasChatTemplate(): boolean;
  applyChatTemplate(
    messages: readonly { role: string; content: string }[],
    options?: { addGenerationPrompt?: boolean },
  ): string;
}
