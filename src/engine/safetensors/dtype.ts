/**
 * Element conversions between the safetensors storage dtypes and fp32. bf16 is the high
 * half of an fp32 word; fp16 needs a real half→float decode (subnormals, inf, nan).
 */
import type { SafetensorsDtype } from '../types.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };

export function isSupportedDtype(d: unknown): d is SafetensorsDtype {
  return d === 'F32' || d === 'F16' || d === 'BF16';
}

/** Converts one fp16 bit pattern to a JS number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero and subnormals
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

let HALF_TABLE: Float32Array | null = null;
/** All 65536 fp16 values as fp32, built on first use. */
function halfTable(): Float32Array {
  if (!HALF_TABLE) {
    HALF_TABLE = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) HALF_TABLE[h] = halfToFloat(h);
  }
  return HALF_TABLE;
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** fp32 → bf16 bits with round-to-nearest-even; NaN stays a quiet NaN. */
export function floatToBf16Bits(x: number): number {
  f32Scratch[0] = x;
  const bits = u32Scratch[0]!;
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x007fffff) !== 0) return ((bits >>> 16) | 0x40) & 0xffff;
  const lsb = (bits >>> 16) & 1;
  return ((bits + 0x7fff + lsb) >>> 16) & 0xffff;
}

/** fp32 → fp16 bits with round-to-nearest-even (overflow → inf, tiny → subnormal/zero). */
export function floatToHalfBits(x: number): number {
  f32Scratch[0] = x;
  const bits = u32Scratch[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let v = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    if (rem > half || (rem === half && (v & 1))) v++;
    return sign | v;
  }
  let v = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (v & 1))) v++;
  return sign | v; // a carry into the exponent is the correct rounding (up to inf)
}

/** Decodes little-endian raw bytes of `dtype` into `out` (default: a new Float32Array of `count`). */
export function decodeToF32(bytes: Uint8Array, dtype: SafetensorsDtype, count: number, out: Float32Array = new Float32Array(count)): Float32Array {
  if (out.length < count) throw new RangeError(`decode target holds ${out.length} values, need ${count}`);
  const aligned = bytes.byteOffset % 4 === 0;
  if (LITTLE_ENDIAN && aligned) {
    // Fast paths: reinterpret the little-endian bytes directly.
    if (dtype === 'F32') {
      out.set(new Float32Array(bytes.buffer, bytes.byteOffset, count));
      return out;
    }
    const u16 = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
    if (dtype === 'BF16') {
      const u32 = new Uint32Array(out.buffer, out.byteOffset, count);
      for (let i = 0; i < count; i++) u32[i] = u16[i]! << 16;
    } else {
      const table = halfTable();
      for (let i = 0; i < count; i++) out[i] = table[u16[i]!]!;
    }
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'F32') {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  } else if (dtype === 'BF16') {
    const u32 = new Uint32Array(out.buffer, out.byteOffset, count);
    for (let i = 0; i < count; i++) u32[i] = view.getUint16(i * 2, true) << 16;
  } else {
    for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
  }
  return out;
}

/** Encodes numbers into little-endian bytes of `dtype`. */
export function encodeFromNumbers(data: ArrayLike<number>, dtype: SafetensorsDtype): Uint8Array {
  const bytes = new Uint8Array(data.length * DTYPE_BYTES[dtype]);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    if (dtype === 'F32') view.setFloat32(i * 4, x, true);
    else if (dtype === 'BF16') view.setUint16(i * 2, floatToBf16Bits(x), true);
    else view.setUint16(i * 2, floatToHalfBits(x), true);
  }
  return bytes;
}
