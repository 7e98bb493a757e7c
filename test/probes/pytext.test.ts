import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { DummyDifferentialBackend } from '../../src/backends/dummy.js';
import { perturb } from '../../src/probes/calibration/perturb.js';
import { fingerprint } from '../../src/probes/calibration/style-fingerprint.js';
import { pyIsBlank, pyLen, pyRegExp, pySlice, pyStrip } from '../../src/probes/pytext.js';
import { buildProbe } from '../../src/probes/registry.js';

describe('Python text rules', () => {
  it('whitespace is str.isspace(): \\x1c-\\x1f and \\x85 yes, \\ufeff no', () => {
    expect(pyIsBlank(' \x1c\x1d\x1e\x1f\x85\u3000\n')).toBe(true);
    expect(pyIsBlank('\ufeff')).toBe(false);
    expect(pyStrip('\x85 a b\x1f')).toBe('a b');
    expect(pyStrip('\ufeffa')).toBe('\ufeffa');
  });

  it('\\b is a Unicode word boundary; lengths and slices count code points', () => {
    expect('ҜUp U'.match(pyRegExp('\\b[A-Za-z]+\\b', 'g'))).toEqual(['U']);
    expect('a\x1cb'.split(pyRegExp('\\s'))).toEqual(['a', 'b']);
    expect(pyLen('𝒳ab')).toBe(3);
    expect(pySlice('𝒳abc', 1, 3)).toBe('ab');
  });
});

describe('style fingerprint follows Python re', () => {
  it('matches the reference on non-ASCII text', () => {
    // Printed by the reference (dlm_sway 0.1.0 `_core_fingerprint`) for this text.
    const t = 'Ҝeep ҜUp the pace.\x1cNext one.\x85Then more!\n\x1f\nAnother para 𝒳 here, wörds ok_ay.';
    const ref = [0.075, 0.014433756729740644, 1.0, 0.4111111111111111, 0.6666666666666666, 6.666666666666666];
    const fp = fingerprint(t);
    for (let i = 0; i < ref.length; i++) expect(fp[i], `dim ${i}`).toBeCloseTo(ref[i]!, 12);
  });
});

describe('perturbations follow Python str', () => {
  it('match the reference on non-ASCII prefixes', () => {
    // Printed by the reference's `_perturb` (dlm_sway 0.1.0 leakage.py).
    expect(perturb('éimportant, but important', 'synonym_swap')).toBe('éimportant, but significant');
    expect(perturb('École 𝒳 are here ok and then something longer', 'register_shift')).toBe('école 𝒳 are here ok and then something longer');
    expect(perturb('école de la musique, très bien', 'register_shift')).toBe('ÉCOLE DE LA MUSIQUE, TRÈS BIEN');
    expect(perturb('𝒳ab', 'typo')).toBe('a𝒳b');
    expect(perturb('𝒳ab', 'prefix_inject')).toBe('I think that 𝒳ab');
    expect(perturb('ǅx', 'case_flip')).toBe('Ǆx');
  });
});

describe('SKIPs without sections carry no evidence (as the reference)', () => {
  const ctx = { backend: new DummyDifferentialBackend(), seed: 0, topK: 8, sections: null, docText: null, specDir: tmpdir(), nullStats: {}, nullStatsByRank: {}, downstreamKinds: [] };
  it.each([
    ['leakage', null],
    ['leakage', []],
    ['section_internalization', null],
    ['section_internalization', []],
  ])('%s with sections=%j', async (kind, sections) => {
    const { probe, spec } = buildProbe({ name: 'x', kind });
    const r = await probe.run(spec, { ...ctx, sections });
    expect(r.verdict).toBe('skip');
    expect(r.evidence).toEqual({});
  });
});
