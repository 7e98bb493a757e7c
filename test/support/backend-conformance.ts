/**
 * One conformance suite for every DifferentialBackend (the contract in
 * src/backends/contract.ts). An implementation runs it with a factory and declares, with a
 * reason, each check it cannot pass; a missing optional capability without a declared skip
 * fails. Only the contract is used, so an http backend runs it unchanged.
 *
 *   runBackendConformance({ name: 'dummy', create: async () => new DummyDifferentialBackend(), skip: { 'batched-dists': 'why' } });
 *
 * Backends may cache answers, so comparisons run the two sides on two instances.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DifferentialBackend, ScoringView, ViewSelector } from '../../src/backends/contract.js';
import { ViewConflictError, isSwayError } from '../../src/core/errors.js';
import type { TokenDist } from '../../src/core/results.js';
import { distsForViews, generateForViews, logprobsBaseFt, rollingForViews } from '../../src/probes/common.js';

export const CONFORMANCE_CHECKS = ['one-view', 'view-ids', 'batched-dists', 'batched-logprobs', 'batched-rolling', 'batched-generate', 'scale-endpoints', 'null-views', 'preflight', 'introspection', 'close-twice'] as const;
export type ConformanceCheck = (typeof CONFORMANCE_CHECKS)[number];

export interface BackendConformanceOptions {
  name: string;
  /** A fresh, independent backend on each call (the suite closes what it creates). */
  create: () => Promise<DifferentialBackend>;
  /** Optional: a backend whose model produces non-finite outputs; preflight must refuse it. */
  createNonFinite?: () => Promise<DifferentialBackend>;
  /** Checks this backend does not pass, each with the reason printed in the report. */
  skip?: Partial<Record<ConformanceCheck, string>>;
  /** Largest allowed |difference| between two computations of the same logprob (default 1e-5). */
  tolerance?: number;
  topK?: number;
}

type Capability = 'asScaledAdapter' | 'asNullAdapter' | 'nextTokenDistViews' | 'logprobOfViews' | 'rollingLogprobViews' | 'generateViews' | 'preflightFiniteCheck' | 'close';
const NEEDS: Partial<Record<ConformanceCheck, Capability>> = {
  'batched-dists': 'nextTokenDistViews',
  'batched-logprobs': 'logprobOfViews',
  'batched-rolling': 'rollingLogprobViews',
  'batched-generate': 'generateViews',
  'scale-endpoints': 'asScaledAdapter',
  'null-views': 'asNullAdapter',
  preflight: 'preflightFiniteCheck',
  'close-twice': 'close',
};

const PAIRS = [
  { prompt: 'The capital of France is', completion: ' Paris' },
  { prompt: 'Once upon a time there was a', completion: ' king' },
  { prompt: 'The sky is', completion: ' blue today' },
];

type Opener = { label: string; open: <T>(b: DifferentialBackend, fn: (v: ScoringView) => Promise<T>) => Promise<T> };

function openers(b: DifferentialBackend): Opener[] {
  const out: Opener[] = [
    { label: 'base', open: (x, fn) => x.asBase(fn) },
    { label: 'ft', open: (x, fn) => x.asFinetuned(fn) },
  ];
  if (b.asScaledAdapter) out.push({ label: 'scaled', open: (x, fn) => x.asScaledAdapter!(0.5, fn) });
  if (b.asNullAdapter) out.push({ label: 'null', open: (x, fn) => x.asNullAdapter!(1, {}, fn) });
  return out;
}

/** A view of `b` through the contract's callback methods only (no batched multi-view calls). */
export function perViewOnly(b: DifferentialBackend): DifferentialBackend {
  return {
    kind: b.kind,
    asBase: (fn) => b.asBase(fn),
    asFinetuned: (fn) => b.asFinetuned(fn),
    ...(b.asScaledAdapter ? { asScaledAdapter: (lambda: number, fn: (v: ScoringView) => Promise<unknown>) => b.asScaledAdapter!(lambda, fn) } : {}),
    ...(b.asNullAdapter ? { asNullAdapter: (seed: number, o: object, fn: (v: ScoringView) => Promise<unknown>) => b.asNullAdapter!(seed, o, fn) } : {}),
  } as DifferentialBackend;
}

function open<T>(b: DifferentialBackend, v: ViewSelector, fn: (view: ScoringView) => Promise<T>): Promise<T> {
  switch (v.kind) {
    case 'base':
      return b.asBase(fn);
    case 'ft':
      return b.asFinetuned(fn);
    case 'scaled':
      return b.asScaledAdapter!(v.lambda, fn);
    case 'null':
      return b.asNullAdapter!(v.seed, { ...(v.initScale !== undefined ? { initScale: v.initScale } : {}), ...(v.rankScale !== undefined ? { rankScale: v.rankScale } : {}) }, fn);
  }
}

function expectSameDist(a: TokenDist, b: TokenDist, tol: number, what: string): void {
  expect(Array.from(a.tokenIds), `${what}: token ids`).toEqual(Array.from(b.tokenIds));
  expect(a.vocabSize, `${what}: vocab size`).toBe(b.vocabSize);
  for (let i = 0; i < a.logprobs.length; i++) expect(Math.abs((a.logprobs[i] as number) - (b.logprobs[i] as number)), `${what}: logprob[${i}]`).toBeLessThanOrEqual(tol);
}

function expectSameDists(a: TokenDist[][], b: TokenDist[][], tol: number, what: string): void {
  expect(a.length, what).toBe(b.length);
  a.forEach((row, v) => {
    expect(row.length, what).toBe(b[v]!.length);
    row.forEach((d, p) => expectSameDist(d, b[v]![p]!, tol, `${what} [view ${v}, prompt ${p}]`));
  });
}

/** Total variation distance between two top-k distributions (tokens missing from one side count as 0). */
export function topKDistance(a: TokenDist, b: TokenDist): number {
  const pa = new Map<number, number>();
  a.tokenIds.forEach((id, i) => pa.set(id, Math.exp(a.logprobs[i] as number)));
  const pb = new Map<number, number>();
  b.tokenIds.forEach((id, i) => pb.set(id, Math.exp(b.logprobs[i] as number)));
  let sum = 0;
  for (const id of new Set([...pa.keys(), ...pb.keys()])) sum += Math.abs((pa.get(id) ?? 0) - (pb.get(id) ?? 0));
  return sum / 2;
}

export function runBackendConformance(options: BackendConformanceOptions): void {
  const { name, create } = options;
  const skip = options.skip ?? {};
  const tol = options.tolerance ?? 1e-5;
  const topK = options.topK ?? 16;
  const prompts = PAIRS.map((p) => p.prompt);

  describe(`backend conformance: ${name}`, () => {
    // Two instances: comparisons compute each side on a different one, so no answer cache
    // can make them agree by construction.
    let a: DifferentialBackend;
    let b: DifferentialBackend;
    beforeAll(async () => {
      a = await create();
      b = await create();
    });
    afterAll(async () => {
      await a?.close?.();
      await b?.close?.();
    });

    const check = (id: ConformanceCheck, title: string, body: () => Promise<void>) => {
      const reason = skip[id];
      if (reason) {
        process.stderr.write(`backend conformance: ${name}: skipping '${id}' — ${reason}\n`);
        it.skip(`${id}: ${title} (skipped: ${reason})`, () => {});
        return;
      }
      it(`${id}: ${title}`, async () => {
        const need = NEEDS[id];
        if (need && typeof a[need] !== 'function') {
          throw new Error(`${name} has no ${need}(); declare skip['${id}'] with the reason, or implement it`);
        }
        await body();
      });
    };

    check('one-view', 'a second view, nested or concurrent, rejects; a throwing callback releases the view', async () => {
      for (const outer of openers(a)) {
        for (const inner of openers(a)) {
          const err = await outer.open(a, () => inner.open(a, async () => 'opened')).catch((e: unknown) => e);
          expect(err, `${inner.label} inside ${outer.label}`).toBeInstanceOf(ViewConflictError);
        }
      }
      const settled = await Promise.allSettled([
        a.asBase(async () => {
          await new Promise((r) => setImmediate(r));
          return 'base';
        }),
        a.asFinetuned(async () => 'ft'),
      ]);
      // exactly one of two concurrent views opens (which one is the backend's business)
      expect(settled.map((s) => s.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')!.reason).toBeInstanceOf(ViewConflictError);
      const boom = new Error('callback failed');
      for (const o of openers(a)) {
        await expect(o.open(a, async () => Promise.reject(boom)), o.label).rejects.toBe(boom);
        await expect(o.open(a, () => {
          throw boom;
        }), o.label).rejects.toBe(boom);
      }
      // The view was released each time: every opener works again.
      for (const o of openers(a)) expect(await o.open(a, async (v) => v.id)).toBeTypeOf('string');
    });

    check('view-ids', 'views report their stable ids', async () => {
      expect(await a.asBase(async (v) => v.id)).toBe('base');
      expect(await a.asFinetuned(async (v) => v.id)).toBe('ft');
      if (a.asScaledAdapter) {
        expect(await a.asScaledAdapter(0.5, async (v) => v.id)).toBe('scaled_0.50');
        expect(await a.asScaledAdapter(1.25, async (v) => v.id)).toBe('scaled_1.25');
      }
      if (a.asNullAdapter) {
        expect(await a.asNullAdapter(3, {}, async (v) => v.id)).toBe('null_3');
        expect(await a.asNullAdapter(3, { rankScale: 1 }, async (v) => v.id)).toBe('null_3');
        expect(await a.asNullAdapter(3, { rankScale: 2 }, async (v) => v.id)).toBe('null_3_rank2.00');
      }
    });

    const someViews = (x: DifferentialBackend): ViewSelector[] => [
      { kind: 'base' },
      { kind: 'ft' },
      ...(x.asScaledAdapter ? [{ kind: 'scaled' as const, lambda: 0.5 }] : []),
      ...(x.asNullAdapter ? [{ kind: 'null' as const, seed: 2 }, { kind: 'null' as const, seed: 2, rankScale: 2 }] : []),
    ];

    check('batched-dists', 'nextTokenDistViews equals per-view nextTokenDistBatch and nextTokenDist, and probes/common agrees', async () => {
      const views = someViews(a);
      const batched = await a.nextTokenDistViews!(views, prompts, topK);
      const perView: TokenDist[][] = [];
      for (const v of views) perView.push(await open(b, v, (view) => view.nextTokenDistBatch(prompts, topK)));
      expectSameDists(batched, perView, tol, 'batched vs per-view batch');
      const single: TokenDist[][] = [];
      for (const v of views) single.push(await open(b, v, async (view) => Promise.all(prompts.map((p) => view.nextTokenDist(p, topK)))));
      expectSameDists(single, perView, tol, 'per-prompt vs per-view batch');
      // The probes' helper takes the batched path on a backend that has it and the per-view
      // path otherwise; both give the same answer.
      expectSameDists(await distsForViews(b, views, prompts, topK), await distsForViews(perViewOnly(a), views, prompts, topK), tol, 'distsForViews batched vs per-view');
      expect(await a.nextTokenDistViews!(views, [], topK)).toEqual(views.map(() => []));
    });

    check('batched-logprobs', 'logprobOfViews equals per-view logprobOf, and probes/common agrees', async () => {
      const views = someViews(a);
      const batched = await a.logprobOfViews!(views, PAIRS);
      expect(batched).toHaveLength(views.length);
      for (const [vi, v] of views.entries()) {
        const one = await open(b, v, async (view) => {
          const out: number[] = [];
          for (const p of PAIRS) out.push(await view.logprobOf(p.prompt, p.completion));
          return out;
        });
        one.forEach((x, pi) => {
          expect(Number.isFinite(x)).toBe(true);
          expect(Math.abs(x - batched[vi]![pi]!), `view ${JSON.stringify(v)} pair ${pi}`).toBeLessThanOrEqual(tol);
        });
      }
      const [viaBatch, viaViews] = [await logprobsBaseFt(b, PAIRS), await logprobsBaseFt(perViewOnly(a), PAIRS)];
      for (let s = 0; s < 2; s++) viaBatch[s]!.forEach((x, i) => expect(Math.abs(x - viaViews[s]![i]!)).toBeLessThanOrEqual(tol));
    });

    check('batched-rolling', 'rollingLogprobViews equals per-view rollingLogprob, and probes/common agrees', async () => {
      const views = someViews(a);
      const texts = [...prompts, 'The sky is blue today, and the sea is calm.'];
      const done: number[] = [];
      const batched = await a.rollingLogprobViews!(views, texts, (n) => done.push(n));
      expect(batched).toHaveLength(views.length);
      for (const [vi, v] of views.entries()) {
        const one = await open(b, v, async (view) => {
          const out = [];
          for (const t of texts) out.push(await view.rollingLogprob(t));
          return out;
        });
        one.forEach((r, ti) => {
          const got = batched[vi]![ti]!;
          const what = `view ${JSON.stringify(v)} text ${ti}`;
          expect(Array.from(got.tokenIds), what).toEqual(Array.from(r.tokenIds));
          expect(got.logprobs.length, what).toBe(r.logprobs.length);
          expect(r.logprobs.length, what).toBeGreaterThan(0);
          r.logprobs.forEach((x, i) => expect(Math.abs(x - got.logprobs[i]!), `${what} token ${i}`).toBeLessThanOrEqual(tol));
          expect(Math.abs(r.totalLogprob - got.totalLogprob), what).toBeLessThanOrEqual(tol * Math.max(1, r.logprobs.length));
        });
      }
      // onText, where called, counts texts monotonically up to all of them
      for (let i = 1; i < done.length; i++) expect(done[i]!).toBeGreaterThanOrEqual(done[i - 1]!);
      if (done.length) expect(done.at(-1)).toBe(texts.length);
      const [viaBatch, viaViews] = [await rollingForViews(b, views, texts), await rollingForViews(perViewOnly(a), views, texts)];
      viaBatch.forEach((row, vi) => row.forEach((r, ti) => expect(Math.abs(r.totalLogprob - viaViews[vi]![ti]!.totalLogprob)).toBeLessThanOrEqual(tol * Math.max(1, r.logprobs.length))));
      expect(await a.rollingLogprobViews!(views, [])).toEqual(views.map(() => []));
    });

    check('batched-generate', 'generateViews equals per-view generate (greedy, and sampled with a seed), and probes/common agrees', async () => {
      const views = someViews(a);
      for (const options of [{ maxNewTokens: 6 }, { maxNewTokens: 6, temperature: 0.9, seed: 5 }]) {
        const batched = await a.generateViews!(views, prompts[1]!, options);
        expect(batched).toHaveLength(views.length);
        for (const [vi, v] of views.entries()) {
          expect(batched[vi], `view ${JSON.stringify(v)} ${JSON.stringify(options)}`).toBe(await open(b, v, (view) => view.generate(prompts[1]!, options)));
        }
        expect(await generateForViews(perViewOnly(b), views, prompts[1]!, options)).toEqual(batched);
      }
      expect(await a.generateViews!([], prompts[0]!, { maxNewTokens: 4 })).toEqual([]);
    });

    check('scale-endpoints', 'scale 0 equals base and scale 1 equals ft', async () => {
      for (const [lambda, endpoint] of [[0, { kind: 'base' }], [1, { kind: 'ft' }]] as const) {
        const scaled = await a.asScaledAdapter!(lambda, async (v) => ({ d: await v.nextTokenDistBatch(prompts, topK), lp: await Promise.all(PAIRS.map((p) => v.logprobOf(p.prompt, p.completion))) }));
        const ref = await open(b, endpoint, async (v) => ({ d: await v.nextTokenDistBatch(prompts, topK), lp: await Promise.all(PAIRS.map((p) => v.logprobOf(p.prompt, p.completion))) }));
        expectSameDists([scaled.d], [ref.d], tol, `scaled ${lambda} vs ${endpoint.kind}`);
        scaled.lp.forEach((x, i) => expect(Math.abs(x - ref.lp[i]!), `logprob, scaled ${lambda} vs ${endpoint.kind}`).toBeLessThanOrEqual(tol));
      }
      // and the adapter does something, so the endpoints are not trivially equal
      const [base, ft] = [await a.asBase((v) => v.nextTokenDistBatch(prompts, topK)), await a.asFinetuned((v) => v.nextTokenDistBatch(prompts, topK))];
      expect(Math.max(...base.map((d, i) => topKDistance(d, ft[i]!)))).toBeGreaterThan(1e-4);
    });

    check('null-views', 'null views are deterministic per seed; a larger rank multiplier diverges more from base', async () => {
      const dists = (x: DifferentialBackend, seed: number, rankScale?: number) =>
        x.asNullAdapter!(seed, rankScale === undefined ? {} : { rankScale }, (v) => v.nextTokenDistBatch(prompts, topK));
      expectSameDists([await dists(a, 5)], [await dists(b, 5)], tol, 'same seed on two instances');
      expectSameDists([await dists(a, 5, 2)], [await dists(b, 5, 2)], tol, 'same seed and multiplier on two instances');
      const base = await a.asBase((v) => v.nextTokenDistBatch(prompts, topK));
      const dist = (ds: TokenDist[]) => ds.reduce((s, d, i) => s + topKDistance(d, base[i]!), 0) / ds.length;
      expect(dist(await dists(a, 5)), 'a null view differs from base').toBeGreaterThan(1e-6);
      const other = await dists(a, 6);
      expect((await dists(a, 5)).some((d, i) => topKDistance(d, other[i]!) > 1e-6), 'different seeds give different views').toBe(true);
      for (const seed of [5, 9]) {
        const byRank = [];
        for (const r of [0.25, 1, 4]) byRank.push(dist(await dists(a, seed, r)));
        expect(byRank[1]!, `seed ${seed}: divergence at multipliers 0.25, 1, 4 = ${byRank.join(', ')}`).toBeGreaterThan(byRank[0]!);
        expect(byRank[2]!, `seed ${seed}: divergence at multipliers 0.25, 1, 4 = ${byRank.join(', ')}`).toBeGreaterThan(byRank[1]!);
      }
      for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        const err = await a.asNullAdapter!(1, { rankScale: bad }, async () => 'opened').catch((e: unknown) => e);
        expect(isSwayError(err), `rankScale ${bad} must be refused with a SwayError`).toBe(true);
      }
    });

    check('preflight', 'a healthy backend passes preflight; a non-finite one fails it with a reason', async () => {
      const r = await a.preflightFiniteCheck!();
      expect(r.ok, r.reason).toBe(true);
      expect(typeof r.reason).toBe('string');
      if (!options.createNonFinite) return;
      const broken = await options.createNonFinite();
      try {
        const bad = await broken.preflightFiniteCheck!();
        expect(bad.ok).toBe(false);
        expect(bad.reason).toMatch(/non-finite/i);
      } finally {
        await broken.close?.();
      }
    });

    check('introspection', 'kind, stats, identity, warnings and tokenizer, where present, are well-formed and stable', async () => {
      expect(a.kind).toMatch(/^[a-z][a-z0-9-]*$/);
      if (a.stats) {
        await a.asBase((v) => v.nextTokenDist(prompts[0]!, topK));
        const stats = a.stats();
        for (const [k, v] of Object.entries(stats)) expect(Number.isFinite(v), `stats.${k} = ${v}`).toBe(true);
      }
      if (a.identity) {
        expect(a.identity()).toMatch(/\S/);
        expect(b.identity!(), 'two instances of the same model and adapter share an identity').toBe(a.identity());
      }
      if (a.warnings !== undefined) {
        expect(Array.isArray(a.warnings)).toBe(true);
        for (const w of a.warnings) expect(w).toBeTypeOf('string');
      }
      const tok = a.tokenizer?.() ?? null;
      if (tok) {
        const ids = tok.encode('The sky is');
        expect(ids.length).toBeGreaterThan(0);
        expect(tok.decode(ids)).toContain('sky');
        expect(tok.hasChatTemplate()).toBeTypeOf('boolean');
      }
    });

    check('close-twice', 'close() twice resolves', async () => {
      const c = await create();
      await c.asBase(async (v) => v.id);
      await c.close!();
      await expect(c.close!()).resolves.toBeUndefined();
    });
  });
}
