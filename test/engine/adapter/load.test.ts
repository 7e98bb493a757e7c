import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AdapterError } from '../../../src/core/errors.js';
import { loadAdapter } from '../../../src/engine/adapter/load.js';
import { baseConfig, baseSource, loraPair, P, tinyArch, tmpDir, writeAdapter } from './helpers.js';

const arch = tinyArch();
const opts = { arch, baseWeights: baseSource(arch) };
const qv = [...loraPair(0, 'self_attn.q_proj', 2), ...loraPair(0, 'self_attn.v_proj', 2), ...loraPair(1, 'self_attn.q_proj', 2), ...loraPair(1, 'self_attn.v_proj', 2)];

function loadErr(dir: string, o = opts): AdapterError {
  try {
    loadAdapter(dir, o);
  } catch (e) {
    expect(e).toBeInstanceOf(AdapterError);
    return e as AdapterError;
  }
  throw new Error('expected loadAdapter to throw');
}

describe('loadAdapter: plain LoRA', () => {
  it('loads slots in documented order with scaling and the stored values', () => {
    const tensors = [...qv].reverse();
    const dir = writeAdapter(baseConfig(), tensors);
    const a = loadAdapter(dir, opts);
    expect(a.slots.map((s) => s.modulePath)).toEqual([
      'model.layers.0.self_attn.q_proj',
      'model.layers.0.self_attn.v_proj',
      'model.layers.1.self_attn.q_proj',
      'model.layers.1.self_attn.v_proj',
    ]);
    const v0 = a.slots[1]!;
    expect(v0.target).toEqual({ scope: 'layer', layer: 0, module: 'v_proj' });
    expect([v0.rank, v0.inFeatures, v0.outFeatures, v0.scaling]).toEqual([2, 8, 4, 2]);
    const want = qv.find((t) => t.name === `${P}model.layers.0.self_attn.v_proj.lora_B.weight`)!;
    expect(Array.from(v0.b)).toEqual(Array.from(want.data as Float32Array));
    expect(v0.bBias).toBeNull();
    expect(v0.magnitude).toBeNull();
    expect(a.useDora).toBe(false);
    expect(a.baseModelNameOrPath).toBe('tiny/base');
    expect(a.overrides.size).toBe(0);
    expect(a.trainableTokens).toBeNull();
    expect(a.warnings).toEqual([]);
    expect(a.nonFiniteTensors).toEqual([]);
  });

  it('contentHash is sha256 over config + safetensors bytes', () => {
    const dir = writeAdapter(baseConfig(), qv);
    const a = loadAdapter(dir, opts);
    const h = createHash('sha256')
      .update(readFileSync(path.join(dir, 'adapter_config.json')))
      .update(readFileSync(path.join(dir, 'adapter_model.safetensors')))
      .digest('hex');
    expect(a.contentHash).toBe(h);
    const other = loadAdapter(writeAdapter(baseConfig({ lora_alpha: 8 }), qv), opts);
    expect(other.contentHash).not.toBe(h);
    expect(other.slots[0]!.scaling).toBe(4);
  });

  it('applies rsLoRA and rank/alpha patterns per module, and reads bf16', () => {
    const tensors = [...loraPair(0, 'self_attn.q_proj', 4, 3, 'BF16'), ...loraPair(0, 'mlp.down_proj', 2, 3, 'BF16')];
    const cfg = baseConfig({ r: 2, lora_alpha: 8, use_rslora: true, target_modules: ['q_proj', 'down_proj'], rank_pattern: { q_proj: 4 }, alpha_pattern: { 'mlp.down_proj': 2 } });
    const a = loadAdapter(writeAdapter(cfg, tensors), opts);
    expect(a.slots.map((s) => [s.modulePath, s.rank, s.scaling])).toEqual([
      ['model.layers.0.self_attn.q_proj', 4, 4],
      ['model.layers.0.mlp.down_proj', 2, 2 / Math.SQRT2],
    ]);
    expect(a.slots[1]!.inFeatures).toBe(12);
  });

  it('derives modules from tensor keys and warns about ones the config does not select', () => {
    const a = loadAdapter(writeAdapter(baseConfig({ target_modules: ['q_proj'] }), qv), opts);
    expect(a.slots).toHaveLength(4);
    expect(a.warnings).toHaveLength(1);
    expect(a.warnings[0]).toContain('model.layers.0.self_attn.v_proj, model.layers.1.self_attn.v_proj');
  });

  it('accepts target_modules as a regex string and all-linear', () => {
    expect(loadAdapter(writeAdapter(baseConfig({ target_modules: '.*\\.(q|v)_proj' }), qv), opts).warnings).toEqual([]);
    expect(loadAdapter(writeAdapter(baseConfig({ target_modules: 'all-linear' }), qv), opts).warnings).toEqual([]);
  });

  it('fan_in_fan_out keeps Linear-shaped A/B and warns', () => {
    const a = loadAdapter(writeAdapter(baseConfig({ fan_in_fan_out: true }), qv), opts);
    expect(a.slots[0]!.a).toHaveLength(2 * 8);
    expect(a.warnings.join('\n')).toContain('fan_in_fan_out is true');
  });
});

describe('loadAdapter: errors', () => {
  it('target_modules matching nothing names the key and lists the linear modules', () => {
    const e = loadErr(writeAdapter(baseConfig({ target_modules: ['c_attn', 'c_proj'] }), qv));
    expect(e.message).toContain('target_modules ["c_attn","c_proj"] matches no module of the base model');
    expect(e.message).toContain('q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, lm_head');
  });

  it('a shape mismatch names the tensor, expected and found shape', () => {
    const bad = loraPair(0, 'self_attn.q_proj', 2).map((t) => (t.name.endsWith('lora_B.weight') ? { ...t, shape: [4, 2], data: new Float32Array(8) } : t));
    const e = loadErr(writeAdapter(baseConfig(), bad));
    expect(e.message).toContain(`tensor '${P}model.layers.0.self_attn.q_proj.lora_B.weight' has shape [4, 2], expected [8, 2]`);
  });

  it('a rank that disagrees with r / rank_pattern is a shape mismatch', () => {
    const e = loadErr(writeAdapter(baseConfig({ r: 4 }), qv));
    expect(e.message).toMatch(/lora_A\.weight' has shape \[2, 8\], expected \[4, 8\] \(rank 4 from adapter_config.json/);
  });

  it('a module the base lacks is refused', () => {
    const e = loadErr(writeAdapter(baseConfig(), loraPair(5, 'self_attn.q_proj', 2)));
    expect(e.message).toContain("adapts module 'model.layers.5.self_attn.q_proj', which the base model does not have");
  });

  it('A without B is refused', () => {
    const e = loadErr(writeAdapter(baseConfig(), loraPair(0, 'self_attn.q_proj', 2).slice(0, 1)));
    expect(e.message).toContain("module 'model.layers.0.self_attn.q_proj' has");
    expect(e.message).toContain('not both lora_A.weight and lora_B.weight');
  });

  it('keys without the PEFT prefix are refused', () => {
    const e = loadErr(writeAdapter(baseConfig(), [{ name: 'model.layers.0.self_attn.q_proj.lora_A.weight', dtype: 'F32', shape: [1], data: [0] }]));
    expect(e.message).toContain("does not start with 'base_model.model.'");
  });

  it('missing dir / files, legacy .bin and bad JSON', () => {
    expect(loadErr('/nonexistent/adapter').message).toContain('adapter directory not found');
    const dir = writeAdapter(baseConfig(), qv);
    rmSync(path.join(dir, 'adapter_model.safetensors'));
    expect(loadErr(dir).message).toContain('no adapter_model.safetensors');
    writeFileSync(path.join(dir, 'adapter_model.bin'), 'pickle');
    const legacy = loadErr(dir);
    expect(legacy.message).toContain('only adapter_model.bin (pickled torch)');
    expect(legacy.code).toBe('SWAY_ADAPTER_UNSUPPORTED');
    const empty = tmpDir();
    expect(loadErr(empty).message).toContain('no adapter_config.json');
    expect(loadErr(writeAdapter('{ nope', qv)).message).toContain('adapter_config.json: not valid JSON');
  });

  it('a corrupt safetensors file is an AdapterError', () => {
    const dir = writeAdapter(baseConfig(), qv);
    writeFileSync(path.join(dir, 'adapter_model.safetensors'), Buffer.from([1, 2, 3]));
    expect(loadErr(dir).message).toContain('re-save the adapter');
  });
});

describe('loadAdapter: NaN / Inf', () => {
  it('flags non-finite tensors without throwing', () => {
    const tensors = loraPair(0, 'self_attn.q_proj', 2).map((t) => (t.name.endsWith('lora_A.weight') ? { ...t, data: new Float32Array(16).fill(Number.NaN) } : t));
    tensors.push(...loraPair(1, 'self_attn.q_proj', 2).map((t) => (t.name.endsWith('lora_B.weight') ? { ...t, data: Float32Array.from({ length: 16 }, (_, i) => (i === 3 ? Infinity : 0)) } : t)));
    const a = loadAdapter(writeAdapter(baseConfig(), tensors), opts);
    expect(a.nonFiniteTensors).toEqual([`${P}model.layers.0.self_attn.q_proj.lora_A.weight`, `${P}model.layers.1.self_attn.q_proj.lora_B.weight`]);
    expect(Number.isNaN(a.slots[0]!.a[0])).toBe(true);
  });
});
