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
