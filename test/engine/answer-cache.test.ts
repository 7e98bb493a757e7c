/**
 * Completion and rolling logprobs are answered again from the engine's cache (null
 * calibration asks for the base view's once per null run): no forward for a repeat, the
 * same values, and a different view, seed or text is computed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { tinyFixtures } from '../support/fixtures.js';

describe('logprob answer cache', () => {
  const fx = tinyFixtures('llama');
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.load({ base: fx.base, adapter: fx.trained, threads: 1, cacheDir: null });
  });
  afterAll(() => engine.close());

  it('rolling logprobs: a repeat costs no forward and returns equal, independent arrays', async () => {
    const text = 'The quick brown fox jumps over the lazy dog.';
    const f0 = engine.stats.forwardPasses;
    const a = await engine.rollingLogprob({ kind: 'base' }, text);
    expect(engine.stats.forwardPasses - f0).toBe(1);
    const b = await engine.rollingLogprob({ kind: 'base' }, text);
    expect(engine.stats.forwardPasses - f0).toBe(1);
    expect(Array.from(b.logprobs)).toEqual(Array.from(a.logprobs));
    b.logprobs[0] = 99; // the caller's copy, not the cache's
    expect((await engine.rollingLogprob({ kind: 'base' }, text)).logprobs[0]).toBe(a.logprobs[0]);
    await engine.rollingLogprob({ kind: 'null', seed: 1 }, text);
    await engine.rollingLogprob({ kind: 'null', seed: 2 }, text);
    await engine.rollingLogprob({ kind: 'base' }, `${text} Again.`);
    expect(engine.stats.forwardPasses - f0).toBe(4);
  });

  it('completion logprobs: only the pairs and views not seen yet are computed', async () => {
    const pairs = [
      { prompt: 'The sky is', completion: ' blue' },
      { prompt: 'Fire is', completion: ' hot' },
    ];
    const first = await engine.logprobsOf([{ kind: 'base' }, { kind: 'ft' }], pairs);
    const rows0 = engine.stats.batchedRows;
    const again = await engine.logprobsOf([{ kind: 'base' }, { kind: 'ft' }], pairs);
    expect(engine.stats.batchedRows).toBe(rows0);
    expect(again).toEqual(first);
    const more = await engine.logprobsOf([{ kind: 'ft' }, { kind: 'scaled', lambda: 0.5 }], [...pairs, { prompt: 'Ice is', completion: ' cold' }]);
    // New: ft on the third pair, and lambda 0.5 on all three.
    expect(engine.stats.batchedRows - rows0).toBe(4);
    expect(more[0]!.slice(0, 2)).toEqual(first[1]);
    // The same prompt + completion text split differently is a different question.
    const split = await engine.logprobsOf([{ kind: 'base' }], [{ prompt: 'The sky', completion: ' is blue' }]);
    expect(engine.stats.batchedRows - rows0).toBe(5);
    expect(split[0]![0]).not.toBe(first[0]![0]);
  });
});
