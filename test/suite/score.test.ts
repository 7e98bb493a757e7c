import { describe, expect, it } from 'vitest';
import { UsageError, SpecValidationError } from '../../src/core/errors.js';
import type { ProbeResult, SuiteResult } from '../../src/core/results.js';
import { bandFor, computeScore, mergeScoreWeights, parseWeightsFlag } from '../../src/suite/score.js';

const cats: Record<string, string> = { delta_kl: 'adherence', section_internalization: 'attribution', null_adapter: 'baseline' };
const categoryOf = (k: string): string => cats[k] ?? 'adherence';

function r(name: string, kind: string, verdict: ProbeResult['verdict'], score: number | null, weight = 1, message = ''): ProbeResult {
  return { name, kind, verdict, score, raw: null, z_score: null, base_value: null, ft_value: null, evidence: { weight }, message, duration_s: 0, ci_95: null };
}

function suite(probes: ProbeResult[]): SuiteResult {
  return {
    spec_path: 'x', started_at: new Date(0), finished_at: new Date(0), base_model_id: 'b', adapter_id: '', sway_version: '0',
    probes, null_stats: {}, determinism: null, backend_stats: {},
  };
}

describe('composite score', () => {
  it('bands', () => {
    expect([0.29, 0.3, 0.59, 0.6, 0.85, 0.851].map(bandFor)).toEqual(['noise', 'partial', 'partial', 'healthy', 'healthy', 'suspicious']);
  });
  it('normalises over active categories only', () => {
    const s = computeScore(suite([r('a', 'delta_kl', 'pass', 0.9), r('b', 'section_internalization', 'warn', 0.3)]), categoryOf);
    expect(s.overall).toBeCloseTo((0.3 * 0.9 + 0.35 * 0.3) / 0.65, 12);
    expect(s.components).toEqual({ adherence: 0.9, attribution: 0.3, calibration: 0, ablation: 0, baseline: 0 });
  });
  it('a FAIL counts as 0 in its category (not its own score)', () => {
    const s = computeScore(suite([r('a', 'delta_kl', 'pass', 0.9), r('b', 'section_internalization', 'fail', 0.6)]), categoryOf);
    expect(s.components['attribution']).toBe(0);
    expect(s.overall).toBeCloseTo((0.3 * 0.9) / 0.65, 12);
    expect(s.findings[0]).toBe('b (section_internalization) failed');
  });
  it('per-probe weights inside a category; skip/error ignored; error finding', () => {
    const s = computeScore(
      suite([r('a', 'delta_kl', 'pass', 1, 3), r('b', 'delta_kl', 'warn', 0, 1), r('c', 'delta_kl', 'error', null), r('d', 'delta_kl', 'skip', null)]),
      categoryOf,
    );
    expect(s.overall).toBe(0.75);
    expect(s.band).toBe('healthy');
    expect(s.findings).toEqual(['1 probe(s) errored \u2014 see full report for details']);
  });
  it('baseline-only suite is noise; low component finding', () => {
    expect(computeScore(suite([r('n', 'null_adapter', 'pass', 1)]), categoryOf).overall).toBe(0);
    const s = computeScore(suite([r('a', 'delta_kl', 'fail', 0.2, 1, 'too small'), r('b', 'delta_kl', 'warn', 0.4)]), categoryOf);
    expect(s.findings).toEqual(['a (delta_kl) failed: too small', 'adherence score is 0.20 \u2014 below the noise threshold']);
  });
  it('custom weights', () => {
    const w = mergeScoreWeights({ attribution: 0.5, adherence: 0.2 });
    expect(w).toEqual({ adherence: 0.2, attribution: 0.5, calibration: 0.2, ablation: 0.15, baseline: 0 });
    const s = computeScore(suite([r('a', 'delta_kl', 'pass', 0.9), r('b', 'section_internalization', 'pass', 0.5)]), categoryOf, w);
    expect(s.overall).toBeCloseTo((0.2 * 0.9 + 0.5 * 0.5) / 0.7, 12);
  });
});

describe('--weights and score_weights validation', () => {
  it('parses partial maps', () => {
    expect(parseWeightsFlag(undefined)).toBeNull();
    expect(parseWeightsFlag(' , ')).toBeNull();
    expect(parseWeightsFlag('attribution=0.5, adherence=0.2')?.attribution).toBe(0.5);
  });
  it('rejects bad input with clear messages', () => {
    expect(() => parseWeightsFlag('adherence')).toThrow(UsageError);
    expect(() => parseWeightsFlag('adherence')).toThrow("--weights: expected 'key=value' pairs, got 'adherence'. Example: --weights adherence=0.4,attribution=0.3");
    expect(() => parseWeightsFlag('adherence=x')).toThrow("--weights: 'x' for 'adherence' is not a number");
    expect(() => parseWeightsFlag('bogus=1')).toThrow(
      "score_weights contains unknown category keys: ['bogus']. Known categories: ['ablation', 'adherence', 'attribution', 'baseline', 'calibration']",
    );
    expect(() => parseWeightsFlag('adherence=-1')).toThrow('score_weights values must be non-negative');
    expect(() => mergeScoreWeights({ adherence: 0, attribution: 0, calibration: 0, ablation: 0 })).toThrow(SpecValidationError);
  });
});
