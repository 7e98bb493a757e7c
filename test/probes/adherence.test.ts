import { describe, expect, it } from 'vitest';
import type { DifferentialBackend, TokenizerAccess } from '../../src/backends/contract.js';
import { DummyDifferentialBackend, makeTokenDist } from '../../src/backends/dummy.js';
import { specificity } from '../../src/probes/cluster-kl.js';
import { cosine, embedText } from '../../src/probes/embedder.js';
import { fitHalfLife, stuffing } from '../../src/probes/prompt-collapse.js';
import { fitHalfLifeTurns, sparkline } from '../../src/probes/multi-turn-coherence.js';
import { runRaw } from './helpers.js';

// The local embedder is lexical, so each topic shares its vocabulary.
const ANIMALS = ['Tell me about wild animals in the forest.', 'Wild animals of the forest at night.', 'Which wild animals live in a forest?', 'Forest animals and wild birds.'];
const CODE = ['Write Python code to parse a JSON file.', 'Python code that reads a JSON file.', 'Parse JSON files with Python code.', 'Python JSON parsing code example.'];

/** ft dist that moves away from the default base by `shift` nats on the top token. */
function shifted(shift: number) {
  return makeTokenDist([0, 1, 2, 3, 4, 5, 6, 7], [-0.1 - shift, -5 + shift / 2, -5, -5, -5, -5, -5, -4.99]);
}

describe('cluster_kl', () => {
  it('specificity = between/(between+within), degenerate at zero spread', () => {
    const s = specificity([1, 3, 10, 12], [0, 0, 1, 1], 2);
    // cluster means 2 and 11: between = 20.25; within = mean(1, 1) = 1
    expect(s.between).toBe(20.25);
    expect(s.within).toBe(1);
    expect(s.specificity).toBeCloseTo(20.25 / 21.25, 14);
    expect(s.sizes).toEqual([2, 2]);
    const d = specificity([1, 1, 1, 1], [0, 0, 1, 1], 3);
    expect(d.degenerate).toBe(true);
    expect(d.specificity).toBe(0.5);
    expect(d.means[2]).toBeNaN();
  });

  it('a topic-targeted adapter scores high specificity; checks run in order', async () => {
    const ft = Object.fromEntries([...ANIMALS.map((p) => [p, shifted(2)]), ...CODE.map((p, i) => [p, shifted(0.05 + i * 0.01)])]);
    const b = new DummyDifferentialBackend({ ft: { tokenDists: ft } });
    const entry = { name: 'c', kind: 'cluster_kl', prompts: [...ANIMALS, ...CODE], num_clusters: 2, min_prompts: 8 };
    const r = await runRaw(entry, b, { seed: 1 });
    expect(r.verdict).toBe('pass');
    expect(r.raw!).toBeGreaterThan(0.9);
    expect(r.message).toMatch(/^specificity=(0\.9\d|1\.00) \(k=2\), mean_kl=\d\.\d{3} \(no calibration for cluster_kl\)$/);
    expect((r.evidence['per_cluster_size'] as number[]).sort()).toEqual([4, 4]);
    expect(r.ci_95).not.toBeNull();
    expect(r.evidence['embedder']).toMatch(/char-ngram-hash/);
    expect((await runRaw({ ...entry, prompts: [] }, b)).message).toBe('no prompts provided');
    expect((await runRaw({ ...entry, min_prompts: 20 }, b)).message).toBe('need ≥20 prompts for stable clustering; got 8');
    expect((await runRaw({ ...entry, num_clusters: 5 }, b)).message).toBe(
      "num_clusters=5 with only 8 prompts: per-cluster mean isn't well-resolved. Reduce num_clusters or add prompts.",
    );
    const flat = await runRaw(entry, new DummyDifferentialBackend());
    expect(flat.verdict).toBe('warn');
    expect(flat.raw).toBe(0.5);
    expect(flat.message).toBe('specificity=0.50 (k=2) — degenerate: zero within/between variance (no per-prompt spread)');
    expect('z_by_rank' in flat.evidence).toBe(false);
  });
});

describe('prompt_collapse', () => {
  it('fits the half-life of an exponential decay', () => {
    expect(fitHalfLife([0, 1, 2], [4, 2, 1])).toBeCloseTo(1, 12);
    expect(fitHalfLife([0, 1], [1, 0])).toBeNull();
    expect(fitHalfLife([0, 1], [1, 2])).toBeNull();
    expect(stuffing(0, null)).toBe('');
    expect(stuffing(10, null)).toHaveLength(42);
  });

  it('passes when the adapter effect survives the stuffing, fails when it decays fast', async () => {
    const lengths = [0, 64, 128];
    const prompt = 'Q:';
    const make = (shifts: number[]) =>
      new DummyDifferentialBackend({ ft: { tokenDists: Object.fromEntries(lengths.map((L, i) => [stuffing(L, null) + prompt, shifted(shifts[i]!)])) } });
    const slow = await runRaw({ name: 'pc', kind: 'prompt_collapse', prompts: [prompt], context_lengths: lengths, assert_half_life_tokens: 100 }, make([2, 1.9, 1.8]));
    expect(slow.verdict).toBe('pass');
    expect(slow.raw!).toBeGreaterThan(100);
    expect(slow.message).toMatch(/^half-life=\d+ tokens \(no calibration for prompt_collapse\)$/);
    const fast = await runRaw({ name: 'pc', kind: 'prompt_collapse', prompts: [prompt], context_lengths: lengths, assert_half_life_tokens: 100 }, make([2, 0.5, 0.1]));
    expect(fast.verdict).toBe('fail');
    expect(fast.raw!).toBeLessThan(100);
    const flat = await runRaw({ name: 'pc', kind: 'prompt_collapse', prompts: [prompt], context_lengths: lengths }, new DummyDifferentialBackend());
    expect(flat.verdict).toBe('fail');
    expect(flat.message).toBe('could not fit exponential decay (too flat or non-monotonic)');
  });
});

describe('adapter_revert', () => {
  const gold = 'Paris is the capital city of France';
  const cases = [{ prompt: 'capital?', gold, paraphrases: ['p1', 'p2'] }];

  it('counts a pair as reverted when ft is closer to base than to gold', async () => {
    const b = new DummyDifferentialBackend({
      base: { generations: { p1: 'I really do not know the answer', p2: 'I really do not know the answer' } },
      ft: { generations: { p1: 'Paris is the capital city of France indeed', p2: 'I really do not know the answer sorry' } },
    });
    const r = await runRaw({ name: 'rv', kind: 'adapter_revert', cases }, b);
    expect(r.raw).toBe(0.5);
    expect(r.verdict).toBe('fail');
    expect(r.score).toBe(0);
    expect(r.message).toBe('revert_rate=50.00% (reverts=1/2, dropped_trivial=0) [embedder: char-ngram-hash-512 (local, lexical)] (no calibration for adapter_revert)');
    expect((r.evidence['per_case'] as { reverted: boolean }[]).map((c) => c.reverted)).toEqual([false, true]);
    // lower is better: z is negated
    const z = await runRaw({ name: 'rv', kind: 'adapter_revert', cases }, b, { nullStats: { adapter_revert: { mean: 0.9, std: 0.1, n: 3, degenerate: 0 } } });
    expect(z.z_score).toBeCloseTo(4, 10);
    expect(z.verdict).toBe('pass');
  });

  it('WARNs when every pair is dropped as trivial and ERRORs without cases', async () => {
    const b = new DummyDifferentialBackend({ base: { generations: { p1: gold, p2: gold } }, ft: { generations: { p1: gold, p2: gold } } });
    const r = await runRaw({ name: 'rv', kind: 'adapter_revert', cases }, b);
    expect(r.verdict).toBe('warn');
    expect(r.score).toBe(0.5);
    expect(r.message).toBe('all 2 paraphrase pairs had base≈gold (> 0.75) — no separable signal');
    expect((await runRaw({ name: 'rv', kind: 'adapter_revert' }, b)).message).toBe('no cases provided');
    expect(cosine(embedText('the cat sat'), embedText('the cat sat'))).toBeCloseTo(1, 12);
    expect(cosine(embedText('the cat sat'), embedText('quantum chromodynamics'))).toBeLessThan(0.3);
  });
});

describe('multi_turn_coherence_decay', () => {
  const tokenizer: TokenizerAccess = {
    hasChatTemplate: () => true,
    applyChatTemplate: (msgs, gen) => msgs.map((m) => `<${m.role}>${m.content}`).join('\n') + (gen ? '\n<assistant>' : ''),
    encode: (t) => [...t].map((c) => c.charCodeAt(0)),
    decode: (ids) => String.fromCharCode(...ids),
  };
  function chatBackend(): DifferentialBackend {
    const inner = new DummyDifferentialBackend({ tokenizer });
    return Object.assign(Object.create(inner) as DifferentialBackend, {
      asFinetuned: <T>(fn: (v: Parameters<Parameters<DifferentialBackend['asFinetuned']>[0]>[0]) => Promise<T>) =>
        inner.asFinetuned((v) => fn({ ...v, generate: async () => 'ok' })),
    });
  }

  it('fit ladder and sparkline', () => {
    expect(fitHalfLifeTurns([2, 3, 4], [0, 0, 1], 4)).toEqual([0, 'degenerate']);
    expect(fitHalfLifeTurns([2, 3, 4], [1, 1, 1], 4)).toEqual([40, 'stable']);
    expect(fitHalfLifeTurns([2, 3, 4], [1, 2, 4], 4)).toEqual([null, 'non_monotonic']);
    const [h, s] = fitHalfLifeTurns([2, 3, 4], [4, 2, 1], 4);
    expect(s).toBe('ok');
    expect(h).toBeCloseTo(1, 12);
    expect(sparkline([0, 0.5, 1])).toBe('▁▄█');
    expect(sparkline([1, 1])).toBe('▅▅');
    expect(sparkline([0, 1, NaN, -1])).toBe('▁█??');
    expect(sparkline([1, NaN])).toBe('▅▅');
    expect(sparkline([])).toBe('');
  });

  it('PASSes as stable on a constant divergence and SKIPs without a chat template', async () => {
    const r = await runRaw({ name: 'mt', kind: 'multi_turn_coherence_decay', prompts: ['hi'] }, chatBackend());
    expect(r.verdict).toBe('pass');
    expect(r.raw).toBe(40);
    expect(r.message).toBe('adapter held coherence across all 4 turns; curve ▅▅▅');
    expect(r.evidence).toMatchObject({ fit_status: 'stable', turns_axis: [2, 3, 4], divergence_kind: 'kl', num_prompts: 1 });
    const skip = await runRaw({ name: 'mt', kind: 'multi_turn_coherence_decay', prompts: ['hi'] }, new DummyDifferentialBackend());
    expect(skip.verdict).toBe('skip');
    expect(skip.message).toBe('base has no chat_template; multi-turn dialogue requires one');
    const empty = await runRaw({ name: 'mt', kind: 'multi_turn_coherence_decay' }, new DummyDifferentialBackend());
    expect(empty.message).toBe("no prompts provided (inline 'prompts' was empty)");
  });
});
