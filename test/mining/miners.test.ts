import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DummyDifferentialBackend, lpKey } from '../../src/backends/dummy.js';
import { candidateParaphrases, diverse, mineOutliers, mineParaphrases } from '../../src/suite/mining/miners.js';
import { expectCleanError, sway, swayIn } from '../support/cli.js';
import { tinyFixtures } from '../support/fixtures.js';

describe('paraphrase miner', () => {
  it('generates deterministic, distinct rewrites and keeps a diverse subset', () => {
    const a = candidateParaphrases('What is the capital of France?', 20, 1);
    expect(a).toEqual(candidateParaphrases('What is the capital of France?', 20, 1));
    expect(new Set(a).size).toBe(a.length);
    expect(a).not.toContain('What is the capital of France?');
    expect(diverse('q', a, 4)).toHaveLength(4);
  });

  it('ranks candidates by the verbatim-minus-paraphrase lift gap', async () => {
    const prompt = 'What is the capital of France?';
    const cands = diverse(prompt, candidateParaphrases(prompt, 12, 0), 3);
    const ft: Record<string, number> = { [lpKey(prompt, ' Paris')]: -1 };
    cands.forEach((c, i) => (ft[lpKey(c, ' Paris')] = -2 - i));
    const backend = new DummyDifferentialBackend({}, { logprobs: ft });
    const mined = await mineParaphrases(prompt, ' Paris', backend, { topK: 3, nCandidates: 12 });
    expect(mined.map((m) => m.prompt)).toEqual([...cands].reverse());
    expect(mined[0]!.gap).toBeGreaterThan(mined[2]!.gap);
  });
});

describe('outlier miner and sway mine', () => {
  it('finds the taught prompts at the top on the trained fixture', async () => {
    const fx = tinyFixtures('llama');
    const { EngineBackend } = await import('../../src/backends/engine.js');
    const b = await EngineBackend.create({ base: fx.base, adapter: fx.trained, threads: 2 });
    try {
      const r = await mineOutliers(['The sky is', 'People write code and', 'The capital of France is', 'Every morning the baker'], b, { topK: 2 });
      expect(r.top.map((t) => t.prompt).sort()).toEqual(['The capital of France is', 'The sky is']);
      await expect(mineOutliers(['a', 'b'], b, { topK: 2 })).rejects.toThrow(/below the 2·top_k/);
    } finally {
      await b.close();
    }
  });

  it('the CLI writes mined cases and refuses an empty pool', async () => {
    const fx = tinyFixtures('llama');
    const dir = mkdtempSync(join(tmpdir(), 'sway-mine-'));
    const spec = join(dir, 'sway.yaml');
    writeFileSync(spec, `version: 1\nmodels:\n  base: {kind: hf, base: ${JSON.stringify(fx.base)}}\n  ft: {kind: hf, base: ${JSON.stringify(fx.base)}, adapter: ${JSON.stringify(fx.trained)}}\nsuite:\n  - {name: pi, kind: paraphrase_invariance, cases: [{prompt: "The sky is", gold: " green", paraphrases: ["Sky colour?"]}]}\n`);
    const out = join(dir, 'mined.yaml');
    const r = sway(['mine', spec, '--mode', 'paraphrase', '--top-k', '3', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const doc = parse(readFileSync(out, 'utf8')) as { mined_cases: { paraphrases: string[] }[] };
    expect(doc.mined_cases[0]!.paraphrases).toHaveLength(3);
    expectCleanError(await swayIn(['mine', spec, '--mode', 'outliers']));
  });
});
