/**
 * Lockstep generation: one prompt under several views as rows of one batched decode with
 * the KV cache gives every view the tokens it gets alone (greedy, and sampled per seed),
 * in as many forwards as the longest row needs, also when rows stop at different steps
 * (their cache rows leave the batch), across a LongRoPE re-encode (phi3) and per-layer
 * head sizes with KV-shared layers (gemma4). Forwards are counted, never timed.
 */
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import type { GenerateOptions } from '../../src/core/views.js';
import type { ViewSpec } from '../../src/engine/views.js';
import { adapterDir, modelDir } from '../parity/goldens.js';
import { tinyFixtures } from '../support/fixtures.js';

const VIEWS: ViewSpec[] = [{ kind: 'base' }, { kind: 'ft' }, { kind: 'null', seed: 2 }, { kind: 'scaled', lambda: 0.5 }];

async function perView(engine: Engine, ids: number[], options: GenerateOptions): Promise<{ out: number[][]; forwards: number }> {
  const before = engine.stats.forwardPasses;
  const out: number[][] = [];
  for (const v of VIEWS) out.push(await engine.generateIds(engine.resolveView(v), ids, options));
  return { out, forwards: engine.stats.forwardPasses - before };
}

async function lockstep(engine: Engine, ids: number[], options: GenerateOptions): Promise<{ out: number[][]; forwards: number }> {
  const before = engine.stats.forwardPasses;
  const out = await engine.generateIdsViews(VIEWS.map((v) => engine.resolveView(v)), ids, options);
  return { out, forwards: engine.stats.forwardPasses - before };
}

async function withEngine(base: string, adapter: string, fn: (e: Engine) => Promise<void>): Promise<void> {
  const engine = await Engine.load({ base, adapter, threads: 1, cacheDir: null });
  try {
    await fn(engine);
  } finally {
    await engine.close();
  }
}

describe('generation for several views in lockstep', () => {
  const llama = tinyFixtures('llama');

  it('greedy: every row equals its view generated alone, in the longest row\'s forwards', async () => {
    await withEngine(llama.base, llama.trained, async (engine) => {
      const ids = engine.encode('Once upon a time');
      const options = { maxNewTokens: 12 };
      const alone = await perView(engine, ids, options);
      const together = await lockstep(engine, ids, options);
      expect(together.out).toEqual(alone.out);
      expect(new Set(alone.out.map((o) => o.join(','))).size, 'the views generate different text').toBeGreaterThan(1);
      expect(together.forwards).toBe(Math.max(...alone.out.map((o) => o.length)));
      expect(alone.forwards).toBe(alone.out.reduce((n, o) => n + o.length, 0));
      expect(together.forwards).toBeLessThan(alone.forwards);
    });
  });

  it('rows that stop early (a stop string) leave the batch; the others go on unchanged', async () => {
    await withEngine(llama.base, llama.trained, async (engine) => {
      const ids = engine.encode('The capital of France is');
      const free = await perView(engine, ids, { maxNewTokens: 10 });
      // A stop string that one view's text has (after a few tokens) and no other view's has.
      const texts0 = free.out.map((o) => engine.tokenizer.decode(o, { skipSpecialTokens: true }));
      let pick: { view: number; stop: string } | null = null;
      for (let v = 0; v < VIEWS.length && !pick; v++) {
        for (let k = 2; k + 2 <= free.out[v]!.length && !pick; k++) {
          const stop = engine.tokenizer.decode(free.out[v]!.slice(k, k + 2), { skipSpecialTokens: true });
          if (stop.trim() && texts0.every((t, w) => w === v || !t.includes(stop))) pick = { view: v, stop };
        }
      }
      expect(pick, `some view has a token pair no other view has: ${JSON.stringify(texts0)}`).not.toBeNull();
      const { view, stop } = pick!;
      const options = { maxNewTokens: 10, stop: [stop] };
      const alone = await perView(engine, ids, options);
      const together = await lockstep(engine, ids, options);
      expect(together.out).toEqual(alone.out);
      expect(alone.out[view]!.length).toBeLessThan(10);
      expect(alone.out.filter((_, w) => w !== view).every((o) => o.length === 10)).toBe(true);
      expect(together.forwards).toBe(10);
      const texts = await engine.generateViews(VIEWS, 'The capital of France is', options);
      expect(texts[view]).not.toContain(stop);
      expect(texts).toEqual(await Promise.all(VIEWS.map((v) => engine.generate(v, 'The capital of France is', options))));
    });
  });

  it('sampling with a temperature: each row equals its view alone for the same seed', async () => {
    await withEngine(llama.base, llama.trained, async (engine) => {
      const ids = engine.encode('In the morning I');
      for (const seed of [3, 11]) {
        const options = { maxNewTokens: 10, temperature: 1.3, topP: 0.95, seed };
        const alone = await perView(engine, ids, options);
        expect((await lockstep(engine, ids, options)).out).toEqual(alone.out);
        expect((await lockstep(engine, ids, options)).out, 'deterministic per seed').toEqual(alone.out);
      }
      const a = await lockstep(engine, ids, { maxNewTokens: 10, temperature: 1.3, seed: 3 });
      const b = await lockstep(engine, ids, { maxNewTokens: 10, temperature: 1.3, seed: 4 });
      expect(a.out, 'another seed samples other tokens').not.toEqual(b.out);
    });
  });

  it('phi3: rows re-encode together when they cross LongRoPE\'s original length', async () => {
    const fx = tinyFixtures('phi3');
    await withEngine(fx.base, fx.trained, async (engine) => {
      const ids = engine.encode('The sky is');
      const options = { maxNewTokens: 16 };
      const alone = await perView(engine, ids, options);
      const together = await lockstep(engine, ids, options);
      expect(together.out).toEqual(alone.out);
      expect(ids.length + Math.max(...alone.out.map((o) => o.length))).toBeGreaterThan(16);
    });
  });

  it('gemma4 (per-layer head sizes, KV-shared layers): lockstep equals alone', async () => {
    await withEngine(modelDir('gemma4-gh'), adapterDir('gemma4-gh', 'linear'), async (engine) => {
      const ids = engine.encode('Once upon a time');
      const options = { maxNewTokens: 8 };
      const alone = await perView(engine, ids, options);
      expect((await lockstep(engine, ids, options)).out).toEqual(alone.out);
    });
  });
});
