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
import { applyRotary, referenceFrequencies, referenceRotaryScale } from './rope.js';

/** Returns a tensor by HF name; throws when absent. */
export type WeightGetter = (hfName: string) => Float64Array | Float32Array;

export interface ReferenceOutput {
  /** [S, V] row-major. */
  logits: Float64Array;
  /** Final normed hidden states [S, H] (what the lm_head consumes). */
  finalHidden: Float64Array;
}

type Vec = ArrayLike<number>;

interface NormSpec {
  kind: 'rms' | 'layernorm';
  eps: number;
  offset: number;
}

/** RMSNorm: x / rms(x) * (w + offset); LayerNorm: (x - mean) / std * (w + offset) + b. */
function normalize(x: Float64Array, w: Vec, n: NormSpec, b: Vec | null): Float64Array {
  let mean = 0;
  if (n.kind === 'layernorm') {
    for (let i = 0; i < x.length; i++) mean += x[i] as number;
    mean /= x.length;
  }
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += ((x[i] as number) - mean) ** 2;
  const inv = 1 / Math.sqrt(ss / x.length + n.eps);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = ((x[i] as number) - mean) * inv * ((w[i] as number) + n.offset) + (b ? (b[i] as number) : 0);
  return out;
}

/** y = W x (+ b) with W stored [out, in] as in HF Linear, or [in, out] (`transposed`, Conv1D). */
function linear(x: Float64Array, w: Vec, outF: number, b?: Vec | null, transposed = false): Float64Array {
  const inF = x.length;
  const y = new Float64Array(outF);
  for (let o = 0; o < outF; o++) {
    let acc = b ? (b[o] as number) : 0;
    if (transposed) for (let i = 0; i < inF; i++) acc += (w[i * outF + o] as number) * (x[i] as number);
    else for (let i = 0; i < inF; i++) acc += (w[o * inF + i] as number) * (x[i] as number);
    y[o] = acc;
  }
  return y;
}

function act(kind: ArchSpec['hiddenAct'], v: number): number {
  switch (kind) {
    case 'silu':
      return v / (1 + Math.exp(-v));
    case 'gelu_tanh':
      return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
    case 'gelu':
      return 0.5 * v * (1 + erf(v / Math.SQRT2));
  }
}

/** erf to ~1e-15 (Abramowitz-Stegun is too coarse for a reference): series for small |x|, continued fraction beyond. */
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let sum = ax;
    let term = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    return Math.sign(x) * ((2 / Math.sqrt(Math.PI)) * sum);
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) evaluated bottom-up.
  let f = ax;
  for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

const softcap = (v: number, cap: number | null) => (cap === null ? v : cap * Math.tanh(v / cap));

function softmaxWeights(scores: number[]): number[] {
  const m = Math.max(...scores);
  const e = scores.map((s) => Math.exp(s - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

export function referenceForward(arch: ArchSpec, getWeight: WeightGetter, ids: readonly number[]): ReferenceOutput {
  assertImplemented(arch, 'float64 reference');
  const H = arch.hiddenSize;
  const S = ids.length;
  const nH = arch.numHeads;
  const freqs = referenceFrequencies(arch.rope, S);
  const rotaryScale = referenceRotaryScale(arch.rope);
  const localFreqs = arch.ropeLocal === null ? freqs : referenceFrequencies(arch.ropeLocal, S);
  const localRotaryScale = arch.ropeLocal === null ? rotaryScale : referenceRotaryScale(arch.ropeLocal);
  const ns: NormSpec = { kind: arch.norm.kind, eps: arch.norm.eps, offset: arch.norm.weightOffset };
  const T = arch.transposedLinear;
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
  const normBy = (x: Float64Array, ref: WeightRef) => normalize(x, get(ref), ns, arch.norm.bias ? get({ ...ref, part: 'bias' }) : null);
  /** Output of one (possibly fused) projection, split into its parts. */
  const project = (x: Float64Array, l: number, fused: boolean, fusedModule: 'qkv_proj' | 'gate_up_proj', parts: readonly ['q_proj' | 'k_proj' | 'v_proj' | 'gate_proj' | 'up_proj', number][], hasBias: boolean): Float64Array[] => {
    if (fused) {
      const ref = { layer: l, module: fusedModule } as const;
      const y = linear(x, get(ref), parts.reduce((a, [, n]) => a + n, 0), biasOf(ref, hasBias), T);
      if (fusedModule === 'qkv_proj' && arch.qkvLayout === 'per_head') {
        // [q_h, k_h, v_h] for each head h in turn (equal q and kv head counts, one head size).
        const D = arch.headDim;
        const out = parts.map(([, n]) => new Float64Array(n));
        for (let h = 0; h < nH; h++) for (let p = 0; p < 3; p++) (out[p] as Float64Array).set(y.subarray((3 * h + p) * D, (3 * h + p + 1) * D), h * D);
        return out;
      }
      let at = 0;
      return parts.map(([, n]) => y.slice(at, (at += n)));
    }
    return parts.map(([module, n]) => {
      const ref = { layer: l, module } as const;
      return linear(x, get(ref), n, biasOf(ref, hasBias), T);
    });
  };

  const emb = get({ module: 'embed' });
  const wpe = arch.positions === 'learned' ? get({ module: 'positions' }) : null;
  let hs: Float64Array[] = ids.map((id, t) => Float64Array.from(emb.subarray(id * H, (id + 1) * H), (v, i) => v * arch.embeddingScale + (wpe ? (wpe[t * H + i] as number) : 0)));
  // Per-layer inputs (gemma4): [t][l] -> P values, from the token's per-layer row and the scaled input embedding.
  const perLayer: Float64Array[][] = [];
  if (arch.perLayerInput) {
    const P = arch.perLayerInput.size;
    const L = arch.numLayers;
    const table = get({ module: 'per_layer_embed' });
    const projW = get({ module: 'per_layer_model_proj' });
    const unit = { kind: 'rms', eps: arch.norm.eps, offset: arch.norm.weightOffset } as const;
    const normW = get({ module: 'per_layer_proj_norm' });
    ids.forEach((id, t) => {
      const proj = linear(hs[t] as Float64Array, projW, L * P);
      const rows: Float64Array[] = [];
      for (let l = 0; l < L; l++) {
        const part = Float64Array.from(proj.subarray(l * P, (l + 1) * P), (v) => v / Math.sqrt(H));
        const normed = normalize(part, normW, unit, null);
        rows.push(Float64Array.from(normed, (v, i) => (v + (table[id * L * P + l * P + i] as number) * Math.sqrt(P)) * Math.SQRT1_2));
      }
      perLayer.push(rows);
    });
  }
  const pre = arch.normPlacement !== 'post';
  const post = arch.normPlacement !== 'pre';
  // Keys (after RoPE) and values of each layer, for layers that attend to another layer's (gemma4 KV sharing).
  const kvOf: { ks: Float64Array[]; vs: Float64Array[] }[] = [];
  for (let l = 0; l < arch.numLayers; l++) {
    const source = arch.kvSource?.[l] ?? l;
    const I = arch.layerIntermediate?.[l] ?? arch.intermediateSize;
    const window = arch.slidingWindow[l] ?? null;
    const rotary = arch.ropeLayers[l] ?? true;
    const lf = window !== null ? localFreqs : freqs;
    const rs = window !== null ? localRotaryScale : rotaryScale;
    const rotaryDim = (window !== null && arch.ropeLocal !== null ? arch.ropeLocal : arch.rope).rotaryDim;
    // Head size and key/value heads of this layer (gemma4 global layers may differ).
    const D = arch.layerHeads?.[l]?.headDim ?? arch.headDim;
    const nKv = arch.layerHeads?.[l]?.numKvHeads ?? arch.numKvHeads;
    const q = nH * D;
    const kv = nKv * D;
    const group = nH / nKv;
    const qs: Float64Array[] = [];
    let ks: Float64Array[] = [];
    let vs: Float64Array[] = [];
    for (let t = 0; t < S; t++) {
      const x = pre ? normBy(hs[t] as Float64Array, { layer: l, module: 'attn_norm' }) : (hs[t] as Float64Array);
      if (source !== l) {
        // Shared layer: its own queries only (q_proj, q_norm, RoPE).
        const qRef = { layer: l, module: 'q_proj' } as const;
        const qt = linear(x, get(qRef), q, biasOf(qRef, arch.qkvBias), T);
        for (let h = 0; h < nH; h++) qt.set(normBy(qt.subarray(h * D, (h + 1) * D), { layer: l, module: 'q_norm' }), h * D);
        if (rotary) for (let h = 0; h < nH; h++) applyRotary(qt, h * D, rotaryDim, t, lf, rs);
        qs.push(qt);
        continue;
      }
      // attention_k_eq_v (gemma4): no v_proj; the value is a copy of the raw key projection.
      const kAsV = arch.keysAsValues?.[l] ?? false;
      const projected = project(x, l, arch.fused.qkv, 'qkv_proj', kAsV ? [['q_proj', q], ['k_proj', kv]] : [['q_proj', q], ['k_proj', kv], ['v_proj', kv]], arch.qkvBias) as Float64Array[];
      const [qt, kt] = projected as [Float64Array, Float64Array];
      const vt = kAsV ? Float64Array.from(kt) : (projected[2] as Float64Array);
      if (arch.qkNorm === 'per_head') {
        const qRef = { layer: l, module: 'q_norm' } as const;
        const kRef = { layer: l, module: 'k_norm' } as const;
        for (let h = 0; h < nH; h++) qt.set(normBy(qt.subarray(h * D, (h + 1) * D), qRef), h * D);
        for (let h = 0; h < nKv; h++) kt.set(normBy(kt.subarray(h * D, (h + 1) * D), kRef), h * D);
        if (arch.vNorm) {
          const ones = new Float64Array(D).fill(1);
          for (let h = 0; h < nKv; h++) vt.set(normalize(vt.subarray(h * D, (h + 1) * D), ones, { ...ns, offset: 0 }, null), h * D);
        }
      } else if (arch.qkNorm === 'full') {
        qt.set(normBy(qt, { layer: l, module: 'q_norm' }));
        kt.set(normBy(kt, { layer: l, module: 'k_norm' }));
      }
      if (rotary) {
        for (let h = 0; h < nH; h++) applyRotary(qt, h * D, rotaryDim, t, lf, rs);
        for (let h = 0; h < nKv; h++) applyRotary(kt, h * D, rotaryDim, t, lf, rs);
      }
      qs.push(qt);
      ks.push(kt);
      vs.push(vt);
    }
    if (source !== l) ({ ks, vs } = kvOf[source] as { ks: Float64Array[]; vs: Float64Array[] });
    kvOf[l] = { ks, vs };
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
          scores.push(softcap(dot * arch.attentionScale, arch.attnSoftcap));
        }
        softmaxWeights(scores).forEach((w, k) => {
          const vj = vs[lo + k] as Float64Array;
          for (let d = 0; d < D; d++) attn[h * D + d] = (attn[h * D + d] as number) + w * (vj[kh * D + d] as number);
        });
      }
      const oRef = { layer: l, module: 'o_proj' } as const;
      let o = linear(attn, get(oRef), H, biasOf(oRef, arch.oBias), T);
      if (post) o = normBy(o, { layer: l, module: 'post_attn_norm' });
      const x0 = hs[t] as Float64Array;
      const h1 = new Float64Array(H);
      for (let i = 0; i < H; i++) h1[i] = (x0[i] as number) + arch.residualMultiplier * (o[i] as number);
      // Parallel residual: the MLP reads the layer input, not the attention output.
      const mlpInput = arch.residual === 'parallel' ? x0 : h1;
      const x2 = pre ? normBy(mlpInput, { layer: l, module: 'mlp_norm' }) : mlpInput;
      const a = new Float64Array(I);
      if (arch.mlp === 'gated') {
        const [g, u] = project(x2, l, arch.fused.gateUp, 'gate_up_proj', [['gate_proj', I], ['up_proj', I]], arch.mlpBias) as [Float64Array, Float64Array];
        for (let i = 0; i < I; i++) a[i] = act(arch.hiddenAct, g[i] as number) * (u[i] as number);
      } else {
        const upRef = { layer: l, module: 'up_proj' } as const;
        const u = linear(x2, get(upRef), I, biasOf(upRef, arch.mlpBias), T);
        for (let i = 0; i < I; i++) a[i] = act(arch.hiddenAct, u[i] as number);
      }
      const dRef = { layer: l, module: 'down_proj' } as const;
      let d = linear(a, get(dRef), H, biasOf(dRef, arch.mlpBias), T);
      if (post) d = normBy(d, { layer: l, module: 'post_mlp_norm' });
      for (let i = 0; i < H; i++) h1[i] = (h1[i] as number) + arch.residualMultiplier * (d[i] as number);
      if (arch.perLayerInput) {
        const P = arch.perLayerInput.size;
        const gate = linear(h1, get({ layer: l, module: 'per_layer_gate' }), P);
        const inp = (perLayer[t] as Float64Array[])[l] as Float64Array;
        for (let i = 0; i < P; i++) gate[i] = act(arch.hiddenAct, gate[i] as number) * (inp[i] as number);
        const back = normBy(linear(gate, get({ layer: l, module: 'per_layer_proj' }), H), { layer: l, module: 'post_per_layer_norm' });
        for (let i = 0; i < H; i++) h1[i] = (h1[i] as number) + (back[i] as number);
      }
      if (arch.layerScalar) {
        const s = get({ layer: l, module: 'layer_scalar', part: 'param' })[0] as number;
        for (let i = 0; i < H; i++) h1[i] = (h1[i] as number) * s;
      }
      next.push(h1);
    }
    hs = next;
  }
  const V = arch.vocabSize;
  const headRef = { module: 'lm_head' } as const;
  const head = arch.tieWordEmbeddings ? (opt(headRef) ?? emb) : get(headRef);
  const headBias = opt({ ...headRef, part: 'bias' });
  const normW = get({ module: 'final_norm' });
  const normB = arch.norm.bias ? get({ module: 'final_norm', part: 'bias' }) : null;
  const logits = new Float64Array(S * V);
  const finalHidden = new Float64Array(S * H);
  for (let t = 0; t < S; t++) {
    const x = normalize(hs[t] as Float64Array, normW, ns, normB);
    finalHidden.set(x, t * H);
    const y = linear(x, head, V, headBias);
    for (let i = 0; i < V; i++) y[i] = softcap((y[i] as number) / arch.logitsDivisor, arch.finalLogitSoftcap);
    logits.set(y, t * V);
  }
  return { logits, finalHidden };
}
