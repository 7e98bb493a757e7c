/** The hand-made report of the reference's snapshot fixture (core-suite spec §2.7). */
import type { SuiteResult, SwayScore } from '../../src/core/results.js';

export function snapshotSuite(): { suite: SuiteResult; score: SwayScore } {
  const suite: SuiteResult = {
    spec_path: 'sway.yaml',
    started_at: new Date('2026-01-01T12:00:00Z'),
    finished_at: new Date('2026-01-01T12:00:02.500Z'),
    base_model_id: 'HuggingFaceTB/SmolLM2-135M-Instruct',
    adapter_id: '/fixture/runs/adapter/v0003',
    sway_version: '0.1.0.dev0',
    null_stats: { delta_kl: { mean: 0.01, n: 3, std: 0.005 } },
    determinism: { class: 'best_effort', seed: 0, notes: ['CPU-only backend: strict determinism depends on BLAS impl'] },
    backend_stats: {},
    probes: [
      { name: 'dk', kind: 'delta_kl', verdict: 'pass', score: 0.87, raw: 0.456, z_score: 5.12, base_value: null, ft_value: null, ci_95: [0.412, 0.497], evidence: { divergence_kind: 'js', num_prompts: 4, weight: 1.0 }, message: 'mean js=0.4560, z=+5.12σ vs null', duration_s: 0.123 },
      { name: 'sis', kind: 'section_internalization', verdict: 'fail', score: 0.3, raw: 0.012, z_score: 0.5, base_value: null, ft_value: null, ci_95: null, evidence: { num_sections: 4, passing_frac: 0.25, weight: 1.0 }, message: '1/4 sections cleared effective_sis≥0.05', duration_s: 0.456 },
      { name: 'lk', kind: 'leakage', verdict: 'skip', score: null, raw: null, z_score: null, base_value: null, ft_value: null, ci_95: null, evidence: {}, message: 'no PROSE sections to test for leakage', duration_s: 0.001 },
      { name: 'ablation', kind: 'adapter_ablation', verdict: 'error', score: null, raw: null, z_score: null, base_value: null, ft_value: null, ci_95: null, evidence: {}, message: 'backend does not implement ScalableDifferentialBackend', duration_s: 0.0 },
    ],
  };
  const score: SwayScore = {
    overall: 0.65,
    band: 'healthy',
    components: { ablation: 0.0, adherence: 0.87, attribution: 0.3, baseline: 1.0, calibration: 0.5 },
    weights: { adherence: 0.3, attribution: 0.35, calibration: 0.2, ablation: 0.15, baseline: 0.0 },
    findings: ['sis (section_internalization) failed: 1/4 sections cleared effective_sis≥0.05', 'ablation score is 0.00 — below the noise threshold'],
  };
  return { suite, score };
}
