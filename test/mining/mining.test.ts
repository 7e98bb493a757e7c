import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createDummyBackend, dummyPairKey, makeTokenDist } from '../../src/backends/dummy.js';
import { generateCandidates } from '../../src/suite/mining/paraphrase-candidates.js';
import { diversify, mineParaphrases } from '../../src/suite/mining/paraphrases.js';
import { corpusPrompts, mineOutliers } from '../../src/suite/mining/outliers.js';

const root = mkdtempSync(join(tmpdir(), 'sway-mine-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('paraphrase candidates and diversity', () => {
  it('are deterministic per seed, never the verbatim prompt after filtering, and use the synonym table', () => {
    const a = generateCandidates('What colour is the old moonflower?', 20, 7);
    expect(generateCandidates('What colour is the old moonflower?', 20, 7)).toEqual(a);
    expect(generateCandidates('What colour is the old moonflower?', 20, 8)).not.toEqual(a);
    expect(a.some((c) => /hue|ancient|Which/.test(c))).toBe(true);
  });

  it('farthest-first selection keeps k and starts far from the seed', () => {
    const picked = diversify('the cat sat', ['the cat sat.', 'the cat sat!', 'quantum chromodynamics lecture'], 2);
    expect(picked.length).toBe(2);
    expect(picked[0]).toBe('quantum chromodynamics lecture');
  });
});

describe('mineParaphrases', () => {
  it('ranks candidates by lost lift (gap) on the gold answer', async () => {
    const cands = ['P far', 'P near'];
    const k = dummyPairKey;
    const backend = createDummyBackend({
      base: { logprobs: { [k('Q', 'abcdefgh')]: -8, [k('P far', 'abcdefgh')]: -8, [k('P near', 'abcdefgh')]: -8 } },
      ft: { logprobs: { [k('Q', 'abcdefgh')]: -2, [k('P far', 'abcdefgh')]: -8, [k('P near', 'abcdefgh')]: -3 } },
    });
    const r = await mineParaphrases('Q', 'abcdefgh', backend, { topK: 2, nCandidates: 2, generate: () => [...cands, 'Q', ''] });
    expect(r.map((m) => [m.prompt, m.gap, m.verbatim_lift, m.paraphrase_lift])).toEqual([
      ['P far', 3, 3, 0],
      ['P near', 0.5, 3, 2.5],
    ]);
    await expect(mineParaphrases('Q', 'g', backend, { topK: 5, nCandidates: 2 })).rejects.toThrow('n_candidates (2) must be >= top_k (5)');
  });
});

describe('mineOutliers', () => {
  it('top and bottom delta_kl prompts; the 2·top_k guard', async () => {
    const prompts = ['p0', 'p1', 'p2', 'p3'];
    const dist = (lp: number[]) => makeTokenDist([0, 1, 2, 3], lp);
    const sharp = dist([-0.01, -5, -6, -7]);
    const backend = createDummyBackend({
      base: { tokenDists: Object.fromEntries(prompts.map((p) => [p, sharp])) },
      ft: {
        tokenDists: {
          p0: sharp,
          p1: dist([-0.7, -0.7, -6, -7]),
          p2: dist([-3, -0.1, -6, -7]),
          p3: dist([-0.2, -2, -6, -7]),
        },
      },
    });
    const r = await mineOutliers('delta_kl', prompts, backend, { topK: 2 });
    expect(r.top.map((o) => o.prompt)).toEqual(['p2', 'p1']);
    expect(r.bottom.map((o) => o.prompt)).toEqual(['p0', 'p3']);
    expect(r.bottom[0]!.raw).toBeCloseTo(0, 9);
    expect(r.top[0]!.index).toBe(2);
    await expect(mineOutliers('delta_kl', prompts, backend, { topK: 3 })).rejects.toThrow(/below the 2·top_k \(6\).*Pass --top-k 2/);
    expect(await mineOutliers('cluster_kl', prompts, backend, { topK: 1 })).toEqual({ top: [], bottom: [] });
  });

  it('corpus prompts are 256-char chunks of the shipped corpus', () => {
    const c = corpusPrompts('public_domain_en');
    expect(c.length).toBe(24);
    expect(c[0]!.length).toBe(256);
  });
});

describe('sway mine CLI', () => {
  it('writes mined outliers from the corpus with a dummy model', async () => {
    const spec = join(root, 'sway.yaml');
    writeFileSync(spec, 'version: 1\nmodels:\n  base: {kind: dummy, base: x}\n  ft: {kind: dummy, base: x}\nsuite: []\n');
    const out = join(root, 'mined.yaml');
    const { Command } = await import('commander');
    const { register } = await import('../../src/cli/commands/mine.js');
    const program = new Command();
    register(program);
    const write = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      await program.parseAsync(['node', 'sway', 'mine', spec, '--mode', 'outliers', '--from-corpus', 'public_domain_en', '--top-k', '3', '-o', out]);
    } finally {
      process.stdout.write = write;
    }
    const doc = parse(readFileSync(out, 'utf8')) as { mined_outliers: { probe_kind: string; top: unknown[]; bottom: unknown[] } };
    expect(doc.mined_outliers.probe_kind).toBe('delta_kl');
    expect(doc.mined_outliers.top.length).toBe(3);
    await expect(program.parseAsync(['node', 'sway', 'mine', spec, '--mode', 'outliers', '-o', out])).rejects.toThrow(/no candidate prompts found/);
  });
});
