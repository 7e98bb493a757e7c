/**
 * DoRA per-row gains for one view: g = m / ‖W + λ·s·B·A‖ (row-wise L2 norm over the
 * input dimension, accumulated in float64). The graph multiplies the adapted module's
 * output (base + LoRA branch) by g; the base view feeds no LoRA and g = 1.
 */
import type { LoraSlot } from './types.js';

export function doraGains(
  slot: Pick<LoraSlot, 'modulePath' | 'rank' | 'inFeatures' | 'outFeatures' | 'a' | 'b' | 'magnitude'>,
  baseWeight: ArrayLike<number>,
  lambdaTimesScaling: number,
): Float32Array {
  const { rank: r, inFeatures: inn, outFeatures: out, a, b, magnitude } = slot;
  if (!magnitude) throw new RangeError(`${slot.modulePath}: doraGains needs a DoRA magnitude vector`);
  if (baseWeight.length !== out * inn) {
    throw new RangeError(`${slot.modulePath}: base weight has ${baseWeight.length} values, expected ${out}×${inn}`);
  }
  const g = new Float32Array(out);
  const row = new Float64Array(inn);
  for (let o = 0; o < out; o++) {
    for (let i = 0; i < inn; i++) row[i] = baseWeight[o * inn + i]!;
    for (let k = 0; k < r; k++) {
      const c = lambdaTimesScaling * b[o * r + k]!;
      if (c === 0) continue;
      const ak = k * inn;
      for (let i = 0; i < inn; i++) row[i] = row[i]! + c * a[ak + i]!;
    }
    let ss = 0;
    for (let i = 0; i < inn; i++) ss += row[i]! * row[i]!;
    g[o] = magnitude[o]! / Math.sqrt(ss);
  }
  return g;
}

/**
 * Gains for several λ·s values of one slot at the cost of about one doraGains call. Per
 * row, ‖W_o + c·Σ_k b_ok·A_k‖² = ‖W_o‖² + 2c·Σ_k b_ok·(W_o·A_k) + c²·b_oᵀ·G·b_o with
 * G = A·Aᵀ, so the out·in·r work (W·Aᵀ) is shared by every c (λ sweeps of one adapter).
 */
export function doraGainsForScales(
  slot: Pick<LoraSlot, 'modulePath' | 'rank' | 'inFeatures' | 'outFeatures' | 'a' | 'b' | 'magnitude'>,
  baseWeight: ArrayLike<number>,
  lambdasTimesScaling: readonly number[],
): Float32Array[] {
  const { rank: r, inFeatures: inn, outFeatures: out, a, b, magnitude } = slot;
  if (!magnitude) throw new RangeError(`${slot.modulePath}: doraGains needs a DoRA magnitude vector`);
  if (baseWeight.length !== out * inn) {
    throw new RangeError(`${slot.modulePath}: base weight has ${baseWeight.length} values, expected ${out}×${inn}`);
  }
  const a64 = Float64Array.from(a);
  const gram = new Float64Array(r * r);
  for (let k = 0; k < r; k++) {
    for (let j = k; j < r; j++) {
      let acc = 0;
      for (let i = 0; i < inn; i++) acc += a64[k * inn + i]! * a64[j * inn + i]!;
      gram[k * r + j] = acc;
      gram[j * r + k] = acc;
    }
  }
  const gains = lambdasTimesScaling.map(() => new Float32Array(out));
  const row = new Float64Array(inn);
  const wa = new Float64Array(r);
  for (let o = 0; o < out; o++) {
    let ww = 0;
    for (let i = 0; i < inn; i++) {
      const v = baseWeight[o * inn + i]!;
      row[i] = v;
      ww += v * v;
    }
    for (let k = 0; k < r; k++) {
      let acc = 0;
      const ak = k * inn;
      for (let i = 0; i < inn; i++) acc += row[i]! * a64[ak + i]!;
      wa[k] = acc;
    }
    let cross = 0;
    let quad = 0;
    for (let k = 0; k < r; k++) {
      const bk = b[o * r + k]!;
      cross += bk * wa[k]!;
      let gk = 0;
      for (let j = 0; j < r; j++) gk += gram[k * r + j]! * b[o * r + j]!;
      quad += bk * gk;
    }
    lambdasTimesScaling.forEach((c, n) => {
      const sq = Math.max(ww + 2 * c * cross + c * c * quad, 0);
      gains[n]![o] = magnitude[o]! / Math.sqrt(sq);
    });
  }
  return gains;
}
