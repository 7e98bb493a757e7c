import { describe, expect, it } from 'vitest';
import { createDummyBackend } from '../../../src/backends/dummy.js';
import type { Section } from '../../../src/core/sections.js';
import { fragility, leakageProbe, leakageSchema, recall, runLeakage } from '../../../src/probes/calibration-probes/leakage.js';
import { perturb } from '../../../src/probes/calibration-probes/perturbations.js';
import { sequenceRatio } from '../../../src/probes/calibration-probes/sequence-ratio.js';
import { makeRunContext } from '../../../src/probes/context.js';

describe('difflib SequenceMatcher.ratio port', () => {
  // Expected values from python3 -c "import difflib; difflib.SequenceMatcher(None, a, b).ratio()"
  it.each([
    ['abcd', 'bcde', 0.75],
    ['The quick brown fox jumps over the lazy dog', 'The quick brown cat jumped over a lazy dog', 0.8470588235294118],
    ['héllo wörld 😀 ok', 'hello world 😀 ok', 0.875],
    ['rivers: they went the way home', ' rivers: they show the way hom', 0.8666666666666667],
    ['nothing at all like it', ' rivers: they show the way hom', 0.23076923076923078],
  ])('ratio(%j, %j) = %d', (a, b, want) => {
    expect(sequenceRatio(a, b)).toBe(want);
  });

  it('applies autojunk when b has >= 200 code points (0.3434 without it)', () => {
    const b = 'the cat sat on the mat and the dog sat on the log while the bird sang in the tree '.repeat(3).slice(0, 240);
    const a = 'the cat sat on a mat; a dog sat by a log while birds sang';
    expect(sequenceRatio(a, b)).toBe(0.24242424242424243);
  });

  it('recall is 0 for an empty side; fragility of the means', () => {
    expect(recall('', 'x')).toBe(0);
    expect(recall('x', '')).toBe(0);
    expect(fragility(0, 0.5)).toBe(0);
    expect(fragility(0.5, 0.6)).toBe(0);
    expect(fragility(1, 0.25)).toBe(0.75);
  });
});

describe('perturbations', () => {
  const t = 'Old roads, and great rivers: they show the way home. But some end.';
  it.each([
    ['typo', 'lOd roads, and great rivers: they show the way home. But some end.'],
    ['case_flip', 'old roads, and great rivers: they show the way home. But some end.'],
    ['drop_punct', 'Old roads and great rivers they show the way home But some end'],
    ['synonym_swap', 'Ancient roads, and great rivers: they show the way home. But some end.'],
    ['clause_reverse', 'and great rivers: they show the way home. But some end, Old roads'],
    ['prefix_inject', 'I think that old roads, and great rivers: they show the way home. But some end.'],
    ['register_shift', 'old roads, and great rivers: they show the way home. But some end.'],
  ] as const)('%s', (kind, want) => {
    expect(perturb(t, kind)).toBe(want);
  });
  it('edge cases', () => {
    expect(perturb('', 'typo')).toBe('');
    expect(perturb('a', 'typo')).toBe('a');
    expect(perturb('the cat_use ran fast', 'synonym_swap')).toBe('the cat_use ran quick');
    expect(perturb('no separators here', 'clause_reverse')).toBe('no separators here');
    expect(perturb('all lower case words', 'register_shift')).toBe('ALL LOWER CASE WORDS');
  });
});

const CONTENT = 'Old roads, and great rivers: they show the way home. But some end in silence.';
const SECTIONS: Section[] = [
  { id: 'p1', kind: 'prose', content: CONTENT, probes: [], preferences: [], tag: null },
  { id: 'i1', kind: 'instruction', content: 'x', probes: [], preferences: [], tag: null },
];
const PREFIX = 'Old roads, and great';
const TARGET = ' rivers: they show the way hom';
const backend = () =>
  createDummyBackend({
    ft: {
      generations: {
        [PREFIX]: TARGET,
        'lOd roads, and great': 'rivers: they went the way home',
        'I think that old roads, and great': 'nothing at all like it',
      },
    },
  });
const spec = (extra: Record<string, unknown> = {}) =>
  leakageSchema.parse({ name: 'leak', prefix_chars: 20, continuation_chars: 30, perturbations: ['typo', 'prefix_inject'], ...extra });

describe('leakage', () => {
  it('fallback: full clean recall that is fragile under edits passes via the OR gate', async () => {
    const r = await runLeakage(spec(), makeRunContext({ backend: backend(), sections: SECTIONS }));
    const pert = (0.8666666666666667 + 0.23076923076923078) / 2;
    expect(r.raw).toBe(1);
    expect(r.ft_value).toBeCloseTo(1 - pert, 12);
    expect(r.verdict).toBe('pass');
    expect(r.score).toBeCloseTo(0.7 * 0 + 0.3 * 1, 12);
    expect(r.message).toBe('greedy_recall=1.00 (perturbed=0.55, fragility=0.45) (no calibration for leakage)');
    expect(r.evidence['per_section']).toEqual([{ section_id: 'p1', clean_recall: 1, perturbed_recall: pert, fragility: 1 - pert }]);
    expect(r.evidence['raw_ci_95']).toEqual([1, 1]);
  });

  it('fallback FAIL when recall is high and robust', async () => {
    const r = await runLeakage(spec({ perturbations: [], min_fragility: 0.5 }), makeRunContext({ backend: backend(), sections: SECTIONS }));
    expect(r.verdict).toBe('fail');
    expect(r.message).toBe('greedy_recall=1.00 (perturbed=1.00, fragility=0.00) (no calibration for leakage)');
    expect(r.score).toBe(0);
  });

  it('z path is lower-is-better (negated)', async () => {
    const ctx = makeRunContext({ backend: backend(), sections: SECTIONS, nullStats: { leakage: { mean: 0.2, std: 0.1, n: 3 } } });
    const r = await runLeakage(spec(), ctx);
    expect(r.z_score).toBeCloseTo(-8, 10);
    expect(r.verdict).toBe('fail');
    expect(r.message).toBe('greedy_recall=1.00 (perturbed=0.55, fragility=0.45), z=-8.00σ vs null');
  });

  it('SKIP paths', async () => {
    const b = backend();
    expect((await runLeakage(spec(), makeRunContext({ backend: b }))).message).toBe('no sections in context — provide via the .dlm bridge');
    expect((await runLeakage(spec(), makeRunContext({ backend: b, sections: [SECTIONS[1]!] }))).message).toBe('no PROSE sections to test for leakage');
    const short = await runLeakage(spec({ prefix_chars: 500 }), makeRunContext({ backend: b, sections: SECTIONS }));
    expect(short.verdict).toBe('skip');
    expect(short.message).toBe('no PROSE sections had scorable continuations');
  });

  it('calibrates only when there is prose', () => {
    expect(leakageProbe.calibrateSpec!(makeRunContext({ backend: null, sections: [SECTIONS[1]!] }))).toBeNull();
    expect(leakageProbe.calibrateSpec!(makeRunContext({ backend: null, sections: SECTIONS }))).toMatchObject({ prefix_chars: 64, continuation_chars: 128, max_new_tokens: 48 });
  });
});
