/**
 * The one table of what sway does with each parity fixture (test/fixtures/parity, made by
 * transformers + PEFT). Every (model, adapter) in the manifest has exactly one row; the
 * test fails on a missing or extra row, so nothing is skipped silently.
 *
 * - supported: every view (base, ft, scale 0.5, scale 2) agrees with the goldens within
 *   1e-4 on next-token logprobs and completion sums.
 * - refused: Engine.load throws a SwayError whose message matches `error`.
 * - known-mismatch: sway runs it but disagrees with PEFT (or crashes); `error` set means it
 *   must still throw that, otherwise its worst |Δ| must still exceed the tolerance. When
 *   the engine is fixed the test fails, asking for the row to become `supported`.
 *
 * When a family lands in the engine, flip its rows to `supported`.
 */
export type ParityStatus = 'supported' | 'refused' | 'known-mismatch';

export interface ParityExpectation {
  /** `<model>/<adapter>` under test/fixtures/parity/{models,adapters}. */
  fixture: string;
  status: ParityStatus;
  /** One line: why refused, or the diagnosis of a mismatch. */
  reason: string;
  /** refused / crashing known-mismatch: what the thrown error's message must match. */
  error?: RegExp;
  /** known-mismatch: worst |Δ| measured when the row was written (documentation). */
  measured?: number;
  /** Saved modules the adapter carries that a text-only forward never runs: once supported, sway must name each as unused. */
  unusedSaved?: string[];
}

export const EXPECTATIONS: ParityExpectation[] = [
  { fixture: 'llama/default', status: 'supported', reason: 'PEFT default targets (q_proj, v_proj)' },
  { fixture: 'llama/all_linear', status: 'supported', reason: 'target_modules all-linear' },
  { fixture: 'llama/rslora', status: 'supported', reason: 'use_rslora (alpha / sqrt(r))' },
  { fixture: 'llama/patterns', status: 'supported', reason: 'rank_pattern + alpha_pattern' },
  { fixture: 'llama/dora', status: 'supported', reason: 'use_dora; scaled views rescale the weight norm like PEFT' },
  { fixture: 'llama/lora_bias', status: 'supported', reason: 'lora_bias=True: lora_B.bias added inside the scaled branch (was dropped before; off by up to 8.5 nats)' },
  { fixture: 'llama/exclude_modules', status: 'supported', reason: 'all-linear minus exclude_modules [down_proj, o_proj]' },
  { fixture: 'llama/regex', status: 'supported', reason: 'target_modules as a full-match regular expression' },
  { fixture: 'llama/layers_to_transform', status: 'supported', reason: 'layers_to_transform [1, 3]' },
  { fixture: 'llama/modules_to_save', status: 'supported', reason: 'modules_to_save embed_tokens + lm_head (saved copies)' },
  { fixture: 'llama/trainable_tokens', status: 'supported', reason: 'trainable_token_indices [5, 17, 300]' },
  { fixture: 'llama/embedding_lora', status: 'supported', reason: 'LoRA on embed_tokens (lora_embedding_A/B: each token gains scaling · B · A[:, id]), saved with save_embedding_layers=False' },
  {
    fixture: 'llama/embedding_lora_with_base',
    status: 'supported',
    reason: "LoRA on embed_tokens with PEFT's default save_embedding_layers='auto': embed_tokens.base_layer.weight equals the base and is used as PEFT loads it (into the base, every view)",
  },
  { fixture: 'llama/lm_head_lora', status: 'supported', reason: 'LoRA on lm_head (saved with save_embedding_layers=False)' },
  {
    fixture: 'llama/lm_head_lora_with_base',
    status: 'supported',
    reason: "LoRA on lm_head with PEFT's default save_embedding_layers='auto': lm_head.base_layer.weight equals the base head and is used as PEFT loads it (into the base, every view)",
  },
  { fixture: 'llama-rope3/default', status: 'supported', reason: 'rope_type llama3 (factor 8, original 64): all three frequency regions' },
  { fixture: 'llama-hd8/default', status: 'supported', reason: "head_dim 8: rotary done with plain ops where onnxruntime's GroupQueryAttention cannot (rotary dimension not a multiple of 16)" },

  { fixture: 'llama-bf16/default', status: 'supported', reason: 'bf16 checkpoint, upcast to fp32 on both sides' },
  { fixture: 'mistral/default', status: 'supported', reason: 'sliding window 4 < sequence length' },
  { fixture: 'qwen2/default', status: 'supported', reason: 'qkv bias, tied embeddings, sliding window on layers < max_window_layers' },
  { fixture: 'qwen2/all_linear', status: 'supported', reason: 'all-linear on a tied-embedding model' },
  { fixture: 'qwen2/dora', status: 'supported', reason: 'DoRA over layers with a bias (q/k/v)' },
  { fixture: 'qwen2/modules_to_save', status: 'supported', reason: 'saved embed_tokens copy on a tied head' },
  { fixture: 'qwen2/trainable_tokens', status: 'supported', reason: 'trainable tokens on a tied head' },
  {
    fixture: 'qwen2/bias_lora_only',
    status: 'supported',
    reason: "bias='lora_only': the trained q/v biases (<module>.base_layer.bias) replace the base biases in every view, base included, as PEFT's disable_adapter keeps them",
  },
  { fixture: 'qwen2/embedding_lora', status: 'supported', reason: 'LoRA on embed_tokens of a tied model: the tied head keeps the base embedding (PEFT leaves it unadapted)' },
  { fixture: 'qwen2/embedding_lora_tied', status: 'supported', reason: 'ensure_weight_tying: the tied lm_head carries the embedding LoRA transposed (A = B_emb^T, B = A_emb^T)' },
  { fixture: 'qwen3/default', status: 'supported', reason: 'q/k norm' },
  { fixture: 'gemma/default', status: 'supported', reason: 'RMSNorm (1 + w), √hidden embeddings, GeGLU with tanh-GELU' },
  { fixture: 'gemma2/default', status: 'supported', reason: 'sandwich norms, attention and final-logit soft-caps, alternating sliding window 4, query_pre_attn_scalar 24' },
  { fixture: 'gemma3/default', status: 'supported', reason: 'q/k norms, per-type rope_parameters (linear ×8 at 1e6 on global layers, 1e4 on sliding), sliding window 4' },
  // --- phi3, olmo2, granite, smollm3, gpt2, gpt_neox ---
  { fixture: 'phi3/default', status: 'supported', reason: 'LoRA on the fused qkv_proj; partial_rotary_factor 0.5 (rotary dim 8, rotated outside GroupQueryAttention)' },
  { fixture: 'phi3/fused', status: 'supported', reason: 'LoRA on fused qkv_proj, gate_up_proj and o_proj' },
  { fixture: 'phi3-longrope/default', status: 'supported', reason: 'rope_type longrope, original 16: sequences of 18-26 tokens take the long factors, 12-14 the short ones; attention factor on cos/sin' },
  { fixture: 'olmo2/default', status: 'supported', reason: 'post-norms only, full-width q/k RMSNorm' },
  { fixture: 'granite/default', status: 'supported', reason: 'embedding, residual and attention multipliers, logits_scaling' },
  { fixture: 'smollm3/default', status: 'supported', reason: 'no_rope_layers [1, 1, 1, 0]: the last layer has no rotary' },
  { fixture: 'gpt2/default', status: 'supported', reason: 'learned positions, Conv1D weights, LoRA on c_attn with fan_in_fan_out, tied head' },
  { fixture: 'gpt2/c_attn_c_proj', status: 'supported', reason: 'c_proj matches both attn.c_proj and mlp.c_proj, as in PEFT' },
  { fixture: 'gpt_neox/default', status: 'supported', reason: 'per-head fused query_key_value (LoRA regrouped the same way), rotary_pct 0.25 (rotary dim 4), parallel residual' },
  { fixture: 'gpt_neox/dense', status: 'supported', reason: 'LoRA on query_key_value, dense and dense_4h_to_h' },
  {
    fixture: 'gemma4-mm/seed',
    status: 'supported',
    reason: 'seed scenario: Gemma 4 text tower (per-layer inputs, v norm, proportional rotary on global layers, final soft-cap 30); saved vision modules named unused',
    unusedSaved: ['model.vision_tower', 'model.embed_vision'],
  },
  {
    fixture: 'gemma4-gh/linear',
    status: 'supported',
    reason: 'Gemma 4 text model shaped like E2B/E4B: full-attention layers at global_head_dim 32 (twice head_dim, saved as per_layer_config) with their own proportional RoPE; the last 2 of 6 layers share the keys/values of layers 2 and 3 (num_kv_shared_layers) with a double-wide MLP; LoRA on every attention and MLP projection PEFT finds',
  },
  {
    fixture: 'gemma4-keqv/linear',
    status: 'supported',
    reason: 'Gemma 4 text model shaped like 31B: attention_k_eq_v (full-attention layers use the raw key projection as values, no v_proj) with num_global_key_value_heads 1 and global_head_dim 32 there, no per-layer inputs; LoRA on every projection PEFT finds',
  },
  {
    fixture: 'gemma3-mm/seed',
    status: 'supported',
    reason: 'Gemma 3 text tower of a conditional-generation checkpoint stored as language_model.model.*; saved vision modules named unused',
    unusedSaved: ['model.vision_tower', 'model.multi_modal_projector'],
  },
];
