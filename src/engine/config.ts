/**
 * config.json (+ generation_config.json) → ArchSpec for the llama-style families.
 * Defaults follow the HF config classes; options we cannot run are refused by key.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ModelError } from '../core/errors.js';
import { SUPPORTED_FAMILIES, type ArchSpec, type Family, type RopeScaling } from './types.js';

type Json = Record<string, unknown>;

function readJson(file: string): Json {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ModelError(code === 'ENOENT' ? `${file} not found; a model directory needs config.json` : `${file}: not valid JSON (${(err as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ModelError(`${file}: expected a JSON object`);
  return raw as Json;
}

/** Reads `dir/config.json` and `dir/generation_config.json` (optional) into an ArchSpec. */
export function loadArchSpec(dir: string): ArchSpec {
  const file = path.join(dir, 'config.json');
  const genFile = path.join(dir, 'generation_config.json');
  const gen = existsSync(genFile) ? readJson(genFile) : null;
  return archSpecFromConfig(readJson(file), file, gen);
}

function num(cfg: Json, key: string, file: string, fallback?: number): number {
  const v = cfg[key];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw new ModelError(`${file}: key '${key}' is missing`);
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ModelError(`${file}: key '${key}' must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function posInt(cfg: Json, key: string, file: string, fallback?: number): number {
  const v = num(cfg, key, file, fallback);
  if (!Number.isInteger(v) || v <= 0) throw new ModelError(`${file}: key '${key}' must be a positive integer, got ${v}`);
  return v;
}

function bool(cfg: Json, key: string, file: string, fallback: boolean): boolean {
  const v = cfg[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new ModelError(`${file}: key '${key}' must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function idList(v: unknown): number[] {
  if (typeof v === 'number' && Number.isInteger(v)) return [v];
  if (Array.isArray(v)) return v.filter((x): x is number => typeof x === 'number' && Number.isInteger(x));
  return [];
}

function optId(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) ? v : null;
}

/** Parses the RoPE block (`rope_scaling`, or transformers v5 `rope_parameters`). */
export function parseRope(cfg: Json, file: string): { theta: number; scaling: RopeScaling } {
  const params = (cfg.rope_parameters ?? null) as Json | null;
  const scalingBlock = (cfg.rope_scaling ?? params ?? null) as Json | null;
  const blockKey = cfg.rope_scaling != null ? 'rope_scaling' : 'rope_parameters';
  let theta = num(cfg, 'rope_theta', file, Number.NaN);
  if (Number.isNaN(theta) && params && typeof params.rope_theta === 'number') theta = params.rope_theta;
  if (Number.isNaN(theta)) theta = 10000;
  if (scalingBlock === null) return { theta, scaling: { type: 'default' } };
  if (typeof scalingBlock !== 'object' || Array.isArray(scalingBlock)) throw new ModelError(`${file}: key '${blockKey}' must be an object`);
  const type = (scalingBlock.rope_type ?? scalingBlock.type ?? 'default') as unknown;
  const factor = (): number => {
    const f = scalingBlock.factor;
    if (typeof f !== 'number' || !(f > 0)) throw new ModelError(`${file}: key '${blockKey}.factor' must be a positive number for rope type '${String(type)}'`);
    return f;
  };
  switch (type) {
    case 'default':
      return { theta, scaling: { type: 'default' } };
    // Dynamic NTK equals default up to max_position_embeddings; the engine never scores past it.
    case 'dynamic':
      return { theta, scaling: { type: 'default' } };
    case 'linear':
      return { theta, scaling: { type: 'linear', factor: factor() } };
    case 'llama3': {
      const sub = (k: string): number => {
        const v = scalingBlock[k];
        if (typeof v !== 'number' || !(v > 0)) throw new ModelError(`${file}: key '${blockKey}.${k}' must be a positive number for llama3 rope scaling`);
        return v;
      };
      const low = sub('low_freq_factor');
      const high = sub('high_freq_factor');
      if (!(high > low)) throw new ModelError(`${file}: '${blockKey}.high_freq_factor' must exceed low_freq_factor`);
      return {
        theta,
        scaling: { type: 'llama3', factor: factor(), lowFreqFactor: low, highFreqFactor: high, originalMaxPositionEmbeddings: sub('original_max_position_embeddings') },
      };
    }
    default:
      throw new ModelError(
        `${file}: key '${blockKey}' has rope type '${String(type)}', which sway does not support yet (supported: default, linear, llama3, dynamic)`,
        'SWAY_ARCH_UNSUPPORTED',
      );
  }
}

/** Keys whose presence (with a non-trivial value) means we would compute the wrong model. */
function refuseUnsupported(cfg: Json, file: string): void {
  if (cfg.quantization_config != null) {
    throw new ModelError(`${file}: key 'quantization_config' is set; sway runs unquantised safetensors checkpoints only (use the base fp16/bf16 model)`, 'SWAY_ARCH_UNSUPPORTED');
  }
  const act = cfg.hidden_act ?? cfg.hidden_activation ?? 'silu';
  if (act !== 'silu') {
    throw new ModelError(`${file}: key 'hidden_act' is '${String(act)}'; this family is supported with 'silu' only`, 'SWAY_ARCH_UNSUPPORTED');
  }
  const prf = cfg.partial_rotary_factor;
  if (prf != null && prf !== 1) {
    throw new ModelError(`${file}: key 'partial_rotary_factor' = ${JSON.stringify(prf)} is not supported for this family`, 'SWAY_ARCH_UNSUPPORTED');
  }
  const pt = cfg.pretraining_tp;
  if (pt != null && pt !== 1) {
    throw new ModelError(`${file}: key 'pretraining_tp' = ${JSON.stringify(pt)} is not supported (set it to 1; it only changes how the matmul is split)`, 'SWAY_ARCH_UNSUPPORTED');
  }
}

function slidingWindows(cfg: Json, family: Family, numLayers: number, file: string): (number | null)[] {
  const none = (): (number | null)[] => new Array<number | null>(numLayers).fill(null);
  const raw = cfg.sliding_window;
  if (family === 'llama') return none();
  if (family === 'mistral') {
    if (raw === null || raw === undefined) return none();
    return new Array<number | null>(numLayers).fill(posInt(cfg, 'sliding_window', file));
  }
  // qwen2 / qwen3: only with use_sliding_window.
  if (!bool(cfg, 'use_sliding_window', file, false) || raw === null || raw === undefined) return none();
  const window = posInt(cfg, 'sliding_window', file);
  const layerTypes = cfg.layer_types;
  if (Array.isArray(layerTypes)) {
    if (layerTypes.length !== numLayers) throw new ModelError(`${file}: key 'layer_types' has ${layerTypes.length} entries for ${numLayers} layers`);
    return layerTypes.map((t, i) => {
      if (t === 'sliding_attention') return window;
      if (t === 'full_attention') return null;
      throw new ModelError(`${file}: key 'layer_types[${i}]' is '${String(t)}'; expected 'full_attention' or 'sliding_attention'`);
    });
  }
  // HF: layers with index >= max_window_layers use the window (class default 28).
  const maxWindowLayers = num(cfg, 'max_window_layers', file, 28);
  return Array.from({ length: numLayers }, (_, i) => (i >= maxWindowLayers ? window : null));
}

/** HF config class defaults for an absent `max_position_embeddings`. */
const DEFAULT_MAX_POSITIONS: Record<Family, number> = { llama: 2048, mistral: 4096 * 32, qwen2: 32768, qwen3: 32768 };

export function archSpecFromConfig(cfg: Json, file: string, generationConfig: Json | null = null): ArchSpec {
  const modelType = cfg.model_type;
  if (typeof modelType !== 'string' || !(SUPPORTED_FAMILIES as readonly string[]).includes(modelType)) {
    throw new ModelError(
      `${file}: key 'model_type' is ${JSON.stringify(modelType ?? null)}; supported model types: ${SUPPORTED_FAMILIES.join(', ')}`,
      'SWAY_ARCH_UNSUPPORTED',
    );
  }
  const family = modelType as Family;
  refuseUnsupported(cfg, file);
  const hiddenSize = posInt(cfg, 'hidden_size', file);
  const numHeads = posInt(cfg, 'num_attention_heads', file);
  const numKvHeads = posInt(cfg, 'num_key_value_heads', file, numHeads);
  if (numHeads % numKvHeads !== 0) {
    throw new ModelError(`${file}: num_attention_heads (${numHeads}) must be a multiple of num_key_value_heads (${numKvHeads})`);
  }
  let headDim: number;
  if (cfg.head_dim != null) headDim = posInt(cfg, 'head_dim', file);
  else {
    if (hiddenSize % numHeads !== 0) throw new ModelError(`${file}: hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numHeads} and no 'head_dim' is given`);
    headDim = hiddenSize / numHeads;
  }
  if (headDim % 2 !== 0) throw new ModelError(`${file}: head_dim ${headDim} must be even for RoPE`);
  const numLayers = posInt(cfg, 'num_hidden_layers', file);
  const attentionBias = bool(cfg, 'attention_bias', file, false);
  const { theta, scaling } = parseRope(cfg, file);
  const eos = idList(cfg.eos_token_id);
  for (const id of idList(generationConfig?.eos_token_id)) if (!eos.includes(id)) eos.push(id);
  const bos = optId(cfg.bos_token_id) ?? optId(generationConfig?.bos_token_id);
  const pad = optId(cfg.pad_token_id) ?? optId(generationConfig?.pad_token_id);
  return {
    family,
    hiddenSize,
    intermediateSize: posInt(cfg, 'intermediate_size', file),
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    vocabSize: posInt(cfg, 'vocab_size', file),
    maxPositionEmbeddings: posInt(cfg, 'max_position_embeddings', file, DEFAULT_MAX_POSITIONS[family]),
    rmsNormEps: num(cfg, 'rms_norm_eps', file, 1e-6),
    hiddenAct: 'silu',
    tieWordEmbeddings: bool(cfg, 'tie_word_embeddings', file, false),
    // qwen2 always has q/k/v biases; llama/qwen3 via attention_bias (qwen3 applies it to q/k/v/o too).
    qkvBias: family === 'qwen2' ? true : family === 'mistral' ? false : attentionBias,
    oBias: family === 'llama' || family === 'qwen3' ? attentionBias : false,
    mlpBias: family === 'llama' ? bool(cfg, 'mlp_bias', file, false) : false,
    qkNorm: family === 'qwen3',
    rope: { theta, rotaryDim: headDim, scaling },
    slidingWindow: slidingWindows(cfg, family, numLayers, file),
    bosTokenId: bos,
    eosTokenIds: eos,
    padTokenId: pad,
  };
}
