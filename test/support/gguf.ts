/**
 * A small GGUF v3 writer for the llama.cpp cross-check: a llama-architecture model and a
 * LoRA adapter written from the same tensors the sway engine reads. llama.cpp's `llama`
 * architecture rotates interleaved pairs, so q/k rows (and LoRA B rows for q/k) are
 * permuted per head from HF's half-split layout.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Kv = [string, 'u32' | 'f32' | 'str' | 'bool' | 'i32', unknown] | [string, 'arr_str' | 'arr_i32' | 'arr_f32', unknown[]];

const T = { u32: 4, i32: 5, f32: 6, bool: 7, str: 8, arr: 9 } as const;

class Buf {
  parts: Buffer[] = [];
  len = 0;
  push(b: Buffer) {
    this.parts.push(b);
    this.len += b.length;
  }
  u32(v: number) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v: number) {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v: number) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v: number) {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  str(s: string) {
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
    case 'arr_str': w.u32(T.arr); w.u32(T.str); w.u64((value as string[]).length); for (const s of value as string[]) w.str(s); break;
    case 'arr_i32': w.u32(T.arr); w.u32(T.i32); w.u64((value as number[]).length); for (const v of value as number[]) w.i32(v); break;
    case 'arr_f32': w.u32(T.arr); w.u32(T.f32); w.u64((value as number[]).length); for (const v of value as number[]) w.f32(v); break;
  }
}

export interface GgufTensor {
  name: string;
  /** PyTorch order (e.g. [out, in]); written reversed as GGUF ne. */
  shape: number[];
  data: Float32Array;
}

export function writeGguf(path: string, kvs: Kv[], tensors: GgufTensor[]): void {
  const w = new Buf();
  w.push(Buffer.from('GGUF'));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(kvs.length + 1);
  writeKv(w, ['general.alignment', 'u32', 32]);
  for (const kv of kvs) writeKv(w, kv);
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    w.str(t.name);
    w.u32(t.shape.length);
    for (const d of [...t.shape].reverse()) w.u64(d);
    w.u32(0); // F32
    w.u64(offset);
    offsets.push(offset);
    offset += Math.ceil(t.data.byteLength / 32) * 32;
  }
  const pad = (32 - (w.len % 32)) % 32;
  w.push(Buffer.alloc(pad));
  for (const t of tensors) {
    const b = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    w.push(b);
    w.push(Buffer.alloc(Math.ceil(b.length / 32) * 32 - b.length));
  }
  writeFileSync(path, Buffer.concat(w.parts));
}

/** HF half-split rotary rows -> llama.cpp interleaved rows, per head. */
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

/** Tokenizer metadata of a fixture's byte-level BPE tokenizer.json (BOS = EOS, no BOS added). */
export function tokenizerKvs(baseDir: string, vocabSize: number, eos: number): Kv[] {
  const tok = JSON.parse(readFileSync(join(baseDir, 'tokenizer.json'), 'utf8'));
  const tokens: string[] = new Array(vocabSize);
  const types: number[] = new Array(vocabSize).fill(1);
  for (const [s, id] of Object.entries(tok.model.vocab as Record<string, number>)) tokens[id] = s;
  for (const a of tok.added_tokens as { id: number; content: string }[]) {
    tokens[a.id] = a.content;
    types[a.id] = 3;
  }
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] === undefined) {
      tokens[i] = `<|pad_${i}|>`;
      types[i] = 5;
    }
  }
  return [
    ['tokenizer.ggml.model', 'str', 'gpt2'],
    ['tokenizer.ggml.pre', 'str', 'default'],
    ['tokenizer.ggml.tokens', 'arr_str', tokens],
    ['tokenizer.ggml.token_type', 'arr_i32', types],
    ['tokenizer.ggml.merges', 'arr_str', tok.model.merges as string[]],
    ['tokenizer.ggml.bos_token_id', 'u32', eos],
    ['tokenizer.ggml.eos_token_id', 'u32', eos],
    ['tokenizer.ggml.add_bos_token', 'bool', false],
  ];
}

export type { Kv };
