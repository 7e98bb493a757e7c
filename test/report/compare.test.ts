import { describe, expect, it } from 'vitest';
import type { ProbeResult, SuiteResult, SwayScore } from '../../src/core/results.js';
import { compareToJson, compareToMarkdown, compareToTerminal } from '../../src/report/compare.js';
import { isoformatPy } from '../../src/report/json.js';
import { buildMatrix, latestRegressions } from '../../src/suite/compare.js';

function run(finished: string, overall: number, scores: Record<string, number>): { suite: SuiteResult; score: SwayScore } {
  const probes = Object.entries(scores).map(
    ([name, score]): ProbeResult => ({ name, kind: name, verdict: 'pass', score, raw: null, z_score: null, base_value: null, ft_value: null, evidence: {}, message: '', duration_s: 0, ci_95: null }),
  );
  return {
    suite: { spec_path: '', started_at: new Date(0), finished_at: new Date(finished), base_model_id: '', adapter_id: '', sway_version: '', probes, null_stats: {}, determinism: null, backend_stats: {} },
    score: { overall, components: {}, weights: { adherence: 0.3, attribution: 0.35, calibration: 0.2, ablation: 0.15, baseline: 0 }, band: '', findings: [] },
  };
}

const runs = [
  run('2026-01-01T12:00:30Z', 0.75, { delta_kl: 0.8, section_internalization: 0.7 }),
  run('2026-01-02T12:00:30Z', 0.81, { delta_kl: 0.82, leakage: 0.9, section_internalization: 0.72 }),
  run('2026-01-03T12:00:30Z', 0.72, { delta_kl: 0.65, leakage: 0.88 }),
];

describe('compare', () => {
  const m = buildMatrix(runs, ['v1', 'v2', 'v3'], isoformatPy);
  const regs = latestRegressions(m, 0.1);
  it('matrix, deltas and regressions', () => {
    expect(m.probe_names).toEqual(['delta_kl', 'leakage', 'section_internalization']);
    expect(m.scores['leakage']).toEqual([null, 0.9, 0.88]);
    expect(m.deltas['delta_kl']?.[1]).toBeCloseTo(-0.17, 12);
    expect(regs.map((r) => r.probe)).toEqual(['delta_kl']);
    expect(latestRegressions(m, 0)).toEqual([]);
    expect(() => buildMatrix([])).toThrow('build_matrix requires at least one run');
  });
  it('Markdown matches the reference snapshot layout', () => {
    expect(compareToMarkdown(m, regs, 0.1)).toBe(
      [
        '# sway compare \u2014 3 runs', '', '## Runs', '', '| label | finished_at |', '|---|---|',
        '| v1 | 2026-01-01T12:00:30+00:00 |', '| v2 | 2026-01-02T12:00:30+00:00 |', '| v3 | 2026-01-03T12:00:30+00:00 |',
        '', '## Scores', '', '| probe | v1 | v2 | v3 | \u0394 v1\u2192v2 | \u0394 v2\u2192v3 |', '|---|---|---|---|---|---|',
        '| delta_kl | 0.80 | 0.82 | 0.65 | +0.02 | -0.17 |',
        '| leakage | \u2014 | 0.90 | 0.88 | \u2014 | -0.02 |',
        '| section_internalization | 0.70 | 0.72 | \u2014 | +0.02 | \u2014 |',
        '| **composite** | 0.75 | 0.81 | 0.72 | +0.06 | -0.09 |',
        '', '## Regressions (\u22650.10 drop vs previous run)', '', '- **delta_kl** \u2014 `-0.170`', '',
      ].join('\n'),
    );
  });
  it('terminal and JSON', () => {
    const t = compareToTerminal(m, regs, 0.1, false);
    expect(t).toContain('composite (overall)');
    expect(t).toContain('  delta_kl: -0.170');
    const j = JSON.parse(compareToJson(m, regs, 0.1)) as Record<string, unknown>;
    expect(Object.keys(j)).toEqual(['labels', 'timestamps', 'probe_names', 'scores', 'deltas', 'composite_series', 'regression_threshold', 'latest_regressions']);
  });
});
