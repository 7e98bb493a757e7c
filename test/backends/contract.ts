/**
 * Shared conformance checks for any DifferentialBackend: call `runBackendContract(name,
 * makeBackend, prompts)` inside a test file. Checks the view discipline (one view at a
 * time, restored after errors), finite next-token dists, null-view determinism and
 * rank_scale validation, batched multi-view results equal to per-view results, preflight
 * and a stable identity.
 */
import { describe, expect, it } from 'vitest';
import type { DifferentialBackend, ViewSelector } from '../../src/backends/contract.js';
import type { TokenDist } from '../../src/core/results.js';

function same(a: TokenDist, b: TokenDist, tol: number): void {
  expect([...a.tokenIds]).toEqual([...b.tokenIds]);
  a.logprobs.forEach((v, i) => expect(Math.abs(v - (b.logprobs[i] as number))).toBeLessThanOrEqual(tol));
}

export function runBackendContract(name: string, makeBackend: () => Promise<DifferentialBackend>, prompts: readonly string[], tol = 1e-6): void {
  describe(`backend contract: ${name}`, () => {
    it('gives finite, descending top-k dists on base and ft', async () => {
      const b = await makeBackend();
      for (const view of [b.asBase.bind(b), b.asFinetuned.bind(b)]) {
        const d = await view((v) => v.nextTokenDist(prompts[0] as string, 8));
        expect(d.logprobs.length).toBeGreaterThan(0);
        expect(d.logprobs.length).toBe(d.tokenIds.length);
        for (let i = 0; i < d.logprobs.length; i++) {
          expect(Number.isFinite(d.logprobs[i])).toBe(true);
          if (i > 0) expect(d.logprobs[i]!).toBeLessThanOrEqual(d.logprobs[i - 1]!);
        }
      }
      await b.close?.();
    });

    it('allows one view at a time and recovers after a throwing callback', async () => {
      const b = await makeBackend();
      await expect(b.asBase(() => b.asFinetuned(async () => 1))).rejects.toThrow(/already active/);
      await expect(b.asFinetuned(async () => Promise.reject(new Error('inner boom')))).rejects.toThrow('inner boom');
      expect(await b.asBase(async (v) => v.id)).toBe('base');
      await b.close?.();
    });

    it('null views: deterministic per seed, rank_scale <= 0 or NaN rejected, real adapter restored', async () => {
      const b = await makeBackend();
      if (!b.asNullAdapter) return;
      const p = prompts[0] as string;
      const ftBefore = await b.asFinetuned((v) => v.nextTokenDist(p, 8));
      const n1 = await b.asNullAdapter(7, {}, (v) => v.nextTokenDist(p, 8));
      same(n1, await b.asNullAdapter(7, {}, (v) => v.nextTokenDist(p, 8)), 0);
      await expect(b.asNullAdapter(7, { rankScale: 0 }, async () => 1)).rejects.toThrow(/rank_scale/);
      await expect(b.asNullAdapter(7, { rankScale: NaN }, async () => 1)).rejects.toThrow(/rank_scale/);
      await expect(b.asNullAdapter(7, {}, async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
      same(await b.asFinetuned((v) => v.nextTokenDist(p, 8)), ftBefore, 0);
      await b.close?.();
    });

    it('batched multi-view dists equal per-view dists', async () => {
      const b = await makeBackend();
      if (!b.nextTokenDistViews) return;
      const views: ViewSelector[] = [{ kind: 'base' }, { kind: 'ft' }];
      if (b.asScaledAdapter) views.push({ kind: 'scaled', lambda: 0.5 });
      if (b.asNullAdapter) views.push({ kind: 'null', seed: 3, rankScale: 2 });
      const batched = await b.nextTokenDistViews(views, prompts, 8);
      for (const [vi, sel] of views.entries()) {
        const open =
          sel.kind === 'base'
            ? b.asBase.bind(b)
            : sel.kind === 'ft'
              ? b.asFinetuned.bind(b)
              : sel.kind === 'scaled'
                ? <T>(fn: Parameters<typeof b.asBase<T>>[0]) => b.asScaledAdapter!(sel.lambda, fn)
                : <T>(fn: Parameters<typeof b.asBase<T>>[0]) => b.asNullAdapter!(sel.seed, { rankScale: sel.rankScale }, fn);
        const single = await open((v) => v.nextTokenDistBatch(prompts, 8));
        single.forEach((d, pi) => same(batched[vi]![pi]!, d, tol));
      }
      await b.close?.();
    });

    it('preflight passes and identity is stable', async () => {
      const b = await makeBackend();
      if (b.preflightFiniteCheck) expect((await b.preflightFiniteCheck()).ok).toBe(true);
      if (b.identity) {
        expect(b.identity()).toBe(b.identity());
        expect(b.identity().length).toBeGreaterThan(0);
      }
      await b.close?.();
    });
  });
}
