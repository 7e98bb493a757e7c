/**
 * `defaults.differential: false`: two independently built backends presented as one.
 * The base view comes from the base backend, the fine-tuned view from the ft backend;
 * there are no scaled or null views, so null calibration and ablation SKIP.
 */
import type { DifferentialBackend, PreflightResult, ScoringView } from './contract.js';

export interface TwoModelInit {
  base: DifferentialBackend;
  ft: DifferentialBackend;
}

export class TwoModelDifferential implements DifferentialBackend {
  readonly kind = 'two-model';
  readonly base: DifferentialBackend;
  readonly ft: DifferentialBackend;

  constructor(init: TwoModelInit) {
    this.base = init.base;
    this.ft = init.ft;
  }

  asBase<T>(fn: (view: ScoringView) => Promise<T>): Promise<T> {
    return this.base.asBase(fn);
  }

  asFinetuned<T>(fn: (view: ScoringView) => Promise<T>): Promise<T> {
    return this.ft.asFinetuned(fn);
  }

  async preflightFiniteCheck(): Promise<PreflightResult> {
    if (!this.ft.preflightFiniteCheck) return { ok: true, reason: 'ft backend does not support preflight' };
    return this.ft.preflightFiniteCheck();
  }

  tokenizer(): ReturnType<NonNullable<DifferentialBackend['tokenizer']>> {
    return this.ft.tokenizer?.() ?? this.base.tokenizer?.() ?? null;
  }

  stats(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const side of [this.base, this.ft]) {
      for (const [k, v] of Object.entries(side.stats?.() ?? {})) out[k] = (out[k] ?? 0) + v;
    }
    return out;
  }

  async close(): Promise<void> {
    try {
      await this.base.close?.();
    } finally {
      await this.ft.close?.();
    }
  }
}

export function createTwoModelBackend(init: TwoModelInit): TwoModelDifferential {
  return new TwoModelDifferential(init);
}
