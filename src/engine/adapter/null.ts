/**
 * Null adapters: the real adapter's structure (slots, ranks, scaling) with A and B drawn
 * from one seeded generator as N(0, 1) * initScale * sqrt(rankScale), A then B per slot in
 * slot order. Same seed, same bits. DoRA magnitudes and LoRA biases are kept from the real
 * adapter (only A and B are randomised, as the reference does).
 */
import { SwayError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import type { LoraSlot } from './types.js';

export interface NullOptions {
  initScale?: number;
  rankScale?: number;
}

export function validateRankScale(rankScale: number): void {
  if (!Number.isFinite(rankScale) || rankScale <= 0) {
    throw new SwayError(`rank_scale must be a finite number > 0, got ${rankScale}`, 'SWAY_INPUT', 2);
  }
}

export function nullAdapterSlots(slots: readonly LoraSlot[], seed: number, options: NullOptions = {}): LoraSlot[] {
  const initScale = options.initScale ?? 0.02;
  const rankScale = options.rankScale ?? 1;
  validateRankScale(rankScale);
  if (!Number.isFinite(initScale) || initScale < 0) throw new SwayError(`init_scale must be a finite number >= 0, got ${initScale}`, 'SWAY_INPUT', 2);
  const std = initScale * Math.sqrt(rankScale);
  const rng = new Rng(seed);
  return slots.map((s) => ({
    ...s,
    a: rng.fillNormal(new Float32Array(s.a.length), std),
    b: rng.fillNormal(new Float32Array(s.b.length), std),
  }));
}
