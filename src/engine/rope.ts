/** RoPE inverse frequencies (float64) and cos/sin caches, including linear, llama3, longrope and proportional scaling. */
import type { RopeSpec } from './types.js';

/** `long`: LongRoPE's long factors (sequences past the original length); ignored by other scalings. */
export function ropeInvFreq(rope: RopeSpec, long = false): Float64Array {
  const half = rope.rotaryDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / rope.theta ** ((2 * i) / rope.rotaryDim);
  const s = rope.scaling;
  if (s.type === 'longrope') {
    const ext = long ? s.longFactor : s.shortFactor;
    for (let i = 0; i < half; i++) inv[i] = (inv[i] as number) / (ext[i] as number);
  } else if (s.type === 'proportional') {
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

/** Multiplier of cos and sin (LongRoPE's attention factor; 1 for every other scaling). */
export function ropeMagnitude(rope: RopeSpec): number {
  const s = rope.scaling;
  if (s.type !== 'longrope') return 1;
  if (s.attentionFactor !== null) return s.attentionFactor;
  return s.factor <= 1 ? 1 : Math.sqrt(1 + Math.log(s.factor) / Math.log(s.originalMaxPositionEmbeddings));
}

/** Whether the rotary frequencies depend on the sequence length (LongRoPE: short vs long factors). */
export function ropeHasLongFactors(rope: RopeSpec): boolean {
  return rope.scaling.type === 'longrope';
}

/** cos/sin caches of shape [maxPos, rotaryDim/2] (times the attention factor), computed in float64, stored fp32. */
export function ropeCaches(rope: RopeSpec, maxPos: number, long = false): { cos: Float32Array; sin: Float32Array } {
  const inv = ropeInvFreq(rope, long);
  const mag = ropeMagnitude(rope);
  const half = inv.length;
  const cos = new Float32Array(maxPos * half);
  const sin = new Float32Array(maxPos * half);
  for (let p = 0; p < maxPos; p++) {
    for (let i = 0; i < half; i++) {
      const a = p * (inv[i] as number);
      cos[p * half + i] = mag * Math.cos(a);
      sin[p * half + i] = mag * Math.sin(a);
    }
  }
  return { cos, sin };
}
