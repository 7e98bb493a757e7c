import { describe, expect, it } from 'vitest';
import { createDummyBackend } from '../../src/backends/dummy.js';
import { executeSpec, loadSpecText } from '../../src/suite/execute.js';

const head = 'version: 1\nmodels:\n  base: {kind: dummy, base: b}\n  ft: {kind: dummy, base: b, adapter: ./a}\n';

describe('executeSpec', () => {
  it('builds the backend through the factory, runs, scores with partial --weights merged over defaults', async () => {
    const spec = await loadSpecText(`${head}suite:\n  - {name: dk, kind: delta_kl, prompts: [x, y], assert_mean_gte: 0.01}\n`, 'mem.yaml', '/proj');
    let built = 0;
    let closed = 0;
    const { suite, score } = await executeSpec(spec, {
      specPath: 'mem.yaml',
      weights: { adherence: 0.5 },
      backendFactory: async (model) => {
        built++;
        expect(model.adapter).toBe('/proj/a');
        const b = createDummyBackend();
        return Object.assign(b, { close: async () => void closed++ });
      },
    });
    expect([built, closed]).toEqual([1, 1]);
    expect(suite.probes[0]?.verdict).toBe('pass');
    expect(suite.spec_path).toBe('mem.yaml');
    expect(score.weights).toEqual({ adherence: 0.5, attribution: 0.35, calibration: 0.2, ablation: 0.15, baseline: 0 });
  });

  it('never builds a model when every enabled probe is a pre-run diagnostic', async () => {
    const spec = await loadSpecText(
      `${head}suite:\n  - {name: gg, kind: gradient_ghost, adapter_path: ./nowhere}\n  - {name: dk, kind: delta_kl, prompts: [x], enabled: false}\n`,
      'mem.yaml',
      '/proj',
    );
    const { suite } = await executeSpec(spec, {
      specPath: 'mem.yaml',
      backendFactory: () => {
        throw new Error('must not build a backend');
      },
    });
    expect(suite.probes.map((p) => p.verdict)).toEqual(['skip', 'skip']);
    expect(suite.backend_stats).toEqual({});
  });

  it('a given backend is used and not closed; dlm_source problems are warnings, not failures', async () => {
    const spec = await loadSpecText(`${head}dlm_source: ./missing.dlm\nsuite:\n  - {name: dk, kind: delta_kl, prompts: [x]}\n`, 'mem.yaml', '/proj');
    const warnings: string[] = [];
    const backend = Object.assign(createDummyBackend(), { close: async () => { throw new Error('must not close'); } });
    const { suite } = await executeSpec(spec, { specPath: 'mem.yaml', backend, warn: (l) => warnings.push(l) });
    expect(suite.probes).toHaveLength(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^warning: dlm_source='\/proj\/missing\.dlm' /);
  });
});
