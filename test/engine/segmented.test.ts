/**
 * A row too long for one forward's logits budget runs in segments that continue the KV
 * cache: the same logprobs as one forward (sliding windows, learned positions, KV sharing,
 * plain-op rotary included), in more forwards; LongRoPE, whose factors depend on the whole
 * length, is never segmented.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { adapterDir, modelDir } from '../parity/goldens.js';

const TEXT = 'The capital of France is Paris. Once upon a time there was a small village by the sea, where the fishermen sang old songs every morning before dawn. ';

const cases: [string, string][] = [
  ['llama', 'default'],
  ['gemma2', 'default'], // sliding window of 4 tokens
  ['gpt2', 'default'], // learned positions
  ['gemma4-gh', 'linear'], // KV-shared layers, per-layer heads
  ['llama-hd8', 'default'], // rotary with plain ops
];

describe('long rows in KV-cached segments', () => {
  for (const [model, adapter] of cases) {
    describe(model, () => {
      let whole: Engine;
      let pieces: Engine;
      beforeAll(async () => {
        whole = await Engine.load({ base: modelDir(model), adapter: adapterDir(model, adapter), threads: 1, cacheDir: null });
        // A budget of 16 positions per forward: a 60-token text takes several segments.
        pieces = await Engine.load({ base: modelDir(model), adapter: adapterDir(model, adapter), threads: 1, cacheDir: null, forwardLogits: 16 * whole.arch.vocabSize });
      });
      afterAll(async () => {
        await whole.close();
        await pieces.close();
      });

      it('rolling logprobs equal one forward, in more forwards', async () => {
        const text = TEXT.repeat(2);
        for (const view of [{ kind: 'base' }, { kind: 'ft' }] as const) {
          const w0 = whole.stats.forwardPasses;
          const p0 = pieces.stats.forwardPasses;
          const a = await whole.rollingLogprob(view, text);
          const b = await pieces.rollingLogprob(view, text);
          expect(a.numTokens).toBeGreaterThan(48);
          expect(whole.stats.forwardPasses - w0).toBe(1);
          expect(pieces.stats.forwardPasses - p0).toBe(Math.ceil(a.numTokens / 16));
          expect(b.logprobs.length).toBe(a.logprobs.length);
          const worst = Math.max(...a.logprobs.map((x, i) => Math.abs(x - (b.logprobs[i] as number))));
          expect(worst).toBeLessThan(1e-4);
          expect(Math.abs(a.totalLogprob - b.totalLogprob)).toBeLessThan(1e-3);
        }
      });

      it('completion logprobs of a long completion equal one forward', async () => {
        const pairs = [
          { prompt: 'Once upon a time', completion: ` ${TEXT}${TEXT}` },
          { prompt: 'The capital of France is', completion: ' Paris.' },
        ];
        const a = await whole.logprobsOf([{ kind: 'base' }, { kind: 'ft' }], pairs);
        const b = await pieces.logprobsOf([{ kind: 'base' }, { kind: 'ft' }], pairs);
        for (const v of [0, 1]) for (const p of [0, 1]) expect(Math.abs(a[v]![p]! - b[v]![p]!)).toBeLessThan(1e-3);
      });
    });
  }

  it('LongRoPE rows are never segmented (their factors depend on the whole length)', async () => {
    const e = await Engine.load({ base: modelDir('phi3-longrope'), adapter: adapterDir('phi3-longrope', 'default'), threads: 1, cacheDir: null, forwardLogits: 16 * 1024 });
    try {
      const before = e.stats.forwardPasses;
      const r = await e.rollingLogprob({ kind: 'ft' }, TEXT);
      expect(r.numTokens).toBeGreaterThan(16);
      expect(e.stats.forwardPasses - before).toBe(1);
    } finally {
      await e.close();
    }
  });

  it('a batch over the token budget (2048 per forward) is split, with the same answers', async () => {
    const e = await Engine.load({ base: modelDir('llama'), adapter: adapterDir('llama', 'default'), threads: 1, cacheDir: null });
    try {
      const prompts = Array.from({ length: 300 }, (_, i) => `Once upon a time there were ${i} cats`);
      const tokens = prompts.reduce((n, p) => n + e.encode(p).length, 0);
      expect(tokens).toBeGreaterThan(2048);
      const before = e.stats.forwardPasses;
      const all = await e.nextTokenDists([{ kind: 'ft' }], prompts, 3);
      const forwards = e.stats.forwardPasses - before;
      expect(forwards).toBeGreaterThanOrEqual(Math.ceil(tokens / 2048));
      const alone = await Engine.load({ base: modelDir('llama'), adapter: adapterDir('llama', 'default'), threads: 1, cacheDir: null });
      try {
        const one = await alone.nextTokenDists([{ kind: 'ft' }], [prompts[299]!], 3);
        expect(Array.from(one[0]![0]!.tokenIds)).toEqual(Array.from(all[0]![299]!.tokenIds));
        expect(Math.abs(one[0]![0]!.logprobs[0]! - all[0]![299]!.logprobs[0]!)).toBeLessThan(1e-5);
      } finally {
        await alone.close();
      }
    } finally {
      await e.close();
    }
  });
});
