/**
 * Weight getters for the reference forward: from a WeightSource (cached float64 copies)
 * and with LoRA / DoRA merged in (W' = W + s·B·A; DoRA rescales each output row to the
 * magnitude vector). Merging is done here in float64, independently of the ONNX path.
 */
import type { WeightSource } from '../types.js';
import type { GetWeight } from './forward.js';

export function getWeightFromSource(source: WeightSource): GetWeight {
  const cache = new Map<string, Float64Array>();
  return (name) => {
    let w = cache.get(name);
    if (!w) {
      w = Float64Array.from(source.readF32(name));
      cache.set(name, w);
    }
    return w;
  };
}

export interface MergeSpec {
  /** Base tensor the delta applies to, e.g. `model.layers.0.self_attn.q_proj.weight` or `lm_head.weight`. */
  weightName: string;
  outFeatures: number;
  inFeatures: number;
  rank: number;
  scaling: number;
  /** [rank, in] */
  a: ArrayLike<number>;
  /** [out, rank] */
  b: ArrayLike<number>;
  /** DoRA magnitude [out]. */
  magnitude?: ArrayLike<number> | null;
}

/** W + s·B·A (then the DoRA row rescale when a magnitude is given), as a new float64 array. */
export function mergeOne(base: Float64Array, m: MergeSpec): Float64Array {
  const { outFeatures: out, inFeatures: inn, rank: r } = m;
  if (base.length !== out * inn) throw new RangeError(`${m.weightName}: base has ${base.length} values, expected ${out}×${inn}`);
  const w = Float64Array.from(base);
  for (let o = 0; o < out; o++) {
    for (let k = 0; k < r; k++) {
      const bk = m.b[o * r + k]! * m.scaling;
      if (bk === 0) continue;
      for (let i = 0; i < inn; i++) w[o * inn + i] = w[o * inn + i]! + bk * m.a[k * inn + i]!;
    }
  }
  if (m.magnitude) {
    for (let o = 0; o < out; o++) {
      let ss = 0;
      for (let i = 0; i < inn; i++) ss += w[o * inn + i]! ** 2;
      const f = m.magnitude[o]! / Math.sqrt(ss);
      for (let i = 0; i < inn; i++) w[o * inn + i] = w[o * inn + i]! * f;
    }
  }
  return w;
}

/**
 * Wraps a getter with merged deltas. A delta on `lm_head.weight` of a tied model is
 * returned as `lmHead` (PEFT adapts the output module only). A delta on the input
 * embedding of a tied model leaves the output head on the original embedding, as the
 * unmerged PEFT model computes it.
 */
export function mergedWeights(getWeight: GetWeight, merges: readonly MergeSpec[], tied: boolean): { getWeight: GetWeight; lmHead?: Float64Array } {
  const merged = new Map<string, Float64Array>();
  let lmHead: Float64Array | undefined;
  for (const m of merges) {
    if (m.weightName === 'lm_head.weight' && tied) {
      lmHead = mergeOne(lmHead ?? getWeight('model.embed_tokens.weight'), m);
      continue;
    }
    merged.set(m.weightName, mergeOne(merged.get(m.weightName) ?? getWeight(m.weightName), m));
  }
  if (tied && !lmHead && merged.has('model.embed_tokens.weight')) lmHead = getWeight('model.embed_tokens.weight');
  const get: GetWeight = (name) => merged.get(name) ?? getWeight(name);
  return lmHead ? { getWeight: get, lmHead } : { getWeight: get };
}
