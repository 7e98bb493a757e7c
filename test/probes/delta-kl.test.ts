import { describe, expect, it } from 'vitest';
import { DummyDifferentialBackend, makeTokenDist } from '../../src/backends/dummy.js';
import { runRaw, withoutBatching } from './helpers.js';

function defaultJs(): number {
  const b = [-0.1, -5, -5, -5, -5, -5, -5, -5].map(Math.exp);
  const sb = b.reduce((a, c) => a + c, 0);
  const p = b.map((v) => v / sb);
  const f = Array.from({ length: 8 }, (_, i) => Math.exp(-Math.log(8) + (1e-4 - (2e-4 * i) / 7)));
  const sf = f.reduce((a, c) => a + c, 0);
  const q = f.map((v) => v / sf);
  const m = p.map((v, i) => (v + q[i]!) / 2);
  const kl = (x: number[]) => x.reduce((s, v, i) => s + v * Math.log(v / m[i]!), 0);
  return 0.5 * kl(p) + 0.5 * kl(q);
}

describe('delta_kl', () => {
  const entry = { name: 'dk', kind: 'delta_kl', prompts: ['a', 'b', 'c'] };

  it('fallback path: PASS with the fixed threshold and the no-calibration note', async () => {
    const r = await runRaw(entry, new DummyDifferentialBackend());
    const js = defaultJs();
    expect(r.verdict).toBe('pass');
    expect(r.raw).toBeCloseTo(js, 12);
    expect(r.score).toBeCloseTo(Math.min(1, js / Math.LN2), 12);
    expect(r.z_score).toBeNull();
    expect(r.message).toBe(`mean js=${js.toFixed(4)} (≥ 0.02) (no calibration for delta_kl)`);
    expect(r.ci_95).toEqual([r.raw, r.raw]);
    expect(r.evidence).toMatchObject({ divergence_kind: 'js', num_prompts: 3, weight: 1, z_by_rank: null, divergence_direction: 'js(symmetric)' });
  });

  it('fallback FAIL when base and ft agree', async () => {
    const d = makeTokenDist([0, 1, 2], [Math.log(0.5), Math.log(0.3), Math.log(0.2)]);
    const b = new DummyDifferentialBackend({ base: { tokenDists: { a: d } }, ft: { tokenDists: { a: d } } });
    const r = await runRaw({ name: 'dk', kind: 'delta_kl', prompts: ['a'], divergence: 'kl', assert_mean_gte: 1 }, b);
    expect(r.verdict).toBe('fail');
    expect(r.raw).toBe(0);
    expect(r.message).toBe('mean kl=0.0000 (< 1.0) (no calibration for delta_kl)');
    expect(r.evidence['divergence_direction']).toBe('kl(ft||base)');
  });

  it('z path: verdict and score from z, z_by_rank per rank', async () => {
    const js = defaultJs();
    const stats = { mean: js - 0.05, std: 0.01, n: 3, degenerate: 0 };
    const r = await runRaw(entry, new DummyDifferentialBackend(), {
      nullStats: { delta_kl: stats },
      nullStatsByRank: { 'rank_1.00': { delta_kl: stats }, 'rank_2.00': { delta_kl: { ...stats, std: 0.025 } } },
    });
    expect(r.z_score).toBeCloseTo(5, 6);
    expect(r.verdict).toBe('pass');
    expect(r.score).toBeCloseTo(1 / (1 + Math.exp(-5 / 3)), 6);
    expect(r.message).toBe(`mean js=${js.toFixed(4)}, z=+5.00σ vs null`);
    const zr = r.evidence['z_by_rank'] as Record<string, number>;
    expect(zr['rank_1.00']).toBeCloseTo(5, 6);
    expect(zr['rank_2.00']).toBeCloseTo(2, 6);
    const low = await runRaw(entry, new DummyDifferentialBackend(), { nullStats: { delta_kl: { ...stats, mean: js - 0.02 } } });
    expect(low.verdict).toBe('fail');
    expect(low.z_score).toBeCloseTo(2, 6);
  });

  it('degenerate null stats fall back to the threshold', async () => {
    const r = await runRaw(entry, new DummyDifferentialBackend(), { nullStats: { delta_kl: { mean: 0, std: 1e-6, n: 1, degenerate: 1 } } });
    expect(r.z_score).toBeNull();
    expect(r.message).toContain('(no calibration for delta_kl)');
  });

  it('batched and per-view paths give identical results; empty prompts is an ERROR', async () => {
    const withNull = { ...entry, prompts: ['x', 'y'] };
    const a = await runRaw(withNull, new DummyDifferentialBackend({ ft: { tokenDists: { x: makeTokenDist([0, 5], [-0.3, -1.5]) } } }));
    const b = await runRaw(withNull, withoutBatching(new DummyDifferentialBackend({ ft: { tokenDists: { x: makeTokenDist([0, 5], [-0.3, -1.5]) } } })));
    expect(b.raw).toBe(a.raw);
    expect(b.evidence['per_prompt']).toEqual(a.evidence['per_prompt']);
    const e = await runRaw({ name: 'dk', kind: 'delta_kl' }, new DummyDifferentialBackend());
    expect(e.verdict).toBe('error');
    expect(e.message).toBe("no prompts provided (inline 'prompts' was empty)");
  });
});
