"""What the parity fixtures are: one tiny checkpoint per family (configs chosen so each
family's peculiarities are exercised), and the PEFT adapters made for each."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable

import transformers as T

# Shared tiny shape: hidden 64, 4 heads of 16, 2 kv heads, 4 layers (so alternating
# sliding/global patterns show), vocabulary of the shared BPE tokenizer. Heads of 16 keep
# onnxruntime's fused rotary in play; smaller rotary dims (llama-hd8, phi3, gpt_neox) take
# sway's plain-op rotary.
VOCAB = 512
SMALL: dict[str, Any] = dict(
    vocab_size=VOCAB,
    hidden_size=64,
    intermediate_size=96,
    num_hidden_layers=4,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=256,
    initializer_range=0.2,
    pad_token_id=0,
    bos_token_id=1,
)
# Sliding windows are smaller than every test sequence so masking is exercised.
WINDOW = 4


@dataclass
class AdapterSpec:
    name: str
    lora: dict[str, Any]
    # Extra save_pretrained arguments (e.g. save_embedding_layers).
    save: dict[str, Any] = field(default_factory=dict)


@dataclass
class ModelSpec:
    name: str
    make_config: Callable[[], Any]
    tokenizer: str  # a tokenizer_fixture.FLAVOURS key
    model_class: str = "AutoModelForCausalLM"
    dtype: str = "float32"
    copy_of: str | None = None  # bf16 copies reuse another model's fp32 weights
    adapters: list[AdapterSpec] = field(default_factory=list)


def _eos(tokenizer: str) -> int:
    return 5 if tokenizer == "chatml" else 2


def cfg(cls: type, tokenizer: str, **kw: Any) -> Callable[[], Any]:
    def make() -> Any:
        args = {**SMALL, "eos_token_id": _eos(tokenizer), **kw}
        return cls(**args)

    return make


DEFAULT = AdapterSpec("default", dict(r=4, lora_alpha=8))  # target_modules=None: PEFT's per-family default

LLAMA_ADAPTERS = [
    DEFAULT,
    AdapterSpec("all_linear", dict(r=4, lora_alpha=8, target_modules="all-linear")),
    AdapterSpec("rslora", dict(r=8, lora_alpha=4, use_rslora=True, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"])),
    AdapterSpec(
        "patterns",
        dict(
            r=4,
            lora_alpha=8,
            target_modules=["q_proj", "v_proj", "down_proj"],
            rank_pattern={"q_proj": 2, r"layers\.1\.mlp\.down_proj": 6},
            alpha_pattern={"v_proj": 3, "down_proj": 12},
        ),
    ),
    AdapterSpec("dora", dict(r=4, lora_alpha=8, use_dora=True, target_modules=["q_proj", "v_proj", "o_proj", "down_proj"])),
    AdapterSpec("lora_bias", dict(r=4, lora_alpha=8, lora_bias=True, target_modules=["q_proj", "v_proj", "up_proj"])),
    AdapterSpec("exclude_modules", dict(r=4, lora_alpha=8, target_modules="all-linear", exclude_modules=["down_proj", "o_proj"])),
    AdapterSpec("regex", dict(r=4, lora_alpha=8, target_modules=r".*layers\.[02]\.(self_attn\.(q|k)_proj|mlp\.gate_proj)")),
    AdapterSpec("layers_to_transform", dict(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "up_proj"], layers_to_transform=[1, 3])),
    AdapterSpec("modules_to_save", dict(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], modules_to_save=["embed_tokens", "lm_head"])),
    AdapterSpec("trainable_tokens", dict(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], trainable_token_indices=[5, 17, 300])),
    # PEFT's default save_embedding_layers='auto' also stores the base embedding/head when
    # they are LoRA targets; the *_with_base variants keep that, the others turn it off.
    AdapterSpec("embedding_lora", dict(r=4, lora_alpha=8, target_modules=["embed_tokens", "q_proj"]), dict(save_embedding_layers=False)),
    AdapterSpec("embedding_lora_with_base", dict(r=4, lora_alpha=8, target_modules=["embed_tokens", "q_proj"])),
    AdapterSpec("lm_head_lora", dict(r=4, lora_alpha=8, target_modules=["lm_head", "v_proj"]), dict(save_embedding_layers=False)),
    AdapterSpec("lm_head_lora_with_base", dict(r=4, lora_alpha=8, target_modules=["lm_head", "v_proj"])),
]

# qwen2 has biased q/k/v and a tied head: DoRA over biased layers, saved embeddings and
# trainable tokens where lm_head shares the embedding.
QWEN2_ADAPTERS = [
    DEFAULT,
    AdapterSpec("all_linear", dict(r=4, lora_alpha=8, target_modules="all-linear")),
    AdapterSpec("dora", dict(r=4, lora_alpha=8, use_dora=True, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"])),
    AdapterSpec("modules_to_save", dict(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], modules_to_save=["embed_tokens"])),
    AdapterSpec("trainable_tokens", dict(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], trainable_token_indices=[5, 17, 300])),
    AdapterSpec("bias_lora_only", dict(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], bias="lora_only")),
    # LoRA on the embedding of a tied model (default save: the base copy is stored too), and
    # with ensure_weight_tying, where PEFT gives the tied lm_head the transposed LoRA.
    AdapterSpec("embedding_lora", dict(r=4, lora_alpha=8, target_modules=["embed_tokens", "q_proj"])),
    AdapterSpec("embedding_lora_tied", dict(r=4, lora_alpha=8, target_modules=["embed_tokens", "q_proj"], ensure_weight_tying=True)),
]

# Gemma 3's real layout: linear-scaled RoPE (factor 8, theta 1e6) on global layers, plain
# RoPE (theta 1e4) on sliding ones.
GEMMA3_ROPE = {
    "full_attention": {"rope_type": "linear", "factor": 8.0, "rope_theta": 1_000_000.0},
    "sliding_attention": {"rope_type": "default", "rope_theta": 10_000.0},
}

GEMMA_TEXT = dict(head_dim=16, hidden_activation="gelu_pytorch_tanh", tie_word_embeddings=True)


def _gemma4_config() -> Any:
    text = dict(
        **{**SMALL, "eos_token_id": 2},
        head_dim=16,
        global_head_dim=16,
        sliding_window=WINDOW,
        layer_types=["sliding_attention", "full_attention", "sliding_attention", "full_attention"],
        vocab_size_per_layer_input=VOCAB,
        hidden_size_per_layer_input=8,
        final_logit_softcapping=30.0,
    )
    vision = dict(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        head_dim=16,
        patch_size=4,
        pooling_kernel_size=2,
        position_embedding_size=64,
        initializer_range=0.2,
    )
    return T.Gemma4Config(text_config=text, vision_config=vision, audio_config=None, image_token_id=4, boi_token_id=6, eoi_token_id=7)


GEMMA4_LINEAR = AdapterSpec("linear", dict(r=4, lora_alpha=8, target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]))


def _gemma4_text(**extra: Any) -> Any:
    """Text-only Gemma 4 shaped like the released E2B/E4B on six layers: sliding/full alternating,
    global layers at twice the head size, the last two layers sharing the keys/values of layers 2
    and 3 (num_kv_shared_layers) with a double-wide MLP."""
    text = dict(
        **{**SMALL, "eos_token_id": 2, "num_hidden_layers": 6},
        head_dim=16,
        global_head_dim=32,
        sliding_window=WINDOW,
        layer_types=["sliding_attention", "full_attention"] * 3,
        vocab_size_per_layer_input=VOCAB,
        hidden_size_per_layer_input=8,
        final_logit_softcapping=30.0,
        num_kv_shared_layers=2,
        use_double_wide_mlp=True,
    )
    text.update(extra)
    return T.Gemma4TextConfig(**text)


def _gemma3_config() -> Any:
    text = dict(
        **{**SMALL, "eos_token_id": 2},
        head_dim=16,
        sliding_window=WINDOW,
        layer_types=["sliding_attention", "full_attention", "sliding_attention", "full_attention"],
        query_pre_attn_scalar=8,
        rope_parameters=copy.deepcopy(GEMMA3_ROPE),
    )
    vision = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2, image_size=16, patch_size=4, initializer_range=0.2)
    return T.Gemma3Config(text_config=text, vision_config=vision, mm_tokens_per_image=4, image_token_index=4, boi_token_index=6, eoi_token_index=7)


SEED_ADAPTER = [
    AdapterSpec(
        "seed",
        dict(
            r=4,
            lora_alpha=8,
            target_modules=r".*language_model\..*\.(q_proj|v_proj)",
            modules_to_save=["vision_tower", "embed_vision"],
        ),
    )
]
SEED_ADAPTER_G3 = [
    AdapterSpec(
        "seed",
        dict(r=4, lora_alpha=8, target_modules=r".*language_model\..*\.(q_proj|v_proj)", modules_to_save=["vision_tower", "multi_modal_projector"]),
    )
]

MODELS: list[ModelSpec] = [
    ModelSpec("llama", cfg(T.LlamaConfig, "gemma", tie_word_embeddings=False), "gemma", adapters=LLAMA_ADAPTERS),
    ModelSpec(
        "llama-rope3",
        cfg(
            T.LlamaConfig,
            "gemma",
            tie_word_embeddings=False,
            # Wavelengths of the 8 frequencies straddle 64/4 and 64/1, so all three llama3
            # regions (kept, smoothed, divided by the factor) occur.
            rope_parameters={
                "rope_type": "llama3",
                "factor": 8.0,
                "low_freq_factor": 1.0,
                "high_freq_factor": 4.0,
                "original_max_position_embeddings": 64,
                "rope_theta": 500_000.0,
            },
        ),
        "gemma",
        adapters=[DEFAULT],
    ),
    ModelSpec(
        "llama-hd8",
        cfg(T.LlamaConfig, "gemma", hidden_size=32, intermediate_size=64, head_dim=8, tie_word_embeddings=True),
        "gemma",
        adapters=[DEFAULT],
    ),
    ModelSpec("llama-bf16", cfg(T.LlamaConfig, "gemma", tie_word_embeddings=False), "gemma", dtype="bfloat16", copy_of="llama", adapters=[DEFAULT]),
    ModelSpec("mistral", cfg(T.MistralConfig, "inst-sp", sliding_window=WINDOW, head_dim=16), "inst-sp", adapters=[DEFAULT]),
    ModelSpec(
        "qwen2",
        cfg(T.Qwen2Config, "chatml", use_sliding_window=True, sliding_window=WINDOW, max_window_layers=2, tie_word_embeddings=True, bos_token_id=None),
        "chatml",
        adapters=QWEN2_ADAPTERS,
    ),
    ModelSpec("qwen3", cfg(T.Qwen3Config, "chatml", head_dim=16, tie_word_embeddings=False, bos_token_id=None), "chatml", adapters=[DEFAULT]),
    ModelSpec("gemma", cfg(T.GemmaConfig, "gemma-sp", **GEMMA_TEXT), "gemma-sp", adapters=[DEFAULT]),
    ModelSpec(
        "gemma2",
        cfg(T.Gemma2Config, "gemma-sp", **GEMMA_TEXT, sliding_window=WINDOW, attn_logit_softcapping=5.0, final_logit_softcapping=3.0, query_pre_attn_scalar=24),
        "gemma-sp",
        adapters=[DEFAULT],
    ),
    ModelSpec(
        "gemma3",
        cfg(
            T.Gemma3TextConfig,
            "gemma-sp",
            **GEMMA_TEXT,
            sliding_window=WINDOW,
            layer_types=["sliding_attention", "full_attention", "sliding_attention", "full_attention"],
            query_pre_attn_scalar=8,
            rope_parameters=copy.deepcopy(GEMMA3_ROPE),
        ),
        "gemma-sp",
        adapters=[DEFAULT],
    ),
    ModelSpec(
        "phi3",
        cfg(T.Phi3Config, "chatml", partial_rotary_factor=0.5, tie_word_embeddings=False),
        "chatml",
        adapters=[DEFAULT, AdapterSpec("fused", dict(r=4, lora_alpha=8, target_modules=["qkv_proj", "gate_up_proj", "o_proj"]))],
    ),
    ModelSpec(
        "phi3-longrope",
        cfg(
            T.Phi3Config,
            "chatml",
            tie_word_embeddings=False,
            # 16: shorter than some golden sequences and longer than others, so both the
            # short and the long factors (chosen per sequence) are exercised.
            original_max_position_embeddings=16,
            rope_parameters={
                "rope_type": "longrope",
                "short_factor": [1.0, 1.2, 1.6, 2.4],
                "long_factor": [1.5, 2.5, 4.0, 8.0],
                "partial_rotary_factor": 0.5,
                "rope_theta": 10_000.0,
            },
        ),
        "chatml",
        adapters=[DEFAULT],
    ),
    ModelSpec("olmo2", cfg(T.Olmo2Config, "gemma", tie_word_embeddings=False), "gemma", adapters=[DEFAULT]),
    ModelSpec(
        "granite",
        cfg(T.GraniteConfig, "gemma", embedding_multiplier=2.0, residual_multiplier=0.5, attention_multiplier=0.3, logits_scaling=4.0),
        "gemma",
        adapters=[DEFAULT],
    ),
    ModelSpec("smollm3", cfg(T.SmolLM3Config, "chatml", no_rope_layers=[1, 1, 1, 0], tie_word_embeddings=True, bos_token_id=None), "chatml", adapters=[DEFAULT]),
    ModelSpec(
        "gpt2",
        lambda: T.GPT2Config(vocab_size=VOCAB, n_embd=64, n_layer=4, n_head=4, n_positions=256, initializer_range=0.2, bos_token_id=1, eos_token_id=2, pad_token_id=0),
        "gemma",
        adapters=[DEFAULT, AdapterSpec("c_attn_c_proj", dict(r=4, lora_alpha=8, target_modules=["c_attn", "c_proj"], fan_in_fan_out=True))],
    ),
    ModelSpec(
        "gpt_neox",
        lambda: T.GPTNeoXConfig(
            vocab_size=VOCAB,
            hidden_size=64,
            intermediate_size=96,
            num_hidden_layers=4,
            num_attention_heads=4,
            max_position_embeddings=256,
            partial_rotary_factor=0.25,
            use_parallel_residual=True,
            initializer_range=0.2,
            bos_token_id=1,
            eos_token_id=2,
            pad_token_id=0,
        ),
        "gemma",
        adapters=[DEFAULT, AdapterSpec("dense", dict(r=4, lora_alpha=8, target_modules=["query_key_value", "dense", "dense_4h_to_h"]))],
    ),
    ModelSpec("gemma4-mm", _gemma4_config, "gemma-sp", model_class="Gemma4ForConditionalGeneration", adapters=SEED_ADAPTER),
    ModelSpec("gemma4-gh", _gemma4_text, "gemma-sp", model_class="Gemma4ForCausalLM", adapters=[GEMMA4_LINEAR]),
    # Shaped like the released 31B: keys as values on full-attention layers with their own kv-head count, no per-layer inputs, no KV sharing.
    ModelSpec(
        "gemma4-keqv",
        lambda: _gemma4_text(num_hidden_layers=4, layer_types=["sliding_attention", "full_attention"] * 2, num_kv_shared_layers=0, use_double_wide_mlp=False, attention_k_eq_v=True, num_global_key_value_heads=1, hidden_size_per_layer_input=0),
        "gemma-sp",
        model_class="Gemma4ForCausalLM",
        adapters=[GEMMA4_LINEAR],
    ),
    ModelSpec("gemma3-mm", _gemma3_config, "gemma-sp", model_class="Gemma3ForConditionalGeneration", adapters=SEED_ADAPTER_G3),
]
