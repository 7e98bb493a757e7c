"""A tiny llama made by transformers itself, with two adapters made by PEFT itself.

Usage: python make_peft_fixture.py TOKENIZER_DIR OUT_DIR

TOKENIZER_DIR holds a `tokenizer.json` + `tokenizer_config.json` (the driver passes the base
of sway's own tiny fixture, so both tools read the same byte-level BPE). Writes
OUT_DIR/base (fp32 safetensors, 2048 positions so the reference's default 2 KB
external_perplexity chunks fit), OUT_DIR/adapters/qv (LoRA r=8 on q/v) and
OUT_DIR/adapters/rslora (rsLoRA r=4 on every linear layer but lm_head). LoRA B is
randn × 0.05 (PEFT initialises it to zero, which would make the adapter a no-op).
Deterministic for the fixed seeds below.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path


def main() -> int:
    tok_dir, out = Path(sys.argv[1]), Path(sys.argv[2])
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, LlamaConfig

    base_dir = out / "base"
    base_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(tok_dir / "tokenizer.json", base_dir / "tokenizer.json")
    tok_cfg = json.loads((tok_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
    tok_cfg["model_max_length"] = 2048
    (base_dir / "tokenizer_config.json").write_text(json.dumps(tok_cfg, indent=2), encoding="utf-8")
    tok = json.loads((tok_dir / "tokenizer.json").read_text(encoding="utf-8"))
    vocab = max(t["id"] for t in tok["added_tokens"]) + 1
    eos = next(t["id"] for t in tok["added_tokens"] if t["content"] == tok_cfg["eos_token"])

    config = LlamaConfig(
        vocab_size=vocab,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        rms_norm_eps=1e-6,
        rope_theta=10000.0,
        tie_word_embeddings=False,
        initializer_range=0.1,
        bos_token_id=None,
        eos_token_id=eos,
        pad_token_id=None,
    )
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config, attn_implementation="eager").to(torch.float32)
    model.save_pretrained(base_dir, safe_serialization=True)

    adapters = {
        "qv": LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"], lora_dropout=0.0, task_type="CAUSAL_LM"),
        "rslora": LoraConfig(
            r=4,
            lora_alpha=8,
            use_rslora=True,
            target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
            lora_dropout=0.0,
            task_type="CAUSAL_LM",
        ),
    }
    for seed, (name, cfg) in enumerate(adapters.items(), start=1):
        fresh = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
        torch.manual_seed(100 + seed)
        peft_model = get_peft_model(fresh, cfg)
        with torch.no_grad():
            for pname, param in peft_model.named_parameters():
                if "lora_B" in pname:
                    param.copy_(torch.randn(param.shape) * 0.05)
        peft_model.save_pretrained(out / "adapters" / name, safe_serialization=True)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
