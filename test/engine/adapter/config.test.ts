import { describe, expect, it } from 'vitest';
import { AdapterError } from '../../../src/core/errors.js';
import { parseAdapterConfig } from '../../../src/engine/adapter/config.js';
import { baseConfig } from './helpers.js';

const F = '/x/adapter_config.json';
const parse = (over: Record<string, unknown>) => parseAdapterConfig(baseConfig(over), F);

describe('parseAdapterConfig', () => {
  it('normalises a typical config and ignores informational keys', () => {
    const c = parse({ rank_pattern: { b: 3, a: 5 }, layers_to_transform: 1, layers_pattern: 'layers', auto_mapping: null, revision: null });
    expect(c.r).toBe(2);
    expect(c.loraAlpha).toBe(4);
    expect(c.rankPattern).toEqual([
      ['b', 3],
      ['a', 5],
    ]);
    expect(c.layersToTransform).toEqual([1]);
    expect(c.layersPattern).toEqual(['layers']);
    expect(c.bias).toBe('none');
    expect(c.modulesToSave).toEqual([]);
    expect(c.warnings).toEqual([]);
  });

  it('accepts an absent task_type and defaults', () => {
    const c = parseAdapterConfig({ peft_type: 'LORA', target_modules: ['q_proj'] }, F);
    expect(c.r).toBe(8);
    expect(c.loraAlpha).toBe(8);
    expect(c.useRslora).toBe(false);
  });

  it.each([
    [{ peft_type: 'IA3' }, "peft_type 'IA3' is not supported"],
    [{ task_type: 'SEQ_CLS' }, "task_type 'SEQ_CLS' is not supported"],
    [{ layer_replication: [[0, 2]] }, "'layer_replication' is set"],
    [{ target_parameters: ['experts.gate_up_proj'] }, "'target_parameters' is set"],
    [{ use_qalora: true }, "'use_qalora' is set"],
    [{ alora_invocation_tokens: [5, 6] }, "'alora_invocation_tokens' is set"],
    [{ megatron_config: { tp: 2 } }, "'megatron_config' is set"],
    [{ use_dora: true, lora_bias: true }, 'use_dora together with lora_bias'],
  ])('refuses %j by name', (over, fragment) => {
    let err: unknown;
    try {
      parse(over);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AdapterError);
    expect((err as AdapterError).message).toContain(fragment);
    expect((err as AdapterError).message.startsWith(F)).toBe(true);
    expect((err as AdapterError).code).toBe('SWAY_ADAPTER_UNSUPPORTED');
    expect((err as AdapterError).exitCode).toBe(2);
  });

  it('allows refused keys at their harmless defaults', () => {
    expect(() => parse({ layer_replication: null, target_parameters: [], use_qalora: false, megatron_config: null, megatron_core: 'megatron.core' })).not.toThrow();
  });

  it.each([
    [{ target_modules: '.*q_proj', layers_to_transform: [0] }, 'layers_to_transform cannot be combined with a string (regex) target_modules'],
    [{ layers_pattern: 'layers' }, 'layers_pattern is set without layers_to_transform'],
    [{ r: 0 }, "key 'r'"],
    [{ r: 2.5 }, "key 'r'"],
    [{ lora_alpha: 'x' }, "key 'lora_alpha'"],
    [{ bias: 'some' }, "key 'bias'"],
    [{ rank_pattern: { q_proj: -1 } }, "key 'rank_pattern.q_proj'"],
    [{ trainable_token_indices: [1, -2] }, "key 'trainable_token_indices.1'"],
  ])('rejects bad value %j naming the key', (over, fragment) => {
    expect(() => parse(over)).toThrow(fragment);
  });

  it('rejects a non-object', () => {
    expect(() => parseAdapterConfig([1], F)).toThrow('expected a JSON object');
  });

  it('warns (does not refuse) for residual-base inits', () => {
    const c = parse({ init_lora_weights: 'pissa_niter_4' });
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toContain("init_lora_weights 'pissa_niter_4'");
    expect(parse({ init_lora_weights: 'gaussian' }).warnings).toEqual([]);
    expect(parse({ init_lora_weights: 'olora' }).warnings).toHaveLength(1);
  });
});
