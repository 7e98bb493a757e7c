/** RoPE inverse frequencies (float64) and cos/sin caches, including linear, llama3 and proportional scaling. */
import type { RopeSpec } from './types.js';

export function ropeInvFreq(rope: RopeSpec): Float64Array {
  const half = rope.rotaryDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / rope.theta ** ((2 * i) / rope.rotaryDim);
  const s = rope.scaling;
  if (s.type === 'proportional') {
    for (let i = 0; i < half; i++) inv[i] = i < s.angles ? (inv[i] as number) / s.factor : 0;
  } else if (s.type === 'linear') {
    for (let i = 0; i < half; i++) inv[i] = (inv[i] as number) / s.factor;
  } else if (s.type === 'llama3') {
    const lowWave = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
    const highWave = s.originalMaxPositionEmbeddings / s.highFreqFactor;
    for (let i = 0; i < half; i++) {
      const f = inv[i] as number;
      const wave = (2 * Math.PI) / f;
      if (wave < highWave) continue;
      if (wave > lowWave) {
        inv[i] = f / s.factor;
      } else {
        const smooth = (s.originalMaxPositionEmbeddings / wave - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
        inv[i] = (1 - smooth) * (f / s.factor) + smooth * f;
      }
    }
  }
  return inv;
}

/** cos/sin caches of shape [maxPos, rotaryDim/2], computed in float64, stored fp32. */
export function ropeCaches(rope: RopeSpec, maxPos: number): { cos: Float32Array; sin: Float32Array } {
  const inv = ropeInvFreq(rope);
  const half = inv.length;
  const cos = new Float32Array(maxPos * half);
  const sin = new Float32Array(maxPos * half);
  for (let p = 0; p < maxPos; p++) {
    for (let i = 0; i < half; i++) {
      const a = p * (inv[i] as number);
      cos[p * half + i] = Math.cos(a);
      sin[p * half + i] = Math.sin(a);
    }
  }
  return { cos, sin };
}
