"""One small byte-level BPE vocabulary, trained once with `tokenizers`, saved per model in
two flavours: ChatML-style (no BOS added) and gemma/llama-style (BOS added by the
post-processor), each with a chat template rendered by transformers."""
from __future__ import annotations

from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

VOCAB_SIZE = 448
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


def train() -> Tokenizer:
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
    assert tok.token_to_id("<pad>") == PAD and tok.token_to_id("<bos>") == BOS and tok.token_to_id("<eos>") == EOS
    return tok


def save(base: Tokenizer, out_dir: Path, flavour: str) -> None:
    """flavour: 'chatml' (no BOS, ChatML template) or 'gemma' (BOS prepended, gemma-style template)."""
    tok = Tokenizer.from_str(base.to_str())
    if flavour == "gemma":
        tok.post_processor = processors.TemplateProcessing(
            single="<bos> $A", pair="<bos> $A <bos> $B", special_tokens=[("<bos>", BOS)]
        )
        template, eos = GEMMA_TEMPLATE, "<eos>"
    elif flavour == "chatml":
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
        template, eos = CHATML_TEMPLATE, "<|im_end|>"
    else:
        raise ValueError(flavour)
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
