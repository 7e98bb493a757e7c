/**
 * DoRA gains. With V = W + c*B*A (c = lambda * scaling), PEFT rescales each output row by
 * g = m / ||V_row||, treating the norm as a constant. The graph is fed g per view, so a
 * lambda-scaled or null view recomputes it; lambda = 0 is not the base model for DoRA.
 */
import { AdapterError } from '../../core/errors.js';
import type { LoraSlot } from './types.js';

/** `weight` is the base Linear weight [out, in]; returns g [out] (float64 accumulation, fp32 out). */
export function doraGains(slot: LoraSlot, weight: Float32Array, coeff: number): Float32Array {
  const { inFeatures: inF, outFeatures: outF, rank: r } = slot;
  const m = slot.magnitude;
  if (!m) throw new AdapterError(`${slot.modulePath}: DoRA gains requested for a module without lora_magnitude_vector`);
  const g = new Float32Array(outF);
  const row = new Float64Array(inF);
  for (let o = 0; o < outF; o++) {
    for (let i = 0; i < inF; i++) row[i] = weight[o * inF + i] as number;
    for (let k = 0; k < r; k++) {
      const bk = coeff * (slot.b[o * r + k] as number);
      if (bk === 0) continue;
      for (let i = 0; i < inF; i++) row[i] = (row[i] as number) + bk * (slot.a[k * inF + i] as number);
    }
    let ss = 0;
    for (let i = 0; i < inF; i++) ss += (row[i] as number) ** 2;
    g[o] = (m[o] as number) / Math.sqrt(ss);
  }
  return g;
}
