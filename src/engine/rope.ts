/**
 * RoPE inverse frequencies (float64) for the supported scaling variants, and cos/sin
 * tables. Positions × frequencies are formed in float64 so large positions stay exact
 * before any cast to fp32.
 */
import type { RopeSpec } from './types.js';

/** inv_freq_i = θ^(−2i/d) for i < d/2, then the scaling rule. */
export function ropeInvFreq(rope: RopeSpec): Float64Array {
  const half = rope.rotaryDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / Math.pow(rope.theta, (2 * i) / rope.rotaryDim);
  const s = rope.scaling;
  if (s.type === 'linear') {
    for (let i = 0; i < half; i++) inv[i] = inv[i]! / s.factor;
  } else if (s.type === 'llama3') {
    const lowWavelen = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
    const highWavelen = s.originalMaxPositionEmbeddings / s.highFreqFactor;
    for (let i = 0; i < half; i++) {
      const f = inv[i]!;
      const wavelen = (2 * Math.PI) / f;
      if (wavelen < highWavelen) continue;
      if (wavelen > lowWavelen) {
        inv[i] = f / s.factor;
        continue;
      }
      const smooth = (s.originalMaxPositionEmbeddings / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
      inv[i] = (1 - smooth) * (f / s.factor) + smooth * f;
    }
  }
  return inv;
}

/** cos/sin tables [positions, rotaryDim/2] (float64), row p = position p. */
export function ropeTables(rope: RopeSpec, positions: number): { cos: Float64Array; sin: Float64Array } {
  const inv = ropeInvFreq(rope);
  const half = inv.length;
  const cos = new Float64Array(positions * half);
  const sin = new Float64Array(positions * half);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const a = p * inv[i]!;
      cos[p * half + i] = Math.cos(a);
      sin[p * half + i] = Math.sin(a);
    }
  }
  return { cos, sin };
}
