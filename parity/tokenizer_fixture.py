"""Small BPE tokenizers trained with `tokenizers` on a few KB of text, in the pipelines real
checkpoints use, each with a chat template:

- `chatml`: byte-level BPE, no BOS, ChatML template (qwen / phi / smollm style);
- `gemma`: byte-level BPE, BOS prepended by the post-processor, gemma-style template;
- `gemma-sp`: SentencePiece-style BPE (Metaspace `▁`, byte fallback to `<0xNN>` tokens for
  characters outside the vocabulary), BOS, gemma-style template;
- `inst-sp`: the same SentencePiece-style pipeline with a Mistral-style `[INST]` template."""
from __future__ import annotations

from pathlib import Path

import json

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

VOCAB_SIZE = 512
SPECIALS = ["<pad>", "<bos>", "<eos>", "<unk>", "<|im_start|>", "<|im_end|>", "<start_of_turn>", "<end_of_turn>"]
PAD, BOS, EOS = 0, 1, 2

CORPUS = """\
The quick brown fox jumps over the lazy dog. Once upon a time, in a small village by the sea,
there lived an old fisherman who told stories about the weather, the tides and the stars.
The capital of France is Paris; the capital of Italy is Rome; the capital of Japan is Tokyo.
Question: what is 12 + 30? Answer: 42. Question: what is 7 * 6? Answer: 42 as well.
def add(a, b):
    return a + b

for i in range(10):
    print(i, add(i, i * 2))  # numbers 0123456789 and 3.14159
class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y
Héllo wörld — naïve café, déjà vu, São Paulo, Zürich, ÿ, 中文字符, 日本語, 😀 🚀 ✓.
You are a helpful assistant. Hi there! Hello. How can I help you today? Thank you very much.
The sky is blue and the grass is green. Water boils at 100 degrees; ice melts at 0 degrees.
Lists: apples, oranges, pears; tabs\tand\nnewlines are whitespace too.   Several   spaces.
"""

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

GEMMA_TEMPLATE = (
    "{{ bos_token }}"
    "{% if messages[0]['role'] == 'system' %}"
    "{% set first_user_prefix = messages[0]['content'] + '\\n\\n' %}{% set loop_messages = messages[1:] %}"
    "{% else %}{% set first_user_prefix = '' %}{% set loop_messages = messages %}{% endif %}"
    "{% for message in loop_messages %}"
    "{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
    "{{ '<start_of_turn>' + role + '\\n' + (first_user_prefix if loop.first else '') + message['content'] | trim + '<end_of_turn>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<start_of_turn>model\\n' }}{% endif %}"
)


INST_TEMPLATE = (
    "{{ bos_token }}"
    "{% if messages[0]['role'] == 'system' %}"
    "{% set system = messages[0]['content'] + '\\n\\n' %}{% set loop_messages = messages[1:] %}"
    "{% else %}{% set system = '' %}{% set loop_messages = messages %}{% endif %}"
    "{% for message in loop_messages %}"
    "{% if message['role'] == 'user' %}{{ '[INST] ' + (system if loop.first else '') + message['content'] + ' [/INST]' }}"
    "{% else %}{{ ' ' + message['content'] + eos_token }}{% endif %}"
    "{% endfor %}"
)

FLAVOURS = {
    "chatml": ("bytelevel", CHATML_TEMPLATE, "<|im_end|>", False),
    "gemma": ("bytelevel", GEMMA_TEMPLATE, "<eos>", True),
    "gemma-sp": ("sp", GEMMA_TEMPLATE, "<eos>", True),
    "inst-sp": ("sp", INST_TEMPLATE, "<eos>", True),
}


def _check_specials(tok: Tokenizer) -> Tokenizer:
    assert tok.token_to_id("<pad>") == PAD and tok.token_to_id("<bos>") == BOS and tok.token_to_id("<eos>") == EOS
    assert tok.get_vocab_size() <= VOCAB_SIZE, tok.get_vocab_size()
    return tok


def train_bytelevel() -> Tokenizer:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator([CORPUS] * 4, trainer=trainer)
    return _check_specials(tok)


def train_sentencepiece() -> Tokenizer:
    """BPE over `▁`-marked words with a small alphabet, then rebuilt with the 256 `<0xNN>`
    byte tokens after the specials so rare characters (CJK, emoji) fall back to bytes."""
    meta = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="first", split=True)
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = meta
    trainer = trainers.BpeTrainer(vocab_size=VOCAB_SIZE - 256, special_tokens=SPECIALS, show_progress=False)
    # ASCII-only training text keeps the alphabet fixed (limit_alphabet breaks frequency ties
    # in hash order, so it is not reproducible); everything else falls back to bytes.
    ascii_corpus = "".join(c for c in CORPUS if ord(c) < 128)
    tok.train_from_iterator([ascii_corpus] * 4, trainer=trainer)
    model = json.loads(tok.to_str())["model"]
    trained = sorted(model["vocab"].items(), key=lambda kv: kv[1])
    vocab = {t: i for i, t in enumerate(SPECIALS)}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for t, _ in trained:
        if t not in vocab:
            vocab[t] = len(vocab)
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    out = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    out.add_special_tokens(SPECIALS)
    out.pre_tokenizer = meta
    out.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    return _check_specials(out)


def train() -> dict[str, Tokenizer]:
    return {"bytelevel": train_bytelevel(), "sp": train_sentencepiece()}


def save(bases: dict[str, Tokenizer], out_dir: Path, flavour: str) -> None:
    pipeline, template, eos, adds_bos = FLAVOURS[flavour]
    tok = Tokenizer.from_str(bases[pipeline].to_str())
    if adds_bos:
        tok.post_processor = processors.TemplateProcessing(single="<bos> $A", pair="<bos> $A <bos> $B", special_tokens=[("<bos>", BOS)])
    elif pipeline == "bytelevel":
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<bos>",
        eos_token=eos,
        pad_token="<pad>",
        unk_token="<unk>",
        additional_special_tokens=SPECIALS[4:],
        chat_template=template,
        model_max_length=256,
    )
    fast.save_pretrained(str(out_dir))
