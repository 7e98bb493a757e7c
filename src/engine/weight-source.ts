/** Reading a WeightSource tensor into caller-owned fp32 memory. */
import type { WeightSource } from './types.js';

/** Reads `name` into `out`, without a temporary copy where the source supports it. */
export function readWeightInto(src: WeightSource, name: string, out: Float32Array, options?: { checkFinite?: boolean }): void {
  if (src.readF32Into) src.readF32Into(name, out, options);
  else out.set(src.readF32(name, options));
}
