/**
 * The engine's answer caches and its drawn null views are bounded by bytes as well as by
 * entries, so a suite with many nulls, a large adapter or full-vocabulary answers does not
 * pile memory up; an evicted null is redrawn bit for bit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnswerCache, LruMap } from '../../src/engine/answer-cache.js';
import { Engine } from '../../src/engine/engine.js';
import { ViewResolver } from '../../src/engine/views.js';
import { tinyFixtures } from '../support/fixtures.js';

describe('LruMap byte bound', () => {
  it('evicts the least recently used values past the byte budget and keeps its count right', () => {
    const m = new LruMap<Float64Array>(10, (v) => v.byteLength, 100);
    m.set('a', new Float64Array(5)); // 40 B
    m.set('b', new Float64Array(5)); // 80 B
    m.get('a'); // a is now the most recent
    m.set('c', new Float64Array(5)); // 120 B > 100: b goes
    expect(m.get('b')).toBeUndefined();
    expect(m.get('a')).toBeDefined();
    expect(m.heldBytes).toBe(80);
    m.set('a', new Float64Array(1)); // replacing subtracts the old value
    expect(m.heldBytes).toBe(48);
    m.set('huge', new Float64Array(50)); // alone over budget: nothing is kept
    expect(m.size).toBe(0);
    expect(m.heldBytes).toBe(0);
  });

  it('the next-token answer cache holds at most its byte budget of distributions', () => {
    const cache = new AnswerCache(4096, 1 << 20);
    const dist = () => ({ tokenIds: new Int32Array(10_000), logprobs: new Float64Array(10_000), vocabSize: 10_000, tailLogprob: null });
    for (let i = 0; i < 50; i++) cache.set(`k${i}`, dist());
    expect(cache.heldBytes).toBeLessThanOrEqual(1 << 20);
    expect(cache.size).toBe(8); // 120 KB each
  });
});

describe('drawn null views', () => {
  const fx = tinyFixtures('llama');
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.load({ base: fx.base, adapter: fx.trained, threads: 1, cacheDir: null });
  });
  afterAll(() => engine.close());

  it('are kept within the byte budget, and an evicted one is redrawn bit for bit', () => {
    const one = new ViewResolver(engine.adapter, engine.groups, new Map()).resolve({ kind: 'null', seed: 1 });
    const bytes = one.slots.reduce((n, s) => n + s.a.byteLength + s.b.byteLength, 0);
    const resolver = new ViewResolver(engine.adapter, engine.groups, new Map(), 3 * bytes);
    for (let seed = 1; seed <= 10; seed++) resolver.resolve({ kind: 'null', seed });
    expect(resolver.keptNulls).toEqual({ views: 3, bytes: 3 * bytes });
    const again = resolver.resolve({ kind: 'null', seed: 1 });
    expect(again).not.toBe(one);
    again.slots.forEach((s, i) => {
      expect(Array.from(s.a)).toEqual(Array.from(one.slots[i]!.a));
      expect(Array.from(s.b)).toEqual(Array.from(one.slots[i]!.b));
    });
    // A kept view is the same object (batches tell views apart by identity).
    expect(resolver.resolve({ kind: 'null', seed: 1 })).toBe(again);
  });
});
