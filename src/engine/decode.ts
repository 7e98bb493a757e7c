/**
 * Feeds for lockstep decoding: several rows (views) that all hold the same number of
 * tokens step together through the KV cache, and rows that finish leave the batch.
 */
import './ort-privacy.js'; // before onnxruntime-node: turns its telemetry off
import * as ort from 'onnxruntime-node';
import { SwayError } from '../core/errors.js';
import type { Feeds } from './feeds.js';

/** Token feeds of one decoding step for rows of equal length after `total - inputs[b].length` cached tokens each. */
export function lockstepFeeds(inputs: readonly (readonly number[])[], total: number): Feeds {
  const B = inputs.length;
  const L = (inputs[0] as readonly number[]).length;
  const ids = new BigInt64Array(B * L);
  inputs.forEach((row, b) => {
    if (row.length !== L) throw new SwayError(`internal: lockstep decoding rows must have equal lengths (${row.length} != ${L})`, 'SWAY_RUNTIME', 3);
    row.forEach((t, i) => (ids[b * L + i] = BigInt(t)));
  });
  return {
    input_ids: new ort.Tensor('int64', ids, [B, L]),
    seqlens_k: new ort.Tensor('int32', new Int32Array(B).fill(total - 1), [B]),
    total_seq_len: new ort.Tensor('int32', Int32Array.from([total]), []),
    gather_idx: new ort.Tensor('int64', new BigInt64Array(B).fill(BigInt(L - 1)), [B, 1, 1]),
    target_ids: new ort.Tensor('int64', new BigInt64Array(B), [B, 1]),
  };
}

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
