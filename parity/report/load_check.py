"""Check that transformers + PEFT load each fixture the parity specs use.

Usage: python load_check.py BASE_DIR ADAPTER_DIR [ADAPTER_DIR ...]  -> one JSON object per line

For each adapter: load the base in fp32, attach the adapter with PeftModel.from_pretrained,
run one prompt through the adapter-disabled and adapter-enabled model, and report whether the
logits are finite, how far the adapter moves them, and how many LoRA layers PEFT built.
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    import torch
    import transformers
    from peft import PeftModel
    from peft.tuners.lora import LoraLayer

    base_dir, adapters = sys.argv[1], sys.argv[2:]
    tok = transformers.AutoTokenizer.from_pretrained(base_dir)
    ids = tok("The capital of France is", return_tensors="pt").input_ids
    ok_all = True
    for adapter in adapters:
        row: dict[str, object] = {"base": base_dir, "adapter": adapter}
        try:
            model = transformers.AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
            peft_model = PeftModel.from_pretrained(model, adapter, is_trainable=False).eval()
            with torch.inference_mode():
                with peft_model.disable_adapter():
                    base_logits = peft_model(ids).logits[0, -1]
                ft_logits = peft_model(ids).logits[0, -1]
            row.update(
                ok=bool(torch.isfinite(base_logits).all() and torch.isfinite(ft_logits).all()),
                lora_layers=sum(isinstance(m, LoraLayer) for m in peft_model.modules()),
                max_logit_shift=float((ft_logits - base_logits).abs().max()),
            )
        except Exception as exc:  # noqa: BLE001 - reported in the parity page
            row.update(ok=False, error=f"{type(exc).__name__}: {exc}")
        ok_all = ok_all and bool(row["ok"])
        print(json.dumps(row), flush=True)
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
