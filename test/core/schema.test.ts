import { describe, expect, it } from 'vitest';
import { SwaySpecSchema, suggestKey, swaySpecJsonSchema } from '../../src/core/schema.js';

const models = { base: { kind: 'dummy', base: 'b' }, ft: { kind: 'dummy', base: 'b', adapter: '/tmp/a' } };

function issues(data: unknown): string[] {
  const r = SwaySpecSchema.safeParse(data);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('sway.yaml schema', () => {
  it('fills defaults and accepts a reference-style file', () => {
    const r = SwaySpecSchema.parse({ version: 1, models, suite: [{ name: 'a', kind: 'delta_kl', prompts: ['x'] }], dlm_source: null });
    expect(r.defaults).toEqual({ seed: 0, top_k: 256, differential: true, coverage_threshold: 0.6, score_weights: null, concurrent_probes: 1 });
    expect(r.models.base).toMatchObject({ kind: 'dummy', adapter: null, dtype: 'auto', device: 'auto', trust_remote_code: false });
    expect(r.suite).toHaveLength(1);
  });
  it('coerces like the reference (numeric strings, yes/no)', () => {
    const r = SwaySpecSchema.parse({ models, defaults: { seed: '3', differential: 'no', coverage_threshold: '1e-3' } });
    expect(r.defaults.seed).toBe(3);
    expect(r.defaults.differential).toBe(false);
    expect(r.defaults.coverage_threshold).toBe(0.001);
  });
  it('rejects unknown keys naming the key with a suggestion', () => {
    expect(issues({ models, sute: [] })).toEqual([": unknown key 'sute' (did you mean 'suite'?); allowed keys: $schema, defaults, dlm_source, models, suite, version"]);
    expect(issues({ models: { ...models, base: { base: 'b', adaptr: 'x' } } })[0]).toContain("'adaptr' (did you mean 'adapter'?)");
    expect(issues({ models: { ...models, base: { base: 'b', kind: 'ollama' } } })).toHaveLength(1);
    expect(issues({ models: { ...models, base: { base: 'b', dtype: 'fp12' } } })).toHaveLength(1);
    expect(issues({ models, defaults: { coverage_threshold: 1.5 } })).toHaveLength(1);
  });
  it('merges score_weights with the exact reference messages', () => {
    const r = SwaySpecSchema.parse({ models, defaults: { score_weights: { adherence: 1 } } });
    expect(r.defaults.score_weights).toEqual({ adherence: 1, attribution: 0.35, calibration: 0.2, ablation: 0.15, baseline: 0 });
    expect(issues({ models, defaults: { score_weights: { bogus: 1 } } })).toEqual([
      "defaults.score_weights: score_weights contains unknown category keys: ['bogus']. Known categories: ['ablation', 'adherence', 'attribution', 'baseline', 'calibration']",
    ]);
    expect(issues({ models, defaults: { score_weights: { adherence: -1 } } })).toEqual(['defaults.score_weights: score_weights values must be non-negative']);
    expect(issues({ models, defaults: { score_weights: { adherence: 0, attribution: 0, calibration: 0, ablation: 0 } } })).toEqual([
      'defaults.score_weights: score_weights must have at least one positive weight',
    ]);
  });
  it('keeps version for the post-schema check and exports a JSON schema', () => {
    expect(SwaySpecSchema.parse({ models, version: 2 }).version).toBe(2);
    const js = swaySpecJsonSchema();
    expect(Object.keys(js['properties'] as object)).toContain('models');
    expect(suggestKey('zzzzzz', ['suite'])).toBeNull();
  });
});
