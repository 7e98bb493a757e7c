"""Golden logprobs and tokenizer outputs from transformers + PEFT for every committed
(model, adapter) fixture: fp32, eager attention, CPU.

Views: `base` = inside PeftModel.disable_adapter() (LoRA, modules_to_save copies and
trainable tokens all off); `ft` = the adapter as loaded; `scale_0.5` / `scale_2` = every
LoraLayer's `scaling[adapter]` multiplied by λ for the forward and restored after (the
reference sway's `as_scaled_adapter` does exactly this). modules_to_save copies and
trainable tokens stay active in scaled views. For DoRA the scaled scaling also enters
PEFT's weight norm ||W + λ·s·BA||, which is what sway's engine computes for a scaled view.

Token ids follow sway's engine: `encode` adds special tokens; a completion is scored as
ids(prompt + completion)[len(ids(prompt)):], each token's log-softmax summed in float64.
Usage: python parity/goldens.py [--only MODEL ...]"""
from __future__ import annotations

import argparse
import contextlib
import importlib.metadata as md
import platform
import sys
from pathlib import Path
from typing import Iterator

import torch
import transformers as T
from peft import PeftModel
from peft.tuners.lora import LoraLayer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ADAPTERS, GOLDENS, MODELS, OUT, read_json, sig, write_json  # noqa: E402

TOP_K = 50
SCALES = (0.5, 2.0)
PROMPTS = [
    "The quick brown fox jumps over the lazy dog and",
    "def add(a, b):\n    return",
    "Once upon a time, in a small village by the sea, there lived",
]
PAIRS = [
    ("The capital of France is", " Paris, the capital of Italy is Rome."),
    ("Question: what is 12 + 30?\nAnswer:", " 42"),
    ("Héllo wörld — ", "naïve café 😀 and 中文"),
]
TOKENIZER_STRINGS = [
    "",
    " ",
    "   leading and trailing spaces   ",
    "tabs\tand\nnewlines\n\n\r\n",
    "Unicode: naïve café 😀 中文字符 ÿ São Paulo",
    "digits 1234567890 3.14159 -42 1e-5",
    "def f(x):\n    return x ** 2  # square\n",
    "<|im_start|>user\nhi<|im_end|>\n",
    "<bos>text<eos><pad>",
    "<start_of_turn>model\nanswer<end_of_turn>",
    "The quick brown fox jumps over the lazy dog.",
]
CHAT = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Hi there!"},
    {"role": "assistant", "content": "Hello. "},
    {"role": "user", "content": "What is 2+2?"},
]
VERSION_PACKAGES = ["torch", "transformers", "peft", "tokenizers", "safetensors", "numpy", "dlm-sway"]


@contextlib.contextmanager
def scaled(model: torch.nn.Module, lam: float) -> Iterator[None]:
    saved: list[tuple[dict, str, float]] = []
    for module in model.modules():
        if isinstance(module, LoraLayer):
            for key, value in module.scaling.items():
                saved.append((module.scaling, key, value))
                module.scaling[key] = value * lam
    try:
        yield
    finally:
        for scaling, key, value in saved:
            scaling[key] = value


def logprobs(model: torch.nn.Module, ids: list[int]) -> torch.Tensor:
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([ids]), use_cache=False).logits[0]
    return torch.log_softmax(logits.to(torch.float64), dim=-1)


def view_goldens(model: torch.nn.Module, prompt_ids: list[list[int]], pairs: list[dict]) -> dict:
    next_token = []
    for ids in prompt_ids:
        lp = logprobs(model, ids)[-1]
        values, top = torch.topk(lp, TOP_K)
        next_token.append({"top_ids": top.tolist(), "top_logprobs": [sig(v) for v in values.tolist()], "max": sig(lp.max().item())})
    sums = []
    for pair in pairs:
        full, n = pair["full_ids"], len(pair["prompt_ids"])
        lp = logprobs(model, full)
        sums.append(sig(sum(lp[i - 1, full[i]].item() for i in range(n, len(full)))))
    return {"next_token": next_token, "completion_sums": sums}


def views(model: torch.nn.Module) -> Iterator[tuple[str, None]]:
    with model.disable_adapter():
        yield "base", None
    yield "ft", None
    for lam in SCALES:
        with scaled(model, lam):
            yield f"scale_{lam:g}", None


def tokenizer_goldens(tok: T.PreTrainedTokenizerBase) -> dict:
    return {
        "encode": [
            {"text": s, "ids": tok(s)["input_ids"], "ids_no_special": tok(s, add_special_tokens=False)["input_ids"]} for s in TOKENIZER_STRINGS
        ],
        "chat": {
            "messages": CHAT,
            "rendered": tok.apply_chat_template(CHAT, tokenize=False, add_generation_prompt=False),
            "rendered_generation_prompt": tok.apply_chat_template(CHAT, tokenize=False, add_generation_prompt=True),
        },
    }


def load_base(model_dir: Path, model_class: str) -> torch.nn.Module:
    cls = getattr(T, model_class)
    model = cls.from_pretrained(str(model_dir), dtype=torch.float32, attn_implementation="eager")
    return model.eval()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", default=None)
    args = ap.parse_args()
    T.logging.set_verbosity_error()
    torch.set_num_threads(1)
    manifest = read_json(OUT / "manifest.json")
    for entry in manifest["models"]:
        name = entry["name"]
        if args.only is not None and name not in args.only:
            continue
        model_dir = MODELS / name
        tok = T.AutoTokenizer.from_pretrained(str(model_dir))
        write_json(GOLDENS / name / "tokenizer.json", tokenizer_goldens(tok))
        prompt_ids = [tok(p)["input_ids"] for p in PROMPTS]
        pairs = [{"prompt": p, "completion": c, "prompt_ids": tok(p)["input_ids"], "full_ids": tok(p + c)["input_ids"]} for p, c in PAIRS]
        for adapter in entry["adapters"]:
            model = PeftModel.from_pretrained(load_base(model_dir, entry["model_class"]), str(ADAPTERS / name / adapter)).eval()
            result = {
                "model": name,
                "adapter": adapter,
                "model_type": model.get_base_model().config.model_type,
                "prompts": [{"text": p, "ids": ids} for p, ids in zip(PROMPTS, prompt_ids)],
                "pairs": pairs,
                "views": {view: view_goldens(model, prompt_ids, pairs) for view, _ in views(model)},
            }
            write_json(GOLDENS / name / f"{adapter}.json", result)
            ft, base = result["views"]["ft"]["completion_sums"], result["views"]["base"]["completion_sums"]
            print(f"goldens {name}/{adapter}: ft-base completion Δ = {max(abs(a - b) for a, b in zip(ft, base)):.4f}")
    write_json(
        OUT / "versions.json",
        {"python": platform.python_version(), "packages": {p: md.version(p) for p in VERSION_PACKAGES}, "torch_threads": 1, "device": "cpu"},
    )


if __name__ == "__main__":
    main()
