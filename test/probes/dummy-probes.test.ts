import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DummyDifferentialBackend } from '../../src/backends/dummy.js';
import type { TokenDist } from '../../src/core/results.js';
import { buildProbe, validateAllProbes } from '../../src/probes/registry.js';
import { executeSpec, loadSpecText } from '../../src/suite/execute.js';
import { testContext } from '../support/context.js';
import type { RunContext } from '../../src/probes/types.js';

const ctx = (over: Partial<RunContext> = {}): RunContext => testContext(new DummyDifferentialBackend(), { topK: 256, ...over });

const run = async (raw: Record<string, unknown>, c: RunContext = ctx()) => {
  const { probe, spec } = buildProbe(raw);
  return probe.run(spec, c);
};

describe('registry', () => {
  it('lists every bad entry at once with the reference texts', () => {
    expect(() => validateAllProbes([{ name: 'a', kind: 'nope' }, { kind: 5 }, { name: 'c', kind: 'delta_kl', bogus: 1 }])).toThrow(
      /spec contains invalid probe entries:\n {2}- a: a: unknown probe kind 'nope' \(registered: .*delta_kl.*\)\n {2}- entry #1: <unknown>: probe entry missing string 'kind' field\n {2}- c: c: bogus: unknown key/,
    );
  });
});

describe('delta_kl on the dummy backend', () => {
  it('fallback path: base peaked vs ft flat passes the fixed threshold with the no-calibration note', async () => {
    const r = await run({ name: 'dk', kind: 'delta_kl', prompts: ['a', 'b'] });
    expect(r.verdict).toBe('pass');
    expect(r.raw!).toBeGreaterThan(0.3);
    expect(r.z_score).toBeNull();
    expect(r.message).toMatch(/^mean js=0\.\d{4} \(≥ 0\.02\) \(no calibration for delta_kl\)$/);
    expect(r.score).toBeCloseTo(Math.min(1, r.raw! / Math.LN2), 12);
    expect(r.evidence['num_prompts']).toBe(2);
    expect(r.ci_95).toEqual([r.raw, r.raw]);
  });

  it('z path uses the null stats and reports per-rank z', async () => {
    const stats = { mean: 0.1, std: 0.05, n: 3, degenerate: 0 };
    const r = await run({ name: 'dk', kind: 'delta_kl', prompts: ['a'] }, ctx({ nullStats: { delta_kl: stats }, nullStatsByRank: { 'rank_1.00': { delta_kl: stats }, 'rank_2.00': { delta_kl: { ...stats, std: 0.1 } } } }));
    const z = (r.raw! - 0.1) / 0.05;
    expect(r.z_score).toBeCloseTo(z, 10);
    expect(r.message).toBe(`mean js=${r.raw!.toFixed(4)}, z=+${z.toFixed(2)}σ vs null`);
    expect(Object.keys(r.evidence['z_by_rank'] as object)).toEqual(['rank_1.00', 'rank_2.00']);
  });

  it('empty prompts is an ERROR', async () => {
    const r = await run({ name: 'dk', kind: 'delta_kl' });
    expect(r.verdict).toBe('error');
    expect(r.message).toBe("no prompts provided (inline 'prompts' was empty)");
  });

  it('a NaN distribution becomes an ERROR, not a crash', async () => {
    const bad: TokenDist = { tokenIds: Int32Array.from([0, 1]), logprobs: Float64Array.from([NaN, -1]), vocabSize: 10, tailLogprob: null };
    const backend = new DummyDifferentialBackend({}, { tokenDists: { a: bad } });
    // the probe refuses the distribution; the runner turns that into this probe's ERROR and goes on
    await expect(run({ name: 'dk', kind: 'delta_kl', prompts: ['a'] }, ctx({ backend }))).rejects.toThrow(/non-finite/);
    const spec = 'version: 1\nmodels:\n  base: {kind: dummy, base: d}\n  ft: {kind: dummy, base: d}\nsuite:\n  - {name: dk, kind: delta_kl, prompts: [a]}\n  - {name: fine, kind: delta_kl, prompts: [b]}\n';
    const { suite } = await executeSpec(loadSpecText(spec, 'nan.yaml', tmpdir()), { backend });
    expect(suite.probes.map((p) => [p.name, p.verdict])).toEqual([['dk', 'error'], ['fine', 'pass']]);
    expect(suite.probes[0]!.message).toMatch(/non-finite/);
    expect(suite.probes[0]!.message).not.toMatch(/\n\s+at /);
  });
});

describe('adapter_ablation on the dummy backend', () => {
  it('log-linear blend gives a monotone curve with saturation detected', async () => {
    const r = await run({ name: 'ab', kind: 'adapter_ablation', prompts: ['a', 'b'] });
    const curve = r.evidence['mean_divergence_per_lambda'] as number[];
    expect(curve[0]).toBe(0);
    for (let i = 1; i < curve.length; i++) expect(curve[i]!).toBeGreaterThan(curve[i - 1]!);
    expect(r.raw).toBeCloseTo(r.evidence['linearity'] as number, 15);
    expect(r.message).toMatch(/^R²=\d\.\d\d, sat_λ=\d\.\d\d \((in|out of) band\), overshoot=\d\.\d\d( — failed: .*\(assert_\w+\))? \(no calibration for adapter_ablation\)$/);
  });

  it('skips when the backend cannot scale', async () => {
    const backend = new DummyDifferentialBackend();
    const noScale = { kind: 'x', asBase: backend.asBase.bind(backend), asFinetuned: backend.asFinetuned.bind(backend) };
    const r = await run({ name: 'ab', kind: 'adapter_ablation', prompts: ['a'] }, ctx({ backend: noScale }));
    expect(r.verdict).toBe('skip');
    expect(r.message).toContain('ScalableDifferentialBackend');
  });
});

describe('null_adapter on the dummy backend', () => {
  it('calibrates downstream kinds per rank and publishes stats', async () => {
    const r = await run({ name: 'n', kind: 'null_adapter', runs: 3, rank_multipliers: [0.5, 1, 2], cache: false }, ctx({ downstreamKinds: ['delta_kl', 'adapter_ablation'] }));
    expect(r.verdict).toBe('pass');
    expect(Object.keys(r.evidence['null_stats_by_rank'] as object)).toEqual(['rank_0.50', 'rank_1.00', 'rank_2.00']);
    expect((r.evidence['null_stats'] as Record<string, { n: number }>)['delta_kl']!.n).toBe(3);
    expect(r.evidence['skipped_kinds']).toEqual([{ kind: 'adapter_ablation', reason: 'probe opted out (calibrate_spec returned None)' }]);
    expect(r.message).toBe('null calibration: 1 kinds × 3 ranks [0.5x, 1x, 2x] over 3 seeds, strength-matched nulls (1 opted out)');
  });

  it('rejects bad multipliers before any work', async () => {
    const r = await run({ name: 'n', kind: 'null_adapter', rank_multipliers: [1, -0.5], cache: false }, ctx({ downstreamKinds: ['delta_kl'] }));
    expect(r.verdict).toBe('error');
    expect(r.message).toMatch(/^rank_multipliers must be positive and finite/);
  });

  it('a corrupt cache file is ignored with a warning and recomputed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sway-nc-'));
    const backend = Object.assign(new DummyDifferentialBackend(), { identity: () => 'dummy:test' });
    const spec = { name: 'n', kind: 'null_adapter', runs: 2, cache: true };
    const env = process.env;
    process.env = { ...env, SWAY_NULL_CACHE_DIR: dir };
    const warnings: string[] = [];
    const warn = (m: string): void => void warnings.push(m);
    try {
      const first = await run(spec, ctx({ backend, downstreamKinds: ['delta_kl'], warn }));
      expect(first.evidence['from_cache']).toBe(false);
      const [file] = readdirSync(dir);
      const second = await run(spec, ctx({ backend, downstreamKinds: ['delta_kl'], warn }));
      expect(second.evidence['from_cache']).toBe(true);
      writeFileSync(join(dir, file!), '{"format": 1, "key": "someone-else", "null_stats_by_rank": {}}');
      const third = await run(spec, ctx({ backend, downstreamKinds: ['delta_kl'], warn }));
      expect(third.evidence['from_cache']).toBe(false);
      expect(warnings.join('\n')).toMatch(/ignoring null-stats cache file .* written for another key/);
      writeFileSync(join(dir, file!), '{not json');
      const fourth = await run(spec, ctx({ backend, downstreamKinds: ['delta_kl'], warn }));
      expect(fourth.evidence['from_cache']).toBe(false);
      expect(warnings.at(-1)).toMatch(/ignoring null-stats cache file .*: .*JSON.*recomputing/);
    } finally {
      process.env = env;
    }
  });

  it('skips when the backend has no null views', async () => {
    const backend = new DummyDifferentialBackend();
    const plain = { kind: 'x', asBase: backend.asBase.bind(backend), asFinetuned: backend.asFinetuned.bind(backend) };
    const r = await run({ name: 'n', kind: 'null_adapter' }, ctx({ backend: plain }));
    expect(r.verdict).toBe('skip');
  });
});

describe('dummy backend views', () => {
  it('only one view at a time; null rank_scale validated', async () => {
    const b = new DummyDifferentialBackend();
    await expect(b.asBase(() => b.asFinetuned(async () => 1))).rejects.toThrow(/already active \('base'\)/);
    await expect(b.asNullAdapter(1, { rankScale: 0 }, async () => 1)).rejects.toThrow(/rank_scale/);
    expect(await b.asNullAdapter(1, {}, async (v) => v.id)).toBe('null_1');
  });
});
