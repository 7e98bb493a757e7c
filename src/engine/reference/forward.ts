/**
 * Float64 reference forward of the decoder families, written from the Hugging Face
 * modeling semantics with plain loops. It shares no code with the ONNX graph builder (its
 * RoPE included): tests compare the two, and the fixture generator uses it to read hidden
 * states. It reads ArchSpec traits and names tensors through the family naming, like the
 * builder. Only for tiny models (O(S^2 * layers) loops, no caching).
 */
import { weightName, type WeightRef } from '../families.js';
import { assertImplemented } from '../graph/traits.js';
import type { ArchSpec } from '../types.js';
import { applyRotary, referenceFrequencies } from './rope.js';

/** Returns a tensor by HF name; throws when absent. */
export type WeightGetter = (hfName: string) => Float64Array | Float32Array;

export interface ReferenceOutput {
  /** [S, V] row-major. */
  logits: Float64Array;
  /** Final normed hidden states [S, H] (what the lm_head consumes). */
  finalHidden: Float64Array;
}

type Vec = ArrayLike<number>;

function rmsNorm(x: Float64Array, w: Vec, eps: number, offset: number): Float64Array {
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += (x[i] as number) ** 2;
  const inv = 1 / Math.sqrt(ss / x.length + eps);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] as number) * inv * ((w[i] as number) + offset);
  return out;
}

/** y = W x (+ b) with W stored [out, in] as in HF Linear. */
function linear(x: Float64Array, w: Vec, outF: number, b?: Vec | null): Float64Array {
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

function softmaxWeights(scores: number[]): number[] {
  const m = Math.max(...scores);
  const e = scores.map((s) => Math.exp(s - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

export function referenceForward(arch: ArchSpec, getWeight: WeightGetter, ids: readonly number[]): ReferenceOutput {
  assertImplemented(arch, 'float64 reference');
  const H = arch.hiddenSize;
  const D = arch.headDim;
  const I = arch.intermediateSize;
  const S = ids.length;
  const nH = arch.numHeads;
  const nKv = arch.numKvHeads;
  const q = nH * D;
  const kv = nKv * D;
  const group = nH / nKv;
  const freqs = referenceFrequencies(arch.rope);
  const eps = arch.norm.eps;
  const off = arch.norm.weightOffset;
  const name = (ref: WeightRef) => weightName(arch.weights, ref);
  const get = (ref: WeightRef) => getWeight(name(ref));
  const opt = (ref: WeightRef): Vec | null => {
    try {
      return getWeight(name(ref));
    } catch {
      return null;
    }
  };
  /** Bias of a projection: required when the architecture has one, else whatever the getter offers (a merged lora_B.bias). */
  const biasOf = (ref: WeightRef, required: boolean): Vec | null => (required ? get({ ...ref, part: 'bias' }) : opt({ ...ref, part: 'bias' }));
  /** Output of one (possibly fused) projection, split into its parts. */
  const project = (x: Float64Array, l: number, fused: boolean, fusedModule: 'qkv_proj' | 'gate_up_proj', parts: readonly ['q_proj' | 'k_proj' | 'v_proj' | 'gate_proj' | 'up_proj', number][], hasBias: boolean): Float64Array[] => {
    if (fused) {
      const ref = { layer: l, module: fusedModule } as const;
      const y = linear(x, get(ref), parts.reduce((a, [, n]) => a + n, 0), biasOf(ref, hasBias));
      let at = 0;
      return parts.map(([, n]) => y.slice(at, (at += n)));
    }
    return parts.map(([module, n]) => {
      const ref = { layer: l, module } as const;
      return linear(x, get(ref), n, biasOf(ref, hasBias));
    });
  };

  const emb = get({ module: 'embed' });
  let hs: Float64Array[] = ids.map((id) => Float64Array.from(emb.subarray(id * H, (id + 1) * H), (v) => v * arch.embeddingScale));
  for (let l = 0; l < arch.numLayers; l++) {
    const window = arch.slidingWindow[l] ?? null;
    const qs: Float64Array[] = [];
    const ks: Float64Array[] = [];
    const vs: Float64Array[] = [];
    for (let t = 0; t < S; t++) {
      const x = rmsNorm(hs[t] as Float64Array, get({ layer: l, module: 'attn_norm' }), eps, off);
      const [qt, kt, vt] = project(x, l, arch.fused.qkv, 'qkv_proj', [['q_proj', q], ['k_proj', kv], ['v_proj', kv]], arch.qkvBias) as [Float64Array, Float64Array, Float64Array];
      if (arch.qkNorm === 'per_head') {
        const qn = get({ layer: l, module: 'q_norm' });
        const kn = get({ layer: l, module: 'k_norm' });
        for (let h = 0; h < nH; h++) qt.set(rmsNorm(qt.subarray(h * D, (h + 1) * D), qn, eps, off), h * D);
        for (let h = 0; h < nKv; h++) kt.set(rmsNorm(kt.subarray(h * D, (h + 1) * D), kn, eps, off), h * D);
      }
      for (let h = 0; h < nH; h++) applyRotary(qt, h * D, arch.rope.rotaryDim, t, freqs);
      for (let h = 0; h < nKv; h++) applyRotary(kt, h * D, arch.rope.rotaryDim, t, freqs);
      qs.push(qt);
      ks.push(kt);
      vs.push(vt);
    }
    const next: Float64Array[] = [];
    for (let t = 0; t < S; t++) {
      const attn = new Float64Array(q);
      const lo = window === null ? 0 : Math.max(0, t - window + 1);
      for (let h = 0; h < nH; h++) {
        const kh = Math.floor(h / group);
        const scores: number[] = [];
        for (let j = lo; j <= t; j++) {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += ((qs[t] as Float64Array)[h * D + d] as number) * ((ks[j] as Float64Array)[kh * D + d] as number);
          scores.push(dot * arch.attentionScale);
        }
        softmaxWeights(scores).forEach((w, k) => {
          const vj = vs[lo + k] as Float64Array;
          for (let d = 0; d < D; d++) attn[h * D + d] = (attn[h * D + d] as number) + w * (vj[kh * D + d] as number);
        });
      }
      const oRef = { layer: l, module: 'o_proj' } as const;
      const o = linear(attn, get(oRef), H, biasOf(oRef, arch.oBias));
      const h1 = new Float64Array(H);
      for (let i = 0; i < H; i++) h1[i] = ((hs[t] as Float64Array)[i] as number) + arch.residualMultiplier * (o[i] as number);
      const x2 = rmsNorm(h1, get({ layer: l, module: 'mlp_norm' }), eps, off);
      const [g, u] = project(x2, l, arch.fused.gateUp, 'gate_up_proj', [['gate_proj', I], ['up_proj', I]], arch.mlpBias) as [Float64Array, Float64Array];
      const act = new Float64Array(I);
      for (let i = 0; i < I; i++) {
        const gv = g[i] as number;
        act[i] = (gv / (1 + Math.exp(-gv))) * (u[i] as number);
      }
      const dRef = { layer: l, module: 'down_proj' } as const;
      const d = linear(act, get(dRef), H, biasOf(dRef, arch.mlpBias));
      for (let i = 0; i < H; i++) h1[i] = (h1[i] as number) + arch.residualMultiplier * (d[i] as number);
      next.push(h1);
    }
    hs = next;
  }
  const V = arch.vocabSize;
  const headRef = { module: 'lm_head' } as const;
  const head = arch.tieWordEmbeddings ? (opt(headRef) ?? emb) : get(headRef);
  const headBias = opt({ ...headRef, part: 'bias' });
  const normW = get({ module: 'final_norm' });
  const logits = new Float64Array(S * V);
  const finalHidden = new Float64Array(S * H);
  for (let t = 0; t < S; t++) {
    const x = rmsNorm(hs[t] as Float64Array, normW, eps, off);
    finalHidden.set(x, t * H);
    const y = linear(x, head, V, headBias);
    for (let i = 0; i < V; i++) y[i] = (y[i] as number) / arch.logitsDivisor;
    logits.set(y, t * V);
  }
  return { logits, finalHidden };
}
