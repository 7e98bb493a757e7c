/**
 * Null adapters: the real adapter's structure (slots, ranks, scaling) with A and B drawn
 * from one seeded generator (`Rng.fillNormalF32`, a ziggurat on xoshiro128**) as N(0, 1):
 * per slot in slot order, A row by row ([rank, in] as stored), then B column by column
 * (B^T's rows). Same seed, same bits on every platform. DoRA magnitudes and LoRA biases
 * are kept from the real adapter (only A and B are randomised, as the reference does).
 * `NULL_DRAW_VERSION` names this stream; bump it when the draw changes (it keys cached
 * null statistics).
 *
 * Two families scale the draw:
 * - `matched` (default): per slot, A and B are each multiplied by sqrt(c) with
 *   c = sqrt(m) * ||B_real A_real||_F / ||B_null A_null||_F, so the null's update has the
 *   real adapter's Frobenius norm for that module (times sqrt(m) for rank multiplier m).
 *   The PEFT scaling is the real slot's, so the scaled updates match as well.
 * - `init`: the reference's fixed scale, A and B ~ N(0, (initScale * sqrt(m))^2).
 *
 * An embed_tokens slot is drawn like any other (A [r, vocab], B [hidden, r]; its update
 * B·A has the same Frobenius norm as the per-token deltas it adds). The reference leaves
 * `lora_embedding_A/B` at their trained values in a null view; sway randomises them, so a
 * null carries none of the real adapter's signal. A head tied to the embedding
 * (ensure_weight_tying) is not drawn: it takes the null embedding's factors transposed.
 */
import { SwayError } from '../../core/errors.js';
import { NULL_DRAW_VERSION, Rng } from '../../core/rng.js';
import { tiedHeadFactors } from './tied.js';
import type { LoraSlot } from './types.js';

export { NULL_DRAW_VERSION };

export type NullScale = 'matched' | 'init';

export interface NullOptions {
  /** `matched` (default) or `init`. */
  scale?: NullScale;
  /** Std of the Gaussian weights for the `init` family (default 0.02); ignored by `matched`. */
  initScale?: number;
  rankScale?: number;
}

export function validateRankScale(rankScale: number): void {
  if (!Number.isFinite(rankScale) || rankScale <= 0) {
    throw new SwayError(`rank_scale must be a finite number > 0, got ${rankScale}`, 'SWAY_INPUT', 2);
  }
}

/**
 * ||B A||_F for A [rank, in] and B [out, rank] (row-major), without forming B A:
 * ||B A||_F^2 = trace((B^T B)(A A^T)), two rank x rank Gram matrices.
 */
export function updateNorm(a: Float32Array, b: Float32Array, rank: number): number {
  if (rank <= 0) return 0;
  const inF = a.length / rank;
  const outF = b.length / rank;
  const gA = new Float64Array(rank * rank);
  const gB = new Float64Array(rank * rank);
  for (let i = 0; i < rank; i++) {
    for (let j = i; j < rank; j++) {
      let s = 0;
      const ri = i * inF;
      const rj = j * inF;
      for (let k = 0; k < inF; k++) s += (a[ri + k] as number) * (a[rj + k] as number);
      gA[i * rank + j] = s;
      gA[j * rank + i] = s;
    }
  }
  // Upper triangle only, mirrored: the same sums in the same order as the full loop.
  for (let o = 0; o < outF; o++) {
    const row = o * rank;
    for (let i = 0; i < rank; i++) {
      const bi = b[row + i] as number;
      if (bi === 0) continue;
      for (let j = i; j < rank; j++) gB[i * rank + j] = (gB[i * rank + j] as number) + bi * (b[row + j] as number);
    }
  }
  for (let i = 0; i < rank; i++) for (let j = 0; j < i; j++) gB[i * rank + j] = gB[j * rank + i] as number;
  let tr = 0;
  for (let i = 0; i < rank * rank; i++) tr += (gA[i] as number) * (gB[i] as number);
  return Math.sqrt(Math.max(tr, 0));
}

/** The scaled update norm s * ||B A||_F of every slot, in slot order. */
export function slotUpdateNorms(slots: readonly LoraSlot[]): number[] {
  return slots.map((s) => Math.abs(s.scaling) * updateNorm(s.a, s.b, s.rank));
}

export function nullAdapterSlots(slots: readonly LoraSlot[], seed: number, options: NullOptions = {}): LoraSlot[] {
  const drawn = drawNullSlots(slots.filter((s) => !s.tiedToEmbedding), seed, options);
  if (drawn.length === slots.length) return drawn;
  const emb = drawn.find((s) => s.target.scope === 'embed_tokens');
  let k = 0;
  return slots.map((s) => (s.tiedToEmbedding ? { ...s, ...(emb ? tiedHeadFactors(emb) : {}) } : (drawn[k++] as LoraSlot)));
}

/**
 * ||B A||_F of a real slot, computed once per (A, B) pair (every null of a run reuses it)
 * the way drawn slots compute theirs (B transposed into rows, then row dot products).
 */
const realNorms = new WeakMap<Float32Array, { a: Float32Array; rank: number; norm: number }>();

function realUpdateNorm(s: LoraSlot): number {
  const hit = realNorms.get(s.b);
  if (hit && hit.a === s.a && hit.rank === s.rank) return hit.norm;
  let norm = 0;
  if (s.rank > 0) {
    const outF = s.b.length / s.rank;
    const bt = scratch(s.b.length);
    for (let o = 0; o < outF; o++) for (let i = 0; i < s.rank; i++) bt[i * outF + o] = s.b[o * s.rank + i] as number;
    norm = rowsUpdateNorm(s.a, bt, s.rank);
  }
  realNorms.set(s.b, { a: s.a, rank: s.rank, norm });
  return norm;
}

function drawNullSlots(slots: readonly LoraSlot[], seed: number, options: NullOptions): LoraSlot[] {
  const scale = options.scale ?? 'matched';
  const rankScale = options.rankScale ?? 1;
  validateRankScale(rankScale);
  if (scale !== 'matched' && scale !== 'init') throw new SwayError(`null_scale must be 'matched' or 'init', got '${String(scale)}'`, 'SWAY_INPUT', 2);
  const rng = new Rng(seed);
  let std = 1;
  if (scale === 'init') {
    const initScale = options.initScale ?? 0.02;
    if (!Number.isFinite(initScale) || initScale < 0) throw new SwayError(`init_scale must be a finite number >= 0, got ${initScale}`, 'SWAY_INPUT', 2);
    std = initScale * Math.sqrt(rankScale);
  }
  return slots.map((s) => {
    // Before the draw: the real norm borrows the scratch buffer that B^T is drawn into.
    const target = scale === 'matched' ? realUpdateNorm(s) * Math.sqrt(rankScale) : 0;
    const a = rng.fillNormalF32(new Float32Array(s.a.length), std);
    const bt = rng.fillNormalF32(scratch(s.b.length), std);
    const b = new Float32Array(s.b.length);
    if (scale === 'init') {
      transposeInto(b, bt, s.rank, 1);
      return { ...s, a, b };
    }
    const drawn = rowsUpdateNorm(a, bt, s.rank);
    // A zero real update (e.g. PEFT's B = 0 init) gives a zero null update: a null of its strength.
    const half = drawn > 0 ? Math.sqrt(target / drawn) : 0;
    for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) * half;
    transposeInto(b, bt, s.rank, half);
    return { ...s, a, b };
  });
}

let scratchBuf = new Float32Array(0);

/** A reusable buffer for one slot's B^T (only the first n values are meaningful). */
function scratch(n: number): Float32Array {
  if (scratchBuf.length < n) scratchBuf = new Float32Array(n);
  return scratchBuf.subarray(0, n);
}

/** b [out, rank] row-major = k * bt, where bt holds B^T [rank, out] row-major. */
function transposeInto(b: Float32Array, bt: Float32Array, rank: number, k: number): void {
  if (rank <= 0) return;
  const outF = b.length / rank;
  for (let i = 0; i < rank; i++) {
    const src = i * outF;
    for (let o = 0; o < outF; o++) b[o * rank + i] = (bt[src + o] as number) * k;
  }
}

/** ||B A||_F from A [rank, in] and B^T [rank, out], both row-major: trace((B^T B)(A A^T)) over contiguous rows. */
function rowsUpdateNorm(a: Float32Array, bt: Float32Array, rank: number): number {
  if (rank <= 0) return 0;
  const gA = new Float64Array(rank * rank);
  const gB = new Float64Array(rank * rank);
  gramUpper(a, rank, a.length / rank, gA);
  gramUpper(bt, rank, bt.length / rank, gB);
  let tr = 0;
  for (let i = 0; i < rank; i++) {
    tr += (gA[i * rank + i] as number) * (gB[i * rank + i] as number);
    for (let j = i + 1; j < rank; j++) tr += 2 * (gA[i * rank + j] as number) * (gB[i * rank + j] as number);
  }
  return Math.sqrt(Math.max(tr, 0));
}

/**
 * The upper triangle (j >= i) of the Gram matrix of x's `rank` rows of length n, into g
 * [rank, rank]. Rows go in pairs against pairs of rows (2 x 2 blocks: four sums per pass,
 * each row value loaded once per block), a fixed order of float64 sums.
 */
function gramUpper(x: Float32Array, rank: number, n: number, g: Float64Array): void {
  for (let i = 0; i < rank; i += 2) {
    const p0 = i * n;
    if (i + 1 === rank) {
      g[i * rank + i] = dot(x, p0, p0, n);
      break;
    }
    const p1 = p0 + n;
    for (let j = i; j < rank; j += 2) {
      const q0 = j * n;
      if (j + 1 === rank) {
        g[i * rank + j] = dot(x, p0, q0, n);
        g[(i + 1) * rank + j] = dot(x, p1, q0, n);
        break;
      }
      const q1 = q0 + n;
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      for (let k = 0; k < n; k++) {
        const u0 = x[p0 + k] as number;
        const u1 = x[p1 + k] as number;
        const v0 = x[q0 + k] as number;
        const v1 = x[q1 + k] as number;
        s00 += u0 * v0;
        s01 += u0 * v1;
        s10 += u1 * v0;
        s11 += u1 * v1;
      }
      g[i * rank + j] = s00;
      g[i * rank + j + 1] = s01;
      g[(i + 1) * rank + j] = s10;
      g[(i + 1) * rank + j + 1] = s11;
    }
  }
}

/** Sum of x[p + k] * x[q + k] for k < n, in float64 with four running sums (a fixed order). */
function dot(x: Float32Array, p: number, q: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < n; k += 4) {
    s0 += (x[p + k] as number) * (x[q + k] as number);
    s1 += (x[p + k + 1] as number) * (x[q + k + 1] as number);
    s2 += (x[p + k + 2] as number) * (x[q + k + 2] as number);
    s3 += (x[p + k + 3] as number) * (x[q + k + 3] as number);
  }
  for (; k < n; k++) s0 += (x[p + k] as number) * (x[q + k] as number);
  return s0 + s1 + (s2 + s3);
}
