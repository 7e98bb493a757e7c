import { describe, expect, it } from 'vitest';
import { ProbeError } from '../../../src/core/errors.js';
import { DummyDifferentialBackend, lpKey } from '../../../src/backends/dummy.js';
import { buildProbe } from '../../../src/probes/registry.js';
import { testContext } from '../../support/context.js';
import type { RunContext } from '../../../src/probes/types.js';

const ctx = (backend: RunContext['backend'], over: Partial<RunContext> = {}): RunContext => testContext(backend, { topK: 8, ...over });
const run = (raw: Record<string, unknown>, c: RunContext) => {
  const { probe, spec } = buildProbe(raw);
  return probe.run(spec, c);
};

describe('paraphrase_invariance', () => {
  // gold ' Paris' has 6 characters -> token estimate 1.
  const base = { logprobs: { [lpKey('cap', ' Paris')]: -4, [lpKey('p1', ' Paris')]: -4, [lpKey('p2', ' Paris')]: -4 } };
  const ft = { logprobs: { [lpKey('cap', ' Paris')]: -1, [lpKey('p1', ' Paris')]: -2, [lpKey('p2', ' Paris')]: -3 } };
  const cases = [{ prompt: 'cap', gold: ' Paris', paraphrases: ['p1', 'p2'] }];

  it('generalize: verbatim lift 3, paraphrase lift 1.5, ratio 0.5 passes', async () => {
    const r = await run({ name: 'pi', kind: 'paraphrase_invariance', cases }, ctx(new DummyDifferentialBackend(base, ft)));
    expect(r.raw).toBe(3);
    expect(r.ft_value).toBe(1.5);
    expect(r.evidence['generalization_ratio']).toBe(0.5);
    expect(r.verdict).toBe('pass');
    expect(r.score).toBe(1);
    expect(r.message).toBe('verb=+3.000, para=+1.500, ratio=0.50 — intent=generalize: ratio ≥ 0.5, verbatim lift ≥ 0.2 (no calibration for paraphrase_invariance)');
  });

  it('memorize wants a low ratio', async () => {
    const r = await run({ name: 'pi', kind: 'paraphrase_invariance', cases, intent: 'memorize' }, ctx(new DummyDifferentialBackend(base, ft)));
    expect(r.verdict).toBe('pass');
    expect(r.message).toContain('intent=memorize');
  });

  it('z path and errors', async () => {
    const stats = { mean: 0, std: 0.5, n: 3, degenerate: 0 };
    const r = await run({ name: 'pi', kind: 'paraphrase_invariance', cases }, ctx(new DummyDifferentialBackend(base, ft), { nullStats: { paraphrase_invariance: stats } }));
    expect(r.z_score).toBe(6);
    expect(r.message).toBe('verb=+3.000, para=+1.500, ratio=0.50 — intent=generalize: ratio ≥ 0.5, z=+6.00σ vs null');
    expect((await run({ name: 'pi', kind: 'paraphrase_invariance' }, ctx(new DummyDifferentialBackend()))).message).toBe('no cases provided');
  });
});

describe('preference_flip', () => {
  const t = (p: string) => ({ prompt: p, chosen: 'good', rejected: 'bad' });
  const lp = (pairs: Record<string, [number, number]>) => ({
    logprobs: Object.fromEntries(Object.entries(pairs).flatMap(([p, [c, r]]) => [[lpKey(p, 'good'), c], [lpKey(p, 'bad'), r]])),
  });

  it('flip rate over base-wrong triples', async () => {
    const base = lp({ a: [-5, -1], b: [-5, -1], c: [-5, -1], d: [-1, -5] });
    const ft = lp({ a: [-1, -5], b: [-1, -5], c: [-5, -1], d: [-1, -5] });
    const r = await run({ name: 'pf', kind: 'preference_flip', triples: ['a', 'b', 'c', 'd'].map(t) }, ctx(new DummyDifferentialBackend(base, ft)));
    expect(r.evidence['base_wrong']).toBe(3);
    expect(r.evidence['flipped']).toBe(2);
    expect(r.raw).toBeCloseTo(2 / 3, 12);
    expect(r.verdict).toBe('fail');
    expect(r.message).toBe('flip_rate=66.67% (2/3 base-wrong triples flipped by ft) (no calibration for preference_flip)');
  });

  it('WARN with too few base-wrong triples; triples from .dlm sections; SKIP without any', async () => {
    const base = lp({ a: [-5, -1] });
    const ft = lp({ a: [-1, -5] });
    const sections = [{ id: 'x', kind: 'preference' as const, content: '', probes: [], preferences: [t('a')], tag: null }];
    const r = await run({ name: 'pf', kind: 'preference_flip' }, ctx(new DummyDifferentialBackend(base, ft), { sections }));
    expect(r.verdict).toBe('warn');
    expect(r.raw).toBe(8);
    expect(r.message).toBe('only 1 base-wrong triples < 3 required; reporting mean-margin-delta=+8.000');
    expect((await run({ name: 'pf', kind: 'preference_flip' }, ctx(new DummyDifferentialBackend()))).verdict).toBe('skip');
  });
});

describe('preference_flip batching', () => {
  const t = (p: string) => ({ prompt: p, chosen: 'good', rejected: 'bad' });
  const lp = (pairs: Record<string, [number, number]>) => ({
    logprobs: Object.fromEntries(Object.entries(pairs).flatMap(([p, [c, r]]) => [[lpKey(p, 'good'), c], [lpKey(p, 'bad'), r]])),
  });
  /** The dummy plus a multi-view logprob call that counts its calls and may refuse. */
  function batching(inner: DummyDifferentialBackend, refuse = false) {
    const calls = { batched: 0 };
    const backend = {
      kind: inner.kind,
      asBase: inner.asBase.bind(inner),
      asFinetuned: inner.asFinetuned.bind(inner),
      logprobOfViews: async (views: readonly { kind: string }[], pairs: readonly { prompt: string; completion: string }[]) => {
        calls.batched++;
        if (refuse) throw new ProbeError('logprob_of', 'completion tokenized to zero tokens');
        const all = (v: Parameters<Parameters<typeof inner.asBase>[0]>[0]) => Promise.all(pairs.map((p) => v.logprobOf(p.prompt, p.completion)));
        const out: number[][] = [];
        for (const v of views) out.push(await (v.kind === 'base' ? inner.asBase(all) : inner.asFinetuned(all)));
        return out;
      },
    };
    return { backend, calls };
  }
  const base = lp({ a: [-5, -1], b: [-5, -1], c: [-5, -1], d: [-1, -5] });
  const ft = lp({ a: [-1, -5], b: [-1, -5], c: [-5, -1], d: [-1, -5] });
  const spec = { name: 'pf', kind: 'preference_flip', triples: ['a', 'b', 'c', 'd'].map(t) };

  it('scores every triple and view in one batched call, same result as per triple', async () => {
    const { backend, calls } = batching(new DummyDifferentialBackend(base, ft));
    const batched = await run(spec, ctx(backend as never));
    const plain = await run(spec, ctx(new DummyDifferentialBackend(base, ft)));
    expect(calls.batched).toBe(1);
    expect(batched.message).toBe(plain.message);
    expect(batched.evidence).toEqual(plain.evidence);
  });

  it('a ProbeError in the batch falls back to the per-triple path', async () => {
    const { backend, calls } = batching(new DummyDifferentialBackend(base, ft), true);
    const r = await run(spec, ctx(backend as never));
    expect(calls.batched).toBe(1);
    expect(r.evidence['flipped']).toBe(2);
  });
});
