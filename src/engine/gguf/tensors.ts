/**
 * One logical weight as llama.cpp wants it: Conv1D weights transposed to [out, in], q/k rows
 * permuted for interleaved-pair rotary, a per-head fused qkv regrouped into [Q; K; V], and
 * gemma's stored `w` of `(1 + w)` norms written as `1 + w`. A LoRA B gets the row layout only.
 */
import { LINEAR_ORDER, type WeightRef } from '../families.js';
import type { ArchSpec } from '../types.js';
import type { GgufArchRow } from './arch-table.js';
import { permuteRows, transposeMatrix, unInterleaveQkv } from './writer.js';

const NORMS = new Set<string>(['attn_norm', 'mlp_norm', 'post_attn_norm', 'post_mlp_norm', 'q_norm', 'k_norm', 'final_norm']);
const LINEAR = new Set<string>(LINEAR_ORDER);

/** `shape` in PyTorch order; a LoRA B passes [out, rank] and `isLoraB`. */
export function ggufTensorData(a: ArchSpec, row: GgufArchRow, ref: WeightRef, data: Float32Array, shape: readonly number[], isLoraB: boolean): { data: Float32Array; shape: number[] } {
  const m = ref.module;
  const part = ref.part ?? 'weight';
  let d = data;
  let s = [...shape];
  if (!isLoraB && a.transposedLinear && LINEAR.has(m) && part === 'weight') {
    const [inF, outF] = s as [number, number];
    d = transposeMatrix(d, inF, outF);
    s = [outF, inF];
  }
  const cols = s.length > 1 ? (s[1] as number) : 1;
  if (row.rope === 'norm' && (m === 'q_proj' || m === 'k_proj')) d = permuteRows(d, m === 'q_proj' ? a.numHeads : a.numKvHeads, a.headDim, cols);
  if (row.qkvLayout === 'per_head' && m === 'qkv_proj') d = unInterleaveQkv(d, a.numHeads, a.headDim, cols);
  if (!isLoraB && a.norm.weightOffset === 1 && NORMS.has(m) && part === 'weight') d = d.map((x) => x + 1);
  return { data: d, shape: s };
}
