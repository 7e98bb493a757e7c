"""Independent GPT-2-style byte-level BPE encoder (the algorithm of OpenAI's encoder.py and
HF tokenizers' BPE model) applied to the fixture's tokenizer.json. tokenizer-golden.test.ts
checks that @huggingface/tokenizers encodes the fixture tokenizer to the same ids.

Regenerate (needs the `regex` module):
  python3 test/engine/io/golden/bpe_python.py DIR/base/tokenizer.json > test/engine/io/golden/tokenizer-golden.json
"""
import json
import sys

import regex

TEXTS = [
    'The capital of France is Paris.',
    'Hello  world\n',
    "It's 2024, isn't it? We'll see -- maybe.",
    'héllo 🙂 naïve café',
    '   leading and trailing   ',
    'Q: colour of grass?\nA: green',
    '<|im_start|>user\nHi<|im_end|>\n',
    'tab\tseparated\r\nlines',
]

PAT = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")


def bytes_to_unicode():
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def main():
    tok = json.load(open(sys.argv[1], encoding='utf-8'))
    vocab = tok['model']['vocab']
    ranks = {tuple(m if isinstance(m, list) else m.split(' ')): i for i, m in enumerate(tok['model']['merges'])}
    specials = {a['content']: a['id'] for a in tok['added_tokens']}
    b2u = bytes_to_unicode()

    def bpe(word):
        parts = list(word)
        while len(parts) > 1:
            pairs = [(ranks.get((parts[i], parts[i + 1]), 1 << 30), i) for i in range(len(parts) - 1)]
            rank, _ = min(pairs)
            if rank == 1 << 30:
                break
            a, b = [p for p in ranks if ranks[p] == rank][0]
            out, i = [], 0
            while i < len(parts):
                if i + 1 < len(parts) and parts[i] == a and parts[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(parts[i])
                    i += 1
            parts = out
        return parts

    def encode(text):
        ids = []
        split = regex.split('(' + '|'.join(regex.escape(s) for s in specials) + ')', text)
        for chunk in split:
            if chunk in specials:
                ids.append(specials[chunk])
                continue
            for piece in PAT.findall(chunk):
                word = ''.join(b2u[b] for b in piece.encode('utf-8'))
                ids.extend(vocab[p] for p in bpe(word))
        return ids

    print(json.dumps({'texts': [{'text': t, 'ids': encode(t)} for t in TEXTS]}, ensure_ascii=False))


if __name__ == '__main__':
    main()
