/** Conversions between the checkpoint dtypes we read (F32, F16, BF16) and fp32. */
import { f16Value } from '../../core/float16.js';
import type { SafetensorsDtype } from '../types.js';

export const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };

export function isSupportedDtype(d: string): d is SafetensorsDtype {
  return d === 'F32' || d === 'F16' || d === 'BF16';
}

/** bf16 -> fp32 is exact: the 16 bits become the high half of the float. */
export function bf16ToF32(src: Uint16Array): Float32Array {
  const out = new Uint32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = (src[i] as number) << 16;
  return new Float32Array(out.buffer);
}

/** fp32 -> bf16 with round-to-nearest-even; NaN stays a quiet NaN. */
export function f32ToBf16(src: Float32Array): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const x = bits[i] as number;
    if ((x & 0x7f800000) === 0x7f800000 && (x & 0x007fffff) !== 0) {
      out[i] = ((x >>> 16) | 0x0040) & 0xffff;
      continue;
    }
    const lsb = (x >>> 16) & 1;
    out[i] = ((x + 0x7fff + lsb) >>> 16) & 0xffff;
  }
  return out;
}

export function f32ToF16(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i] as number;
    if (Number.isNaN(v)) {
      out[i] = 0x7e00;
      continue;
    }
    const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
    const a = Math.abs(v);
    if (a >= 65520) {
      out[i] = sign | 0x7c00;
      continue;
    }
    if (a < 2 ** -14) {
      out[i] = sign | Math.round(a / 2 ** -24);
      continue;
    }
    let exp = Math.floor(Math.log2(a));
    let mant = Math.round((a / 2 ** exp - 1) * 1024);
    if (mant === 1024) {
      mant = 0;
      exp += 1;
    }
    out[i] = sign | ((exp + 15) << 10) | mant;
  }
  return out;
}

/**
 * Widens bf16 values to fp32 in place: the `n` bf16 values sit in the upper half of `out`'s
 * bytes (as a file read put them there) and become out[0..n). Each step reads value i before
 * any write reaches it, so no scratch copy is needed. Returns how many are NaN/Inf
 * (exponent bits all set).
 */
export function widenBf16InPlace(out: Float32Array): number {
  const n = out.length;
  const halves = new Uint16Array(out.buffer, out.byteOffset, 2 * n);
  const words = new Uint32Array(out.buffer, out.byteOffset, n);
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const h = halves[n + i] as number;
    words[i] = h << 16;
    bad += ((h & 0x7f80) + 0x80) >>> 15;
  }
  return bad;
}

/** Like widenBf16InPlace for fp16 values. */
export function widenF16InPlace(out: Float32Array): number {
  const n = out.length;
  const halves = new Uint16Array(out.buffer, out.byteOffset, 2 * n);
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const h = halves[n + i] as number;
    bad += ((h & 0x7c00) + 0x400) >>> 15;
    out[i] = f16Value(h);
  }
  return bad;
}

/** NaN/Inf count of bf16 values (exponent bits all set). */
export function countNonFiniteBf16(halves: Uint16Array): number {
  let bad = 0;
  for (let i = 0; i < halves.length; i++) bad += (((halves[i] as number) & 0x7f80) + 0x80) >>> 15;
  return bad;
}

/** NaN/Inf count of fp16 values (exponent bits all set). */
export function countNonFiniteF16(halves: Uint16Array): number {
  let bad = 0;
  for (let i = 0; i < halves.length; i++) bad += (((halves[i] as number) & 0x7c00) + 0x400) >>> 15;
  return bad;
}

/** NaN/Inf count of fp32 data, by exponent bits. */
export function countNonFiniteF32(data: Float32Array): number {
  const words = new Uint32Array(data.buffer, data.byteOffset, data.length);
  let bad = 0;
  for (let i = 0; i < words.length; i++) bad += (((words[i] as number) & 0x7f800000) + 0x00800000) >>> 31;
  return bad;
}

export function encodeFromF32(data: Float32Array, dtype: SafetensorsDtype): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const halves = dtype === 'BF16' ? f32ToBf16(data) : f32ToF16(data);
  return new Uint8Array(halves.buffer);
}
