"""Independent numpy forward for the llama-style families, written from the Hugging Face
modeling semantics (LlamaModel, MistralModel, Qwen2Model, Qwen3Model). It shares no code
with src/engine/reference; reference-golden.test.ts checks the TypeScript float64
reference against the values this script writes.

Regenerate (numpy only):  python3 test/engine/io/golden/reference_numpy.py > test/engine/io/golden/reference-golden.json
"""
import json
import math

import numpy as np

# Deterministic weights: a 32-bit LCG, reproduced exactly by the TypeScript test.
M = 2**32


def lcg_next(x):
    return (1664525 * x + 1013904223) % M


def name_seed(name):
    x = 2166136261 % M
    for ch in name:
        x = lcg_next((x + ord(ch)) % M)
    return x


def tensor(name, shape):
    n = int(np.prod(shape))
    x = name_seed(name)
    out = np.empty(n)
    for i in range(n):
        x = lcg_next(x)
        out[i] = (x / M - 0.5) * 2 * math.sqrt(3)  # unit variance
    if name.endswith('norm.weight'):
        out = 1 + 0.1 * out
    elif name.endswith('.bias'):
        out = 0.05 * out
    elif 'embed_tokens' in name or name == 'lm_head.weight':
        pass
    else:
        out = 0.15 * out
    return out.reshape(shape)


CASES = [
    {
        'name': 'llama-biases-llama3-rope',
        'config': {
            'model_type': 'llama', 'hidden_size': 32, 'intermediate_size': 48, 'num_hidden_layers': 2,
            'num_attention_heads': 4, 'num_key_value_heads': 2, 'vocab_size': 40, 'rms_norm_eps': 1e-5,
            'rope_theta': 500.0, 'attention_bias': True, 'mlp_bias': True, 'tie_word_embeddings': True,
            'max_position_embeddings': 64,
            'rope_scaling': {'rope_type': 'llama3', 'factor': 8.0, 'low_freq_factor': 1.0,
                             'high_freq_factor': 4.0, 'original_max_position_embeddings': 16},
        },
    },
    {
        'name': 'mistral-window-3-untied',
        'config': {
            'model_type': 'mistral', 'hidden_size': 32, 'intermediate_size': 48, 'num_hidden_layers': 2,
            'num_attention_heads': 4, 'num_key_value_heads': 1, 'vocab_size': 40, 'rms_norm_eps': 1e-6,
            'rope_theta': 10000.0, 'sliding_window': 3, 'tie_word_embeddings': False,
            'max_position_embeddings': 64,
        },
    },
    {
        'name': 'qwen2-layer-types-linear-rope',
        'config': {
            'model_type': 'qwen2', 'hidden_size': 32, 'intermediate_size': 48, 'num_hidden_layers': 3,
            'num_attention_heads': 2, 'num_key_value_heads': 2, 'vocab_size': 40, 'rms_norm_eps': 1e-6,
            'rope_theta': 1000000.0, 'use_sliding_window': True, 'sliding_window': 4,
            'layer_types': ['full_attention', 'sliding_attention', 'full_attention'],
            'rope_scaling': {'type': 'linear', 'factor': 2.0}, 'tie_word_embeddings': True,
            'max_position_embeddings': 64,
        },
    },
    {
        'name': 'qwen3-head-dim-24-qk-norm',
        'config': {
            'model_type': 'qwen3', 'hidden_size': 32, 'intermediate_size': 48, 'num_hidden_layers': 2,
            'num_attention_heads': 4, 'num_key_value_heads': 2, 'head_dim': 24, 'vocab_size': 40,
            'rms_norm_eps': 1e-6, 'rope_theta': 1000000.0, 'tie_word_embeddings': False,
            'max_position_embeddings': 64,
        },
    },
]

TOKENS = [3, 17, 5, 39, 0, 22, 22, 8, 31, 12, 1]


def tensor_names(c):
    mt = c['model_type']
    H, I, V = c['hidden_size'], c['intermediate_size'], c['vocab_size']
    nh, nkv = c['num_attention_heads'], c['num_key_value_heads']
    hd = c.get('head_dim') or H // nh
    qkv_bias = mt == 'qwen2' or (mt in ('llama', 'qwen3') and c.get('attention_bias', False))
    o_bias = mt in ('llama', 'qwen3') and c.get('attention_bias', False)
    mlp_bias = mt == 'llama' and c.get('mlp_bias', False)
    out = [('model.embed_tokens.weight', [V, H])]
    for l in range(c['num_hidden_layers']):
        p = f'model.layers.{l}.'
        out += [(p + 'input_layernorm.weight', [H]), (p + 'post_attention_layernorm.weight', [H])]
        for m, o in (('q_proj', nh * hd), ('k_proj', nkv * hd), ('v_proj', nkv * hd)):
            out.append((p + f'self_attn.{m}.weight', [o, H]))
            if qkv_bias:
                out.append((p + f'self_attn.{m}.bias', [o]))
        out.append((p + 'self_attn.o_proj.weight', [H, nh * hd]))
        if o_bias:
            out.append((p + 'self_attn.o_proj.bias', [H]))
        if mt == 'qwen3':
            out += [(p + 'self_attn.q_norm.weight', [hd]), (p + 'self_attn.k_norm.weight', [hd])]
        for m, shape in (('gate_proj', [I, H]), ('up_proj', [I, H]), ('down_proj', [H, I])):
            out.append((p + f'mlp.{m}.weight', shape))
            if mlp_bias:
                out.append((p + f'mlp.{m}.bias', [shape[0]]))
    out.append(('model.norm.weight', [H]))
    if not c.get('tie_word_embeddings', False):
        out.append(('lm_head.weight', [V, H]))
    return out


def inv_freq(c, hd):
    inv = 1.0 / c.get('rope_theta', 10000.0) ** (np.arange(0, hd, 2, dtype=np.float64) / hd)
    rs = c.get('rope_scaling')
    if not rs:
        return inv
    kind = rs.get('rope_type', rs.get('type'))
    if kind == 'linear':
        return inv / rs['factor']
    if kind == 'llama3':  # transformers _compute_llama3_parameters
        f, lo, hi, old = rs['factor'], rs['low_freq_factor'], rs['high_freq_factor'], rs['original_max_position_embeddings']
        low_wl, high_wl = old / lo, old / hi
        wl = 2 * math.pi / inv
        scaled = np.where(wl > low_wl, inv / f, inv)
        smooth = (old / wl - lo) / (hi - lo)
        smoothed = (1 - smooth) * scaled / f + smooth * scaled
        medium = ~(wl < high_wl) & ~(wl > low_wl)
        return np.where(medium, smoothed, scaled)
    raise ValueError(kind)


def rms(x, w, eps):
    return w * (x / np.sqrt((x * x).mean(-1, keepdims=True) + eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return np.concatenate([-x[..., h:], x[..., :h]], -1)


def forward(c, W, ids):
    mt, H, L = c['model_type'], c['hidden_size'], c['num_hidden_layers']
    nh, nkv = c['num_attention_heads'], c['num_key_value_heads']
    hd = c.get('head_dim') or H // nh
    eps = c['rms_norm_eps']
    S = len(ids)
    pos = np.arange(S)
    fr = np.outer(pos, inv_freq(c, hd))
    emb = np.concatenate([fr, fr], -1)
    cos, sin = np.cos(emb), np.sin(emb)
    sw = c.get('sliding_window')
    if mt in ('qwen2', 'qwen3') and not c.get('use_sliding_window', False):
        sw = None
    if mt == 'mistral':
        kinds = ['sliding_attention'] * L
    else:
        kinds = c.get('layer_types') or [
            'sliding_attention' if sw is not None and i >= c.get('max_window_layers', 28) else 'full_attention' for i in range(L)]
    x = W['model.embed_tokens.weight'][ids]
    for l in range(L):
        p = f'model.layers.{l}.'

        def lin(n, inp):
            y = inp @ W[p + n + '.weight'].T
            b = W.get(p + n + '.bias')
            return y if b is None else y + b

        h = rms(x, W[p + 'input_layernorm.weight'], eps)
        q = lin('self_attn.q_proj', h).reshape(S, nh, hd).transpose(1, 0, 2)
        k = lin('self_attn.k_proj', h).reshape(S, nkv, hd).transpose(1, 0, 2)
        v = lin('self_attn.v_proj', h).reshape(S, nkv, hd).transpose(1, 0, 2)
        if mt == 'qwen3':
            q = rms(q, W[p + 'self_attn.q_norm.weight'], eps)
            k = rms(k, W[p + 'self_attn.k_norm.weight'], eps)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = np.repeat(k, nh // nkv, axis=0)  # repeat_kv: query head i uses kv head i // groups
        v = np.repeat(v, nh // nkv, axis=0)
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(hd)
        mask = pos[None, :] <= pos[:, None]
        if kinds[l] == 'sliding_attention' and sw is not None:
            mask &= pos[None, :] > pos[:, None] - sw
        scores = np.where(mask, scores, -np.inf)
        probs = np.exp(scores - scores.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        x = x + lin('self_attn.o_proj', (probs @ v).transpose(1, 0, 2).reshape(S, nh * hd))
        h = rms(x, W[p + 'post_attention_layernorm.weight'], eps)
        g = lin('mlp.gate_proj', h)
        x = x + lin('mlp.down_proj', g / (1 + np.exp(-g)) * lin('mlp.up_proj', h))
    fh = rms(x, W['model.norm.weight'], eps)
    head = W['model.embed_tokens.weight'] if c.get('tie_word_embeddings', False) else W['lm_head.weight']
    return fh @ head.T, fh


def main():
    out = {'tokens': TOKENS, 'cases': []}
    for case in CASES:
        c = case['config']
        W = {n: tensor(n, s) for n, s in tensor_names(c)}
        logits, fh = forward(c, W, TOKENS)
        out['cases'].append({
            'name': case['name'],
            'config': c,
            'tensors': [[n, s] for n, s in tensor_names(c)],
            'logits': [float(v) for v in logits.reshape(-1)],
            'finalHidden': [float(v) for v in fh.reshape(-1)],
        })
    print(json.dumps(out))


if __name__ == '__main__':
    main()
