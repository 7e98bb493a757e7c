import { describe, expect, it } from 'vitest';
import { DummyDifferentialBackend, dummyPairKey, makeTokenDist } from '../../src/backends/dummy.js';
import { TwoModelDifferential } from '../../src/backends/two-model.js';

describe('DummyDifferentialBackend', () => {
  it('synthesises a sharp base and a broad ft with the reference tails', async () => {
    const b = new DummyDifferentialBackend();
    const base = await b.asBase((v) => v.nextTokenDist('x'));
    const ft = await b.asFinetuned((v) => v.nextTokenDist('x'));
    expect([...base.logprobs]).toEqual([-0.1, -5, -5, -5, -5, -5, -5, -5]);
    expect(base.tailLogprob).toBeCloseTo(Math.log(1 - Math.exp(-0.1) - 7 * Math.exp(-5)), 12);
    expect(base.tailLogprob).toBeCloseTo(-3.037, 3);
    expect(ft.tailLogprob).toBeNull();
    expect(ft.logprobs[0]).toBeCloseTo(-Math.log(8) + 1e-4, 12);
    expect(ft.logprobs[7]).toBeCloseTo(-Math.log(8) - 1e-4, 12);
    expect(await b.asBase((v) => v.logprobOf('p', 'c'))).toBe(-10);
    const r = await b.asFinetuned((v) => v.rollingLogprob('a b c'));
    expect(r.totalLogprob).toBe(-3);
    expect(r.logprobs.length).toBe(2);
  });

  it('serves canned tables and names a missing generation', async () => {
    const b = new DummyDifferentialBackend({
      base: { generations: { hi: 'there' }, logprobs: { [dummyPairKey('p', 'c')]: -1 } },
      ft: { tokenDists: { q: makeTokenDist([3, 4], [Math.log(0.6), Math.log(0.3)]) }, logprobs: { [dummyPairKey('p', 'c')]: -3 } },
    });
    expect(await b.asBase((v) => v.generate('hi', { maxNewTokens: 4 }))).toBe('there');
    await expect(b.asFinetuned((v) => v.generate('hi', { maxNewTokens: 4 }))).rejects.toThrow("dummy backend (ft): no canned generation for prompt 'hi'");
    expect((await b.asFinetuned((v) => v.nextTokenDist('q'))).tokenIds[0]).toBe(3);
    expect(await b.asScaledAdapter((0.25), (v) => v.logprobOf('p', 'c'))).toBeCloseTo(-1.5, 12);
  });

  it('allows one view at a time and restores on error', async () => {
    const b = new DummyDifferentialBackend();
    await expect(b.asBase(() => b.asFinetuned(async () => 1))).rejects.toThrow(
      "DifferentialBackend view already active ('base'); exit the current view before entering 'ft'.",
    );
    await expect(b.asBase(async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(await b.asFinetuned(async (v) => v.id)).toBe('ft');
  });

  it('null views are deterministic, seed-dependent, scale with sqrt(rank) and reject bad rank_scale', async () => {
    const b = new DummyDifferentialBackend();
    const get = (seed: number, rankScale = 1) => b.asNullAdapter(seed, { rankScale }, (v) => v.nextTokenDist('prompt'));
    const a = await get(1);
    expect([...a.logprobs]).toEqual([...(await get(1)).logprobs]);
    expect([...a.logprobs]).not.toEqual([...(await get(2)).logprobs]);
    const sum = [...a.logprobs].reduce((s, v) => s + Math.exp(v), 0);
    expect(sum).toBeCloseTo(1, 12);
    expect(await b.asNullAdapter(3, { rankScale: 2 }, async (v) => v.id)).toBe('null_3_rank2.00');
    await expect(b.asNullAdapter(1, { rankScale: 0 }, async () => 1)).rejects.toThrow(/rank_scale/);
    await expect(b.asNullAdapter(1, { rankScale: NaN }, async () => 1)).rejects.toThrow(/rank_scale/);
  });

  it('batched multi-view call equals per-view calls', async () => {
    const b = new DummyDifferentialBackend();
    const [n, s] = await b.nextTokenDistViews([{ kind: 'null', seed: 5 }, { kind: 'scaled', lambda: 0.5 }], ['a', 'b']);
    expect([...n![1]!.logprobs]).toEqual([...(await b.asNullAdapter(5, {}, (v) => v.nextTokenDist('b'))).logprobs]);
    expect([...s![0]!.logprobs]).toEqual([...(await b.asScaledAdapter(0.5, (v) => v.nextTokenDist('a'))).logprobs]);
  });

  it('preflight passes on defaults and fails on a NaN table; identity only when given', async () => {
    expect(await new DummyDifferentialBackend().preflightFiniteCheck()).toEqual({ ok: true, reason: '' });
    const bad = new DummyDifferentialBackend({ ft: { tokenDists: { preflight: makeTokenDist([0, 1], [NaN, -1]) } } });
    expect(await bad.preflightFiniteCheck()).toEqual({ ok: false, reason: "ft view produced 1/2 non-finite logprob(s) on prompt 'preflight'" });
    expect('identity' in new DummyDifferentialBackend()).toBe(false);
    expect(new DummyDifferentialBackend({ identity: 'x' }).identity?.()).toBe('x');
  });
});

describe('TwoModelDifferential', () => {
  it('routes base and ft to their backends and exposes no scaled/null views', async () => {
    const base = new DummyDifferentialBackend();
    const ft = new DummyDifferentialBackend({ ft: { generations: { p: 'ft-side' } }, base: { generations: { p: 'wrong' } } });
    const two = new TwoModelDifferential({ base, ft });
    expect(await two.asFinetuned((v) => v.generate('p', { maxNewTokens: 1 }))).toBe('ft-side');
    expect((await two.asBase((v) => v.nextTokenDist('x'))).logprobs[0]).toBe(-0.1);
    expect('asNullAdapter' in two).toBe(false);
    expect('asScaledAdapter' in two).toBe(false);
    expect((await two.preflightFiniteCheck()).ok).toBe(true);
  });
});
