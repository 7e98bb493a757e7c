/**
 * Float64 reference forward of the decoder families, written from the Hugging Face
 * modeling semantics with plain loops. It shares no code with the ONNX graph builder:
 * tests compare the two, and the fixture generator uses it to read hidden states.
 * Only for tiny models (O(S^2 * layers) loops, no caching).
 */
import type { ArchSpec } from '../types.js';
import { ropeInvFreq } from '../rope.js';

export type WeightGetter = (hfName: string) => Float64Array | Float32Array;

export interface ReferenceOutput {
  /** [S, V] row-major. */
  logits: Float64Array;
  /** Final normed hidden states [S, H] (what the lm_head consumes). */
  finalHidden: Float64Array;
}

function rmsNorm(x: Float64Array, w: ArrayLike<number>, eps: number): Float64Array {
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += (x[i] as number) ** 2;
  const inv = 1 / Math.sqrt(ss / x.length + eps);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] as number) * inv * (w[i] as number);
  return out;
}

/** y = W x (+ b) with W stored [out, in] as in HF Linear. */
function linear(x: Float64Array, w: ArrayLike<number>, outF: number, b?: ArrayLike<number> | null): Float64Array {
  const inF = x.length;
  const y = new Float64Array(outF);
  for (let o = 0; o < outF; o++) {
    let acc = b ? (b[o] as number) : 0;
    const row = o * inF;
    for (let i = 0; i < inF; i++) acc += (w[row + i] as number) * (x[i] as number);
    y[o] = acc;
  }
  return y;
}

function rotateHalf(v: Float64Array, offset: number, dim: number, pos: number, inv: Float64Array): void {
  const half = dim / 2;
  for (let i = 0; i < half; i++) {
    const a = pos * (inv[i] as number);
    const c = Math.cos(a);
    const s = Math.sin(a);
    const x1 = v[offset + i] as number;
    const x2 = v[offset + i + half] as number;
    v[offset + i] = x1 * c - x2 * s;
    v[offset + i + half] = x2 * c + x1 * s;
  }
}

export function referenceForward(arch: ArchSpec, getWeight: WeightGetter, ids: readonly number[]): ReferenceOutput {
  const H = arch.hiddenSize;
  const D = arch.headDim;
  const S = ids.length;
  const nH = arch.numHeads;
  const nKv = arch.numKvHeads;
  const group = nH / nKv;
  const inv = ropeInvFreq(arch.rope);
  const emb = getWeight('model.embed_tokens.weight');
  const opt = (name: string): Float64Array | Float32Array | null => {
    try {
      return getWeight(name);
    } catch {
      return null;
    }
  };

  let hs: Float64Array[] = ids.map((id) => Float64Array.from(emb.subarray(id * H, (id + 1) * H)));
  for (let l = 0; l < arch.numLayers; l++) {
    const p = `model.layers.${l}.`;
    const window = arch.slidingWindow[l] ?? null;
    const qs: Float64Array[] = [];
    const ks: Float64Array[] = [];
    const vs: Float64Array[] = [];
    for (let t = 0; t < S; t++) {
      const x = rmsNorm(hs[t] as Float64Array, getWeight(`${p}input_layernorm.weight`), arch.rmsNormEps);
      const bias = (n: string) => (arch.qkvBias ? getWeight(`${p}self_attn.${n}.bias`) : null);
      const q = linear(x, getWeight(`${p}self_attn.q_proj.weight`), nH * D, bias('q_proj'));
      const k = linear(x, getWeight(`${p}self_attn.k_proj.weight`), nKv * D, bias('k_proj'));
      const v = linear(x, getWeight(`${p}self_attn.v_proj.weight`), nKv * D, bias('v_proj'));
      if (arch.qkNorm) {
        const qn = getWeight(`${p}self_attn.q_norm.weight`);
        const kn = getWeight(`${p}self_attn.k_norm.weight`);
        for (let h = 0; h < nH; h++) q.set(rmsNorm(q.subarray(h * D, (h + 1) * D), qn, arch.rmsNormEps), h * D);
        for (let h = 0; h < nKv; h++) k.set(rmsNorm(k.subarray(h * D, (h + 1) * D), kn, arch.rmsNormEps), h * D);
      }
      for (let h = 0; h < nH; h++) rotateHalf(q, h * D, D, t, inv);
      for (let h = 0; h < nKv; h++) rotateHalf(k, h * D, D, t, inv);
      qs.push(q);
      ks.push(k);
      vs.push(v);
    }
    const next: Float64Array[] = [];
    for (let t = 0; t < S; t++) {
      const attn = new Float64Array(nH * D);
      for (let h = 0; h < nH; h++) {
        const kh = Math.floor(h / group);
        const lo = window === null ? 0 : Math.max(0, t - window + 1);
        const scores: number[] = [];
        for (let j = lo; j <= t; j++) {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += ((qs[t] as Float64Array)[h * D + d] as number) * ((ks[j] as Float64Array)[kh * D + d] as number);
          scores.push(dot / Math.sqrt(D));
        }
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((a, b) => a + b, 0);
        for (let j = lo; j <= t; j++) {
          const w = (e[j - lo] as number) / z;
          for (let d = 0; d < D; d++) attn[h * D + d] = (attn[h * D + d] as number) + w * ((vs[j] as Float64Array)[kh * D + d] as number);
        }
      }
      const o = linear(attn, getWeight(`${p}self_attn.o_proj.weight`), H, arch.oBias ? getWeight(`${p}self_attn.o_proj.bias`) : null);
      const h1 = new Float64Array(H);
      for (let i = 0; i < H; i++) h1[i] = ((hs[t] as Float64Array)[i] as number) + (o[i] as number);
      const x2 = rmsNorm(h1, getWeight(`${p}post_attention_layernorm.weight`), arch.rmsNormEps);
      const I = arch.intermediateSize;
      const mb = (n: string) => (arch.mlpBias ? getWeight(`${p}mlp.${n}.bias`) : null);
      const g = linear(x2, getWeight(`${p}mlp.gate_proj.weight`), I, mb('gate_proj'));
      const u = linear(x2, getWeight(`${p}mlp.up_proj.weight`), I, mb('up_proj'));
      const act = new Float64Array(I);
      for (let i = 0; i < I; i++) {
        const gv = g[i] as number;
        act[i] = (gv / (1 + Math.exp(-gv))) * (u[i] as number);
      }
      const d = linear(act, getWeight(`${p}mlp.down_proj.weight`), H, mb('down_proj'));
      for (let i = 0; i < H; i++) h1[i] = (h1[i] as number) + (d[i] as number);
      next.push(h1);
    }
    hs = next;
  }
  const V = arch.vocabSize;
  const head = arch.tieWordEmbeddings ? (opt('lm_head.weight') ?? emb) : getWeight('lm_head.weight');
  const normW = getWeight('model.norm.weight');
  const logits = new Float64Array(S * V);
  const finalHidden = new Float64Array(S * H);
  for (let t = 0; t < S; t++) {
    const x = rmsNorm(hs[t] as Float64Array, normW, arch.rmsNormEps);
    finalHidden.set(x, t * H);
    logits.set(linear(x, head, V), t * V);
  }
  return { logits, finalHidden };
}
