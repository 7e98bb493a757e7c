/**
 * The float64 reference's own rotary frequencies, written from the definitions (HF
 * `_compute_default_rope_parameters`, `_compute_linear_scaling_rope_parameters`,
 * `_compute_llama3_parameters`) independently of ../rope.ts, so the numerics tests check
 * the graph's RoPE caches rather than share them.
 */
import type { RopeSpec } from '../types.js';

/**
 * Angle per position for each rotated pair i (0 <= i < rotaryDim/2), for a forward pass over
 * `seqLen` tokens (LongRoPE switches to its long factors past the original length, HF
 * `_compute_longrope_parameters` / `longrope_frequency_update`).
 */
export function referenceFrequencies(rope: RopeSpec, seqLen = 0): number[] {
  const dim = rope.rotaryDim;
  const freqs: number[] = [];
  for (let i = 0; i < dim; i += 2) freqs.push(Math.pow(rope.theta, -i / dim));
  const s = rope.scaling;
  switch (s.type) {
    case 'default':
      return freqs;
    case 'proportional':
      // Only the first `angles` pairs turn (at the unpartialed rate); the rest keep frequency 0.
      return freqs.map((f, i) => (i < s.angles ? f / s.factor : 0));
    case 'linear':
      // Positions are divided by the factor; equivalently every frequency is.
      return freqs.map((f) => f / s.factor);
    case 'longrope': {
      const divisors = seqLen > s.originalMaxPositionEmbeddings ? s.longFactor : s.shortFactor;
      return freqs.map((f, i) => f / (divisors[i] as number));
    }
    case 'llama3': {
      const old = s.originalMaxPositionEmbeddings;
      return freqs.map((f) => {
        const wavelength = (2 * Math.PI) / f;
        if (wavelength > old / s.lowFreqFactor) return f / s.factor; // long waves: fully interpolated
        if (wavelength < old / s.highFreqFactor) return f; // short waves: untouched
        const t = (old / wavelength - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
        return t * f + (1 - t) * (f / s.factor);
      });
    }
  }
}

/**
 * LongRoPE scales cos and sin by sqrt(1 + ln(scale) / ln(original)) where scale is the
 * context extension (given, or max positions over original), unless the config fixes it.
 */
export function referenceRotaryScale(rope: RopeSpec): number {
  const s = rope.scaling;
  if (s.type !== 'longrope') return 1;
  if (s.attentionFactor !== null) return s.attentionFactor;
  if (!(s.factor > 1)) return 1;
  return Math.sqrt(1 + Math.log(s.factor) / Math.log(s.originalMaxPositionEmbeddings));
}

/** Rotates the first rotaryDim dims of one head in place (non-interleaved halves, as HF `rotate_half`). */
export function applyRotary(v: Float64Array, offset: number, rotaryDim: number, pos: number, freqs: readonly number[], scale = 1): void {
  const half = rotaryDim / 2;
  for (let i = 0; i < half; i++) {
    const angle = pos * (freqs[i] as number);
    const c = scale * Math.cos(angle);
    const s = scale * Math.sin(angle);
    const a = v[offset + i] as number;
    const b = v[offset + half + i] as number;
    v[offset + i] = a * c - b * s;
    v[offset + half + i] = b * c + a * s;
  }
}
