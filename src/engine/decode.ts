/**
 * KV caches between decoding steps: the present keys/values a forward returned become the
 * next step's past, keeping only the rows still decoding (a finished view leaves the batch).
 */
import './ort-privacy.js'; // before onnxruntime-node: turns its telemetry off
import * as ort from 'onnxruntime-node';

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
