/**
 * Verdict logic that read backwards or hid its reasons before: one-sided harm probes, the
 * paraphrase intent under calibration, tool_use with nothing measurable, ablation's failing
 * checks, the degenerate-null note, and the evidence that backs every z.
 */
import { describe, expect, it } from 'vitest';
import { DummyDifferentialBackend, lpKey } from '../../src/backends/dummy.js';
import type { NullStat, ProbeResult, SuiteResult } from '../../src/core/results.js';
import { buildProbe } from '../../src/probes/registry.js';
import type { RunContext } from '../../src/probes/types.js';
import { calibrate, harmScore, tailFraction, zText } from '../../src/probes/verdict.js';
import { computeScore } from '../../src/suite/score.js';
import { testContext } from '../support/context.js';

const run = (raw: Record<string, unknown>, c: RunContext) => {
  const { probe, spec } = buildProbe(raw);
  return probe.run(spec, c);
};
const stat = (values: number[]): NullStat => {
  const mean = values.reduce((a, v) => a + v, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
  return { mean, std: Math.max(std, 1e-6), n: values.length, degenerate: values.length <= 1 || std === 0 ? 1 : 0, values };
};
const withNull = (backend: RunContext['backend'], kind: string, s: NullStat): RunContext => testContext(backend, { nullStats: { [kind]: s }, nullStatsByRank: { 'rank_1.00': { [kind]: s } } });

describe('one-sided harm probes', () => {
  const items = [
    ['The capital of France is', ' Paris'],
    ['The capital of Germany is', ' Berlin'],
  ];
  // One of two items regresses by 3 nats/token.
  const backend = () =>
    new DummyDifferentialBackend(
      { logprobs: { [lpKey(items[0]![0]!, ' Paris')]: -1, [lpKey(items[1]![0]!, ' Berlin')]: -1 } },
      { logprobs: { [lpKey(items[0]![0]!, ' Paris')]: -4, [lpKey(items[1]![0]!, ' Berlin')]: -1 } },
    );

  it('calibration_drift passes when its harm is what a null does, and counts as a pass in the composite', async () => {
    const r = await run({ name: 'cd', kind: 'calibration_drift', items }, withNull(backend(), 'calibration_drift', stat([0.5, 0.4, 0.6])));
    expect(r.raw).toBe(0.5);
    expect(r.z_score).toBeCloseTo(0, 12);
    expect(r.verdict).toBe('pass');
    expect(r.score!).toBeGreaterThanOrEqual(0.6);
    expect(r.message).toContain('no harm beyond the null');
    const suite = { probes: [r], null_stats: {} } as unknown as SuiteResult;
    const score = computeScore(suite);
    expect(score.components.calibration!).toBeGreaterThanOrEqual(0.6);
  });

  it('calibration_drift fails when harm exceeds the null by the threshold', async () => {
    const r = await run({ name: 'cd', kind: 'calibration_drift', items }, withNull(backend(), 'calibration_drift', stat([0, 0.05, 0.1])));
    expect(r.z_score!).toBeLessThan(-3);
    expect(r.verdict).toBe('fail');
    expect(r.score!).toBeLessThan(0.6);
    expect(r.message).toContain('harm ≥ 3σ beyond the null');
  });

  it('external_perplexity: slightly less improvement than the null is no harm; far worse is', async () => {
    // The dummy fine-tune improves prose by +0.5 nats/token.
    const near = await run({ name: 'ep', kind: 'external_perplexity', max_chunks: 2 }, withNull(new DummyDifferentialBackend(), 'external_perplexity', stat([0.5, 0.6, 0.7])));
    expect(near.raw).toBeCloseTo(0.5, 12);
    expect(near.z_score!).toBeLessThan(0);
    expect(near.verdict).toBe('pass');
    expect(near.score!).toBeGreaterThanOrEqual(0.6);
    const far = await run({ name: 'ep', kind: 'external_perplexity', max_chunks: 2 }, withNull(new DummyDifferentialBackend(), 'external_perplexity', stat([0.9, 1.0, 1.1])));
    expect(far.verdict).toBe('fail');
  });

  it('external_perplexity without calibration: a tiny gain is a pass scored as one', async () => {
    const r = await run({ name: 'ep', kind: 'external_perplexity', max_chunks: 2 }, testContext(new DummyDifferentialBackend()));
    expect(r.verdict).toBe('pass');
    expect(r.score!).toBeGreaterThanOrEqual(0.6);
  });

  it('leakage: recall at the null level passes', async () => {
    const prose = 'The quick brown fox jumps over the lazy dog. '.repeat(10);
    const sections = [{ id: 's1', kind: 'prose', content: prose }] as unknown as RunContext['sections'];
    // Every prefix (clean and perturbed) gets the same unrelated continuation.
    const generations = new Proxy({}, { get: () => 'something else entirely' }) as Record<string, string>;
    const backend = new DummyDifferentialBackend({}, { generations });
    const s = stat([0.2, 0.25, 0.3]);
    const r = await run({ name: 'lk', kind: 'leakage', prefix_chars: 32, continuation_chars: 64 }, { ...withNull(backend, 'leakage', s), sections });
    expect(r.verdict).toBe('pass');
    expect(r.score!).toBeGreaterThanOrEqual(0.6);
  });

  it('harmScore: no harm 1, at the limit 0.6, far beyond 0', () => {
    expect(harmScore(0)).toBe(1);
    expect(harmScore(1)).toBeCloseTo(0.6, 12);
    expect(harmScore(10)).toBe(0);
  });
});

describe('paraphrase_invariance follows intent when calibrated', () => {
  // Verbatim lift +3 nats, paraphrases -1.8: ratio -0.60.
  const base = { logprobs: { [lpKey('cap', ' Paris')]: -4, [lpKey('p1', ' Paris')]: -4, [lpKey('p2', ' Paris')]: -4 } };
  const ft = { logprobs: { [lpKey('cap', ' Paris')]: -1, [lpKey('p1', ' Paris')]: -5.8, [lpKey('p2', ' Paris')]: -5.8 } };
  const cases = [{ prompt: 'cap', gold: ' Paris', paraphrases: ['p1', 'p2'] }];
  const nullStats = stat([0, 0.5, -0.5]);

  it('generalize with ratio -0.60 fails despite a large z', async () => {
    const r = await run({ name: 'pi', kind: 'paraphrase_invariance', cases }, withNull(new DummyDifferentialBackend(base, ft), 'paraphrase_invariance', nullStats));
    expect(r.evidence['generalization_ratio']).toBeCloseTo(-0.6, 12);
    expect(r.z_score!).toBeGreaterThan(3);
    expect(r.verdict).toBe('fail');
    expect(r.message).toContain('intent=generalize: ratio < 0.5');
  });

  it('memorize with the same numbers passes', async () => {
    const r = await run({ name: 'pi', kind: 'paraphrase_invariance', cases, intent: 'memorize' }, withNull(new DummyDifferentialBackend(base, ft), 'paraphrase_invariance', nullStats));
    expect(r.verdict).toBe('pass');
  });
});

describe('tool_use_fidelity with nothing measurable', () => {
  it('SKIPs with a reason when neither view produced a valid call', async () => {
    const search = { name: 'search_web', parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] } };
    const cases = [{ prompt: 'p1', tool_spec: search, gold_tool_name: 'search_web' }];
    const backend = new DummyDifferentialBackend({ generations: { p1: 'I cannot do that.' } }, { generations: { p1: 'Sure!' } });
    const r = await run({ name: 'tu', kind: 'tool_use_fidelity', cases }, testContext(backend));
    expect(r.verdict).toBe('skip');
    expect(r.score).toBeNull();
    expect(r.message).toMatch(/^neither view produced a schema-valid tool call \(0\/1 base, 0\/1 ft\)/);
  });
});

describe('adapter_ablation names its failing checks', () => {
  it('every failed check with its threshold and spec key', async () => {
    // The dummy scaled view switches from base to ft at λ = 0.5: a step, not a line.
    const r = await run({ name: 'ab', kind: 'adapter_ablation', prompts: ['a', 'b'], lambdas: [0, 0.25, 0.5, 1.0], assert_overshoot_gte: 1.02 }, testContext(new DummyDifferentialBackend()));
    expect(r.verdict).toBe('fail');
    const failed = r.evidence['failed_checks'] as string[];
    expect(failed.length).toBeGreaterThan(0);
    expect(r.message).toContain('— failed: ');
    expect(r.message).toContain('overshoot=1.000 < 1.02 (assert_overshoot_gte)');
    for (const f of failed) expect(r.message).toContain(f);
  });
});

describe('null evidence and the degenerate note', () => {
  const ctxWith = (s: NullStat) => withNull(null, 'delta_kl', s);

  it('records samples, effect size and the empirical tail', () => {
    const cal = calibrate(ctxWith(stat([0.1, 0.2, 0.3, 0.4])), 'delta_kl', 0.35);
    const ns = cal.evidence['null_samples'] as { n: number; min: number; max: number; values: number[] };
    expect(ns.n).toBe(4);
    expect(ns.min).toBe(0.1);
    expect(ns.max).toBe(0.4);
    expect(cal.evidence['tail_fraction']).toBe(0.25);
    expect(cal.evidence['effect_size']).toBeCloseTo((0.35 - 0.25) / Math.sqrt(0.0125), 12);
    expect(cal.z).toBeCloseTo(cal.evidence['effect_size'] as number, 9);
  });

  it('one seed: more runs help, and the note says so', () => {
    const cal = calibrate(ctxWith(stat([0.2])), 'delta_kl', 0.35);
    expect(cal.z).toBeNull();
    expect(cal.note).toMatch(/raise null_adapter `runs:`/);
  });

  it('identical under every seed: more runs cannot help, and the note says it fell back', () => {
    const cal = calibrate(ctxWith(stat([0, 0, 0, 0])), 'delta_kl', 0.35);
    expect(cal.z).toBeNull();
    expect(cal.note).not.toMatch(/runs:/);
    expect(cal.note).toMatch(/identical under all 4 seeds \(0\) — more runs cannot widen it; fixed thresholds used/);
  });

  it('a probe reports the fallback reason in its message', async () => {
    const r: ProbeResult = await run({ name: 'dk', kind: 'delta_kl', prompts: ['a'] }, withNull(new DummyDifferentialBackend(), 'delta_kl', stat([0, 0, 0])));
    expect(r.z_score).toBeNull();
    expect(r.message).toContain('fixed thresholds used');
  });

  it('tailFraction counts null samples at or beyond the value on the named side', () => {
    expect(tailFraction([1, 2, 3], 2, 'upper')).toBeCloseTo(2 / 3, 12);
    expect(tailFraction([1, 2, 3], 2, 'lower')).toBeCloseTo(2 / 3, 12);
    expect(tailFraction([], 2, 'upper')).toBeNull();
  });

  it('large z prints as > 50σ', () => {
    expect(zText(213.4)).toBe('> 50σ');
    expect(zText(-75)).toBe('< -50σ');
    expect(zText(3.21)).toBe('+3.21σ');
  });
});
