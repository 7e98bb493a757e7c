import { describe, expect, it } from 'vitest';
import { parseAdapterConfig } from '../../../src/engine/adapter/config.js';
import { linearModulePaths } from '../../../src/engine/adapter/modules.js';
import { excludeMatcher, layerIndexParser, scalingResolver, targetMatcher } from '../../../src/engine/adapter/selection.js';
import { baseConfig, tinyArch } from './helpers.js';

const cfg = (over: Record<string, unknown>) => parseAdapterConfig(baseConfig(over), 'a/adapter_config.json');
const linear = linearModulePaths(tinyArch());
const allLinear = new Set(linear.filter((p) => p !== 'lm_head'));
const select = (over: Record<string, unknown>) => {
  const c = cfg(over);
  const t = targetMatcher(c, allLinear)!;
  const ex = excludeMatcher(c);
  return [...linear, 'model.embed_tokens'].filter((p) => t(p) && !ex(p));
};

describe('target_modules', () => {
  it('list: exact path or .name suffix', () => {
    expect(select({ target_modules: ['q_proj'] })).toEqual(['model.layers.0.self_attn.q_proj', 'model.layers.1.self_attn.q_proj']);
    expect(select({ target_modules: ['model.layers.1.mlp.down_proj', 'lm_head'] })).toEqual(['model.layers.1.mlp.down_proj', 'lm_head']);
    expect(select({ target_modules: ['proj'] })).toEqual([]);
  });

  it('string: regex fullmatch on the full path', () => {
    expect(select({ target_modules: '.*\\.1\\.self_attn\\.(k|v)_proj' })).toEqual(['model.layers.1.self_attn.k_proj', 'model.layers.1.self_attn.v_proj']);
    expect(select({ target_modules: 'q_proj' })).toEqual([]);
  });

  it('all-linear: every decoder linear except the output head', () => {
    const s = select({ target_modules: 'all-linear' });
    expect(s).toHaveLength(14);
    expect(s).not.toContain('lm_head');
    expect(s).not.toContain('model.embed_tokens');
  });

  it('exclude_modules as list and regex', () => {
    expect(select({ target_modules: 'all-linear', exclude_modules: ['mlp.gate_proj', 'up_proj', 'down_proj', 'o_proj', 'k_proj'] })).toEqual([
      'model.layers.0.self_attn.q_proj',
      'model.layers.0.self_attn.v_proj',
      'model.layers.1.self_attn.q_proj',
      'model.layers.1.self_attn.v_proj',
    ]);
    expect(select({ target_modules: ['q_proj'], exclude_modules: 'model\\.layers\\.0\\..*' })).toEqual(['model.layers.1.self_attn.q_proj']);
  });

  it('layers_to_transform with and without layers_pattern', () => {
    expect(select({ target_modules: ['q_proj'], layers_to_transform: [1] })).toEqual(['model.layers.1.self_attn.q_proj']);
    expect(select({ target_modules: ['q_proj'], layers_to_transform: 0, layers_pattern: 'layers' })).toEqual(['model.layers.0.self_attn.q_proj']);
    expect(select({ target_modules: ['q_proj'], layers_to_transform: [0], layers_pattern: ['blocks'] })).toEqual([]);
  });

  it('layer index parser follows PEFT', () => {
    expect(layerIndexParser(null)('model.layers.12.mlp.up_proj')).toBe(12);
    expect(layerIndexParser(['h'])('model.layers.12.mlp.up_proj')).toBeNull();
    expect(layerIndexParser(null)('lm_head')).toBeNull();
  });

  it('absent target_modules gives no matcher', () => {
    expect(targetMatcher(cfg({ target_modules: null }), allLinear)).toBeNull();
  });
});

describe('rank_pattern / alpha_pattern', () => {
  it('matches a suffix only at a dot boundary', () => {
    const s = scalingResolver(cfg({ r: 4, lora_alpha: 8, rank_pattern: { proj: 16, q_proj: 2 } }));
    expect(s('model.layers.0.self_attn.q_proj').rank).toBe(2);
    expect(s('model.layers.0.self_attn.k_proj').rank).toBe(4);
  });

  it('first pattern in dict order wins', () => {
    const s = scalingResolver(cfg({ r: 4, rank_pattern: { 'layers\\.0\\..*': 8, q_proj: 2 } }));
    expect(s('model.layers.0.self_attn.q_proj').rank).toBe(8);
    expect(s('model.layers.1.self_attn.q_proj').rank).toBe(2);
    const t = scalingResolver(cfg({ r: 4, rank_pattern: { q_proj: 2, 'layers\\.0\\..*': 8 } }));
    expect(t('model.layers.0.self_attn.q_proj').rank).toBe(2);
  });

  it('scaling is alpha/r, or alpha/sqrt(r) with rsLoRA, per module', () => {
    const c = { r: 4, lora_alpha: 8, rank_pattern: { v_proj: 16 }, alpha_pattern: { 'model.layers.1.self_attn.q_proj': 2 } };
    const s = scalingResolver(cfg(c));
    expect(s('model.layers.0.self_attn.q_proj')).toEqual({ rank: 4, alpha: 8, scaling: 2 });
    expect(s('model.layers.1.self_attn.q_proj')).toEqual({ rank: 4, alpha: 2, scaling: 0.5 });
    expect(s('model.layers.0.self_attn.v_proj').scaling).toBe(0.5);
    const rs = scalingResolver(cfg({ ...c, use_rslora: true }));
    expect(rs('model.layers.0.self_attn.q_proj').scaling).toBe(4);
    expect(rs('model.layers.0.self_attn.v_proj').scaling).toBe(2);
  });

  it('refuses a Python-only pattern naming the key', () => {
    expect(() => scalingResolver(cfg({ rank_pattern: { '(?i)Q_PROJ': 2 } }))).toThrow(/rank_pattern key '\(\?i\)Q_PROJ'.*inline flags/);
  });
});
