/** Reading a WeightSource tensor, or a range of it, into caller-owned fp32 memory. */
import type { ReadIntoOptions, WeightSource } from './types.js';

/** Reads values [start, start + out.length) of `name` into `out`, without a temporary copy where the source supports it. */
export function readWeightInto(src: WeightSource, name: string, out: Float32Array, options?: ReadIntoOptions): void {
  if (src.readF32Into) return src.readF32Into(name, out, options);
  const start = options?.start ?? 0;
  const all = src.readF32(name, { checkFinite: options?.checkFinite ?? false });
  out.set(all.subarray(start, start + out.length));
}
