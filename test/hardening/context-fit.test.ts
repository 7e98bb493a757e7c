// prompt_collapse and external_perplexity on the tiny fixture model, which has 512
// positions: the inputs they build must fit it (issue 15 items 12 and 13).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngineBackend, type EngineBackend } from '../../src/backends/engine.js';
import { CONTEXT_SLACK, fitContextLengths, scoreLongText } from '../../src/probes/context-fit.js';
import { chunkCorpus, loadCorpus } from '../../src/probes/calibration/external-perplexity.js';
import { buildProbe } from '../../src/probes/registry.js';
import type { RunContext } from '../../src/probes/types.js';
import { tinyFixtures } from '../support/fixtures.js';

let backend: EngineBackend;
beforeAll(async () => {
  const fx = tinyFixtures();
  backend = await createEngineBackend({ base: fx.base, adapter: fx.trained });
});
afterAll(async () => backend?.close());

const ctx = (): RunContext => ({ backend, seed: 0, topK: 16, sections: null, docText: null, specDir: '/', nullStats: {}, nullStatsByRank: {}, downstreamKinds: [] });

async function run(entry: Record<string, unknown>) {
  const { probe, spec } = buildProbe(entry);
  return probe.run(spec, ctx());
}

describe('inputs fitted to the model context', () => {
  it('the backend reports its context', () => {
    expect(backend.maxInputTokens()).toBe(512);
  });

  it('prompt_collapse with the default context lengths (up to 1024) runs on a 512-position model', async () => {
    const r = await run({ name: 'pc', kind: 'prompt_collapse', prompts: ['The capital of France is', 'Every morning the baker'] });
    expect(r.verdict, r.message).not.toBe('error');
    const lengths = r.evidence['context_lengths'] as number[];
    expect(lengths.slice(0, 2)).toEqual([0, 256]);
    expect(r.evidence['context_lengths_dropped']).toEqual([512, 1024]);
    expect(lengths[2]).toBeGreaterThan(256);
    expect(lengths[2]).toBeLessThanOrEqual(512 - CONTEXT_SLACK);
  });

  it('prompt_collapse says why when not even two lengths fit, without blaming text the user did not write', async () => {
    const longPrompt = 'word '.repeat(600);
    const r = await run({ name: 'pc', kind: 'prompt_collapse', prompts: [longPrompt], context_lengths: [0, 64] });
    expect(r.verdict).toBe('error');
    expect(r.message).toMatch(/^the model's context leaves room for 0 tokens of prefix in front of the longest prompt/);
  });

  it('external_perplexity with default 2048-char chunks (more tokens than positions) scores them in windows', async () => {
    const tok = backend.tokenizer();
    const chunk = chunkCorpus(loadCorpus('public_domain_en'), 2048, 1)[0]!;
    const n = tok.encode(chunk).length;
    expect(n).toBeGreaterThan(512);
    const before = backend.stats()['forward_passes']!;
    const whole = await backend.asBase((v) => scoreLongText(v, chunk, tok, 512));
    expect(whole.windows).toBe(1 + Math.ceil((n - (512 - CONTEXT_SLACK)) / Math.floor((512 - CONTEXT_SLACK) / 2)));
    expect(whole.scored).toBe(n - 1); // every token after the first predicted exactly once
    expect(backend.stats()['forward_passes']! - before).toBe(whole.windows);
    expect(Number.isFinite(whole.totalLogprob)).toBe(true);
    const r = await run({ name: 'ppl', kind: 'external_perplexity', max_chunks: 2 });
    expect(r.verdict, r.message).not.toBe('error');
    expect(r.evidence['num_chunks']).toBe(2);
  });

  it('a text that fits is one rolling pass, as before', async () => {
    const tok = backend.tokenizer();
    const text = 'A short line of ordinary prose.';
    const one = await backend.asBase((v) => scoreLongText(v, text, tok, 512));
    const plain = await backend.asBase((v) => v.rollingLogprob(text));
    expect(one).toEqual({ totalLogprob: plain.totalLogprob, scored: plain.logprobs.length, windows: 1 });
  });

  it('fitContextLengths leaves lengths alone when the limit or a tokenizer is unknown', () => {
    expect(fitContextLengths([0, 256, 1024], ['x'], null, 512)).toEqual({ lengths: [0, 256, 1024], dropped: [], room: null });
    expect(fitContextLengths([0, 256, 1024], ['x'], backend.tokenizer(), null).dropped).toEqual([]);
  });
});
