import { describe, expect, it } from 'vitest';
import type { DifferentialBackend, ScoringView } from '../../../src/backends/contract.js';
import { createDummyBackend, dummyPairKey } from '../../../src/backends/dummy.js';
import { ProbeError } from '../../../src/core/errors.js';
import type { Section } from '../../../src/core/sections.js';
import { paraphraseInvarianceSchema, runParaphraseInvariance } from '../../../src/probes/attribution/paraphrase-invariance.js';
import { preferenceFlipSchema, runPreferenceFlip } from '../../../src/probes/attribution/preference-flip.js';
import { pyStrRepr } from '../../../src/probes/attribution/py-repr.js';
import { makeRunContext } from '../../../src/probes/context.js';

const k = dummyPairKey;

describe('paraphrase_invariance', () => {
  // gold 'abcdefgh' → 2 estimated tokens. Verbatim: base -4 → ft -2 (lift +1.0/token);
  // paraphrases: base -4 → ft -3 and -4 → -4 (lifts 0.5, 0) → mean 0.25; ratio 0.25.
  const backend = () =>
    createDummyBackend({
      base: { logprobs: { [k('Q', 'abcdefgh')]: -4, [k('P1', 'abcdefgh')]: -4, [k('P2', 'abcdefgh')]: -4 } },
      ft: { logprobs: { [k('Q', 'abcdefgh')]: -2, [k('P1', 'abcdefgh')]: -3, [k('P2', 'abcdefgh')]: -4 } },
    });
  const spec = (extra: Record<string, unknown> = {}) =>
    paraphraseInvarianceSchema.parse({ name: 'pi', cases: [{ prompt: 'Q', gold: 'abcdefgh', paraphrases: ['P1', 'P2'] }], ...extra });

  it('generalize fallback FAILs a memorised lift', async () => {
    const r = await runParaphraseInvariance(spec(), makeRunContext({ backend: backend() }));
    expect(r.verdict).toBe('fail');
    expect(r.raw).toBe(1);
    expect(r.base_value).toBe(1);
    expect(r.ft_value).toBe(0.25);
    expect(r.score).toBeCloseTo(0.5 * 0.5 + 0.5 * 1, 12);
    expect(r.message).toBe('verb=+1.000, para=+0.250, ratio=0.25 — intent=generalize (no calibration for paraphrase_invariance)');
    expect(r.evidence).toMatchObject({ verbatim_lift_mean: 1, paraphrase_lift_mean: 0.25, generalization_ratio: 0.25, intent: 'generalize', per_case: [{ prompt: 'Q', verbatim_lift: 1, paraphrase_lift: 0.25 }] });
  });

  it('memorize intent PASSes the same numbers', async () => {
    const r = await runParaphraseInvariance(spec({ intent: 'memorize' }), makeRunContext({ backend: backend() }));
    expect(r.verdict).toBe('pass');
    expect(r.score).toBe(1);
    expect(r.message).toBe('verb=+1.000, para=+0.250, ratio=0.25 — intent=memorize (no calibration for paraphrase_invariance)');
  });

  it('z path and the empty-cases ERROR', async () => {
    const r = await runParaphraseInvariance(spec(), makeRunContext({ backend: backend(), nullStats: { paraphrase_invariance: { mean: 0, std: 0.25, n: 3 } } }));
    expect(r.z_score).toBe(4);
    expect(r.verdict).toBe('pass');
    expect(r.message).toBe('verb=+1.000, para=+0.250, ratio=0.25, z=+4.00σ vs null');
    const e = await runParaphraseInvariance(paraphraseInvarianceSchema.parse({ name: 'pi' }), makeRunContext({ backend: backend() }));
    expect(e.verdict).toBe('error');
    expect(e.message).toBe('no cases provided');
  });
});

/** Wraps a backend so that logprobOf raises ProbeError for one prompt. */
function failingOn(inner: DifferentialBackend, prompt: string): DifferentialBackend {
  const wrap = (v: ScoringView): ScoringView =>
    ({
      ...v,
      id: v.id,
      logprobOf: (p: string, c: string) => (p === prompt ? Promise.reject(new ProbeError('logprob_of', `simulated failure on '${p}'`)) : v.logprobOf(p, c)),
    }) as ScoringView;
  return { kind: 'dummy', asBase: (fn) => inner.asBase((v) => fn(wrap(v))), asFinetuned: (fn) => inner.asFinetuned((v) => fn(wrap(v))) };
}

describe('preference_flip', () => {
  // margins (chosen - rejected): base p1 -1, p2 -2, p3 -1, p4 +1; ft p1 +1, p2 +1, p3 -0.5, p4 +2.
  const lp = (b: [number, number][]) => Object.fromEntries(b.flatMap(([c, r], i) => [[k(`p${i + 1}`, 'good'), c], [k(`p${i + 1}`, 'bad'), r]]));
  const backend = () =>
    createDummyBackend({ base: { logprobs: lp([[-2, -1], [-3, -1], [-2, -1], [-1, -2]]) }, ft: { logprobs: lp([[-1, -2], [-1, -2], [-1.5, -1], [0, -2]]) } });
  const triples = [1, 2, 3, 4].map((i) => ({ prompt: `p${i}`, chosen: 'good', rejected: 'bad' }));
  const sections: Section[] = [{ id: 's', kind: 'preference', content: '', probes: [], preferences: triples, tag: null }];

  it('flip rate over base-wrong triples from the .dlm sections', async () => {
    const r = await runPreferenceFlip(preferenceFlipSchema.parse({ name: 'pf' }), makeRunContext({ backend: backend(), sections }));
    expect(r.raw).toBeCloseTo(2 / 3, 12);
    expect(r.verdict).toBe('fail');
    expect(r.score).toBeCloseTo(2 / 3 / 0.7, 12);
    expect(r.message).toBe('flip_rate=66.67% (2/3 base-wrong triples flipped by ft) (no calibration for preference_flip)');
    expect(r.base_value).toBe(-0.75);
    expect(r.ft_value).toBe(0.875);
    expect(r.evidence).toMatchObject({ flipped: 2, base_wrong: 3, total: 4, dropped_triples: 0, dropped_reasons: [] });
  });

  it('WARN with the mean margin delta when too few triples were base-wrong; ProbeError drops a triple', async () => {
    const r = await runPreferenceFlip(preferenceFlipSchema.parse({ name: 'pf', triples }), makeRunContext({ backend: failingOn(backend(), 'p2') }));
    expect(r.verdict).toBe('warn');
    // deltas p1 +2, p3 +0.5, p4 +1 → mean 7/6
    expect(r.raw).toBeCloseTo(7 / 6, 12);
    expect(r.score).toBeCloseTo(0.5 + 7 / 24, 12);
    expect(r.message).toBe('only 2 base-wrong triples < 3 required; reporting mean-margin-delta=+1.167');
    expect(r.evidence).toMatchObject({ base_wrong: 2, total: 4, dropped_triples: 1, dropped_reasons: ["'p2': probe 'logprob_of': simulated failure on 'p2'"] });
  });

  it('ERROR when every triple fails, SKIP without triples', async () => {
    const all = await runPreferenceFlip(preferenceFlipSchema.parse({ name: 'pf', triples: [triples[1]!] }), makeRunContext({ backend: failingOn(backend(), 'p2') }));
    expect(all.verdict).toBe('error');
    expect(all.message).toBe('every triple raised ProbeError (1 total); no usable margins');
    const none = await runPreferenceFlip(preferenceFlipSchema.parse({ name: 'pf' }), makeRunContext({ backend: backend() }));
    expect(none.verdict).toBe('skip');
    expect(none.message).toBe('no preference triples (inline or from sections)');
  });

  it('z path', async () => {
    const r = await runPreferenceFlip(preferenceFlipSchema.parse({ name: 'pf', triples }), makeRunContext({ backend: backend(), nullStats: { preference_flip: { mean: 0.5, std: 0.1, n: 3 } } }));
    expect(r.z_score).toBeCloseTo((2 / 3 - 0.5) / 0.1, 10);
    expect(r.message).toBe('flip_rate=66.67% (2/3), z=+1.67σ vs null');
  });

  it('pyStrRepr follows Python quoting', () => {
    expect(pyStrRepr("it's")).toBe('"it\'s"');
    expect(pyStrRepr('a\nb\\')).toBe("'a\\nb\\\\'");
  });
});
