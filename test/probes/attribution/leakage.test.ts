import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { DummyDifferentialBackend } from '../../../src/backends/dummy.js';
import { perturb, PERTURBATIONS } from '../../../src/probes/calibration/perturb.js';
import { recall, sequenceRatio } from '../../../src/probes/calibration/seqmatch.js';
import { buildProbe } from '../../../src/probes/registry.js';

// Expected values printed by CPython's difflib.SequenceMatcher(None, a, b).ratio() on this machine.
const DIFFLIB: [string, string, number][] = [
  ['hello world', 'hello there world', 0.7857142857142857],
  ['abc', '', 0.0],
  ['the cat sat on the mat', 'the dog sat on a mat', 0.7619047619047619],
  ['Four score and seven years ago', 'four score and 7 years ago our fathers', 0.7058823529411765],
  ['é ü 💥 ok', 'é u 💥 ok!', 0.8235294117647058],
];

describe('difflib-equivalent ratio', () => {
  it('matches CPython on short strings', () => {
    for (const [a, b, r] of DIFFLIB) expect(sequenceRatio(a, b), `${a} | ${b}`).toBeCloseTo(r, 15);
  });

  it('applies the autojunk rule when b has >= 200 characters', () => {
    const words = 'the a of and to in is was that it'.split(' ');
    const t = Array.from({ length: 80 }, (_, i) => words[(i * 7) % words.length]).join(' ');
    // A long b whose spaces and common letters are "popular": matches can only start on rare characters.
    expect(t.length).toBeGreaterThanOrEqual(200);
    const near = `${t.slice(0, 150)}XYZ${t.slice(150, 260)}`;
    // CPython gives 0.5617977528089888 here; without the autojunk rule the ratio would be near 0.99.
    expect(sequenceRatio(near, t)).toBe(0.5617977528089888);
    expect(recall('', 'x')).toBe(0);
  });
});

describe('perturbations', () => {
  const text = 'It was a great idea, and the result showed many things.';
  it('are deterministic single edits', () => {
    const out = Object.fromEntries(PERTURBATIONS.map((k) => [k, perturb(text, k)]));
    expect(out).toEqual({
      typo: 'tI was a great idea, and the result showed many things.',
      case_flip: 'it was a great idea, and the result showed many things.',
      drop_punct: 'It was a great idea and the result showed many things',
      synonym_swap: 'It was a excellent idea, and the result showed many things.',
      clause_reverse: 'and the result showed many things, It was a great idea',
      prefix_inject: 'I think that it was a great idea, and the result showed many things.',
      register_shift: 'it was a great idea, and the r' + 'esult showed many things.',
    });
  });
});

describe('leakage probe', () => {
  const sections = [{ id: 's1', kind: 'prose' as const, content: 'The quick brown fox jumps over the lazy dog near the river bank today.', probes: [], preferences: [], tag: null }];
  const ctx = (backend: DummyDifferentialBackend) => ({ backend, seed: 0, topK: 8, sections, docText: null, specDir: tmpdir(), nullStats: {}, nullStatsByRank: {}, downstreamKinds: [] });

  it('full verbatim recall from the clean prefix, little after most edits: fragile, so it passes', async () => {
    const content = sections[0]!.content;
    const gens: Record<string, string> = { [content.slice(0, 20)]: content.slice(20, 60) };
    for (const k of PERTURBATIONS) gens[perturb(content.slice(0, 20), k)] ??= 'zzzz';
    const { probe, spec } = buildProbe({ name: 'lk', kind: 'leakage', prefix_chars: 20, continuation_chars: 40 });
    const r = await probe.run(spec, ctx(new DummyDifferentialBackend({}, { generations: gens })));
    expect(r.raw).toBe(1);
    // drop_punct, synonym_swap and clause_reverse leave this prefix unchanged (recall 1);
    // the other four get 'zzzz' (one shared 'z' with the target: 2/44).
    expect(r.evidence['mean_perturbed_recall']).toBeCloseTo((3 + 4 * (2 / 44)) / 7, 12);
    expect(r.verdict).toBe('pass');
    expect(r.message).toBe('greedy_recall=1.00 (perturbed=0.45, fragility=0.55) (no calibration for leakage)');
  });

  it('SKIPs without prose sections', async () => {
    const { probe, spec } = buildProbe({ name: 'lk', kind: 'leakage' });
    const r = await probe.run(spec, { ...ctx(new DummyDifferentialBackend()), sections: [] });
    expect(r.message).toBe('no PROSE sections to test for leakage');
  });
});
