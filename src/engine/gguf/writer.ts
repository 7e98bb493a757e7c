/**
 * GGUF v3 writer (F32 tensors, 32-byte alignment): metadata key/values, then tensor
 * infos, then the aligned tensor data. Files are written atomically.
 */
import { writeFileAtomic } from '../../core/atomic-write.js';
import { SwayError } from '../../core/errors.js';

export type Kv =
  | [string, 'u32' | 'f32' | 'str' | 'bool' | 'i32', unknown]
  | [string, 'arr_str' | 'arr_i32' | 'arr_f32' | 'arr_bool', unknown[]];

export interface GgufTensor {
  name: string;
  /** PyTorch order (e.g. [out, in]); written reversed as GGUF ne. */
  shape: number[];
  data: Float32Array;
}

const T = { u32: 4, i32: 5, f32: 6, bool: 7, str: 8, arr: 9 } as const;
const ALIGN = 32;

class Buf {
  readonly parts: Buffer[] = [];
  len = 0;
  push(b: Buffer): void {
    this.parts.push(b);
    this.len += b.length;
  }
  private num(size: number, write: (b: Buffer) => void): void {
    const b = Buffer.alloc(size);
    write(b);
    this.push(b);
  }
  u32(v: number): void {
    this.num(4, (b) => b.writeUInt32LE(v));
  }
  i32(v: number): void {
    this.num(4, (b) => b.writeInt32LE(v));
  }
  u64(v: number): void {
    this.num(8, (b) => b.writeBigUInt64LE(BigInt(v)));
  }
  f32(v: number): void {
    this.num(4, (b) => b.writeFloatLE(v));
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }
}

function writeKv(w: Buf, [key, type, value]: Kv): void {
  w.str(key);
  switch (type) {
    case 'u32': w.u32(T.u32); w.u32(value as number); break;
    case 'i32': w.u32(T.i32); w.i32(value as number); break;
    case 'f32': w.u32(T.f32); w.f32(value as number); break;
    case 'bool': w.u32(T.bool); w.push(Buffer.from([value ? 1 : 0])); break;
    case 'str': w.u32(T.str); w.str(value as string); break;
    case 'arr_str': w.u32(T.arr); w.u32(T.str); w.u64(value.length); for (const s of value as string[]) w.str(s); break;
    case 'arr_i32': w.u32(T.arr); w.u32(T.i32); w.u64(value.length); for (const v of value as number[]) w.i32(v); break;
    case 'arr_f32': w.u32(T.arr); w.u32(T.f32); w.u64(value.length); for (const v of value as number[]) w.f32(v); break;
    case 'arr_bool': w.u32(T.arr); w.u32(T.bool); w.u64(value.length); w.push(Buffer.from((value as boolean[]).map((b) => (b ? 1 : 0)))); break;
  }
}

const padded = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

export function encodeGguf(kvs: readonly Kv[], tensors: readonly GgufTensor[]): Buffer {
  const w = new Buf();
  w.push(Buffer.from('GGUF'));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(kvs.length + 1);
  writeKv(w, ['general.alignment', 'u32', ALIGN]);
  for (const kv of kvs) writeKv(w, kv);
  let offset = 0;
  for (const t of tensors) {
    const numel = t.shape.reduce((a, d) => a * d, 1);
    if (numel !== t.data.length) throw new SwayError(`internal: gguf tensor ${t.name}: shape [${t.shape}] needs ${numel} values, got ${t.data.length}`, 'SWAY_RUNTIME', 3);
    w.str(t.name);
    w.u32(t.shape.length);
    for (const d of [...t.shape].reverse()) w.u64(d);
    w.u32(0); // GGML_TYPE_F32
    w.u64(offset);
    offset += padded(t.data.byteLength);
  }
  w.push(Buffer.alloc(padded(w.len) - w.len));
  for (const t of tensors) {
    const b = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    w.push(b);
    w.push(Buffer.alloc(padded(b.length) - b.length));
  }
  return Buffer.concat(w.parts);
}

export function writeGguf(path: string, kvs: readonly Kv[], tensors: readonly GgufTensor[]): void {
  writeFileAtomic(path, encodeGguf(kvs, tensors));
}

/** HF half-split rotary rows -> llama.cpp interleaved rows, per head (rows of `cols` values). */
export function permuteRows(w: Float32Array, heads: number, headDim: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  const half = headDim / 2;
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < 2; j++) {
      for (let i = 0; i < half; i++) {
        const src = h * headDim + j * half + i;
        const dst = h * headDim + 2 * i + j;
        out.set(w.subarray(src * cols, (src + 1) * cols), dst * cols);
      }
    }
  }
  return out;
}

/** GPT-NeoX fused qkv rows, per head [q_h; k_h; v_h] -> [Q; K; V] as llama.cpp's attn_qkv wants (rows of `cols` values). */
export function unInterleaveQkv(w: Float32Array, heads: number, headDim: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  const block = headDim * cols;
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < 3; j++) out.set(w.subarray((h * 3 + j) * block, (h * 3 + j + 1) * block), (j * heads + h) * block);
  }
  return out;
}

/** A row-major [rows, cols] matrix transposed to [cols, rows]. */
export function transposeMatrix(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c] as number;
  return out;
}
