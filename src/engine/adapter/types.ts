/**
 * The normalised form of a PEFT adapter, independent of how PEFT stored it. The graph
 * builder turns `slots` into LoRA inputs; views differ only by the tensors fed to them.
 */

import type { LayerWeight } from '../families.js';

/** Linear modules of a decoder layer that can carry LoRA (logical names of families.ts). */
export type LayerModule = Extract<LayerWeight, 'q_proj' | 'k_proj' | 'v_proj' | 'qkv_proj' | 'o_proj' | 'gate_proj' | 'up_proj' | 'gate_up_proj' | 'down_proj'>;

export type SlotTarget =
  | { scope: 'layer'; layer: number; module: LayerModule }
  | { scope: 'lm_head' }
  | { scope: 'embed_tokens' };

export interface LoraSlot {
  /** PEFT module path without the `base_model.model.` prefix, e.g. `model.layers.3.self_attn.q_proj`. */
  modulePath: string;
  target: SlotTarget;
  rank: number;
  inFeatures: number;
  outFeatures: number;
  /** PEFT scaling: alpha/r, or alpha/sqrt(r) with rsLoRA (after rank/alpha patterns). */
  scaling: number;
  /** lora_A as stored: [rank, in] row-major (for embed_tokens: lora_embedding_A [rank, vocab]). */
  a: Float32Array;
  /** lora_B as stored: [out, rank] row-major (for embed_tokens: lora_embedding_B [dim, rank]). */
  b: Float32Array;
  /** lora_B.bias [out] when `lora_bias` is set (scaled with the branch). */
  bBias: Float32Array | null;
  /** DoRA magnitude vector [out] when `use_dora`. */
  magnitude: Float32Array | null;
  /** lm_head under PEFT ensure_weight_tying: A and B are the embed_tokens slot's B and A transposed (null views keep that). */
  tiedToEmbedding?: boolean;
}

/** Full replacement tensors (`modules_to_save` copies, base-layer copies), keyed by base HF tensor name. */
export type OverrideTensors = Map<string, { shape: number[]; data: Float32Array }>;

export interface TrainableTokens {
  /** Which embedding the rows replace (the input embedding; a tied lm_head follows it). */
  tensorName: string;
  indices: number[];
  /** Full replacement rows [indices.length, dim]. */
  rows: Float32Array;
}

export interface LoadedAdapter {
  dir: string;
  /** sha256 over adapter_config.json + adapter_model.safetensors bytes, for cache identities. */
  contentHash: string;
  baseModelNameOrPath: string | null;
  useDora: boolean;
  /** In a fixed, documented order (layer ascending, module order as in LayerModule, then lm_head, embed_tokens). */
  slots: LoraSlot[];
  overrides: OverrideTensors;
  /**
   * Saved tensors PEFT loads into the base module itself, so they hold in every view, base
   * included: `<module>.base_layer.*` copies (save_embedding_layers) and biases trained with
   * `bias: all|lora_only`. Keyed by base HF tensor name; only copies that differ from the
   * checkpoint are kept.
   */
  baseTensors?: OverrideTensors;
  trainableTokens: TrainableTokens | null;
  /** Human-readable notes (e.g. saved modules the text path never runs). */
  warnings: string[];
  /** Adapter tensors holding NaN/Inf; not fatal at load, the preflight check reports them. */
  nonFinite: string[];
}
