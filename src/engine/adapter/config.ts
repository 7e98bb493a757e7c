/**
 * adapter_config.json: validation with zod, refusal of PEFT options sway does not
 * implement (each by name), and normalisation into AdapterConfig.
 */
import { z } from 'zod';
import { AdapterError } from '../../core/errors.js';

const intList = z.array(z.number().int().nonnegative());
const stringOrList = z.union([z.string(), z.array(z.string())]);

const schema = z.looseObject({
  peft_type: z.string().optional(),
  task_type: z.string().nullable().optional(),
  base_model_name_or_path: z.string().nullable().optional(),
  r: z.number().int().positive().default(8),
  lora_alpha: z.number().finite().default(8),
  use_rslora: z.boolean().default(false),
  rank_pattern: z.record(z.string(), z.number().int().positive()).nullable().optional(),
  alpha_pattern: z.record(z.string(), z.number().finite()).nullable().optional(),
  target_modules: stringOrList.nullable().optional(),
  exclude_modules: stringOrList.nullable().optional(),
  layers_to_transform: z.union([z.number().int().nonnegative(), intList]).nullable().optional(),
  layers_pattern: stringOrList.nullable().optional(),
  fan_in_fan_out: z.boolean().default(false),
  use_dora: z.boolean().default(false),
  lora_bias: z.boolean().default(false),
  bias: z.enum(['none', 'all', 'lora_only']).default('none'),
  modules_to_save: z.array(z.string()).nullable().optional(),
  trainable_token_indices: z.union([intList, z.record(z.string(), intList)]).nullable().optional(),
  init_lora_weights: z.union([z.boolean(), z.string()]).default(true),
  ensure_weight_tying: z.boolean().default(false),
});

export interface AdapterConfig {
  file: string;
  baseModelNameOrPath: string | null;
  r: number;
  loraAlpha: number;
  useRslora: boolean;
  /** Pattern → value, in the file's key order. */
  rankPattern: [string, number][];
  alphaPattern: [string, number][];
  targetModules: string | string[] | null;
  excludeModules: string | string[] | null;
  layersToTransform: number[] | null;
  layersPattern: string[] | null;
  fanInFanOut: boolean;
  useDora: boolean;
  loraBias: boolean;
  bias: 'none' | 'all' | 'lora_only';
  modulesToSave: string[];
  /** A list applies to the input embedding; a record maps a module name to ids. */
  trainableTokenIndices: number[] | Record<string, number[]> | null;
  /** On a tied base, a saved embed_tokens / lm_head copy serves both roles. */
  ensureWeightTying: boolean;
  /** Warnings raised by the config alone. */
  warnings: string[];
}

/** Options that change what the adapter computes in ways sway does not implement. */
const REFUSED_KEYS: [key: string, why: string][] = [
  ['layer_replication', 'it duplicates decoder layers of the base model'],
  ['target_parameters', 'it puts LoRA on raw parameters (e.g. MoE expert tensors), not on modules'],
  ['use_qalora', 'QALoRA pools the input of quantized layers'],
  ['alora_invocation_tokens', 'activated LoRA (aLoRA) switches the adapter on mid-sequence'],
  ['megatron_config', 'Megatron parallel linear layers are not part of an HF decoder'],
  ['arrow_config', 'Arrow routes between several adapters'],
];

/** `init_lora_weights` values whose saved weights are relative to a modified base. */
const RESIDUAL_BASE_INITS = /^(pissa|olora|corda|loftq)/i;

function isSet(v: unknown): boolean {
  if (v === undefined || v === null || v === false) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function asList<T>(v: T | T[] | null | undefined): T[] | null {
  if (v === undefined || v === null) return null;
  return Array.isArray(v) ? v : [v];
}

export function parseAdapterConfig(raw: unknown, file: string): AdapterConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new AdapterError(`${file}: expected a JSON object (a PEFT adapter_config.json); re-save the adapter with PEFT.`);
  }
  const obj = raw as Record<string, unknown>;
  const peftType = obj.peft_type;
  if (peftType !== undefined && peftType !== 'LORA') {
    throw new AdapterError(
      `${file}: peft_type '${String(peftType)}' is not supported; sway evaluates LoRA adapters only (peft_type "LORA").`,
      'SWAY_ADAPTER_UNSUPPORTED',
    );
  }
  const taskType = obj.task_type;
  if (taskType !== undefined && taskType !== null && taskType !== 'CAUSAL_LM') {
    throw new AdapterError(
      `${file}: task_type '${String(taskType)}' is not supported; sway scores causal language models (task_type "CAUSAL_LM"). ` +
        'An adapter trained for another task replaces the output head.',
      'SWAY_ADAPTER_UNSUPPORTED',
    );
  }
  for (const [key, why] of REFUSED_KEYS) {
    if (isSet(obj[key])) {
      throw new AdapterError(
        `${file}: '${key}' is set, which sway does not support (${why}); use an adapter trained without '${key}'.`,
        'SWAY_ADAPTER_UNSUPPORTED',
      );
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.path.join('.') || '(root)';
    throw new AdapterError(`${file}: key '${key}': ${issue.message}; fix this value in adapter_config.json.`);
  }
  const c = parsed.data;
  const warnings: string[] = [];
  if (typeof c.init_lora_weights === 'string' && RESIDUAL_BASE_INITS.test(c.init_lora_weights)) {
    warnings.push(
      `${file}: init_lora_weights '${c.init_lora_weights}' — if this adapter was saved without converting it to a plain LoRA ` +
        '(path_initial_model_for_weight_conversion), its weights are relative to a modified base model and the ft view will be wrong.',
    );
  }
  if (c.use_dora && c.lora_bias) {
    throw new AdapterError(`${file}: use_dora together with lora_bias is not supported; train with one of them.`, 'SWAY_ADAPTER_UNSUPPORTED');
  }
  const ltt = c.layers_to_transform;
  const hasLayers = ltt !== undefined && ltt !== null;
  // PEFT's LoraConfig rejects these combinations too, so such a config was edited by hand.
  if (hasLayers && typeof c.target_modules === 'string') {
    throw new AdapterError(`${file}: layers_to_transform cannot be combined with a string (regex) target_modules; encode the layers in the regex or list the module names.`);
  }
  if (!hasLayers && c.layers_pattern !== undefined && c.layers_pattern !== null && asList(c.layers_pattern)!.length > 0) {
    throw new AdapterError(`${file}: layers_pattern is set without layers_to_transform; add layers_to_transform or remove layers_pattern.`);
  }
  return {
    file,
    baseModelNameOrPath: c.base_model_name_or_path ?? null,
    r: c.r,
    loraAlpha: c.lora_alpha,
    useRslora: c.use_rslora,
    rankPattern: Object.entries(c.rank_pattern ?? {}),
    alphaPattern: Object.entries(c.alpha_pattern ?? {}),
    targetModules: c.target_modules ?? null,
    excludeModules: c.exclude_modules ?? null,
    layersToTransform: !hasLayers ? null : typeof ltt === 'number' ? [ltt] : ltt,
    layersPattern: asList(c.layers_pattern),
    fanInFanOut: c.fan_in_fan_out,
    useDora: c.use_dora,
    loraBias: c.lora_bias,
    bias: c.bias,
    modulesToSave: c.modules_to_save ?? [],
    trainableTokenIndices: c.trainable_token_indices ?? null,
    ensureWeightTying: c.ensure_weight_tying,
    warnings,
  };
}
