/** IEEE half-precision (fp16) bit patterns as numbers, for the readers of checkpoints and training states. */

/** The value of one fp16 bit pattern (subnormals, ±Inf and NaN included). */
export function f16Value(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
