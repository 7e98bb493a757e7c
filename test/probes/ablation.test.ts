import { describe, expect, it } from 'vitest';
import { DummyDifferentialBackend } from '../../src/backends/dummy.js';
import { TwoModelDifferential } from '../../src/backends/two-model.js';
import { divergence } from '../../src/core/divergence.js';
import { overshoot, saturation } from '../../src/probes/adapter-ablation.js';
import { runRaw, withoutBatching } from './helpers.js';

describe('adapter_ablation helpers', () => {
  it('saturation: first index reaching 0.9·max, non-monotonic and flat cases', () => {
    expect(saturation([0, 0.5, 1, 1.5], [0, 0.5, 0.95, 1])).toEqual([1, 'found']);
    expect(saturation([0, 0.5, 1, 1.5], [0, 0.6, 0.4, 1])).toEqual([1.5, 'non_monotonic']);
    expect(saturation([0, 1], [0, 0])).toEqual([null, 'flat_curve']);
    expect(saturation([], [])).toEqual([null, 'flat_curve']);
  });
  it('overshoot: div(λmax)/div(1) with its fallbacks', () => {
    expect(overshoot([0, 1, 1.25], [0, 0.4, 0.5])).toBeCloseTo(1.25, 12);
    expect(overshoot([0, 0.5, 0.9], [0, 0.4, 0.5])).toBe(1);
    expect(overshoot([0, 0.5, 1], [0, 0.4, 0.5])).toBe(1);
    expect(overshoot([0, 1, 2], [0, 0, 0.5])).toBe(1);
  });
});

describe('adapter_ablation', () => {
  const entry = { name: 'abl', kind: 'adapter_ablation', prompts: ['p', 'q'] };

  it('builds the λ curve from the interpolated views and applies the fixed checks', async () => {
    const b = new DummyDifferentialBackend();
    const r = await runRaw(entry, b);
    const curve = r.evidence['mean_divergence_per_lambda'] as number[];
    const ref = await b.asScaledAdapter(0, (v) => v.nextTokenDist('p'));
    for (const [i, lam] of [0, 0.25, 0.5, 0.75, 1, 1.25].entries()) {
      const d = divergence(ref, await b.asScaledAdapter(lam, (v) => v.nextTokenDist('p')));
      expect(curve[i]).toBeCloseTo(d, 14);
    }
    expect(curve[0]).toBe(0);
    expect(r.raw).toBeCloseTo(0.9481779329302965, 10);
    expect(r.evidence).toMatchObject({ saturation_lambda: 1.25, saturation_reason: 'found', passed_linearity: true, passed_saturation: false, passed_overshoot: true });
    expect(r.evidence['overshoot']).toBeCloseTo(curve[5]! / curve[4]!, 14);
    expect(r.verdict).toBe('fail');
    // 0.4·1 + 0.3·0.3 + 0.3·clamp((1.2647-1)/0.2) = 0.79
    expect(r.score).toBeCloseTo(0.79, 12);
    expect(r.message).toBe('R²=0.95, sat_λ=1.25 (out of band), overshoot=1.26 (no calibration for adapter_ablation)');
    expect(r.ci_95).toBeNull();

    const wide = await runRaw({ ...entry, assert_saturation_between: [0.3, 1.3] }, b);
    expect(wide.verdict).toBe('pass');
    const perView = await runRaw(entry, withoutBatching(new DummyDifferentialBackend()));
    expect(perView.evidence['mean_divergence_per_lambda']).toEqual(curve);
  });

  it('z path from injected stats; SKIP without scaling; ERROR without prompts; min 3 lambdas', async () => {
    const r = await runRaw(entry, new DummyDifferentialBackend(), { nullStats: { adapter_ablation: { mean: 0.5, std: 0.1, n: 3, degenerate: 0 } } });
    expect(r.z_score).toBeCloseTo((0.9481779329302965 - 0.5) / 0.1, 8);
    expect(r.verdict).toBe('pass');
    expect(r.message).toBe('R²=0.95, sat_λ=1.25 (out of band), overshoot=1.26, z=+4.48σ vs null');
    const two = new TwoModelDifferential({ base: new DummyDifferentialBackend(), ft: new DummyDifferentialBackend() });
    const s = await runRaw(entry, two);
    expect(s.verdict).toBe('skip');
    expect(s.message).toBe('backend does not implement ScalableDifferentialBackend — adapter ablation requires LoRA-scale access');
    expect((await runRaw({ name: 'a', kind: 'adapter_ablation' }, two)).message).toBe('no prompts provided');
    await expect(runRaw({ ...entry, lambdas: [0, 1] }, two)).rejects.toThrow(/lambdas/);
  });
});
