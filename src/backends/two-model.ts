/**
 * Two independently loaded models as one differential backend (`defaults.differential:
 * false`): base views come from the first, fine-tuned views from the second. No scaling or
 * null views, so calibration and ablation SKIP; memory doubles. The one-view-at-a-time rule
 * is enforced here, across both models: each inner backend only guards its own views.
 */
import type { DifferentialBackend, PreflightResult, ScoringView, TokenizerAccess } from './contract.js';
import { ViewGuard } from './view-guard.js';

export class TwoModelDifferential implements DifferentialBackend {
  readonly kind = 'two-model';
  private readonly guard = new ViewGuard();
  private closed = false;

  constructor(
    private readonly base: DifferentialBackend,
    private readonly ft: DifferentialBackend,
  ) {}

  asBase<T>(fn: (v: ScoringView) => Promise<T>): Promise<T> {
    return this.guard.run('base', () => this.base.asBase(fn));
  }

  asFinetuned<T>(fn: (v: ScoringView) => Promise<T>): Promise<T> {
    return this.guard.run('ft', () => this.ft.asFinetuned(fn));
  }

  /** Both models must produce finite outputs; the base is checked first. */
  async preflightFiniteCheck(): Promise<PreflightResult> {
    for (const [side, backend] of [['base', this.base], ['ft', this.ft]] as const) {
      if (!backend.preflightFiniteCheck) continue;
      const r = await backend.preflightFiniteCheck();
      if (!r.ok) return { ok: false, reason: `${side} model: ${r.reason}` };
    }
    return { ok: true, reason: '' };
  }

  /** The fine-tuned model's tokenizer: probes render prompts for the model under test. */
  tokenizer(): TokenizerAccess | null {
    return this.ft.tokenizer?.() ?? null;
  }

  /** Each model's counters under a `base_` / `ft_` prefix, plus the total forward passes. */
  stats(): Record<string, number> {
    const out: Record<string, number> = {};
    let forward = 0;
    for (const [side, backend] of [['base', this.base], ['ft', this.ft]] as const) {
      for (const [k, v] of Object.entries(backend.stats?.() ?? {})) {
        out[`${side}_${k}`] = v;
        if (k === 'forward_passes') forward += v;
      }
    }
    return { ...out, forward_passes: forward };
  }

  get warnings(): readonly string[] {
    return [...new Set([...(this.base.warnings ?? []), ...(this.ft.warnings ?? [])])];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.base.close?.();
    } finally {
      await this.ft.close?.();
    }
  }
}
