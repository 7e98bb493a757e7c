/** A minimal GGUF v3 reader for tests: metadata and F32 tensors, to check what sway writes. */
import { readFileSync } from 'node:fs';

export interface ReadGguf {
  kv: Map<string, unknown>;
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
}

export function readGguf(path: string): ReadGguf {
  const b = readFileSync(path);
  let o = 0;
  const u32 = () => ((o += 4), b.readUInt32LE(o - 4));
  const u64 = () => ((o += 8), Number(b.readBigUInt64LE(o - 8)));
  const str = () => {
    const n = u64();
    o += n;
    return b.toString('utf8', o - n, o);
  };
  const value = (type: number): unknown => {
    switch (type) {
      case 4: return u32();
      case 5: return ((o += 4), b.readInt32LE(o - 4));
      case 6: return ((o += 4), b.readFloatLE(o - 4));
      case 7: return ((o += 1), b[o - 1] === 1);
      case 8: return str();
      case 9: {
        const t = u32();
        const n = u64();
        return Array.from({ length: n }, () => value(t));
      }
    }
    throw new Error(`gguf type ${type} not handled`);
  };
  if (b.toString('latin1', 0, 4) !== 'GGUF') throw new Error('not a GGUF file');
  o = 4;
  if (u32() !== 3) throw new Error('not GGUF v3');
  const nT = u64();
  const nKv = u64();
  const kv = new Map<string, unknown>();
  for (let i = 0; i < nKv; i++) {
    const k = str();
    kv.set(k, value(u32()));
  }
  const infos: { name: string; shape: number[]; offset: number }[] = [];
  for (let i = 0; i < nT; i++) {
    const name = str();
    const dims = u32();
    const ne = Array.from({ length: dims }, () => u64());
    if (u32() !== 0) throw new Error('only F32 tensors are expected');
    infos.push({ name, shape: ne.reverse(), offset: u64() });
  }
  const align = (kv.get('general.alignment') as number) ?? 32;
  const start = Math.ceil(o / align) * align;
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const t of infos) {
    const n = t.shape.reduce((a, d) => a * d, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = b.readFloatLE(start + t.offset + 4 * i);
    tensors.set(t.name, { shape: t.shape, data });
  }
  return { kv, tensors };
}
