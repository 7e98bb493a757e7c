/**
 * Saved full tensors of an adapter: modules_to_save copies and `bias: all|lora_only`
 * biases become overrides keyed by the base tensor they replace; trainable-token deltas
 * become replacement embedding rows. Copies of modules a text forward never runs are
 * listed in one warning.
 */
import { AdapterError } from '../../core/errors.js';
import type { ArchSpec, WeightSource } from '../types.js';
import type { AdapterConfig } from './config.js';
import { EMBED_PATH, EMBED_WEIGHT, LM_HEAD_WEIGHT, isNonTextModule } from './modules.js';
import type { OverrideTensors, TrainableTokens } from './types.js';

export interface TensorReader {
  shape(key: string): number[];
  read(key: string): Float32Array;
}

function shapeText(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

/** Base tensor a saved parameter replaces, or null if the base has none. */
function resolveBaseName(param: string, arch: ArchSpec, base: WeightSource): string | null {
  const candidates = [param, param.replace(/^model\./, ''), `model.${param}`];
  for (const c of candidates) {
    if (base.has(c)) return c;
    // A tied model has no lm_head.weight tensor, but a saved head still replaces the output role.
    if (c === LM_HEAD_WEIGHT && arch.tieWordEmbeddings) return c;
  }
  return null;
}

/** The parameter belongs to (or sits inside) a module whose path equals or ends with a listed name. */
function coveredByModulesToSave(param: string, names: readonly string[]): boolean {
  const modulePath = param.slice(0, param.lastIndexOf('.'));
  const prefixes = modulePath.split('.').map((_, i, parts) => parts.slice(0, i + 1).join('.'));
  return names.some((n) => prefixes.some((p) => p === n || p.endsWith(`.${n}`) || `model.${p}` === n));
}

export function loadOverrides(
  saved: Map<string, string>,
  cfg: AdapterConfig,
  arch: ArchSpec,
  base: WeightSource,
  reader: TensorReader,
  warnings: string[],
): OverrideTensors {
  const overrides: OverrideTensors = new Map();
  const nonText: string[] = [];
  const ignored: string[] = [];
  for (const [key, param] of saved) {
    if (isNonTextModule(param)) {
      nonText.push(key);
      continue;
    }
    const isBias = param.endsWith('.bias') && cfg.bias !== 'none';
    if (!isBias && !coveredByModulesToSave(param, cfg.modulesToSave)) {
      ignored.push(key);
      continue;
    }
    const baseName = resolveBaseName(param, arch, base);
    if (baseName === null) {
      throw new AdapterError(
        `${cfg.file}: saved tensor '${key}' replaces '${param}', which the base model (${base.description}) does not have; ` +
          'the adapter was trained on a different base model — pass the matching base.',
      );
    }
    const expected = baseName === LM_HEAD_WEIGHT && !base.has(LM_HEAD_WEIGHT) ? base.shape(EMBED_WEIGHT) : base.shape(baseName);
    const found = reader.shape(key);
    if (shapeText(expected) !== shapeText(found)) {
      throw new AdapterError(
        `${cfg.file}: tensor '${key}' has shape ${shapeText(found)}, expected ${shapeText(expected)} (the base tensor '${baseName}'); ` +
          'the adapter does not fit this base model.',
      );
    }
    overrides.set(baseName, { shape: found, data: reader.read(key) });
  }
  if (nonText.length > 0) {
    warnings.push(
      `${cfg.file}: ${nonText.length} saved tensor(s) of modules a text-only forward never runs were loaded and are unused: ${nonText.join(', ')}`,
    );
  }
  if (ignored.length > 0) {
    warnings.push(
      `${cfg.file}: ignored ${ignored.length} tensor(s) that neither LoRA nor modules_to_save/bias in adapter_config.json account for (PEFT ignores them too): ${ignored.join(', ')}`,
    );
  }
  for (const name of cfg.modulesToSave) {
    const hit = [...saved.values()].some((p) => coveredByModulesToSave(p, [name]));
    if (!hit) warnings.push(`${cfg.file}: modules_to_save lists '${name}' but the adapter holds no tensor for it; the ft view uses the base module.`);
  }
  return overrides;
}

function embeddingIndices(cfg: AdapterConfig): number[] | null {
  const t = cfg.trainableTokenIndices;
  if (t === null) return null;
  if (Array.isArray(t)) return t;
  let found: number[] | null = null;
  for (const [name, ids] of Object.entries(t)) {
    const isEmbedding = EMBED_PATH === name || EMBED_PATH.endsWith(`.${name}`);
    if (!isEmbedding) {
      throw new AdapterError(
        `${cfg.file}: trainable_token_indices names '${name}'; sway supports trainable tokens on the input embedding (embed_tokens) only.`,
        'SWAY_ADAPTER_UNSUPPORTED',
      );
    }
    found = ids;
  }
  return found;
}

export function loadTrainableTokens(
  deltas: Map<string, string>,
  cfg: AdapterConfig,
  arch: ArchSpec,
  base: WeightSource,
  reader: TensorReader,
): TrainableTokens | null {
  const indices = embeddingIndices(cfg);
  for (const [modulePath, key] of deltas) {
    if (modulePath !== EMBED_PATH) {
      throw new AdapterError(
        `${cfg.file}: tensor '${key}' holds trainable tokens for '${modulePath}'; sway supports them on the input embedding (${EMBED_PATH}) only.`,
        'SWAY_ADAPTER_UNSUPPORTED',
      );
    }
  }
  const key = deltas.get(EMBED_PATH);
  if (indices === null && key === undefined) return null;
  if (indices === null) {
    throw new AdapterError(`${cfg.file}: tensor '${key}' holds trainable tokens but trainable_token_indices is missing; add the token ids to adapter_config.json.`);
  }
  if (key === undefined) {
    throw new AdapterError(
      `${cfg.file}: trainable_token_indices is set but the adapter has no '${EMBED_PATH}.token_adapter.trainable_tokens_delta' tensor; re-save the adapter.`,
    );
  }
  const [vocab, dim] = base.has(EMBED_WEIGHT) ? (base.shape(EMBED_WEIGHT) as [number, number]) : [arch.vocabSize, arch.hiddenSize];
  const bad = indices.find((i) => i >= vocab);
  if (bad !== undefined) throw new AdapterError(`${cfg.file}: trainable_token_indices contains ${bad}, outside the base vocabulary of ${vocab} rows.`);
  if (new Set(indices).size !== indices.length) throw new AdapterError(`${cfg.file}: trainable_token_indices lists a token id twice; list each id once.`);
  const expected = [indices.length, dim];
  const found = reader.shape(key);
  if (shapeText(expected) !== shapeText(found)) {
    throw new AdapterError(
      `${cfg.file}: tensor '${key}' has shape ${shapeText(found)}, expected ${shapeText(expected)} (${indices.length} trainable_token_indices × hidden ${dim}).`,
    );
  }
  return { tensorName: EMBED_WEIGHT, indices: [...indices], rows: reader.read(key) };
}

/**
 * `ensure_weight_tying` on a tied base: PEFT keeps the saved embedding and head tied, so a
 * copy saved for one role serves both. LoRA on the tied pair would need shared factors
 * across both roles, which the slot model does not express; it is refused.
 */
export function applyWeightTying(cfg: AdapterConfig, arch: ArchSpec, overrides: OverrideTensors, tiedLoraPaths: readonly string[]): void {
  if (!cfg.ensureWeightTying || !arch.tieWordEmbeddings) return;
  if (tiedLoraPaths.length > 0) {
    throw new AdapterError(
      `${cfg.file}: ensure_weight_tying is true and LoRA targets the tied ${tiedLoraPaths.join(' / ')}; sway does not support tied LoRA on the embedding and output head — train without ensure_weight_tying or without LoRA on those modules.`,
      'SWAY_ADAPTER_UNSUPPORTED',
    );
  }
  const embed = overrides.get(EMBED_WEIGHT);
  const head = overrides.get(LM_HEAD_WEIGHT);
  if (embed && !head) overrides.set(LM_HEAD_WEIGHT, embed);
  if (head && !embed) overrides.set(EMBED_WEIGHT, head);
}
