/**
 * config.json (+ generation_config.json) -> ArchSpec for the decoder families we run.
 * Anything we cannot run faithfully is refused by key name, never silently ignored.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelError } from '../core/errors.js';
import { SUPPORTED_FAMILIES, type ArchSpec, type Family, type RopeScaling } from './types.js';

type Json = Record<string, unknown>;

function refuse(file: string, key: string, why: string): ModelError {
  return new ModelError(`${file}: ${key} ${why}`, 'SWAY_ARCH_UNSUPPORTED');
}

function num(cfg: Json, file: string, key: string, fallback?: number): number {
  const v = cfg[key];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw new ModelError(`${file}: required key '${key}' is missing`, 'SWAY_MODEL_INVALID');
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ModelError(`${file}: key '${key}' must be a number, got ${JSON.stringify(v)}`, 'SWAY_MODEL_INVALID');
  }
  return v;
}

function bool(cfg: Json, key: string, fallback: boolean): boolean {
  const v = cfg[key];
  return typeof v === 'boolean' ? v : fallback;
}

function ids(v: unknown): number[] {
  if (typeof v === 'number') return [v];
  if (Array.isArray(v)) return v.filter((x): x is number => typeof x === 'number');
  return [];
}

function parseRopeScaling(file: string, cfg: Json): { scaling: RopeScaling; theta?: number } {
  const block = (cfg['rope_scaling'] ?? cfg['rope_parameters']) as Json | null | undefined;
  if (!block || typeof block !== 'object') return { scaling: { type: 'default' } };
  const theta = typeof block['rope_theta'] === 'number' ? (block['rope_theta'] as number) : undefined;
  const type = String(block['rope_type'] ?? block['type'] ?? 'default');
  const factor = typeof block['factor'] === 'number' ? (block['factor'] as number) : 1;
  switch (type) {
    case 'default':
    case 'dynamic': // identical to default below max_position_embeddings; longer inputs are refused at run time
      return { scaling: { type: 'default' }, ...(theta !== undefined ? { theta } : {}) };
    case 'linear':
      return { scaling: { type: 'linear', factor }, ...(theta !== undefined ? { theta } : {}) };
    case 'llama3':
      return {
        scaling: {
          type: 'llama3',
          factor,
          lowFreqFactor: Number(block['low_freq_factor'] ?? 1),
          highFreqFactor: Number(block['high_freq_factor'] ?? 4),
          originalMaxPositionEmbeddings: Number(block['original_max_position_embeddings'] ?? 8192),
        },
        ...(theta !== undefined ? { theta } : {}),
      };
    default:
      throw refuse(file, `rope_scaling.rope_type '${type}'`, 'is not supported (supported: default, dynamic, linear, llama3)');
  }
}

/** Builds the ArchSpec from parsed config objects; `file` names the config in errors. */
export function archFromConfig(cfg: Json, file: string, generation?: Json): ArchSpec {
  const modelType = cfg['model_type'];
  if (typeof modelType !== 'string' || !(SUPPORTED_FAMILIES as readonly string[]).includes(modelType)) {
    throw new ModelError(
      `${file}: model_type ${JSON.stringify(modelType)} is not supported; supported: ${SUPPORTED_FAMILIES.join(', ')}`,
      'SWAY_ARCH_UNSUPPORTED',
    );
  }
  const family = modelType as Family;
  if (cfg['quantization_config'] != null) {
    throw refuse(file, 'quantization_config', 'is set; sway runs unquantized fp32/fp16/bf16 checkpoints only (use the original weights)');
  }
  const act = String(cfg['hidden_act'] ?? 'silu');
  if (act !== 'silu') throw refuse(file, `hidden_act '${act}'`, 'is not supported for this family (expected silu)');
  const hiddenSize = num(cfg, file, 'hidden_size');
  const numHeads = num(cfg, file, 'num_attention_heads');
  const numKvHeads = num(cfg, file, 'num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) {
    throw new ModelError(`${file}: num_attention_heads (${numHeads}) must be a multiple of num_key_value_heads (${numKvHeads})`);
  }
  const headDim = num(cfg, file, 'head_dim', hiddenSize / numHeads);
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new ModelError(`${file}: head_dim ${headDim} must be an even integer`);
  const numLayers = num(cfg, file, 'num_hidden_layers');
  const { scaling, theta: blockTheta } = parseRopeScaling(file, cfg);
  const theta = num(cfg, file, 'rope_theta', blockTheta ?? 10000);
  const partial = num(cfg, file, 'partial_rotary_factor', 1);
  if (partial !== 1) throw refuse(file, 'partial_rotary_factor', `= ${partial} is not supported for ${family}`);
  const attentionBias = bool(cfg, 'attention_bias', false);

  let window: number | null = null;
  const sw = cfg['sliding_window'];
  if (family === 'mistral') window = typeof sw === 'number' ? sw : null;
  else if ((family === 'qwen2' || family === 'qwen3') && bool(cfg, 'use_sliding_window', false) && typeof sw === 'number') window = sw;
  const layerTypes = Array.isArray(cfg['layer_types']) ? (cfg['layer_types'] as unknown[]) : null;
  const maxWindowLayers = typeof cfg['max_window_layers'] === 'number' ? (cfg['max_window_layers'] as number) : numLayers;
  const slidingWindow: (number | null)[] = [];
  for (let i = 0; i < numLayers; i++) {
    if (window === null) slidingWindow.push(null);
    else if (layerTypes) slidingWindow.push(layerTypes[i] === 'sliding_attention' ? window : null);
    else if (family === 'mistral') slidingWindow.push(window);
    else slidingWindow.push(i < maxWindowLayers ? window : null);
  }

  const eos = ids(generation?.['eos_token_id']);
  for (const e of ids(cfg['eos_token_id'])) if (!eos.includes(e)) eos.push(e);
  return {
    family,
    hiddenSize,
    intermediateSize: num(cfg, file, 'intermediate_size'),
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    vocabSize: num(cfg, file, 'vocab_size'),
    maxPositionEmbeddings: num(cfg, file, 'max_position_embeddings', 4096),
    rmsNormEps: num(cfg, file, 'rms_norm_eps', 1e-6),
    hiddenAct: 'silu',
    tieWordEmbeddings: bool(cfg, 'tie_word_embeddings', false),
    qkvBias: family === 'qwen2' ? true : attentionBias,
    oBias: family === 'qwen2' || family === 'qwen3' ? false : attentionBias,
    mlpBias: bool(cfg, 'mlp_bias', false),
    qkNorm: family === 'qwen3',
    rope: { theta, rotaryDim: headDim, scaling },
    slidingWindow,
    bosTokenId: typeof cfg['bos_token_id'] === 'number' ? (cfg['bos_token_id'] as number) : null,
    eosTokenIds: eos,
    padTokenId: typeof cfg['pad_token_id'] === 'number' ? (cfg['pad_token_id'] as number) : null,
  };
}

function readJson(path: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ModelError(`${path}: cannot read file`, 'SWAY_MODEL_NOT_FOUND');
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Json;
  } catch {
    throw new ModelError(`${path}: not a valid JSON object`, 'SWAY_MODEL_INVALID');
  }
}

export function readJsonObject(path: string): Json {
  return readJson(path);
}

/** Reads `config.json` (and `generation_config.json` when present) from a model directory. */
export function loadArch(modelDir: string): ArchSpec {
  const cfgPath = join(modelDir, 'config.json');
  if (!existsSync(cfgPath)) {
    throw new ModelError(`${modelDir}: no config.json — is this a Hugging Face model directory?`, 'SWAY_MODEL_NOT_FOUND');
  }
  const genPath = join(modelDir, 'generation_config.json');
  return archFromConfig(readJson(cfgPath), cfgPath, existsSync(genPath) ? readJson(genPath) : undefined);
}
