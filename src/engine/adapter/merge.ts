/**
 * Merged float64 weights of one adapter view, for the float64 reference forward in tests
 * (independent of the ONNX graph). For a view with LoRA multiplier λ:
 *   linear:    W' = W + λ·s·B·A (+ bias' = b + λ·s·lora_B.bias); DoRA: W' = g ⊙ (W + λ·s·B·A), g = m/‖·‖ row-wise
 *   embedding: E' = E + λ·s·(B·A)ᵀ
 *   overrides (modules_to_save, saved biases) and trainable-token rows are applied for every λ,
 *   as PEFT keeps them active while the adapter is enabled. The base view is the base getter itself.
 * `lm_head.weight` always means the output projection: on a tied model it starts from the
 * embedding (with trainable-token rows, which a tied head follows); pass it to the reference
 * forward as `lmHead`.
 */
import { EMBED_WEIGHT, LM_HEAD_WEIGHT, slotWeightName } from './modules.js';
import type { LoadedAdapter, LoraSlot } from './types.js';

export type GetWeight64 = (name: string) => Float64Array;

export interface MergeOptions {
  /** The base ties lm_head to embed_tokens (arch.tieWordEmbeddings). */
  tiedEmbeddings?: boolean;
}

function addLinearDelta(w: Float64Array, slot: LoraSlot, coef: number): void {
  const { rank: r, inFeatures: inn, outFeatures: out, a, b } = slot;
  for (let o = 0; o < out; o++) {
    for (let k = 0; k < r; k++) {
      const c = coef * b[o * r + k]!;
      if (c === 0) continue;
      for (let i = 0; i < inn; i++) w[o * inn + i] = w[o * inn + i]! + c * a[k * inn + i]!;
    }
  }
}

/** E[v, d] += coef · Σ_k B[d, k]·A[k, v] (embedding LoRA: A [r, vocab], B [dim, r]). */
function addEmbeddingDelta(e: Float64Array, slot: LoraSlot, coef: number): void {
  const { rank: r, inFeatures: vocab, outFeatures: dim, a, b } = slot;
  for (let v = 0; v < vocab; v++) {
    for (let d = 0; d < dim; d++) {
      let acc = 0;
      for (let k = 0; k < r; k++) acc += b[d * r + k]! * a[k * vocab + v]!;
      e[v * dim + d] = e[v * dim + d]! + coef * acc;
    }
  }
}

function normaliseRows(w: Float64Array, magnitude: Float32Array, out: number, inn: number): void {
  for (let o = 0; o < out; o++) {
    let ss = 0;
    for (let i = 0; i < inn; i++) ss += w[o * inn + i]! ** 2;
    const f = magnitude[o]! / Math.sqrt(ss);
    for (let i = 0; i < inn; i++) w[o * inn + i] = w[o * inn + i]! * f;
  }
}

export function mergeAdapterWeights(
  getBaseWeight: GetWeight64,
  adapter: Pick<LoadedAdapter, 'slots' | 'overrides' | 'trainableTokens'>,
  lambda: number,
  options: MergeOptions = {},
): GetWeight64 {
  const tied = options.tiedEmbeddings ?? false;
  const cache = new Map<string, Float64Array>();
  const slotByWeight = new Map(adapter.slots.map((s) => [slotWeightName(s.modulePath), s] as const));

  const withTokens = (e: Float64Array): Float64Array => {
    const t = adapter.trainableTokens;
    if (!t) return e;
    const dim = t.rows.length / t.indices.length;
    t.indices.forEach((id, j) => {
      for (let d = 0; d < dim; d++) e[id * dim + d] = t.rows[j * dim + d]!;
    });
    return e;
  };

  const compute = (name: string): Float64Array => {
    const override = adapter.overrides.get(name);
    let w: Float64Array;
    if (override) w = Float64Array.from(override.data);
    else if (name === EMBED_WEIGHT) w = withTokens(Float64Array.from(getBaseWeight(EMBED_WEIGHT)));
    else if (name === LM_HEAD_WEIGHT && tied) w = withTokens(Float64Array.from(getBaseWeight(EMBED_WEIGHT)));
    else w = Float64Array.from(getBaseWeight(name));

    const slot = slotByWeight.get(name);
    if (slot && lambda !== 0) {
      const coef = lambda * slot.scaling;
      if (slot.target.scope === 'embed_tokens') addEmbeddingDelta(w, slot, coef);
      else addLinearDelta(w, slot, coef);
    }
    if (slot?.magnitude) normaliseRows(w, slot.magnitude, slot.outFeatures, slot.inFeatures);
    return w;
  };

  const biasSlots = new Map<string, LoraSlot>(adapter.slots.filter((s) => s.bBias).map((s) => [`${s.modulePath}.bias`, s] as const));
  const computeBias = (name: string, slot: LoraSlot): Float64Array => {
    const override = adapter.overrides.get(name);
    let base: Float64Array;
    if (override) base = Float64Array.from(override.data);
    else {
      try {
        base = Float64Array.from(getBaseWeight(name));
      } catch {
        base = new Float64Array(slot.outFeatures);
      }
    }
    const coef = lambda * slot.scaling;
    for (let o = 0; o < slot.outFeatures; o++) base[o] = base[o]! + coef * slot.bBias![o]!;
    return base;
  };

  return (name) => {
    let w = cache.get(name);
    if (w) return w;
    const biasSlot = biasSlots.get(name);
    if (biasSlot) w = computeBias(name, biasSlot);
    else if (slotByWeight.has(name) || adapter.overrides.has(name) || name === EMBED_WEIGHT || (name === LM_HEAD_WEIGHT && tied)) w = compute(name);
    else w = getBaseWeight(name);
    cache.set(name, w);
    return w;
  };
}
