/**
 * external_perplexity scores every chunk under both views in batched forwards, and the
 * result equals the old path (one chunk and one view at a time) on the tiny fixture model:
 * short chunks (one rolling pass each) and 2048-char chunks (longer than the model's 512
 * positions, so windows). Forwards are counted, never timed.
 */
import { describe, expect, it } from 'vitest';
import type { DifferentialBackend } from '../../src/backends/contract.js';
import { chunkCorpus, loadCorpus } from '../../src/probes/calibration/external-perplexity.js';
import { contextLimit, scoreLongText, scoreLongTexts } from '../../src/probes/context-fit.js';
import { buildProbe } from '../../src/probes/registry.js';
import { startTrace, stopTrace } from '../../src/core/trace.js';
import { perViewOnly } from '../support/backend-conformance.js';
import { testContext } from '../support/context.js';
import { freshEngineBackends } from '../support/engine-backends.js';

const fresh = freshEngineBackends();

async function ppl(backend: DifferentialBackend, entry: Record<string, unknown>, progress?: (done: number, total: number, unit: string) => void) {
  const { probe, spec } = buildProbe({ name: 'ppl', kind: 'external_perplexity', ...entry });
  return probe.run(spec, testContext(backend, progress ? { progress } : {}));
}

describe('external_perplexity: chunks x views in one batch', () => {
  for (const [label, entry] of [
    ['short chunks', { chunk_chars: 300, max_chunks: 6 }],
    ['chunks longer than the context (windows)', { chunk_chars: 2048, max_chunks: 2 }],
  ] as const) {
    it(`${label}: same per-chunk deltas as one chunk and one view at a time, in fewer forwards`, async () => {
      const batchedBackend = await fresh();
      const perView = await fresh();
      const events: [number, number, string][] = [];
      const batched = await ppl(batchedBackend, entry, (d, t, u) => events.push([d, t, u]));
      // The old path: views opened one at a time, one chunk per call; same tokenizer and context.
      const unbatched = await ppl({ ...perViewOnly(perView), tokenizer: () => perView.tokenizer(), maxInputTokens: () => perView.maxInputTokens() }, entry);
      expect(batched.verdict, batched.message).not.toBe('error');
      const n = entry.max_chunks;
      expect(batched.evidence['num_chunks']).toBe(n);
      const [a, b] = [batched.evidence['per_chunk_delta'] as number[], unbatched.evidence['per_chunk_delta'] as number[]];
      expect(a).toHaveLength(n);
      a.forEach((d, i) => expect(Math.abs(d - b[i]!), `chunk ${i}`).toBeLessThanOrEqual(1e-9));
      expect(Math.abs((batched.base_value as number) - (unbatched.base_value as number))).toBeLessThanOrEqual(1e-9);
      expect(Math.abs((batched.ft_value as number) - (unbatched.ft_value as number))).toBeLessThanOrEqual(1e-9);
      const [fb, fu] = [batchedBackend.stats()['forward_passes']!, perView.stats()['forward_passes']!];
      expect(fb, `batched ${fb} forwards vs ${fu} unbatched`).toBeLessThan(fu);
      // progress: monotonic counts of chunks, ending at all of them
      expect(events.length).toBeGreaterThan(0);
      expect(events.at(-1)).toEqual([n, n, 'chunks']);
      for (let i = 1; i < events.length; i++) expect(events[i]![0]).toBeGreaterThanOrEqual(events[i - 1]![0]);
    });
  }

  it('scoreLongTexts equals scoreLongText per view and text, bit for bit', async () => {
    const backend = await fresh();
    const other = await fresh();
    const tok = backend.tokenizer();
    const limit = contextLimit(backend);
    const corpus = loadCorpus('public_domain_en');
    const texts = [...chunkCorpus(corpus, 2048, 1), ...chunkCorpus(corpus.slice(5000), 200, 3), 'x'];
    const views = [{ kind: 'base' }, { kind: 'ft' }, { kind: 'null', seed: 3 }] as const;
    const batched = await scoreLongTexts(backend, views, texts, tok, limit);
    const one = [
      await other.asBase(async (v) => Promise.all(texts.map((t) => scoreLongText(v, t, tok, limit)))),
      await other.asFinetuned(async (v) => Promise.all(texts.map((t) => scoreLongText(v, t, tok, limit)))),
      await other.asNullAdapter(3, {}, async (v) => Promise.all(texts.map((t) => scoreLongText(v, t, tok, limit)))),
    ];
    expect(batched).toEqual(one);
    expect(batched[0]![0]!.windows).toBeGreaterThan(1);
  });

  it('the engine reuses rolling and completion answers it already computed (no second forward)', async () => {
    const backend = await fresh();
    const texts = chunkCorpus(loadCorpus('public_domain_en'), 300, 3);
    const first = await backend.rollingLogprobViews([{ kind: 'base' }, { kind: 'ft' }], texts);
    const before = backend.stats()['forward_passes']!;
    const again = await backend.rollingLogprobViews([{ kind: 'base' }, { kind: 'null', seed: 1 }], texts);
    const afterBase = backend.stats()['forward_passes']! - before;
    expect(again[0]).toEqual(first[0]);
    const onlyNull = await (await fresh()).rollingLogprobViews([{ kind: 'null', seed: 1 }], texts);
    expect(again[1]).toEqual(onlyNull[0]);
    const pairs = [{ prompt: 'The sky is', completion: ' blue' }];
    const lp = await backend.logprobOfViews([{ kind: 'ft' }], pairs);
    const mid = backend.stats()['forward_passes']!;
    expect(await backend.logprobOfViews([{ kind: 'ft' }], pairs)).toEqual(lp);
    expect(backend.stats()['forward_passes']!).toBe(mid);
    expect(afterBase).toBeGreaterThan(0); // the null view still ran
  });

  it('forwards run longest rows first (the runtime\'s arena grows once, to the largest forward)', async () => {
    const backend = await fresh();
    const corpus = loadCorpus('public_domain_en');
    const texts = [100, 700, 300, 800, 60, 500, 600].map((n, i) => corpus.slice(i * 200, i * 200 + n));
    startTrace();
    let events;
    try {
      await backend.rollingLogprobViews([{ kind: 'base' }, { kind: 'ft' }], [...texts, ...texts, ...texts]);
    } finally {
      events = stopTrace();
    }
    const forwards = events.filter((e) => e.op === 'forward');
    expect(forwards.length).toBeGreaterThan(2);
    const meanLength = forwards.map((e) => e.tokens / e.rows);
    for (let i = 1; i < meanLength.length; i++) expect(meanLength[i]!, `forward ${i}: ${meanLength.join(', ')}`).toBeLessThanOrEqual(meanLength[i - 1]!);
  });
});
