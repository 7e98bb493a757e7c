"""Writes the parity fixtures with the real libraries: tiny random checkpoints made by
transformers (fp32, plus a bf16 copy), a shared BPE tokenizer trained by `tokenizers`, and
PEFT LoRA adapters saved by `save_pretrained`. Deterministic: every model and adapter is
seeded from its name. Usage: python parity/make_fixtures.py [--only NAME ...]"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import torch
import transformers as T
from peft import LoraConfig, get_peft_model
from peft.utils.constants import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING

sys.path.insert(0, str(Path(__file__).resolve().parent))
from catalogue import MODELS, AdapterSpec, ModelSpec  # noqa: E402
from common import ADAPTERS, MODELS as MODELS_DIR, OUT, REL_MODELS, read_json, seeded, write_json  # noqa: E402
import tokenizer_fixture  # noqa: E402


FALLBACK_TARGETS = {"phi3": ["qkv_proj"]}


def model_class(spec: ModelSpec) -> type:
    return getattr(T, spec.model_class)


def perturb_base(model: torch.nn.Module, gen: torch.Generator) -> None:
    """from_config leaves norms at 1 (or 0 for gemma's 1+w) and biases at 0; move them so
    norm weights and biases are exercised too."""
    with torch.no_grad():
        for _, p in sorted(model.named_parameters()):
            if p.ndim == 1:
                p.add_(torch.randn(p.shape, generator=gen) * 0.1)
        # Gemma 4 keeps a per-layer output scalar as a buffer (1 at init): move it too, so it is exercised.
        for name, b in sorted(model.named_buffers()):
            if name.endswith("layer_scalar"):
                b.mul_(1 + torch.randn(b.shape, generator=gen) * 0.2)


def make_model(spec: ModelSpec, tok: object) -> None:
    out = MODELS_DIR / spec.name
    shutil.rmtree(out, ignore_errors=True)
    if spec.copy_of:
        src = MODELS_DIR / spec.copy_of
        model = model_class(spec).from_pretrained(str(src), dtype=torch.float32)
        model.to(getattr(torch, spec.dtype))
    else:
        gen = seeded(spec.name)
        config = spec.make_config()
        config.dtype = torch.float32
        model = model_class(spec).from_config(config) if spec.model_class == "AutoModelForCausalLM" else model_class(spec)(config)
        model.to(torch.float32)
        perturb_base(model, gen)
    model.eval()
    model.save_pretrained(str(out), safe_serialization=True)
    tokenizer_fixture.save(tok, out, spec.tokenizer)
    # Round-trip through AutoTokenizer: transformers 5 substitutes a model-specific class for
    # some families (Qwen2Tokenizer rebuilds its own pre-tokenizer), so the committed
    # tokenizer.json is the pipeline transformers actually runs for this model type.
    T.AutoTokenizer.from_pretrained(str(out)).save_pretrained(str(out))
    print(f"model {spec.name}: {sum(p.numel() for p in model.parameters())} parameters ({spec.dtype})")


def randomize_adapter(peft_model: torch.nn.Module, gen: torch.Generator) -> None:
    """PEFT initialises B = 0 (a no-op adapter); make every trainable part non-trivial."""
    with torch.no_grad():
        for name, p in sorted(peft_model.named_parameters()):
            if "lora_B" in name or "lora_embedding_B" in name:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.05)
            elif "lora_magnitude_vector" in name:
                p.mul_(1 + torch.randn(p.shape, generator=gen) * 0.1)
            elif "trainable_tokens_delta" in name:
                p.add_(torch.randn(p.shape, generator=gen) * 0.1)
            elif ".modules_to_save." in name:
                p.add_(torch.randn(p.shape, generator=gen) * 0.05)
            elif name.endswith(".bias") and p.requires_grad:
                # bias="all" / "lora_only": PEFT trains (and saves) the base layer's bias.
                p.add_(torch.randn(p.shape, generator=gen) * 0.05)


def make_adapter(spec: ModelSpec, adapter: AdapterSpec) -> None:
    out = ADAPTERS / spec.name / adapter.name
    shutil.rmtree(out, ignore_errors=True)
    gen = seeded(f"{spec.name}/{adapter.name}")
    base = model_class(spec).from_pretrained(str(MODELS_DIR / spec.name), dtype=torch.float32)
    lora = dict(adapter.lora)
    if "target_modules" not in lora and base.config.model_type not in TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING:
        # PEFT has no default for this family: use its attention-input projection(s).
        lora["target_modules"] = FALLBACK_TARGETS.get(base.config.model_type, ["q_proj", "v_proj"])
    config = LoraConfig(task_type="CAUSAL_LM", lora_dropout=0.0, **lora)
    peft_model = get_peft_model(base, config)
    randomize_adapter(peft_model, gen)
    peft_model.save_pretrained(str(out), safe_serialization=True, **adapter.save)
    # A repository-relative base keeps the file machine-independent and resolvable from the root.
    cfg_path = out / "adapter_config.json"
    cfg = read_json(cfg_path)
    cfg["base_model_name_or_path"] = f"{REL_MODELS}/{spec.name}"
    # PEFT keeps these as sets, so their saved order varies between runs.
    for key in ("target_modules", "modules_to_save", "exclude_modules"):
        if isinstance(cfg.get(key), list):
            cfg[key] = sorted(cfg[key])
    write_json(cfg_path, cfg)
    for extra in out.glob("README.md"):
        extra.unlink()
    print(f"adapter {spec.name}/{adapter.name}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", default=None, help="model names to (re)build")
    args = ap.parse_args()
    torch.use_deterministic_algorithms(True)
    T.logging.set_verbosity_error()
    tok = tokenizer_fixture.train()
    specs = [m for m in MODELS if args.only is None or m.name in args.only]
    # fp32 sources first: bf16 copies read them.
    for spec in sorted(specs, key=lambda s: s.copy_of is not None):
        make_model(spec, tok)
        for adapter in spec.adapters:
            make_adapter(spec, adapter)
    write_json(
        OUT / "manifest.json",
        {
            "models": [
                {
                    "name": m.name,
                    "model_class": m.model_class,
                    "dtype": m.dtype,
                    "tokenizer": m.tokenizer,
                    "adapters": [a.name for a in m.adapters],
                }
                for m in MODELS
            ]
        },
    )


if __name__ == "__main__":
    main()
