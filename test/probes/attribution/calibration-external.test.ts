import { describe, expect, it } from 'vitest';
import { createDummyBackend, dummyPairKey } from '../../../src/backends/dummy.js';
import type { RollingLogprob } from '../../../src/core/results.js';
import { builtInPack, calibrationDriftSchema, runCalibrationDrift } from '../../../src/probes/calibration-probes/calibration-drift.js';
import { chunkCorpus, loadCorpus } from '../../../src/probes/calibration-probes/external-corpus.js';
import { externalPerplexitySchema, runExternalPerplexity } from '../../../src/probes/calibration-probes/external-perplexity.js';
import { makeRunContext } from '../../../src/probes/context.js';

describe('calibration_drift', () => {
  it('ships 200 unique facts whose golds start with a space', () => {
    const pack = builtInPack();
    expect(pack.length).toBe(200);
    expect(new Set(pack.map((p) => p[0])).size).toBe(200);
    expect(pack.every(([, g]) => g.startsWith(' '))).toBe(true);
    expect(pack[0]).toEqual(['The capital of France is', ' Paris']);
  });

  // Inline items; golds of 8 chars → 2 estimated tokens. Deltas per token: -2 (regressed), -0.5, +0.5, 0.
  const items: [string, string][] = [
    ['a', ' abcdefg'],
    ['b', ' abcdefg'],
    ['c', ' abcdefg'],
    ['d', ' abcdefg'],
  ];
  const k = dummyPairKey;
  const backend = () =>
    createDummyBackend({
      base: { logprobs: { [k('a', ' abcdefg')]: -2, [k('b', ' abcdefg')]: -2, [k('c', ' abcdefg')]: -2, [k('d', ' abcdefg')]: -2 } },
      ft: { logprobs: { [k('a', ' abcdefg')]: -6, [k('b', ' abcdefg')]: -3, [k('c', ' abcdefg')]: -1, [k('d', ' abcdefg')]: -2 } },
    });

  it('fallback: strict regression threshold, worst offenders, 0.6/0.4 score', async () => {
    const r = await runCalibrationDrift(calibrationDriftSchema.parse({ name: 'cd', items }), makeRunContext({ backend: backend() }));
    expect(r.raw).toBe(0.25);
    expect(r.ft_value).toBe(-0.5);
    expect(r.verdict).toBe('fail');
    expect(r.score).toBeCloseTo(0.6 * 0 + 0.4 * (0.5 / 1.5), 12);
    expect(r.message).toBe('1/4 items regressed >1.0 nats (frac=25.0%), mean_delta=-0.500 nats/tok (no calibration for calibration_drift)');
    expect(r.evidence).toMatchObject({ regressed_count: 1, total_items: 4, worst_offenders: [{ prompt: 'a', gold: ' abcdefg', delta: -2 }], regression_nats_threshold: 1 });
    const lenient = await runCalibrationDrift(calibrationDriftSchema.parse({ name: 'cd', items, assert_fraction_regressed_lt: 0.3 }), makeRunContext({ backend: backend() }));
    expect(lenient.verdict).toBe('pass');
  });

  it('z path is lower-is-better; items_limit; empty → ERROR', async () => {
    const ctx = makeRunContext({ backend: backend(), nullStats: { calibration_drift: { mean: 0.05, std: 0.05, n: 3 } } });
    const r = await runCalibrationDrift(calibrationDriftSchema.parse({ name: 'cd', items }), ctx);
    expect(r.z_score).toBeCloseTo(-4, 10);
    expect(r.message).toBe('1/4 items regressed (frac=25.0%), mean_delta=-0.500 nats/tok, z=-4.00σ vs null');
    const two = await runCalibrationDrift(calibrationDriftSchema.parse({ name: 'cd', items, items_limit: 2 }), makeRunContext({ backend: backend() }));
    expect(two.evidence['total_items']).toBe(2);
    const none = await runCalibrationDrift(calibrationDriftSchema.parse({ name: 'cd', items_limit: 0 }), makeRunContext({ backend: backend() }));
    expect(none.verdict).toBe('error');
    expect(none.message).toBe('no calibration items');
  });
});

describe('external_perplexity', () => {
  it('loads the shipped corpus without comments and chunks it with the 64-char tail rule', () => {
    const text = loadCorpus('public_domain_en');
    expect(Array.from(text).length).toBe(6169); // python: len of the joined body
    expect(text.startsWith('Four score and seven years ago')).toBe(true);
    expect(text).not.toContain('# --');
    expect(chunkCorpus(text, 2048, 16).map((c) => c.length)).toEqual([2048, 2048, 2048]); // 25-char tail dropped
    expect(chunkCorpus(text, 512, 2).length).toBe(2);
    expect(() => chunkCorpus(text, 0, 2)).toThrow('chunk_chars must be positive; got 0');
    expect(() => loadCorpus('nope')).toThrow("unknown external-perplexity corpus 'nope'; available: ['public_domain_en']");
  });

  it('fallback PASS on the dummy (ft -1.5 vs base -2 nats/token)', async () => {
    const r = await runExternalPerplexity(externalPerplexitySchema.parse({ name: 'ep' }), makeRunContext({ backend: createDummyBackend() }));
    expect(r.verdict).toBe('pass');
    expect(r.raw).toBeCloseTo(0.5, 12);
    expect(r.score).toBe(1);
    expect(r.base_value).toBeCloseTo(-2, 12);
    expect(r.ft_value).toBeCloseTo(-1.5, 12);
    expect(r.message).toBe('external_ppl delta=+0.500 nats/tok (≥ -0.1) (no calibration for external_perplexity)');
    expect(r.evidence).toMatchObject({ corpus: 'public_domain_en', chunk_chars: 2048, num_chunks: 3 });
  });

  it('FAIL below the gate, z path, all non-finite → ERROR', async () => {
    const text = loadCorpus('public_domain_en');
    const chunks = chunkCorpus(text, 2048, 1);
    const roll = (total: number, n: number): RollingLogprob => ({ tokenIds: new Int32Array(n + 1), logprobs: new Float64Array(n).fill(total / n), numTokens: n + 1, totalLogprob: total });
    const worse = createDummyBackend({ base: { rolling: { [chunks[0]!]: roll(-100, 100) } }, ft: { rolling: { [chunks[0]!]: roll(-150, 100) } } });
    const spec = externalPerplexitySchema.parse({ name: 'ep', max_chunks: 1 });
    const r = await runExternalPerplexity(spec, makeRunContext({ backend: worse }));
    expect(r.verdict).toBe('fail');
    expect(r.score).toBe(0);
    expect(r.message).toBe('external_ppl delta=-0.500 nats/tok (< -0.1) (no calibration for external_perplexity)');
    const z = await runExternalPerplexity(spec, makeRunContext({ backend: worse, nullStats: { external_perplexity: { mean: 0, std: 0.1, n: 3 } } }));
    expect(z.message).toBe('external_ppl delta=-0.500 nats/tok, z=-5.00σ vs null (higher-is-better)');
    const nan = createDummyBackend({ base: { rolling: { [chunks[0]!]: roll(NaN, 10) } } });
    const e = await runExternalPerplexity(spec, makeRunContext({ backend: nan }));
    expect(e.verdict).toBe('error');
    expect(e.message).toBe('every chunk produced a non-finite delta');
  });
});
