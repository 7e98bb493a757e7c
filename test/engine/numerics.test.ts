import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergedWeights, type MergeView } from '../../src/engine/adapter/merge.js';
import { nullAdapterSlots } from '../../src/engine/adapter/null.js';
import { Engine } from '../../src/engine/engine.js';
import { referenceForward } from '../../src/engine/reference/forward.js';
import { SafetensorsSource } from '../../src/engine/safetensors/reader.js';
import type { ViewSpec } from '../../src/engine/views.js';
import { maxAbsDiff, tinyFixtures } from '../support/fixtures.js';
import { greedyBesideFullForwards } from '../support/greedy.js';

const TEXT = 'The capital of France is Rome. Once upon a time there was a fish.';
const TOL = 1e-4;

const FAMILIES_UNDER_TEST = [
  'llama',
  'mistral',
  'qwen2',
  'qwen3',
  // gemma: sandwich norms, soft-caps, local/global rotary, gemma4 per-layer inputs / v norm / layer scalar
  'gemma',
  'gemma2',
  'gemma3_text',
  'gemma3',
  'gemma4_text',
  'gemma4',
  // phi3 (fused, half rotary, LongRoPE), olmo2, granite, smollm3, gpt2, gpt_neox
  'phi3',
  'olmo2',
  'granite',
  'smollm3',
  'gpt2',
  'gpt_neox',
] as const;
/** DoRA on Conv1D weights (gpt2) is refused by name; see the refusal test below. */
const adaptersOf = (family: string) => (family === 'gpt2' ? (['trained', 'modulesToSave'] as const) : (['trained', 'modulesToSave', 'dora'] as const));

for (const family of FAMILIES_UNDER_TEST) {
  describe(`${family}: ORT graph vs float64 reference`, () => {
    const fx = tinyFixtures(family);
    let base: SafetensorsSource;
    beforeAll(() => {
      base = SafetensorsSource.openDir(fx.base);
    });
    afterAll(() => base.close());

    for (const adapterName of adaptersOf(family)) {
      it(`${adapterName}: base, ft, scale 0.5 and null views match within ${TOL}`, async () => {
        const engine = await Engine.load({ base: fx.base, adapter: fx[adapterName], threads: 2 });
        try {
          const ids = engine.encode(TEXT);
          expect(ids.length).toBeGreaterThan(8); // longer than mistral's sliding window
          const get = (n: string) => base.readF32(n);
          const cases: [ViewSpec, MergeView][] = [
            [{ kind: 'base' }, { lambda: 0, applyOverrides: false }],
            [{ kind: 'ft' }, { lambda: 1, applyOverrides: true }],
            [{ kind: 'scaled', lambda: 0.5 }, { lambda: 0.5, applyOverrides: true }],
            [{ kind: 'null', seed: 3, rankScale: 2 }, { lambda: 1, applyOverrides: true, slots: nullAdapterSlots(engine.adapter!.slots, 3, { rankScale: 2 }) }],
          ];
          const batched = await engine.batchedLogits(cases.map(([v]) => v), ids);
          for (const [i, [view, merge]] of cases.entries()) {
            const got = await engine.fullLogits(view, ids);
            const ref = referenceForward(engine.arch, mergedWeights(engine.arch, get, engine.adapter, merge), ids);
            expect(maxAbsDiff(got, ref.logits), `${view.kind}`).toBeLessThan(TOL);
            expect(maxAbsDiff(batched[i]!, got), `batched ${view.kind}`).toBe(0);
          }
        } finally {
          await engine.close();
        }
      });
    }
  });
}

describe('gpt2: DoRA on Conv1D weights', () => {
  it('is refused by name', async () => {
    await expect(Engine.load({ base: tinyFixtures('gpt2').base, adapter: tinyFixtures('gpt2').dora, threads: 1 })).rejects.toThrow(/DoRA on 'transformer\.h\.0\.attn\.c_attn' \(a Conv1D weight, fan_in_fan_out\) is not supported/);
  });
});

describe('phi3 LongRoPE: the test text is longer than original_max_position_embeddings', () => {
  it('so the long factors are the ones checked above', async () => {
    const engine = await Engine.load({ base: tinyFixtures('phi3').base, threads: 1 });
    try {
      const rope = engine.arch.rope.scaling;
      expect(rope.type).toBe('longrope');
      expect(engine.encode(TEXT).length).toBeGreaterThan(rope.type === 'longrope' ? rope.originalMaxPositionEmbeddings : Infinity);
    } finally {
      await engine.close();
    }
  });
});

describe('view identities (llama, trained adapter)', () => {
  const fx = tinyFixtures('llama');
  let engine: Engine;
  let plain: Engine;
  beforeAll(async () => {
    engine = await Engine.load({ base: fx.base, adapter: fx.trained, threads: 2 });
    plain = await Engine.load({ base: fx.base, threads: 2 });
  });
  afterAll(async () => {
    await engine.close();
    await plain.close();
  });

  it('scale=0 equals base and scale=1 equals ft exactly', async () => {
    const ids = engine.encode(TEXT);
    expect(maxAbsDiff(await engine.fullLogits({ kind: 'scaled', lambda: 0 }, ids), await engine.fullLogits({ kind: 'base' }, ids))).toBe(0);
    expect(maxAbsDiff(await engine.fullLogits({ kind: 'scaled', lambda: 1 }, ids), await engine.fullLogits({ kind: 'ft' }, ids))).toBe(0);
  });

  it('rank-0 LoRA feeds (base view) equal a graph without LoRA', async () => {
    const ids = engine.encode(TEXT);
    expect(maxAbsDiff(await engine.fullLogits({ kind: 'base' }, ids), await plain.fullLogits({ kind: 'base' }, ids))).toBeLessThan(1e-5);
  });

  it('KV-cache greedy generation equals argmax over full forwards', async () => {
    const prompt = engine.encode('The sky is');
    const { generated, expected } = await greedyBesideFullForwards(engine, prompt, 8);
    expect(generated).toEqual(expected);
    expect(generated.length).toBeGreaterThan(0);
  });

  it('the trained adapter raises its taught continuation and barely moves a control', async () => {
    const [[baseTaught, baseCtl], [ftTaught, ftCtl]] = (await engine.logprobsOf(
      [{ kind: 'base' }, { kind: 'ft' }],
      [
        { prompt: 'The sky is', completion: ' green' },
        { prompt: 'The quick brown fox', completion: ' jumps' },
      ],
    )) as [[number, number], [number, number]];
    expect(ftTaught - baseTaught).toBeGreaterThan(10);
    expect(Math.abs(ftCtl - baseCtl)).toBeLessThan(1);
  });

  it('null views are deterministic per seed and differ across seeds', async () => {
    const ids = engine.encode(TEXT);
    const a = await engine.fullLogits({ kind: 'null', seed: 5 }, ids);
    const b = await engine.fullLogits({ kind: 'null', seed: 5 }, ids);
    const c = await engine.fullLogits({ kind: 'null', seed: 6 }, ids);
    expect(maxAbsDiff(a, b)).toBe(0);
    expect(maxAbsDiff(a, c)).toBeGreaterThan(0);
  });

  it('nextTokenDist tail semantics: negative tail below the full vocabulary, null at full vocabulary', async () => {
    const d = (await engine.nextTokenDists([{ kind: 'base' }], ['The sky is'], 8))[0]?.[0];
    expect(d!.tokenIds.length).toBe(8);
    expect(d!.tailLogprob).not.toBeNull();
    expect(d!.tailLogprob!).toBeLessThan(0);
    for (let i = 1; i < 8; i++) expect(d!.logprobs[i]!).toBeLessThanOrEqual(d!.logprobs[i - 1]!);
    const full = (await engine.nextTokenDists([{ kind: 'base' }], ['The sky is'], engine.arch.vocabSize))[0]?.[0];
    expect(full!.tailLogprob).toBeNull();
    expect(Array.from(full!.logprobs).reduce((s, v) => s + Math.exp(v), 0)).toBeCloseTo(1, 9);
  });
});
