import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { DifferentialBackend } from '../../src/backends/contract.js';
import { BackendNotAvailableError, ProbeError, SpecValidationError } from '../../src/core/errors.js';
import type { ProbeResult } from '../../src/core/results.js';
import type { ProbeDefinition, RunContext } from '../../src/probes/types.js';
import type { ProbeRegistryPort } from '../../src/suite/deps.js';
import { runSuite } from '../../src/suite/runner.js';
import type { LoadedSpec } from '../../src/suite/spec-types.js';

const seen: { name: string; ctx: RunContext }[] = [];

function ok(name: string, kind: string, evidence: Record<string, unknown> = {}): ProbeResult {
  return { name, kind, verdict: 'pass', score: 1, raw: 1, z_score: null, base_value: null, ft_value: null, evidence, message: 'ok', duration_s: 99, ci_95: [0, 1] };
}

const schema = z.object({ name: z.string(), kind: z.string(), enabled: z.boolean().default(true), weight: z.number().default(1), mode: z.string().optional() });

function def(kind: string, needsBackend = true): ProbeDefinition {
  return {
    kind,
    category: 'adherence',
    schema: schema as never,
    needsBackend,
    summary: kind,
    async run(spec, ctx) {
      seen.push({ name: spec.name, ctx });
      const mode = (spec as { mode?: string }).mode;
      if (mode === 'probe-error') throw new ProbeError(kind, 'no prompts');
      if (mode === 'type-error') throw new TypeError('x is undefined');
      if (kind === 'null_adapter') {
        return ok(spec.name, kind, { null_stats: { delta_kl: { mean: 0.1, std: 0.01, n: 3 } }, null_stats_by_rank: { 'rank_1.00': { delta_kl: { mean: 0.1, std: 0.01, n: 3 } } } });
      }
      return ok(spec.name, kind);
    },
  };
}

const defs: Record<string, ProbeDefinition> = { delta_kl: def('delta_kl'), null_adapter: def('null_adapter'), gradient_ghost: def('gradient_ghost', false) };
const registry: ProbeRegistryPort = {
  buildProbe(raw) {
    const r = raw as Record<string, unknown>;
    const d = defs[String(r['kind'])];
    if (!d) throw new SpecValidationError(`unknown probe kind '${String(r['kind'])}'`);
    return { probe: d, spec: schema.parse(r) };
  },
  validateAllProbes() {},
  categoryOf: () => 'adherence',
  listProbes: () => Object.values(defs),
};

function spec(suite: Record<string, unknown>[]): LoadedSpec {
  return {
    version: 1,
    models: { base: { kind: 'dummy', base: 'b', adapter: null, dtype: 'auto', device: 'auto' }, ft: { kind: 'dummy', base: 'b', adapter: '/a', dtype: 'auto', device: 'auto' } },
    defaults: { seed: 7, top_k: 16, differential: true, coverage_threshold: 0.6, score_weights: null },
    suite,
    dlm_source: null,
    specDir: '/tmp',
    source: 'mem',
  };
}

const backend = (preflight?: { ok: boolean; reason: string }): DifferentialBackend => ({
  kind: 'dummy',
  asBase: (fn) => fn({} as never),
  asFinetuned: (fn) => fn({} as never),
  ...(preflight ? { preflightFiniteCheck: async () => preflight } : {}),
  stats: () => ({ forward_passes: 3 }),
});

describe('runner', () => {
  it('runs in order: disabled skip, errors isolated, null stats merged read-only, durations re-stamped', async () => {
    seen.length = 0;
    let t = 0;
    const suite = await runSuite(
      spec([
        { name: 'early', kind: 'delta_kl' },
        { name: 'null', kind: 'null_adapter' },
        { name: 'off', kind: 'delta_kl', enabled: false },
        { name: 'pe', kind: 'delta_kl', mode: 'probe-error' },
        { name: 'te', kind: 'delta_kl', mode: 'type-error' },
        { name: 'late', kind: 'delta_kl' },
      ]),
      backend(),
      registry,
      { specPath: 'x.yaml', clock: () => (t += 0.5) },
    );
    expect(suite.probes.map((p) => [p.name, p.verdict])).toEqual([
      ['early', 'pass'], ['null', 'pass'], ['off', 'skip'], ['pe', 'error'], ['te', 'error'], ['late', 'pass'],
    ]);
    expect(suite.probes[2]?.message).toBe('disabled in spec');
    expect(suite.probes[2]?.duration_s).toBe(0);
    expect(suite.probes[3]?.message).toBe("probe 'delta_kl': no prompts");
    expect(suite.probes[4]?.message).toBe('TypeError: x is undefined');
    expect(suite.probes[0]?.duration_s).toBe(0.5);
    expect(suite.probes[0]?.ci_95).toEqual([0, 1]);
    expect(suite.null_stats).toEqual({ delta_kl: { mean: 0.1, std: 0.01, n: 3 } });
    expect(suite.backend_stats).toEqual({ forward_passes: 3 });
    expect(suite.adapter_id).toBe('/a');
    expect(suite.determinism?.seed).toBe(7);
    const early = seen.find((s) => s.name === 'early')?.ctx;
    const late = seen.find((s) => s.name === 'late')?.ctx;
    expect(early?.nullStats).toEqual({});
    expect(early?.downstreamKinds).toEqual(['null_adapter', 'delta_kl', 'delta_kl', 'delta_kl', 'delta_kl']);
    expect(late?.nullStats['delta_kl']?.mean).toBe(0.1);
    expect(late?.nullStatsByRank['rank_1.00']?.['delta_kl']?.n).toBe(3);
    expect(() => {
      (late?.nullStats as Record<string, unknown>)['x'] = 1;
    }).toThrow(TypeError);
    expect(late?.topK).toBe(16);
  });

  it('preflight failure aborts with one __preflight__ ERROR', async () => {
    seen.length = 0;
    const suite = await runSuite(spec([{ name: 'a', kind: 'delta_kl' }]), backend({ ok: false, reason: 'ft view produced 8/8 non-finite logprob(s)' }), registry);
    expect(suite.probes).toHaveLength(1);
    expect(suite.probes[0]).toMatchObject({ name: '__preflight__', kind: 'preflight', verdict: 'error', evidence: { preflight_reason: 'ft view produced 8/8 non-finite logprob(s)' } });
    expect(suite.probes[0]?.message).toBe('backend preflight failed \u2014 suite aborted before any probe ran. ft view produced 8/8 non-finite logprob(s)');
    expect(seen).toHaveLength(0);
  });

  it('pre-run-only suites run without a backend; others refuse', async () => {
    const s = await runSuite(spec([{ name: 'g', kind: 'gradient_ghost' }, { name: 'd', kind: 'delta_kl', enabled: false }]), null, registry);
    expect(s.probes.map((p) => p.verdict)).toEqual(['pass', 'skip']);
    expect(s.backend_stats).toEqual({});
    await expect(runSuite(spec([{ name: 'd', kind: 'delta_kl' }]), null, registry)).rejects.toThrow(BackendNotAvailableError);
  });
});
