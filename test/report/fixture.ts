/** The hand-made SuiteResult of core-suite §2.7 (the reference's tests/snapshots/report.json). */
import type { ProbeResult, SuiteResult, SwayScore } from '../../src/core/results.js';

function probe(p: Partial<ProbeResult> & Pick<ProbeResult, 'name' | 'kind' | 'verdict'>): ProbeResult {
  return {
    score: null,
    raw: null,
    z_score: null,
    base_value: null,
    ft_value: null,
    evidence: {},
    message: '',
    duration_s: 0,
    ci_95: null,
    ...p,
  };
}

export function snapshotSuite(): SuiteResult {
  return {
    spec_path: 'sway.yaml',
    started_at: new Date('2026-01-01T12:00:00Z'),
    finished_at: new Date('2026-01-01T12:00:02.500Z'),
    base_model_id: 'HuggingFaceTB/SmolLM2-135M-Instruct',
    adapter_id: '/fixture/runs/adapter/v0003',
    sway_version: '0.1.0.dev0',
    probes: [
      probe({
        name: 'dk',
        kind: 'delta_kl',
        verdict: 'pass',
        score: 0.87,
        raw: 0.456,
        z_score: 5.12,
        ci_95: [0.412, 0.497],
        evidence: { divergence_kind: 'js', num_prompts: 4, weight: 1 },
        message: 'mean js=0.4560, z=+5.12\u03c3 vs null',
        duration_s: 0.123,
      }),
      probe({
        name: 'sis',
        kind: 'section_internalization',
        verdict: 'fail',
        score: 0.3,
        raw: 0.012,
        z_score: 0.5,
        evidence: { num_sections: 4, passing_frac: 0.25, weight: 1 },
        message: '1/4 sections cleared effective_sis\u22650.05',
        duration_s: 0.456,
      }),
      probe({ name: 'lk', kind: 'leakage', verdict: 'skip', message: 'no PROSE sections to test for leakage', duration_s: 0.001 }),
      probe({
        name: 'ablation',
        kind: 'adapter_ablation',
        verdict: 'error',
        message: 'backend does not implement ScalableDifferentialBackend',
        duration_s: 0,
      }),
    ],
    null_stats: { delta_kl: { mean: 0.01, n: 3, std: 0.005 } },
    determinism: { class: 'best_effort', seed: 0, notes: ['CPU-only backend: strict determinism depends on BLAS impl'] },
    backend_stats: {},
  };
}

export function snapshotScore(): SwayScore {
  return {
    overall: 0.65,
    components: { ablation: 0, adherence: 0.87, attribution: 0.3, baseline: 1, calibration: 0.5 },
    weights: { adherence: 0.3, attribution: 0.35, calibration: 0.2, ablation: 0.15, baseline: 0 },
    band: 'healthy',
    findings: [
      'sis (section_internalization) failed: 1/4 sections cleared effective_sis\u22650.05',
      'ablation score is 0.00 \u2014 below the noise threshold',
    ],
  };
}
