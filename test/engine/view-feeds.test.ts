/**
 * LoRA feeds go once per distinct view of a batch (rows keep their view's rank columns by a
 * mask inside the graph), packed views are reused across forwards, and vocabulary work by selection gives
 * the same bits as the full log-softmax + sort.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { Engine } from '../../src/engine/engine.js';
import { PackedViewCache, viewFeeds } from '../../src/engine/feeds.js';
import { logSoftmax, logSumExp, topKDist, topKFromLogits } from '../../src/engine/logsoftmax.js';
import type { ViewSpec } from '../../src/engine/views.js';
import { adapterDir, modelDir } from '../parity/goldens.js';
import { tinyFixtures } from '../support/fixtures.js';

describe('per-view LoRA feeds', () => {
  const fx = tinyFixtures('llama');
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.load({ base: fx.base, adapter: fx.trained, threads: 2 });
  });
  afterAll(() => engine.close());

  it('feeds one A/B per distinct slot set, whatever the number of rows; the multiplier rides in the mask', () => {
    const ft = engine.resolveView({ kind: 'ft' });
    const base = engine.resolveView({ kind: 'base' });
    const half = engine.resolveView({ kind: 'scaled', lambda: 0.5 });
    const nul = engine.resolveView({ kind: 'null', seed: 9 });
    const layout = { arch: engine.arch, groups: engine.groups as never, useDora: false, hasOverrides: false };
    const rowsViews = [ft, base, half, ft, nul, base, ft];
    const feeds = viewFeeds(layout, rowsViews);
    expect(engine.groups.length).toBeGreaterThan(0);
    // ft and scaled share the adapter's block, the null has the other one, base rows have none.
    const adapterBlock = engine.groups.length ? (feeds[`lora_mask_${engine.groups[0]!.rank}`]!.data as Float32Array)[0] === 1 ? 0 : 1 : 0;
    const blockOf = [adapterBlock, -1, adapterBlock, adapterBlock, 1 - adapterBlock, -1, adapterBlock];
    const coeff = [1, 0, 0.5, 1, 1, 0, 1];
    for (const g of engine.groups) {
      expect(feeds[`lora_${g.key}_a`]!.dims).toEqual([2 * g.rank, g.inFeatures]);
      expect(feeds[`lora_${g.key}_b`]!.dims).toEqual([2 * g.rank, g.outFeatures]);
      const mask = feeds[`lora_mask_${g.rank}`]!;
      const width = 2 * g.rank;
      expect(mask.dims).toEqual([rowsViews.length, 1, width]);
      const data = mask.data as Float32Array;
      for (let r = 0; r < rowsViews.length; r++) {
        for (let c = 0; c < width; c++) expect(data[r * width + c]).toBe(Math.floor(c / g.rank) === blockOf[r] ? coeff[r] : 0);
      }
    }
    // No LoRA bias or DoRA: no per-view vectors, so no row index either.
    expect(feeds['view_idx']).toBeUndefined();
    const off = viewFeeds(layout, [base, base, base]);
    expect(off[`lora_${engine.groups[0]!.key}_a`]!.dims).toEqual([0, engine.groups[0]!.inFeatures]);
    expect(off[`lora_mask_${engine.groups[0]!.rank}`]!.dims).toEqual([3, 1, 0]);
  });

  it('packs a set of blocks once across forwards, whatever the row order (a small LRU of sets)', () => {
    const cache = new PackedViewCache(2);
    const layout = { arch: engine.arch, groups: engine.groups as never, useDora: false, hasOverrides: false };
    const [a, b, c, half] = [{ kind: 'ft' }, { kind: 'null', seed: 1 }, { kind: 'null', seed: 2 }, { kind: 'scaled', lambda: 0.5 }].map((v) => engine.resolveView(v as ViewSpec));
    const first = viewFeeds(layout, [a!, b!, a!], cache);
    const again = viewFeeds(layout, [b!, half!, a!], cache); // same blocks (ft and x0.5 share one), other order
    expect(cache.packs).toBe(2);
    const key = `lora_${engine.groups[0]!.key}_a`;
    expect(again[key]!.data).toBe(first[key]!.data); // the cached packing itself, no copy
    viewFeeds(layout, [c!], cache);
    viewFeeds(layout, [a!, b!], cache);
    expect(cache.packs).toBe(3);
    viewFeeds(layout, [a!], cache); // a third set evicts the least recently used ({c})
    viewFeeds(layout, [c!], cache);
    expect(cache.packs).toBe(5);
  });

  it('a batch repeating views equals each row run alone, bit for bit', async () => {
    const ids = engine.encode('The capital of France is Rome. Once upon a time');
    const views: ViewSpec[] = [{ kind: 'ft' }, { kind: 'base' }, { kind: 'ft' }, { kind: 'null', seed: 4 }, { kind: 'ft' }];
    const batched = await engine.batchedLogits(views, ids);
    for (const [i, v] of views.entries()) expect(Array.from(batched[i]!)).toEqual(Array.from(await engine.fullLogits(v, ids)));
  });
});

describe('per-view feeds on every adapter shape', () => {
  // DoRA gains, LoRA bias, embedding LoRA (plain and tied head), per-head fused qkv columns, gemma4 attention.
  const cases: [string, string, string][] = [
    ['llama', 'dora', 'dora_0_qkv'],
    ['llama', 'lora_bias', ''],
    ['llama', 'embedding_lora', 'lora_embed_a'],
    ['qwen2', 'embedding_lora_tied', 'lora_embed_a'],
    ['gpt_neox', 'default', 'lora_0_qkv_a'],
    // gemma4: per-layer head sizes and KV-shared layers; k = v attention.
    ['gemma4-gh', 'linear', 'lora_0_qkv_a'],
    ['gemma4-keqv', 'linear', 'lora_0_qkv_a'],
  ];
  for (const [model, adapter, input] of cases) {
    it(`${model}/${adapter}: a mixed batch equals each row alone, with one feed entry per view`, async () => {
      const engine = await Engine.load({ base: modelDir(model), adapter: adapterDir(model, adapter), threads: 1, cacheDir: null });
      try {
        const views: ViewSpec[] = [{ kind: 'ft' }, { kind: 'base' }, { kind: 'scaled', lambda: 0.5 }, { kind: 'ft' }, { kind: 'null', seed: 3 }];
        const resolved = views.map((v) => engine.resolveView(v));
        const layout = { arch: engine.arch, groups: engine.groups as never, useDora: adapter === 'dora', hasOverrides: false };
        const feeds = viewFeeds(layout, resolved);
        // Four distinct views but two slot sets (the adapter's for ft and x0.5, the null's): LoRA A
        // stacks two rank blocks, per-view vectors have four entries.
        const group = engine.groups.find((g) => input === `lora_${g.key}_a`);
        if (input) expect(feeds[input]!.dims[0]).toBe(group ? 2 * group.rank : 4);
        if (adapter === 'lora_bias') expect(Object.keys(feeds).some((k) => k.endsWith('_bias') && feeds[k]!.dims[0] === 4)).toBe(true);
        const ids = engine.encode('The capital of France is Paris. Once upon a time');
        const batched = await engine.batchedLogits(views, ids);
        const ft = await engine.fullLogits({ kind: 'ft' }, ids);
        const base = await engine.fullLogits({ kind: 'base' }, ids);
        expect(Math.max(...ft.map((x, i) => Math.abs(x - (base[i] as number))))).toBeGreaterThan(1e-3);
        for (const [i, v] of views.entries()) {
          const alone = await engine.fullLogits(v, ids);
          expect(Math.max(...alone.map((x, j) => Math.abs(x - (batched[i]![j] as number))))).toBeLessThan(1e-5);
        }
      } finally {
        await engine.close();
      }
    });
  }
});

describe('vocabulary work by selection', () => {
  const rng = new Rng(7);
  const V = 1000;
  const logits = new Float32Array(3 * V);
  rng.fillNormal(logits, 3);
  // Ties, including at the top-k boundary.
  for (let i = 0; i < 40; i++) logits[V + 10 * i] = 9;

  it('top-k from logits equals log-softmax + full sort', () => {
    for (const row of [0, 1, 2])
      for (const k of [1, 5, 37, 600, V, V + 5]) {
        expect(topKFromLogits(logits, row * V, V, k)).toEqual(topKDist(logSoftmax(logits, row * V, V), k));
      }
  });

  it('one target logprob equals the log-softmax entry', () => {
    for (const t of [0, 17, 999]) expect((logits[V + t] as number) - logSumExp(logits, V, V)).toBe(logSoftmax(logits, V, V)[t]);
  });
});
