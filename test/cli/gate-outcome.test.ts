import { describe, expect, it } from 'vitest';
import { gateOutcome } from '../../src/cli/commands/gate.js';
import type { ProbeResult, SuiteResult, SwayScore } from '../../src/core/results.js';

const p = (name: string, verdict: ProbeResult['verdict']): ProbeResult => ({
  name, kind: 'delta_kl', verdict, score: verdict === 'error' ? null : 0.9, raw: null, z_score: null, base_value: null, ft_value: null, evidence: {}, message: '', duration_s: 0, ci_95: null,
});
const suite = (...probes: ProbeResult[]): SuiteResult => ({
  spec_path: 's', started_at: new Date(0), finished_at: new Date(0), base_model_id: 'b', adapter_id: 'a', sway_version: '0', probes, null_stats: {}, determinism: null, backend_stats: {},
});
const score = (overall: number): SwayScore => ({ overall, components: {}, weights: { adherence: 0.3, attribution: 0.35, calibration: 0.2, ablation: 0.15, baseline: 0 }, band: '', findings: [] });

describe('gate decision', () => {
  it('passes at or above the threshold with no FAIL/ERROR', () => {
    expect(gateOutcome(suite(p('a', 'pass'), p('b', 'warn'), p('c', 'skip')), score(0.6), 0.6)).toEqual({ passed: true, line: 'gate passed \u2014 overall=0.60' });
  });
  it('below threshold wins over FAIL', () => {
    expect(gateOutcome(suite(p('a', 'fail')), score(0.5), 0.6).line).toBe('gate FAILED \u2014 overall=0.50 < 0.60');
  });
  it('any FAIL fails', () => {
    expect(gateOutcome(suite(p('a', 'pass'), p('b', 'fail')), score(0.9), 0.6)).toEqual({ passed: false, line: 'gate FAILED \u2014 at least one probe reported FAIL' });
  });
  it('any ERROR fails (the reference ignores ERROR)', () => {
    expect(gateOutcome(suite(p('a', 'pass'), p('__preflight__', 'error')), score(0.9), 0.6)).toEqual({
      passed: false,
      line: 'gate FAILED \u2014 1 probe(s) reported ERROR: __preflight__',
    });
  });
});
