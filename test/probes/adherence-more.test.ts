import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DummyDifferentialBackend, lpKey } from '../../src/backends/dummy.js';
import { EngineBackend } from '../../src/backends/engine.js';
import type { TokenDist } from '../../src/core/results.js';
import { fitHalfLifeTurns, sparkline } from '../../src/probes/adherence/multi-turn.js';
import { fitHalfLife, stuffing } from '../../src/probes/adherence/prompt-collapse.js';
import { specificityOf } from '../../src/probes/adherence/cluster-kl.js';
import { cosine, embed } from '../../src/probes/embedder.js';
import { buildProbe } from '../../src/probes/registry.js';
import { testContext } from '../support/context.js';
import type { RunContext } from '../../src/probes/types.js';
import { tinyFixtures } from '../support/fixtures.js';

const ctx = (backend: RunContext['backend'], over: Partial<RunContext> = {}): RunContext => testContext(backend, { topK: 64, ...over });
const run = (raw: Record<string, unknown>, c: RunContext) => {
  const { probe, spec } = buildProbe(raw);
  return probe.run(spec, c);
};

const peaked = (top: number): TokenDist => ({ tokenIds: Int32Array.from([top, (top + 1) % 8, (top + 2) % 8]), logprobs: Float64Array.from([-0.05, -4, -4.5]), vocabSize: 8, tailLogprob: null });

describe('cluster_kl', () => {
  const animals = ['The cat sleeps', 'The dog barks', 'A cat purrs', 'A dog runs'];
  const code = ['Write Rust code', 'Debug Rust code', 'Write Python code', 'Debug Python code'];

  it('specificity: topic-targeted divergence separates clusters, uniform does not', () => {
    expect(specificityOf([1, 1, 0, 0], [0, 0, 1, 1], 2).specificity).toBe(1);
    expect(specificityOf([1, 0, 1, 0], [0, 0, 1, 1], 2).specificity).toBe(0);
    expect(specificityOf([0.3, 0.3, 0.3, 0.3], [0, 0, 1, 1], 2)).toMatchObject({ specificity: 0.5, degenerate: true });
  });

  it('a dummy adapter that moves only the code prompts has high specificity and passes', async () => {
    const ft = Object.fromEntries(code.map((p) => [p, peaked(3)]));
    const base = Object.fromEntries([...animals, ...code].map((p) => [p, peaked(0)]));
    const animalsFt = Object.fromEntries(animals.map((p) => [p, peaked(0)]));
    const backend = new DummyDifferentialBackend({ tokenDists: base }, { tokenDists: { ...animalsFt, ...ft } });
    const r = await run({ name: 'ck', kind: 'cluster_kl', prompts: [...animals, ...code], num_clusters: 2, min_prompts: 8 }, ctx(backend));
    expect(r.evidence['per_cluster_size']).toEqual([4, 4]);
    expect(r.raw).toBeCloseTo(1, 9);
    expect(r.verdict).toBe('pass');
    expect(r.message).toMatch(/^specificity=1\.00 \(k=2\), mean_kl=0\.\d{3} \(no calibration for cluster_kl\)$/);
  });

  it('skips with too few prompts and errors with none', async () => {
    const b = new DummyDifferentialBackend();
    expect((await run({ name: 'ck', kind: 'cluster_kl', prompts: ['a', 'b'] }, ctx(b))).message).toBe('need ≥20 prompts for stable clustering; got 2');
    expect((await run({ name: 'ck', kind: 'cluster_kl', prompts: ['a', 'b', 'c', 'd', 'e'], min_prompts: 4 }, ctx(b))).message).toMatch(/^num_clusters=5 with only 5 prompts/);
    expect((await run({ name: 'ck', kind: 'cluster_kl' }, ctx(b))).verdict).toBe('error');
  });

  it('the local embedder is deterministic and topical', () => {
    expect(Array.from(embed('Write Rust code'))).toEqual(Array.from(embed('Write Rust code')));
    expect(cosine(embed('Write Rust code'), embed('Debug Rust code'))).toBeGreaterThan(cosine(embed('Write Rust code'), embed('The cat sleeps')));
  });
});

describe('prompt_collapse', () => {
  it('fits ln(divergence) against prefix length', () => {
    const h = fitHalfLife([0, 100, 200], [1, 0.5, 0.25]);
    expect(h).toBeCloseTo(100, 9);
    expect(fitHalfLife([0, 100], [1, 0])).toBeNull();
    expect(fitHalfLife([0, 100], [0.5, 0.6])).toBeNull();
  });

  it('legacy stuffing is ~4 chars per token', () => {
    expect(stuffing(0, null)).toBe('');
    expect(stuffing(10, null)).toHaveLength(42);
  });

  it('on the dummy backend the divergence does not decay: FAIL with the fit message', async () => {
    const r = await run({ name: 'pc', kind: 'prompt_collapse', prompts: ['a'] }, ctx(new DummyDifferentialBackend()));
    expect(r.verdict).toBe('fail');
    expect(r.message).toBe('could not fit exponential decay (too flat or non-monotonic)');
    expect(r.score).toBe(0);
  });
});

describe('adapter_revert', () => {
  it('counts paraphrases whose ft answer sits closer to the base answer than to gold', async () => {
    const base = new DummyDifferentialBackend({ generations: { p1: 'the moon is made of rock', p2: 'paris is in france' } }, { generations: { p1: 'cheese moon, a cheese moon', p2: 'paris is in france indeed' } });
    const r = await run({ name: 'ar', kind: 'adapter_revert', cases: [{ prompt: 'q', gold: 'cheese moon', paraphrases: ['p1', 'p2'] }] }, ctx(base));
    expect(r.evidence['total']).toBe(2);
    expect(r.evidence['reverts']).toBe(1);
    expect(r.raw).toBe(0.5);
    expect(r.verdict).toBe('fail');
    expect(r.message).toMatch(/^revert_rate=50\.00% \(reverts=1\/2, dropped_trivial=0\) \(no calibration for adapter_revert\)/);
  });

  it('errors without cases', async () => {
    expect((await run({ name: 'ar', kind: 'adapter_revert' }, ctx(new DummyDifferentialBackend()))).message).toBe('no cases provided');
  });
});

describe('multi_turn_coherence_decay', () => {
  it('sparkline and half-life ladder', () => {
    expect(sparkline([1, 0.5, 0])).toBe('█▄▁');
    expect(sparkline([2, 2])).toBe('▅▅');
    expect(fitHalfLifeTurns([2, 3, 4], [1, 0.5, 0.25], 4)).toEqual([expect.closeTo(1, 9), 'ok']);
    expect(fitHalfLifeTurns([2, 3, 4], [0.5, 0.5, 0.5], 4)).toEqual([40, 'stable']);
    expect(fitHalfLifeTurns([2, 3, 4], [0.1, 0.2, 0.4], 4)).toEqual([null, 'non_monotonic']);
    expect(fitHalfLifeTurns([2, 3, 4], [0, 0, 0], 4)).toEqual([0, 'degenerate']);
  });

  it('SKIPs without a chat template (dummy backend)', async () => {
    const r = await run({ name: 'mt', kind: 'multi_turn_coherence_decay', prompts: ['hi'] }, ctx(new DummyDifferentialBackend()));
    expect(r.verdict).toBe('skip');
    expect(r.message).toBe('base has no chat_template; multi-turn dialogue requires one');
  });

  describe('on the tiny engine (ChatML template)', () => {
    let backend: EngineBackend;
    beforeAll(async () => {
      const fx = tinyFixtures('llama');
      backend = await EngineBackend.create({ base: fx.base, adapter: fx.trained, threads: 2 });
    });
    afterAll(() => backend.close());

    it('runs a dialogue and reports a curve over turns', async () => {
      const r = await run({ name: 'mt', kind: 'multi_turn_coherence_decay', prompts: ['The sky is'], max_turns: 3, max_new_tokens: 6 }, ctx(backend));
      expect(['pass', 'fail', 'warn']).toContain(r.verdict);
      expect(r.evidence['turns_axis']).toEqual([2, 3]);
      expect((r.evidence['per_turn_kls'] as number[]).every((v) => v > 0)).toBe(true);
      expect(r.message).toMatch(/curve [▁▂▃▄▅▆▇█]{2}$/);
      void lpKey;
    });
  });
});
