import { describe, expect, it } from 'vitest';
import { buildProbe, categoryOf, listProbes, registeredKinds, validateAllProbes } from '../../src/probes/registry.js';
import { makeRunContext } from '../../src/probes/context.js';
import { SpecValidationError } from '../../src/core/errors.js';

describe('registry', () => {
  it('registers the core kinds with their categories', () => {
    const kinds = registeredKinds();
    for (const k of ['null_adapter', 'delta_kl', 'adapter_ablation', 'cluster_kl', 'prompt_collapse', 'adapter_revert', 'multi_turn_coherence_decay']) {
      expect(kinds).toContain(k);
    }
    expect(categoryOf('null_adapter')).toBe('baseline');
    expect(categoryOf('adapter_ablation')).toBe('ablation');
    expect(categoryOf('delta_kl')).toBe('adherence');
    expect(listProbes().every((p) => p.summary.length > 0)).toBe(true);
  });

  it('builds a frozen spec with defaults and lax coercion', () => {
    const { probe, spec } = buildProbe({ name: 'd', kind: 'delta_kl', prompts: ['a'], enabled: 'no', assert_mean_gte: '1e-3' });
    expect(probe.kind).toBe('delta_kl');
    expect(spec).toMatchObject({ name: 'd', enabled: false, weight: 1, divergence: 'js', top_k: null, assert_mean_gte: 0.001, assert_z_gte: 3 });
    expect(Object.isFrozen(spec)).toBe(true);
    expect(buildProbe({ name: 'n', kind: 'null_adapter', runs: '3' }).spec).toMatchObject({ runs: 3, rank_multipliers: [1], cache: true });
  });

  it('reports the reference error texts', () => {
    expect(() => buildProbe({ name: 'x' })).toThrow("x: probe entry missing string 'kind' field");
    expect(() => buildProbe({ kind: 3 })).toThrow("<unknown>: probe entry missing string 'kind' field");
    expect(() => buildProbe({ name: 'x', kind: 'nope' })).toThrow(/^x: unknown probe kind 'nope' \(registered: adapter_ablation, adapter_revert, .*delta_kl/);
    expect(() => buildProbe({ name: 'x', kind: 'delta_kl', promts: [] })).toThrow("'promts' (did you mean 'prompts'?)");
  });

  it('validateAllProbes lists every bad entry at once', () => {
    let err: unknown;
    try {
      validateAllProbes([{ name: 'ok', kind: 'delta_kl' }, { kind: 'bogus' }, { name: 'b', kind: 'null_adapter', runs: 11 }]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpecValidationError);
    const lines = (err as Error).message.split('\n');
    expect(lines[0]).toBe('spec contains invalid probe entries:');
    expect(lines[1]).toMatch(/^ {2}- entry #1: unknown probe kind 'bogus'/);
    expect(lines[2]).toMatch(/^ {2}- b: 1 validation error: runs: /);
    expect(lines).toHaveLength(3);
    expect(() => validateAllProbes([{ name: 'ok', kind: 'delta_kl' }])).not.toThrow();
  });

  it('RunContext stats maps are read-only', () => {
    const ctx = makeRunContext({ backend: null, nullStats: { delta_kl: { mean: 0, std: 1, n: 3 } }, nullStatsByRank: { 'rank_1.00': { delta_kl: { mean: 0, std: 1, n: 3 } } } });
    expect(() => {
      (ctx.nullStats as Record<string, unknown>)['x'] = 1;
    }).toThrow(TypeError);
    expect(() => {
      (ctx.nullStatsByRank['rank_1.00'] as Record<string, { mean: number }>)['delta_kl']!.mean = 5;
    }).toThrow(TypeError);
  });
});
