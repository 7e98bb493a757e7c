/**
 * KV caches between decoding steps: the present keys/values a forward returned become the
 * next step's past, keeping only the rows still decoding (a finished view leaves the batch);
 * a long row run in segments keeps one fixed-size cache filled segment by segment.
 */
import './ort-privacy.js'; // before onnxruntime-node: turns its telemetry off
import * as ort from 'onnxruntime-node';
import { cacheLayers } from './heads.js';
import type { ArchSpec } from './types.js';

/** The rows `keep` (in order) of a [B, ...] float32 tensor, e.g. a KV cache when rows finish. */
export function keepRows(t: ort.Tensor, keep: readonly number[]): ort.Tensor {
  const [B, ...rest] = t.dims as number[];
  if (keep.length === B && keep.every((k, i) => k === i)) return t;
  const data = t.data as Float32Array;
  const n = rest.reduce((a, d) => a * d, 1);
  const out = new Float32Array(keep.length * n);
  keep.forEach((k, i) => out.set(data.subarray(k * n, (k + 1) * n), i * n));
  return new ort.Tensor('float32', out, [keep.length, ...rest]);
}

/** The past feeds of the next step from a forward's present outputs (only the rows `keep`, when given). */
export function nextPast(present: Record<string, ort.Tensor>, names: readonly string[], keep?: readonly number[]): Record<string, ort.Tensor> {
  const past: Record<string, ort.Tensor> = {};
  for (const n of names) past[n.replace('present_', 'past_')] = keep ? keepRows(present[n] as ort.Tensor, keep) : (present[n] as ort.Tensor);
  return past;
}

/**
 * The KV cache of one long row run in segments: a [1, kv heads, capacity, head size] buffer
 * per cache, allocated once and fed as the past of every segment (GroupQueryAttention reads
 * only the positions `seqlens_k` says are filled). Each segment fetches just its own new
 * keys and values (`kv_new_*`, the graph's `kv_tail` slice) and they are copied into place,
 * so the JS side holds the row's cache once instead of a grown copy per segment.
 */
export class SegmentCache {
  readonly past: Record<string, ort.Tensor> = {};
  /** Output names to fetch per segment, with the past input each fills. */
  readonly news: { output: string; past: string; heads: number; dim: number }[] = [];

  constructor(
    arch: ArchSpec,
    private readonly capacity: number,
  ) {
    for (const { layer, numKvHeads: heads, headDim: dim } of cacheLayers(arch)) {
      for (const kind of ['key', 'value'] as const) {
        const past = `past_${kind}_${layer}`;
        this.past[past] = new ort.Tensor('float32', new Float32Array(heads * capacity * dim), [1, heads, capacity, dim]);
        this.news.push({ output: `kv_new_${kind}_${layer}`, past, heads, dim });
      }
    }
  }

  get outputs(): string[] {
    return this.news.map((n) => n.output);
  }

  /** Copies a segment's new keys/values ([1, heads, length, dim] each) into positions [start, start + length). */
  store(res: Record<string, ort.Tensor>, start: number, length: number): void {
    for (const n of this.news) {
      const src = (res[n.output] as ort.Tensor).data as Float32Array;
      const dst = (this.past[n.past] as ort.Tensor).data as Float32Array;
      for (let h = 0; h < n.heads; h++) dst.set(src.subarray(h * length * n.dim, (h + 1) * length * n.dim), (h * this.capacity + start) * n.dim);
    }
  }
}
