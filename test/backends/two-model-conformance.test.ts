import { describe, expect, it } from 'vitest';
import { DummyDifferentialBackend } from '../../src/backends/dummy.js';
import { EngineBackend } from '../../src/backends/engine.js';
import { TwoModelDifferential } from '../../src/backends/two-model.js';
import { ViewConflictError } from '../../src/core/errors.js';
import { runBackendConformance } from '../support/backend-conformance.js';
import { tinyFixtures } from '../support/fixtures.js';

const fx = tinyFixtures('llama');
const NO_VIEWS = 'two separately loaded models have no adapter to scale or replace (calibration and ablation SKIP)';

runBackendConformance({
  name: 'two-model (tiny llama base, tiny llama + trained adapter)',
  create: async () =>
    new TwoModelDifferential(
      await EngineBackend.create({ base: fx.base, adapter: null, threads: 1 }),
      await EngineBackend.create({ base: fx.base, adapter: fx.trained, threads: 1 }),
    ),
  createNonFinite: async () =>
    new TwoModelDifferential(
      new DummyDifferentialBackend(),
      new DummyDifferentialBackend({}, { tokenDists: { preflight: { tokenIds: Int32Array.from([0, 1]), logprobs: Float64Array.from([Number.NaN, -1]), vocabSize: 10, tailLogprob: null } } }),
    ),
  skip: {
    'scale-endpoints': NO_VIEWS,
    'null-views': NO_VIEWS,
    'batched-dists': 'base and ft live in two sessions; there is no single batch to put both views in',
    'batched-logprobs': 'base and ft live in two sessions; there is no single batch to put both views in',
    'batched-rolling': 'base and ft live in two sessions; there is no single batch to put both views in',
    'batched-generate': 'base and ft live in two sessions; there is no single batch to put both views in',
  },
});

describe('two-model specifics', () => {
  it('guards views across its two models (each inner backend only guards its own)', async () => {
    const b = new TwoModelDifferential(new DummyDifferentialBackend(), new DummyDifferentialBackend());
    await expect(b.asBase(() => b.asFinetuned(async () => 1))).rejects.toBeInstanceOf(ViewConflictError);
    await expect(b.asFinetuned(() => b.asBase(async () => 1))).rejects.toBeInstanceOf(ViewConflictError);
  });

  it('base views come from the first model, ft views from the second; stats and warnings of both', async () => {
    const base = await EngineBackend.create({ base: fx.base, adapter: null, threads: 1 });
    const ft = await EngineBackend.create({ base: fx.base, adapter: fx.modulesToSave, threads: 1 });
    const two = new TwoModelDifferential(base, ft);
    try {
      const p = [{ prompt: 'The sky is', completion: ' green' }];
      const [[viaTwoBase]] = [await two.asBase((v) => Promise.all(p.map((x) => v.logprobOf(x.prompt, x.completion))))];
      const [[viaTwoFt]] = [await two.asFinetuned((v) => Promise.all(p.map((x) => v.logprobOf(x.prompt, x.completion))))];
      const direct = await ft.logprobOfViews([{ kind: 'base' }, { kind: 'ft' }], p);
      expect(viaTwoFt).toBe(direct[1]![0]);
      expect(viaTwoBase).toBeCloseTo(direct[0]![0]!, 5);
      expect(viaTwoBase).not.toBeCloseTo(viaTwoFt!, 3);
      const stats = two.stats();
      expect(stats['base_forward_passes']).toBe(1);
      expect(stats['forward_passes']).toBe(stats['base_forward_passes']! + stats['ft_forward_passes']!);
      expect(two.warnings.join('\n')).toMatch(/vision_tower/);
      expect(two.tokenizer()?.encode('The sky is').length).toBeGreaterThan(0);
    } finally {
      await two.close();
    }
  });
});
