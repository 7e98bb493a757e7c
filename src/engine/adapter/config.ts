/**
 * adapter_config.json validation. We accept LoRA adapters for causal LMs and refuse, by
 * key name, every PEFT option whose semantics we do not implement.
 */
import { readFileSync } from 'node:fs';
import { AdapterError } from '../../core/errors.js';
import { MODIFIED_BASE_INITS, REFUSED_CONFIG_KEYS } from './support.js';

export interface AdapterConfig {
  r: number;
  loraAlpha: number;
  useRslora: boolean;
  useDora: boolean;
  loraBias: boolean;
  bias: 'none' | 'all' | 'lora_only';
  rankPattern: [string, number][];
  alphaPattern: [string, number][];
  targetModules: string[] | string | null;
  excludeModules: string[] | string | null;
  layersToTransform: number[] | null;
  modulesToSave: string[];
  trainableTokenIndices: number[] | Record<string, number[]> | null;
  fanInFanOut: boolean;
  /** PEFT ensure_weight_tying: a tied lm_head shares the embedding's LoRA (transposed). */
  ensureWeightTying: boolean;
  baseModelNameOrPath: string | null;
}

function fail(file: string, key: string, msg: string): AdapterError {
  return new AdapterError(`${file}: ${key} ${msg}`, 'SWAY_ADAPTER_UNSUPPORTED');
}

function patternEntries(file: string, key: string, v: unknown): [string, number][] {
  if (v == null) return [];
  if (typeof v !== 'object' || Array.isArray(v)) throw new AdapterError(`${file}: ${key} must be a mapping of pattern -> number`);
  return Object.entries(v as Record<string, unknown>).map(([k, n]) => {
    if (typeof n !== 'number' || !(n > 0)) throw new AdapterError(`${file}: ${key}['${k}'] must be a positive number`);
    return [k, n];
  });
}

export function parseAdapterConfig(file: string): AdapterConfig {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new AdapterError(`${file}: not a readable JSON object (${(err as Error).message}); is this a PEFT adapter directory?`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new AdapterError(`${file}: not a JSON object; is this a PEFT adapter directory?`);
  const peftType = raw['peft_type'] ?? 'LORA';
  if (peftType !== 'LORA') throw fail(file, `peft_type '${String(peftType)}'`, 'is not supported; sway runs LoRA adapters (peft_type LORA) only');
  const task = raw['task_type'];
  if (task != null && task !== 'CAUSAL_LM') throw fail(file, `task_type '${String(task)}'`, 'is not supported; sway scores causal LMs (task_type CAUSAL_LM)');
  for (const [key, isSet] of Object.entries(REFUSED_CONFIG_KEYS)) {
    if (isSet(raw[key])) throw fail(file, key, 'is set; this PEFT option is not supported by sway — merge or convert the adapter first');
  }
  const init = raw['init_lora_weights'];
  if (typeof init === 'string' && MODIFIED_BASE_INITS.some((p) => init.toLowerCase().startsWith(p))) {
    throw fail(file, `init_lora_weights '${init}'`, 'means the adapter was trained against a modified base; convert it to a plain LoRA (PEFT save_pretrained with path_initial_model_for_weight_conversion) first');
  }
  const r = raw['r'];
  if (typeof r !== 'number' || !Number.isInteger(r) || r <= 0) throw new AdapterError(`${file}: r must be a positive integer, got ${JSON.stringify(r)}`);
  const alpha = raw['lora_alpha'] ?? r;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw new AdapterError(`${file}: lora_alpha must be a number`);
  const bias = raw['bias'] ?? 'none';
  if (bias !== 'none' && bias !== 'all' && bias !== 'lora_only') throw new AdapterError(`${file}: bias must be "none", "all" or "lora_only"`);
  const tm = raw['target_modules'];
  const targetModules = typeof tm === 'string' ? tm : Array.isArray(tm) ? tm.map(String) : null;
  const em = raw['exclude_modules'];
  const excludeModules = typeof em === 'string' ? em : Array.isArray(em) ? em.map(String) : null;
  if (typeof targetModules === 'string' && targetModules !== 'all-linear') checkRegex(file, 'target_modules', targetModules);
  if (typeof excludeModules === 'string') checkRegex(file, 'exclude_modules', excludeModules);
  const rankPattern = patternEntries(file, 'rank_pattern', raw['rank_pattern']);
  const alphaPattern = patternEntries(file, 'alpha_pattern', raw['alpha_pattern']);
  for (const [k] of rankPattern) checkRegex(file, `rank_pattern key`, k);
  for (const [k] of alphaPattern) checkRegex(file, `alpha_pattern key`, k);
  const ltt = raw['layers_to_transform'];
  const layersToTransform = typeof ltt === 'number' ? [ltt] : Array.isArray(ltt) ? ltt.map(Number) : null;
  if (ltt != null && (layersToTransform === null || layersToTransform.some((n) => !Number.isInteger(n) || n < 0))) {
    throw new AdapterError(`${file}: layers_to_transform must be a layer index or a list of layer indices, got ${JSON.stringify(ltt)}`);
  }
  const mts = raw['modules_to_save'];
  const tti = raw['trainable_token_indices'];
  return {
    r,
    loraAlpha: alpha,
    useRslora: raw['use_rslora'] === true,
    useDora: raw['use_dora'] === true,
    loraBias: raw['lora_bias'] === true,
    bias,
    rankPattern,
    alphaPattern,
    targetModules,
    excludeModules,
    layersToTransform,
    modulesToSave: Array.isArray(mts) ? mts.map(String) : [],
    trainableTokenIndices: Array.isArray(tti) ? tti.map(Number) : tti && typeof tti === 'object' ? (tti as Record<string, number[]>) : null,
    fanInFanOut: raw['fan_in_fan_out'] === true,
    ensureWeightTying: raw['ensure_weight_tying'] === true,
    baseModelNameOrPath: typeof raw['base_model_name_or_path'] === 'string' ? (raw['base_model_name_or_path'] as string) : null,
  };
}

/** Refuses a pattern JavaScript cannot compile (Python-only syntax such as `(?P<name>...)`), naming file and key. */
function checkRegex(file: string, key: string, pattern: string): void {
  try {
    new RegExp(pattern, 'u');
  } catch (err) {
    throw new AdapterError(`${file}: ${key} ${JSON.stringify(pattern)} is not a regular expression sway can evaluate (${(err as Error).message}); use a module-name list or a JavaScript-compatible pattern`);
  }
}

/**
 * PEFT's rank/alpha pattern rule: the first key (in dict order) for which the module path
 * matches `^(.*\.)?(<key>)$` wins. Keys are regular expressions in Python syntax; the
 * common subset (literals, dots, classes, groups, quantifiers) means the same in JS.
 */
export function matchPattern(patterns: readonly [string, number][], modulePath: string): number | null {
  for (const [key, value] of patterns) {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:.*\\.)?(?:${key})$`, 'u');
    } catch {
      throw new AdapterError(`adapter pattern '${key}' is not a regular expression sway can evaluate (Python-only syntax?)`, 'SWAY_ADAPTER_UNSUPPORTED');
    }
    if (re.test(modulePath)) return value;
  }
  return null;
}

/** PEFT's scaling of one module: alpha/r, or alpha/sqrt(r) with rsLoRA, after alpha_pattern. */
export function slotScaling(cfg: AdapterConfig, modulePath: string, rank: number): number {
  const alpha = matchPattern(cfg.alphaPattern, modulePath) ?? cfg.loraAlpha;
  return cfg.useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
}

/** Whether a module path is selected by `target_modules` (list: exact or `.name` suffix; string: full-match regex). */
export function matchesTarget(target: string[] | string | null, modulePath: string, isLinear: boolean): boolean {
  if (target === null) return false;
  if (typeof target === 'string') {
    if (target === 'all-linear') return isLinear && !modulePath.endsWith('lm_head');
    return new RegExp(`^(?:${target})$`, 'u').test(modulePath);
  }
  return target.some((t) => modulePath === t || modulePath.endsWith(`.${t}`));
}
