/**
 * Null adapters: the real adapter's structure (slots, ranks, scaling) with A and B drawn
 * from one seeded generator as N(0, 1), A then B per slot in slot order. Same seed, same
 * bits. DoRA magnitudes and LoRA biases are kept from the real adapter (only A and B are
 * randomised, as the reference does).
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
import { Rng } from '../../core/rng.js';
import { tiedHeadFactors } from './tied.js';
import type { LoraSlot } from './types.js';

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
  for (let o = 0; o < outF; o++) {
    const row = o * rank;
    for (let i = 0; i < rank; i++) {
      const bi = b[row + i] as number;
      if (bi === 0) continue;
      for (let j = 0; j < rank; j++) gB[i * rank + j] = (gB[i * rank + j] as number) + bi * (b[row + j] as number);
    }
  }
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

function drawNullSlots(slots: readonly LoraSlot[], seed: number, options: NullOptions): LoraSlot[] {
  const scale = options.scale ?? 'matched';
  const rankScale = options.rankScale ?? 1;
  validateRankScale(rankScale);
  if (scale !== 'matched' && scale !== 'init') throw new SwayError(`null_scale must be 'matched' or 'init', got '${String(scale)}'`, 'SWAY_INPUT', 2);
  const rng = new Rng(seed);
  if (scale === 'init') {
    const initScale = options.initScale ?? 0.02;
    if (!Number.isFinite(initScale) || initScale < 0) throw new SwayError(`init_scale must be a finite number >= 0, got ${initScale}`, 'SWAY_INPUT', 2);
    const std = initScale * Math.sqrt(rankScale);
    return slots.map((s) => ({
      ...s,
      a: rng.fillNormal(new Float32Array(s.a.length), std),
      b: rng.fillNormal(new Float32Array(s.b.length), std),
    }));
  }
  return slots.map((s) => {
    const a = rng.fillNormal(new Float32Array(s.a.length), 1);
    const b = rng.fillNormal(new Float32Array(s.b.length), 1);
    const drawn = updateNorm(a, b, s.rank);
    const target = updateNorm(s.a, s.b, s.rank) * Math.sqrt(rankScale);
    // A zero real update (e.g. PEFT's B = 0 init) gives a zero null update: a null of its strength.
    const half = drawn > 0 ? Math.sqrt(target / drawn) : 0;
    for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) * half;
    for (let i = 0; i < b.length; i++) b[i] = (b[i] as number) * half;
    return { ...s, a, b };
  });
}
