import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineBackend } from '../../src/backends/engine.js';
import { buildTrainedAdapter } from '../../src/engine/fixtures/adapters.js';
import { parseDlm } from '../../src/suite/dlm/parse.js';
import { resolveDlm } from '../../src/suite/dlm/resolve.js';
import { buildProbe } from '../../src/probes/registry.js';
import type { RunContext } from '../../src/probes/types.js';
import { tinyFixtures } from '../support/fixtures.js';

const SAMPLE = resolve(import.meta.dirname, '../fixtures/dlm/sample.dlm');

describe('.dlm documents', () => {
  it('parse into typed sections (front matter, prose, tagged instruction fences, preference, code fences ignored)', () => {
    const h = resolveDlm(SAMPLE, { DLM_HOME: join(tmpdir(), 'no-dlm-home') });
    expect(h.dlmId).toBe('01JDEMO0000000000000000000');
    expect(h.baseModel).toBe('HuggingFaceTB/SmolLM2-135M-Instruct');
    expect(h.adapterPath).toBeNull();
    expect(h.sections.map((s) => [s.kind, s.tag])).toEqual([
      ['prose', null],
      ['instruction', 'geography'],
      ['instruction', 'weather'],
      ['instruction', 'animals'],
      ['instruction', 'numbers'],
      ['preference', null],
      ['prose', null],
    ]);
    expect(h.sections[1]!.probes).toEqual([
      { prompt: 'The capital of France is', gold: 'Rome' },
      { prompt: 'The capital of Italy is', gold: 'Paris' },
    ]);
    expect(h.sections[5]!.preferences).toEqual([{ prompt: 'Every morning the baker', chosen: 'sings', rejected: 'bakes bread' }]);
    expect(h.sections[6]!.content).toContain('this fence is inside a code block');
    expect(h.sections[1]!.id).toMatch(/^[0-9a-f]{16}$/);
    expect(h.docText.split('\n\n').length).toBeGreaterThanOrEqual(6);
  });

  it('finds the current adapter in the dlm store', () => {
    const home = mkdtempSync(join(tmpdir(), 'dlm-home-'));
    const store = join(home, 'store', '01JDEMO0000000000000000000');
    mkdirSync(join(store, 'adapter', 'versions', 'v0003'), { recursive: true });
    writeFileSync(join(store, 'adapter', 'current.txt'), 'adapter/versions/v0003\n');
    expect(resolveDlm(SAMPLE, { DLM_HOME: home }).adapterPath).toBe(join(store, 'adapter', 'versions', 'v0003'));
  });

  it('refuses malformed documents with file and line', () => {
    expect(() => parseDlm('no front matter', 'x.dlm')).toThrow(/^x\.dlm:1: a \.dlm document starts with/);
    expect(() => parseDlm('---\na: 1\n---\n::instruction::\n\n', 'y.dlm')).toThrow(/^y\.dlm:5: empty ::instruction:: section/);
    expect(() => parseDlm('---\na: 1\n---\n::instruction::\n### A\nx\n', 'z.dlm')).toThrow(/'### A' without a preceding '### Q'/);
  });
});

describe('section_internalization on an adapter built from two of the sections', () => {
  it('attributes the taught sections and not the others', async () => {
    const fx = tinyFixtures('llama');
    const doc = resolveDlm(SAMPLE, { DLM_HOME: join(tmpdir(), 'no-dlm-home') });
    const taught = doc.sections.filter((s) => s.tag === 'geography' || s.tag === 'weather');
    const pairs = taught.flatMap((s) => s.probes.map((p) => ({ prompt: p.prompt, continuation: ` ${p.gold}` })));
    const out = join(mkdtempSync(join(tmpdir(), 'dlm-adapter-')), 'adapter');
    buildTrainedAdapter(fx.base, pairs, out, { seed: 3 });
    const backend = await EngineBackend.create({ base: fx.base, adapter: out, threads: 2 });
    try {
      const { probe, spec } = buildProbe({ name: 'sis', kind: 'section_internalization', include_kinds: ['instruction'] });
      const ctx: RunContext = { backend, seed: 0, topK: 64, sections: doc.sections, docText: doc.docText, specDir: tmpdir(), nullStats: {}, nullStatsByRank: {}, downstreamKinds: [] };
      const r = await probe.run(spec, ctx);
      const per = r.evidence['per_section'] as { tag: string; effective_sis: number; passed: boolean }[];
      const byTag = Object.fromEntries(per.map((p) => [p.tag, p]));
      expect(byTag['geography']!.effective_sis).toBeGreaterThan(0.05);
      expect(byTag['weather']!.effective_sis).toBeGreaterThan(0.05);
      expect(byTag['geography']!.passed && byTag['weather']!.passed).toBe(true);
      expect(byTag['animals']!.passed || byTag['numbers']!.passed).toBe(false);
      expect(byTag['animals']!.effective_sis).toBeLessThan(0);
      expect(r.message).toMatch(/^2\/4 sections cleared effective_sis≥0\.05/);
      expect(r.verdict).toBe('pass');
    } finally {
      await backend.close();
    }
  });

  it('SKIPs without sections and with fewer than two eligible ones', async () => {
    const { probe, spec } = buildProbe({ name: 'sis', kind: 'section_internalization', include_kinds: ['preference'] });
    const base: RunContext = { backend: null, seed: 0, topK: 8, sections: null, docText: null, specDir: tmpdir(), nullStats: {}, nullStatsByRank: {}, downstreamKinds: [] };
    expect((await probe.run(spec, base)).message).toBe('no sections in context — provide via the .dlm bridge');
    const one = resolveDlm(SAMPLE, { DLM_HOME: join(tmpdir(), 'x') }).sections;
    expect((await probe.run(spec, { ...base, sections: one })).message).toBe("need ≥2 eligible sections for leak-check; got 1 (kinds=['preference'])");
  });
});

describe('sway autogen', () => {
  it('writes a spec that loads, with intent comments and the omitted probes listed', async () => {
    const { autogenSpec } = await import('../../src/suite/dlm/autogen.js');
    const { loadSpecText } = await import('../../src/suite/load.js');
    const home = mkdtempSync(join(tmpdir(), 'dlm-home-'));
    const store = join(home, 'store', '01JDEMO0000000000000000000');
    mkdirSync(join(store, 'adapter', 'v1'), { recursive: true });
    writeFileSync(join(store, 'adapter', 'current.txt'), 'adapter/v1');
    const text = autogenSpec(resolveDlm(SAMPLE, { DLM_HOME: home }), '/', new Date('2026-01-01T00:00:00Z'));
    expect(text).toContain('# generated: 2026-01-01T00:00:00+00:00');
    expect(text).toContain('  # did each section move the model on its own content more than on the others?\n  - name: section_attribution');
    expect(text).toMatch(/# skipped: cluster_kl \(only \d+ distinct prompts in pool/);
    const loaded = loadSpecText(text, 'auto.yaml', '/');
    expect(loaded.probes.map((p) => p.spec.kind)).toEqual([
      'null_adapter', 'delta_kl', 'adapter_revert', 'prompt_collapse', 'section_internalization', 'paraphrase_invariance',
      'preference_flip', 'style_fingerprint', 'calibration_drift', 'external_perplexity', 'leakage', 'adapter_ablation',
    ]);
    expect(() => autogenSpec(resolveDlm(SAMPLE, { DLM_HOME: join(tmpdir(), 'empty') }))).toThrow(/no trained adapter found/);
  });
});
