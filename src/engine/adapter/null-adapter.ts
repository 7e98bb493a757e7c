/**
 * Null adapters: LoRA slots with the real adapter's shapes, ranks and scaling but random
 * A and B, the noise floor every metric is z-scored against. Both factors are drawn
 * (PEFT's own init sets B = 0, a no-op), A then B per slot in slot order, from one
 * seeded generator, as N(0, 1)·initScale·√rankScale stored in fp32.
 */
import { SwayError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import type { LoadedAdapter, LoraSlot } from './types.js';

export interface NullAdapterOptions {
  initScale?: number;
  rankScale?: number;
}

export function nullAdapterSlots(adapter: Pick<LoadedAdapter, 'slots'>, seed: number, options: NullAdapterOptions = {}): LoraSlot[] {
  const initScale = options.initScale ?? 0.02;
  const rankScale = options.rankScale ?? 1;
  if (!Number.isFinite(rankScale) || rankScale <= 0) {
    throw new SwayError(`null adapter: rank_scale must be a finite number > 0, got ${rankScale}; fix rank_multipliers in the null_adapter probe.`);
  }
  if (!Number.isFinite(initScale) || initScale < 0) {
    throw new SwayError(`null adapter: init_scale must be a finite number >= 0, got ${initScale}; fix init_scale in the null_adapter probe.`);
  }
  if (!Number.isInteger(seed)) throw new SwayError(`null adapter: seed must be an integer, got ${seed}.`);
  const std = initScale * Math.sqrt(rankScale);
  const rng = new Rng(seed);
  return adapter.slots.map((s) => ({
    ...s,
    a: rng.fillNormal(new Float32Array(s.rank * s.inFeatures), std),
    b: rng.fillNormal(new Float32Array(s.outFeatures * s.rank), std),
  }));
}
