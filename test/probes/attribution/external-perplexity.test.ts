import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineBackend } from '../../../src/backends/engine.js';
import { DummyDifferentialBackend } from '../../../src/backends/dummy.js';
import { chunkCorpus, loadCorpus } from '../../../src/probes/calibration/external-perplexity.js';
import { buildProbe } from '../../../src/probes/registry.js';
import { tinyFixtures } from '../../support/fixtures.js';

const ctx = (backend: EngineBackend | DummyDifferentialBackend) => ({ backend, seed: 0, topK: 8, sections: null, docText: null, specDir: tmpdir(), nullStats: {}, nullStatsByRank: {}, downstreamKinds: [] });

describe('external_perplexity', () => {
  it('loads the shipped corpus without comments and chunks it', () => {
    const text = loadCorpus('public_domain_en');
    expect(text.startsWith('Four score and seven years ago')).toBe(true);
    expect(text).not.toContain('# -- source');
    const chunks = chunkCorpus(text, 512, 3);
    expect(chunks).toHaveLength(3);
    expect(chunks[0]).toHaveLength(512);
  });

  it('dummy backend: ft is 0.5 nats/token better on every chunk', async () => {
    const { probe, spec } = buildProbe({ name: 'ep', kind: 'external_perplexity', max_chunks: 2, chunk_chars: 256 });
    const r = await probe.run(spec, ctx(new DummyDifferentialBackend()));
    expect(r.raw).toBeCloseTo(0.5, 12);
    expect(r.verdict).toBe('pass');
    expect(r.message).toBe('external_ppl delta=+0.500 nats/tok (≥ -0.1) (no calibration for external_perplexity)');
  });

  describe('tiny engine', () => {
    let b: EngineBackend;
    beforeAll(async () => {
      const fx = tinyFixtures('llama');
      b = await EngineBackend.create({ base: fx.base, adapter: fx.trained, threads: 2 });
    });
    afterAll(() => b.close());
    it('the trained fixture barely moves unrelated prose', async () => {
      const { probe, spec } = buildProbe({ name: 'ep', kind: 'external_perplexity', max_chunks: 2, chunk_chars: 256 });
      const r = await probe.run(spec, ctx(b));
      expect(Math.abs(r.raw!)).toBeLessThan(0.1);
      expect(r.evidence['num_chunks']).toBe(2);
    });
  });
});
