/**
 * Float64 reference forward pass for the llama-style families (llama, mistral, qwen2,
 * qwen3), written directly from the HF modeling semantics with plain loops. It exists to
 * check the ONNX engine and to build fixture adapters; it is only fast enough for tiny models.
 */
import type { ArchSpec } from '../types.js';
import { ropeInvFreq } from '../rope.js';

/** Returns a weight by HF name as float64, row-major in the checkpoint's shape ([out, in] for linears). */
export type GetWeight = (hfName: string) => Float64Array;

export interface ReferenceOptions {
  /** Output projection to use instead of lm_head.weight / the tied embedding (e.g. a merged LoRA head). */
  lmHead?: Float64Array;
  /**
   * Biases added on top of (or in place of absent) checkpoint biases, keyed by HF name
   * (`model.layers.0.self_attn.o_proj.bias`, `lm_head.bias`), e.g. from PEFT `lora_bias`.
   */
  extraBias?: ReadonlyMap<string, Float64Array>;
}

export interface ReferenceOutput {
  /** [S, vocabSize] */
  logits: Float64Array;
  /** [S, hiddenSize], after the final norm (the lm_head input). */
  finalHidden: Float64Array;
}

function rmsNorm(x: Float64Array, w: Float64Array, rows: number, dim: number, eps: number, out: Float64Array = new Float64Array(rows * dim)): Float64Array {
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += x[r * dim + i]! ** 2;
    const inv = 1 / Math.sqrt(ss / dim + eps);
    for (let i = 0; i < dim; i++) out[r * dim + i] = w[i]! * (x[r * dim + i]! * inv);
  }
  return out;
}

/** y[rows, out] = x[rows, in] · Wᵀ (+ b), W stored [out, in]. */
export function linear(x: Float64Array, rows: number, inDim: number, w: Float64Array, outDim: number, bias?: Float64Array): Float64Array {
  const y = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    const xo = r * inDim;
    for (let o = 0; o < outDim; o++) {
      const wo = o * inDim;
      let acc = bias ? bias[o]! : 0;
      for (let i = 0; i < inDim; i++) acc += x[xo + i]! * w[wo + i]!;
      y[r * outDim + o] = acc;
    }
  }
  return y;
}

/** Rotate-half RoPE in place on [S, heads, headDim]. */
function applyRope(x: Float64Array, seq: number, heads: number, headDim: number, inv: Float64Array): void {
  const half = headDim / 2;
  for (let p = 0; p < seq; p++) {
    for (let h = 0; h < heads; h++) {
      const o = (p * heads + h) * headDim;
      for (let i = 0; i < half; i++) {
        const a = p * inv[i]!;
        const c = Math.cos(a);
        const s = Math.sin(a);
        const x1 = x[o + i]!;
        const x2 = x[o + half + i]!;
        x[o + i] = x1 * c - x2 * s;
        x[o + half + i] = x2 * c + x1 * s;
      }
    }
  }
}

export function referenceForward(arch: ArchSpec, getWeight: GetWeight, tokenIds: readonly number[], options: ReferenceOptions = {}): ReferenceOutput {
  const S = tokenIds.length;
  const H = arch.hiddenSize;
  const d = arch.headDim;
  const nh = arch.numHeads;
  const nkv = arch.numKvHeads;
  const group = nh / nkv;
  const eps = arch.rmsNormEps;
  const inv = ropeInvFreq(arch.rope);
  const embed = getWeight('model.embed_tokens.weight');
  const h = new Float64Array(S * H);
  for (let p = 0; p < S; p++) {
    const id = tokenIds[p]!;
    if (!Number.isInteger(id) || id < 0 || id >= arch.vocabSize) throw new RangeError(`token id ${id} outside [0, ${arch.vocabSize})`);
    h.set(embed.subarray(id * H, (id + 1) * H), p * H);
  }
  const scale = 1 / Math.sqrt(d);
  for (let l = 0; l < arch.numLayers; l++) {
    const pre = `model.layers.${l}.`;
    const w = (n: string): Float64Array => getWeight(pre + n);
    const bias = (n: string, inCheckpoint: boolean): Float64Array | undefined => {
      const extra = options.extraBias?.get(pre + n);
      if (!inCheckpoint) return extra;
      const b = w(n);
      return extra ? b.map((x, i) => x + extra[i]!) : b;
    };
    const x = rmsNorm(h, w('input_layernorm.weight'), S, H, eps);
    const q = linear(x, S, H, w('self_attn.q_proj.weight'), nh * d, bias('self_attn.q_proj.bias', arch.qkvBias));
    const k = linear(x, S, H, w('self_attn.k_proj.weight'), nkv * d, bias('self_attn.k_proj.bias', arch.qkvBias));
    const v = linear(x, S, H, w('self_attn.v_proj.weight'), nkv * d, bias('self_attn.v_proj.bias', arch.qkvBias));
    if (arch.qkNorm) {
      rmsNorm(q, w('self_attn.q_norm.weight'), S * nh, d, eps, q);
      rmsNorm(k, w('self_attn.k_norm.weight'), S * nkv, d, eps, k);
    }
    applyRope(q, S, nh, d, inv);
    applyRope(k, S, nkv, d, inv);
    const window = arch.slidingWindow[l] ?? null;
    const attn = new Float64Array(S * nh * d);
    const scores = new Float64Array(S);
    for (let head = 0; head < nh; head++) {
      const kvh = Math.floor(head / group);
      for (let i = 0; i < S; i++) {
        const jStart = window === null ? 0 : Math.max(0, i - window + 1);
        let max = -Infinity;
        for (let j = jStart; j <= i; j++) {
          let dot = 0;
          const qo = (i * nh + head) * d;
          const ko = (j * nkv + kvh) * d;
          for (let t = 0; t < d; t++) dot += q[qo + t]! * k[ko + t]!;
          scores[j] = dot * scale;
          if (scores[j]! > max) max = scores[j]!;
        }
        let sum = 0;
        for (let j = jStart; j <= i; j++) {
          scores[j] = Math.exp(scores[j]! - max);
          sum += scores[j]!;
        }
        const ao = (i * nh + head) * d;
        for (let j = jStart; j <= i; j++) {
          const p = scores[j]! / sum;
          const vo = (j * nkv + kvh) * d;
          for (let t = 0; t < d; t++) attn[ao + t] = attn[ao + t]! + p * v[vo + t]!;
        }
      }
    }
    const o = linear(attn, S, nh * d, w('self_attn.o_proj.weight'), H, bias('self_attn.o_proj.bias', arch.oBias));
    for (let i = 0; i < h.length; i++) h[i] = h[i]! + o[i]!;
    const x2 = rmsNorm(h, w('post_attention_layernorm.weight'), S, H, eps);
    const I = arch.intermediateSize;
    const gate = linear(x2, S, H, w('mlp.gate_proj.weight'), I, bias('mlp.gate_proj.bias', arch.mlpBias));
    const up = linear(x2, S, H, w('mlp.up_proj.weight'), I, bias('mlp.up_proj.bias', arch.mlpBias));
    for (let i = 0; i < gate.length; i++) {
      const g = gate[i]!;
      gate[i] = (g / (1 + Math.exp(-g))) * up[i]!;
    }
    const down = linear(gate, S, I, w('mlp.down_proj.weight'), H, bias('mlp.down_proj.bias', arch.mlpBias));
    for (let i = 0; i < h.length; i++) h[i] = h[i]! + down[i]!;
  }
  const finalHidden = rmsNorm(h, getWeight('model.norm.weight'), S, H, eps);
  const head = options.lmHead ?? getWeight(arch.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
  const logits = linear(finalHidden, S, H, head, arch.vocabSize, options.extraBias?.get('lm_head.bias'));
  return { logits, finalHidden };
}

/** log-softmax of one row. */
export function logSoftmaxRow(logits: Float64Array, row: number, vocab: number): Float64Array {
  const out = new Float64Array(vocab);
  let max = -Infinity;
  for (let i = 0; i < vocab; i++) max = Math.max(max, logits[row * vocab + i]!);
  let sum = 0;
  for (let i = 0; i < vocab; i++) sum += Math.exp(logits[row * vocab + i]! - max);
  const lse = max + Math.log(sum);
  for (let i = 0; i < vocab; i++) out[i] = logits[row * vocab + i]! - lse;
  return out;
}
