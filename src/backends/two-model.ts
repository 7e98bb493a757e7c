/**
 * Two independently loaded models as one differential backend (`defaults.differential:
 * false`): base views come from the first, fine-tuned views from the second. No scaling or
 * null views, so calibration and ablation SKIP; memory doubles.
 */
import type { DifferentialBackend, PreflightResult, ScoringView } from './contract.js';

export class TwoModelDifferential implements DifferentialBackend {
  readonly kind = 'two-model';

  constructor(
    private readonly base: DifferentialBackend,
    private readonly ft: DifferentialBackend,
  ) {}

  asBase<T>(fn: (v: ScoringView) => Promise<T>): Promise<T> {
    return this.base.asBase(fn);
  }

  asFinetuned<T>(fn: (v: ScoringView) => Promise<T>): Promise<T> {
    return this.ft.asFinetuned(fn);
  }

  async preflightFiniteCheck(): Promise<PreflightResult> {
    return this.ft.preflightFiniteCheck ? this.ft.preflightFiniteCheck() : { ok: true, reason: 'ft backend does not support preflight' };
  }

  async close(): Promise<void> {
    await this.base.close?.();
    await this.ft.close?.();
  }
}
