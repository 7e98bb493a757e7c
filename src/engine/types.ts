/**
 * Internal contracts between the engine's parts: the architecture spec derived from a
 * HF config, the weight source (safetensors, lazily read, converted to fp32), the
 * tokenizer, and the normalised PEFT adapter. Everything above the engine sees only
 * backends/contract.ts.
 */

export const SUPPORTED_FAMILIES = ['llama', 'mistral', 'qwen2', 'qwen3'] as const;
export type Family = (typeof SUPPORTED_FAMILIES)[number];

export type RopeScaling =
  | { type: 'default' }
  | { type: 'linear'; factor: number }
  | {
      type: 'llama3';
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositionEmbeddings: number;
    };

export interface RopeSpec {
  theta: number;
  /** Number of rotated dims per head (== headDim unless partial rotary). */
  rotaryDim: number;
  scaling: RopeScaling;
}

/** Normalised decoder architecture; one per loaded base model. */
export interface ArchSpec {
  family: Family;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  /** Rows of the embedding / lm_head (may exceed the tokenizer vocabulary). */
  vocabSize: number;
  maxPositionEmbeddings: number;
  rmsNormEps: number;
  hiddenAct: 'silu';
  tieWordEmbeddings: boolean;
  /** q/k/v projections carry a bias (qwen2, or llama `attention_bias`). */
  qkvBias: boolean;
  /** o_proj carries a bias (llama `attention_bias`). */
  oBias: boolean;
  mlpBias: boolean;
  /** Per-head RMSNorm on q and k before RoPE (qwen3). */
  qkNorm: boolean;
  rope: RopeSpec;
  /** Per layer: attention window in tokens (each query sees itself and window-1 previous keys), or null. */
  slidingWindow: (number | null)[];
  bosTokenId: number | null;
  eosTokenIds: number[];
  padTokenId: number | null;
}

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';

/** Lazy access to a checkpoint's tensors by HF key (e.g. `model.layers.0.self_attn.q_proj.weight`). */
export interface WeightSource {
  /** Where the tensors come from, for error messages. */
  readonly description: string;
  names(): string[];
  has(name: string): boolean;
  shape(name: string): number[];
  dtype(name: string): SafetensorsDtype;
  /** Reads and converts to fp32. Throws a ModelError naming file and tensor on NaN/Inf if `checkFinite`. */
  readF32(name: string, options?: { checkFinite?: boolean }): Float32Array;
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
