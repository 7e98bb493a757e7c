import { describe, expect, it } from 'vitest';
import { createDummyBackend, dummyPairKey } from '../../../src/backends/dummy.js';
import type { RollingLogprob } from '../../../src/core/results.js';
import type { Section } from '../../../src/core/sections.js';
import {
  relativeLift,
  runSectionInternalization,
  sectionInternalizationProbe,
  sectionInternalizationSchema,
} from '../../../src/probes/attribution/section-internalization.js';
import { makeRunContext } from '../../../src/probes/context.js';

const rolling = (total: number, n: number): RollingLogprob => ({
  tokenIds: Int32Array.from({ length: n + 1 }, (_, i) => i),
  logprobs: Float64Array.from({ length: n }, () => total / n),
  numTokens: n + 1,
  totalLogprob: total,
});

const PROSE = 'The heron nests in the old willow by the river.';
const SECTIONS: Section[] = [
  { id: 'p1', kind: 'prose', content: PROSE, probes: [], preferences: [], tag: null },
  {
    id: 'i1',
    kind: 'instruction',
    content: '### Q ...',
    probes: [
      { prompt: 'Q1?', gold: 'abcdefgh' },
      { prompt: 'Q2?', gold: 'ijklmnop' },
    ],
    preferences: [],
    tag: 'tone',
  },
  { id: 'r1', kind: 'preference', content: '### Prompt ...', probes: [], preferences: [{ prompt: 'P?', chosen: 'wxyz', rejected: 'no' }], tag: null },
];

// base/ft NLLs: prose 2 → 1 (lift 0.5); instruction (-4/2 tokens) 2 → 1.5 (lift 0.25); preference 1 → 1 (lift 0).
const backend = () =>
  createDummyBackend({
    base: {
      rolling: { [PROSE]: rolling(-20, 10) },
      logprobs: { [dummyPairKey('Q1?', 'abcdefgh')]: -4, [dummyPairKey('Q2?', 'ijklmnop')]: -4, [dummyPairKey('P?', 'wxyz')]: -1 },
    },
    ft: {
      rolling: { [PROSE]: rolling(-10, 10) },
      logprobs: { [dummyPairKey('Q1?', 'abcdefgh')]: -3, [dummyPairKey('Q2?', 'ijklmnop')]: -3, [dummyPairKey('P?', 'wxyz')]: -1 },
    },
  });

const spec = (extra: Record<string, unknown> = {}) => sectionInternalizationSchema.parse({ name: 'sis', ...extra });

describe('section_internalization', () => {
  it('fallback path: own minus leak per section, FAIL when fewer than half clear', async () => {
    const r = await runSectionInternalization(spec(), makeRunContext({ backend: backend(), sections: SECTIONS }));
    expect(r.verdict).toBe('fail');
    expect(r.raw).toBe(0);
    expect(r.score).toBeCloseTo(1 / 3, 12);
    expect(r.z_score).toBeNull();
    expect(r.message).toBe('1/3 sections cleared effective_sis≥0.05 (mean=+0.000) (no calibration for section_internalization)');
    const per = r.evidence['per_section'] as Record<string, unknown>[];
    expect(per.map((p) => [p['section_id'], p['own_lift'], p['leak_lift'], p['effective_sis'], p['passed']])).toEqual([
      ['p1', 0.5, 0.125, 0.375, true],
      ['i1', 0.25, 0.25, 0, false],
      ['r1', 0, 0.375, -0.375, false],
    ]);
    expect(per[0]).toMatchObject({ kind: 'prose', tag: '', base_nll: 2, ft_nll: 1 });
    expect(per[1]).toMatchObject({ tag: 'tone', base_nll: 2, ft_nll: 1.5 });
    expect(r.evidence).toMatchObject({ num_sections: 3, per_section_threshold: 0.05, weight: 1, z_by_rank: null });
    expect(r.evidence['passing_frac']).toBeCloseTo(1 / 3, 12);
    const ci = r.evidence['raw_ci_95'] as [number, number];
    expect(ci[0]).toBeLessThanOrEqual(0);
    expect(ci[1]).toBeGreaterThanOrEqual(0);
    expect(r.ci_95).toEqual(ci);
  });

  it('PASS in the fallback when the passing fraction reaches the threshold', async () => {
    const r = await runSectionInternalization(spec({ assert_passing_section_frac: 0.3 }), makeRunContext({ backend: backend(), sections: SECTIONS }));
    expect(r.verdict).toBe('pass');
  });

  it('z path against null stats', async () => {
    const ctx = makeRunContext({
      backend: backend(),
      sections: SECTIONS,
      nullStats: { section_internalization: { mean: -0.1, std: 0.05, n: 3 } },
      nullStatsByRank: { 'rank_1.00': { section_internalization: { mean: -0.1, std: 0.05, n: 3 } } },
    });
    const r = await runSectionInternalization(spec(), ctx);
    expect(r.z_score).toBeCloseTo(2, 12);
    expect(r.verdict).toBe('fail');
    expect(r.score).toBeCloseTo(1 / (1 + Math.exp(-2 / 3)), 12);
    expect(r.message).toBe('1/3 sections cleared; mean effective_sis=+0.000, z=+2.00σ vs null');
    expect((r.evidence['z_by_rank'] as Record<string, number>)['rank_1.00']).toBeCloseTo(2, 12);
    const pass = await runSectionInternalization(spec({ assert_z_gte: 1.5 }), ctx);
    expect(pass.verdict).toBe('pass');
  });

  it('SKIP without sections and with fewer than two eligible', async () => {
    const none = await runSectionInternalization(spec(), makeRunContext({ backend: backend() }));
    expect(none.verdict).toBe('skip');
    expect(none.message).toBe('no sections in context — provide via the .dlm bridge');
    const one = await runSectionInternalization(spec({ include_kinds: ['prose'] }), makeRunContext({ backend: backend(), sections: SECTIONS }));
    expect(one.verdict).toBe('skip');
    expect(one.message).toBe("need ≥2 eligible sections for leak-check; got 1 (kinds=['prose'])");
  });

  it('relative lift falls back to the absolute delta for a non-positive base NLL', () => {
    expect(relativeLift(2, 1)).toBe(0.5);
    expect(relativeLift(0, -1)).toBe(1);
    expect(relativeLift(-1, -3)).toBe(2);
  });

  it('calibrates only with at least two sections', () => {
    expect(sectionInternalizationProbe.calibrateSpec!(makeRunContext({ backend: null }))).toBeNull();
    expect(sectionInternalizationProbe.calibrateSpec!(makeRunContext({ backend: null, sections: SECTIONS }))).toMatchObject({
      name: '_calibration',
      per_section_threshold: 0.05,
    });
  });
});
