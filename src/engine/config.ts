/**
 * config.json (+ generation_config.json) -> ArchSpec for the decoder families we run.
 * Anything we cannot run faithfully is refused by key name, never silently ignored.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelError } from '../core/errors.js';
import { SUPPORTED_FAMILIES, familyTraits, isFamily, weightName, withRoot, type Family, type FamilyTraits, type SlidingRule, type Trait } from './families.js';
import type { ArchSpec, LayerHeads, RopeScaling, WeightSource } from './types.js';
import { readWeightInto } from './weight-source.js';

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

/**
 * RoPE blocks of config.json: one flat block (rope_scaling / rope_parameters), or one per
 * layer type (`rope_parameters: {full_attention, sliding_attention}`, gemma3/4 in transformers 5).
 */
function ropeBlocks(cfg: Json): { global: Json | null; local: Json | null; perType: boolean } {
  const block = (cfg['rope_scaling'] ?? cfg['rope_parameters']) as Json | null | undefined;
  if (!block || typeof block !== 'object') return { global: null, local: null, perType: false };
  const isObj = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);
  if (isObj(block['full_attention']) || isObj(block['sliding_attention'])) {
    return { global: isObj(block['full_attention']) ? block['full_attention'] : null, local: isObj(block['sliding_attention']) ? block['sliding_attention'] : null, perType: true };
  }
  return { global: block, local: null, perType: false };
}

/** One RoPE block (`top`: the whole config, for keys LongRoPE reads outside the block). */
function parseRopeScaling(file: string, block: Json | null, headDim: number, top: Json): { scaling: RopeScaling; theta?: number } {
  if (!block || typeof block !== 'object') return { scaling: { type: 'default' } };
  const theta = typeof block['rope_theta'] === 'number' ? (block['rope_theta'] as number) : undefined;
  const type = String(block['rope_type'] ?? block['type'] ?? 'default');
  const factor = typeof block['factor'] === 'number' ? (block['factor'] as number) : 1;
  const positiveIn = (key: string, v: number) => {
    if (!Number.isFinite(v) || v <= 0) throw new ModelError(`${file}: rope_scaling.${key} must be a finite number > 0, got ${JSON.stringify(block[key])} — fix config.json`, 'SWAY_MODEL_INVALID');
    return v;
  };
  positiveIn('factor', factor);
  if (theta !== undefined) positiveIn('rope_theta', theta);
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
          lowFreqFactor: positiveIn('low_freq_factor', Number(block['low_freq_factor'] ?? 1)),
          highFreqFactor: positiveIn('high_freq_factor', Number(block['high_freq_factor'] ?? 4)),
          originalMaxPositionEmbeddings: positiveIn('original_max_position_embeddings', Number(block['original_max_position_embeddings'] ?? 8192)),
        },
        ...(theta !== undefined ? { theta } : {}),
      };
    case 'proportional': {
      const p = Number(block['partial_rotary_factor'] ?? 1);
      if (!(p > 0 && p <= 1)) throw new ModelError(`${file}: rope_parameters.partial_rotary_factor must be in (0, 1], got ${JSON.stringify(block['partial_rotary_factor'])} — fix config.json`, 'SWAY_MODEL_INVALID');
      return { scaling: { type: 'proportional', factor, angles: Math.floor((p * headDim) / 2) }, ...(theta !== undefined ? { theta } : {}) };
    }
    case 'longrope':
    case 'su':
      return { scaling: longrope(file, top, block), ...(theta !== undefined ? { theta } : {}) };
    default:
      throw refuse(file, `rope_scaling.rope_type '${type}'`, 'is not supported (supported: default, dynamic, linear, llama3, longrope, proportional)');
  }
}

/**
 * LongRoPE parameters. A top-level `original_max_position_embeddings` wins over the block's
 * (phi3 saves it there); `factor` defaults to max_position_embeddings / original.
 */
function longrope(file: string, cfg: Json, block: Json): RopeScaling {
  const factors = (key: string): number[] => {
    const v = block[key];
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && x > 0)) {
      throw new ModelError(`${file}: rope_scaling.${key} must be a non-empty list of numbers > 0 for rope_type longrope, got ${JSON.stringify(v)} — fix config.json`, 'SWAY_MODEL_INVALID');
    }
    return v as number[];
  };
  const origKey = cfg['original_max_position_embeddings'] != null ? 'original_max_position_embeddings' : null;
  const original = origKey ? size(cfg, file, origKey) : size(block, file, 'original_max_position_embeddings', size(cfg, file, 'max_position_embeddings', 4096));
  const factor = typeof block['factor'] === 'number' ? (block['factor'] as number) : size(cfg, file, 'max_position_embeddings', 4096) / original;
  const attentionFactor = block['attention_factor'] == null ? null : Number(block['attention_factor']);
  if (attentionFactor !== null && !(attentionFactor > 0 && Number.isFinite(attentionFactor))) {
    throw new ModelError(`${file}: rope_scaling.attention_factor must be a finite number > 0, got ${JSON.stringify(block['attention_factor'])} — fix config.json`, 'SWAY_MODEL_INVALID');
  }
  return { type: 'longrope', shortFactor: factors('short_factor'), longFactor: factors('long_factor'), originalMaxPositionEmbeddings: original, factor, attentionFactor };
}

/** Upper bounds far above any model sway can hold in memory; beyond them config.json is wrong. */
const SIZE_LIMITS: Record<string, number> = {
  hidden_size: 1 << 17,
  intermediate_size: 1 << 20,
  num_hidden_layers: 1 << 10,
  num_attention_heads: 1 << 12,
  num_key_value_heads: 1 << 12,
  head_dim: 1 << 11,
  vocab_size: 1 << 23,
  max_position_embeddings: 2 ** 31 - 1,
};

/** A positive integer size from config.json, within SIZE_LIMITS. */
function size(cfg: Json, file: string, key: string, fallback?: number): number {
  const v = num(cfg, file, key, fallback);
  const max = SIZE_LIMITS[key] ?? 2 ** 31 - 1;
  if (!Number.isInteger(v) || v <= 0) {
    throw new ModelError(`${file}: key '${key}' must be a positive integer, got ${JSON.stringify(cfg[key] ?? v)} — fix config.json`, 'SWAY_MODEL_INVALID');
  }
  if (v > max) {
    throw new ModelError(`${file}: key '${key}' = ${v} is implausibly large (limit ${max}) — fix config.json`, 'SWAY_MODEL_INVALID');
  }
  return v;
}

function positive(cfg: Json, file: string, key: string, fallback: number): number {
  const v = num(cfg, file, key, fallback);
  if (!(v > 0)) throw new ModelError(`${file}: key '${key}' must be a finite number > 0, got ${JSON.stringify(cfg[key] ?? v)} — fix config.json`, 'SWAY_MODEL_INVALID');
  return v;
}

function trait<T>(cfg: Json, t: Trait<T>): T {
  if (t !== null && typeof t === 'object' && 'key' in t) {
    const v = cfg[t.key];
    return v === undefined || v === null ? t.default : (v as T);
  }
  return t;
}

function flag(cfg: Json, file: string, t: Trait<boolean>): boolean {
  const v = trait(cfg, t);
  if (typeof v !== 'boolean') throw new ModelError(`${file}: key '${(t as { key: string }).key}' must be true or false, got ${JSON.stringify(v)}`, 'SWAY_MODEL_INVALID');
  return v;
}

function optionalPositive(cfg: Json, file: string, key: string | undefined): number | null {
  if (!key || cfg[key] === undefined || cfg[key] === null) return null;
  return positive(cfg, file, key, 1);
}

function slidingWindows(cfg: Json, file: string, rule: SlidingRule, numLayers: number): (number | null)[] {
  const w = slidingWindowsAsConfigured(cfg, file, rule, numLayers);
  if (rule.lastGlobal) w[numLayers - 1] = null;
  return w;
}

function slidingWindowsAsConfigured(cfg: Json, file: string, rule: SlidingRule, numLayers: number): (number | null)[] {
  const none = Array.from({ length: numLayers }, () => null);
  if (rule.windowKey === null || cfg[rule.windowKey] === undefined || cfg[rule.windowKey] === null) return none;
  if (rule.enabledKey && cfg[rule.enabledKey] !== true) return none;
  const window = size(cfg, file, rule.windowKey);
  const types = rule.layerTypesKey && Array.isArray(cfg[rule.layerTypesKey]) ? (cfg[rule.layerTypesKey] as unknown[]) : null;
  if (types) {
    if (types.length !== numLayers) throw new ModelError(`${file}: ${rule.layerTypesKey} has ${types.length} entries but num_hidden_layers is ${numLayers}`, 'SWAY_MODEL_INVALID');
    return types.map((t) => (t === 'sliding_attention' ? window : null));
  }
  const f = rule.fallback;
  return Array.from({ length: numLayers }, (_, i) => {
    switch (f.kind) {
      case 'all':
        return window;
      case 'below':
        return i < num(cfg, file, f.key, numLayers) ? window : null;
      case 'alternate':
        return i % 2 === 0 ? window : null;
      case 'pattern': {
        const n = num(cfg, file, f.key, f.default);
        return (i + 1) % n === 0 ? null : window;
      }
    }
  });
}

/**
 * Per-layer head sizes (gemma4): explicit per-layer overrides when config.json has them,
 * else transformers' defaulting (full-attention layers take the global head size, and the
 * global key/value head count where the gate key is true).
 */
function perLayerHeads(cfg: Json, file: string, rule: NonNullable<FamilyTraits['layerHeads']>, windows: readonly (number | null)[], headDim: number, numKvHeads: number, numHeads: number): LayerHeads[] {
  const heads: LayerHeads[] = windows.map(() => ({ headDim, numKvHeads }));
  const raw = cfg[rule.overridesKey];
  const check = (key: string, v: unknown): number => {
    const n = size({ [key]: v }, file, key);
    if (key === 'head_dim' && n % 2 !== 0) throw new ModelError(`${file}: ${rule.overridesKey} head_dim ${n} must be an even integer`, 'SWAY_MODEL_INVALID');
    if (key === 'num_key_value_heads' && (n > numHeads || numHeads % n !== 0)) throw new ModelError(`${file}: num_attention_heads (${numHeads}) must be a multiple of ${rule.overridesKey} num_key_value_heads (${n}) — fix config.json`, 'SWAY_MODEL_INVALID');
    return n;
  };
  if (raw !== undefined && raw !== null) {
    if (typeof raw !== 'object' || Array.isArray(raw)) throw new ModelError(`${file}: ${rule.overridesKey} must be an object of layer index -> overrides — fix config.json`, 'SWAY_MODEL_INVALID');
    for (const [key, o] of Object.entries(raw as Json)) {
      const l = Number(key);
      if (!Number.isInteger(l) || l < 0 || l >= windows.length) throw new ModelError(`${file}: ${rule.overridesKey} key '${key}' is not a layer index below ${windows.length} — fix config.json`, 'SWAY_MODEL_INVALID');
      if (!o || typeof o !== 'object') continue;
      for (const [k, v] of Object.entries(o as Json)) {
        if (v === null || v === undefined) continue;
        if (k === 'head_dim') heads[l]!.headDim = check(k, v);
        else if (k === 'num_key_value_heads') heads[l]!.numKvHeads = check(k, v);
        else throw refuse(file, `${rule.overridesKey}.${key}.${k}`, 'overrides a setting per layer that sway does not implement (only head_dim and num_key_value_heads)');
      }
    }
    return heads;
  }
  const g = cfg[rule.globalHeadDimKey];
  const globalDim = g === undefined || g === null ? rule.globalHeadDimDefault : check('head_dim', g);
  const gk = cfg[rule.globalKvHeadsKey];
  const globalKv = cfg[rule.globalKvGateKey] === true && gk !== undefined && gk !== null ? check('num_key_value_heads', gk) : null;
  windows.forEach((w, l) => {
    if (w !== null) return;
    heads[l]!.headDim = globalDim;
    if (globalKv !== null) heads[l]!.numKvHeads = globalKv;
  });
  return heads;
}

/**
 * KV sharing (gemma4, as transformers' kv_sharing_modes): the last N layers attend to the
 * keys/values of the last earlier layer of their attention type. Null when N is 0.
 */
function kvSharing(cfg: Json, file: string, rule: NonNullable<FamilyTraits['kvSharing']>, windows: readonly (number | null)[]): { source: number[]; doubleWide: boolean } | null {
  const raw = cfg[rule.countKey];
  if (raw === undefined || raw === null || raw === 0) return null;
  const n = num(cfg, file, rule.countKey, 0);
  const L = windows.length;
  if (!Number.isInteger(n) || n < 0 || n >= L) {
    throw new ModelError(`${file}: ${rule.countKey} must be an integer from 0 to num_hidden_layers - 1 (${L - 1}), got ${JSON.stringify(raw)} — fix config.json`, 'SWAY_MODEL_INVALID');
  }
  const first = L - n;
  const source = windows.map((w, l) => {
    if (l < first) return l;
    for (let p = first - 1; p >= 0; p--) if ((windows[p] === null) === (w === null)) return p;
    throw new ModelError(`${file}: ${rule.countKey} = ${n} leaves no earlier ${w === null ? 'full' : 'sliding'}-attention layer for layer ${l} to share keys/values with — fix config.json`, 'SWAY_MODEL_INVALID');
  });
  return { source, doubleWide: cfg[rule.doubleWideKey] === true };
}

/** Builds the ArchSpec from parsed config objects; `file` names the config in errors. */
export function archFromConfig(rawCfg: Json, file: string, generation?: Json): ArchSpec {
  const modelType = rawCfg['model_type'];
  if (!isFamily(modelType)) {
    throw new ModelError(
      `${file}: model_type ${JSON.stringify(modelType)} is not supported; supported: ${SUPPORTED_FAMILIES.join(', ')}`,
      'SWAY_ARCH_UNSUPPORTED',
    );
  }
  return archFromRow(modelType, familyTraits(modelType), rawCfg, file, generation);
}

/** Canonical config: the text config merged over the wrapper, family aliases and defaults filled in. */
function canonicalConfig(tr: FamilyTraits, rawCfg: Json): { cfg: Json; nested: boolean } {
  const inner = tr.textConfigKey ? rawCfg[tr.textConfigKey] : undefined;
  const nested = !!inner && typeof inner === 'object' && !Array.isArray(inner);
  const cfg: Json = nested ? { ...rawCfg, ...(inner as Json) } : { ...rawCfg };
  for (const [canonical, alias] of Object.entries(tr.configAliases ?? {})) {
    if ((cfg[canonical] === undefined || cfg[canonical] === null) && cfg[alias] !== undefined && cfg[alias] !== null) cfg[canonical] = cfg[alias];
  }
  const rope = (cfg['rope_scaling'] ?? cfg['rope_parameters']) as Json | null | undefined;
  // transformers 5 may keep partial_rotary_factor in the rope block; under `proportional` (gemma4) it counts rotated angles instead.
  const ropeType = rope && typeof rope === 'object' ? (rope['rope_type'] ?? rope['type']) : undefined;
  if (cfg['partial_rotary_factor'] == null && rope && typeof rope === 'object' && ropeType !== 'proportional' && typeof rope['partial_rotary_factor'] === 'number') cfg['partial_rotary_factor'] = rope['partial_rotary_factor'];
  for (const [key, d] of Object.entries(tr.configDefaults ?? {})) {
    if (cfg[key] !== undefined && cfg[key] !== null) continue;
    cfg[key] = typeof d === 'number' ? d : typeof cfg[d.timesKey] === 'number' ? (cfg[d.timesKey] as number) * d.factor : undefined;
  }
  return { cfg, nested };
}

/** Builds the ArchSpec of one family row (exported for tests of rows not yet in the table). */
export function archFromRow(family: Family, tr: FamilyTraits, rawCfg: Json, file: string, generation?: Json): ArchSpec {
  const { cfg, nested } = canonicalConfig(tr, rawCfg);
  const naming = nested && tr.nestedRoot ? withRoot(tr.naming, tr.nestedRoot) : tr.naming;
  if (cfg['quantization_config'] != null) {
    throw refuse(file, 'quantization_config', 'is set; sway runs unquantized fp32/fp16/bf16 checkpoints only (use the original weights)');
  }
  for (const u of tr.unsupportedWhen ?? []) if (cfg[u.key] === u.value) throw refuse(file, `${u.key} = ${JSON.stringify(u.value)}`, `${u.why} (${family})`);
  const actKey = tr.activation.keys.find((k) => cfg[k] !== undefined && cfg[k] !== null);
  const actName = actKey ? String(cfg[actKey]) : tr.activation.default;
  const hiddenAct = tr.activation.allowed[actName];
  if (!hiddenAct) throw refuse(file, `${actKey ?? tr.activation.keys[0]} '${actName}'`, `is not supported for ${family} (supported: ${Object.keys(tr.activation.allowed).join(', ')})`);

  const hiddenSize = size(cfg, file, 'hidden_size');
  const numHeads = size(cfg, file, 'num_attention_heads');
  const numKvHeads = size(cfg, file, 'num_key_value_heads', numHeads);
  if (numKvHeads > numHeads || numHeads % numKvHeads !== 0) {
    throw new ModelError(`${file}: num_attention_heads (${numHeads}) must be a multiple of num_key_value_heads (${numKvHeads}) — fix config.json`, 'SWAY_MODEL_INVALID');
  }
  const derivedHeadDim = hiddenSize / numHeads;
  if (cfg['head_dim'] == null && !Number.isInteger(derivedHeadDim)) {
    throw new ModelError(`${file}: hidden_size (${hiddenSize}) is not a multiple of num_attention_heads (${numHeads}) and head_dim is not set — fix config.json`, 'SWAY_MODEL_INVALID');
  }
  if ((tr.qkvLayout ?? 'blocks') === 'per_head' && numKvHeads !== numHeads) {
    throw refuse(file, 'num_key_value_heads', `(${numKvHeads}) differs from num_attention_heads (${numHeads}); ${family}'s per-head fused query_key_value has one k/v head per query head — fix config.json`);
  }
  const headDim = size(cfg, file, 'head_dim', derivedHeadDim);
  if (headDim % 2 !== 0) throw new ModelError(`${file}: head_dim ${headDim} must be an even integer`, 'SWAY_MODEL_INVALID');
  const numLayers = size(cfg, file, 'num_hidden_layers');
  const windows = slidingWindows(cfg, file, tr.slidingWindow, numLayers);
  const heads = tr.layerHeads ? perLayerHeads(cfg, file, tr.layerHeads, windows, headDim, numKvHeads, numHeads) : null;
  const sharing = tr.kvSharing ? kvSharing(cfg, file, tr.kvSharing, windows) : null;
  sharing?.source.forEach((s, l) => {
    const [a, b] = [heads?.[l], heads?.[s]];
    if (s !== l && a && b && (a.headDim !== b.headDim || a.numKvHeads !== b.numKvHeads)) {
      throw refuse(file, tr.layerHeads!.overridesKey, `gives layer ${l} a head geometry different from layer ${s}, whose keys/values it shares`);
    }
  });
  const intermediateSize = size(cfg, file, 'intermediate_size');
  const blocks = ropeBlocks(cfg);
  const hasLocalRope = !!blocks.local || (!!tr.rotary.localThetaKey && !blocks.perType);
  // Head size of the layers each RoPE table serves (global: full-attention layers, or all without a local table).
  const ropeHeadDim = (local: boolean): number => {
    if (!heads) return headDim;
    const dims = new Set(heads.filter((_, l) => (local ? windows[l] !== null : windows[l] === null || !hasLocalRope)).map((h) => h.headDim));
    if (dims.size > 1) throw refuse(file, tr.layerHeads!.overridesKey, `gives layers of one attention type different head sizes (${[...dims].join(', ')}); sway needs one head size per RoPE table`);
    return dims.values().next().value ?? headDim;
  };
  const globalDim = ropeHeadDim(false);
  const { scaling, theta: blockTheta } = parseRopeScaling(file, blocks.global, globalDim, cfg);
  const theta = positive(cfg, file, 'rope_theta', blockTheta ?? 10000);
  const partialRaw = tr.rotary.partial;
  const partial = typeof partialRaw === 'number' ? partialRaw : num(cfg, file, partialRaw.key, partialRaw.default);
  if (typeof partialRaw === 'number' && cfg['partial_rotary_factor'] != null && cfg['partial_rotary_factor'] !== partialRaw) {
    throw refuse(file, 'partial_rotary_factor', `= ${JSON.stringify(cfg['partial_rotary_factor'])} is not supported for ${family}`);
  }
  const rotaryDim = Math.round(globalDim * partial);
  if (!(partial > 0 && partial <= 1) || rotaryDim % 2 !== 0) throw refuse(file, 'partial_rotary_factor', `= ${partial} gives an odd or empty rotary dimension`);
  const ropeLayersRaw = tr.rotary.layersKey ? cfg[tr.rotary.layersKey] : undefined;
  const interval = tr.rotary.intervalKey ? size(cfg, file, tr.rotary.intervalKey.key, tr.rotary.intervalKey.default) : null;
  if (Array.isArray(ropeLayersRaw) && ropeLayersRaw.length !== numLayers) {
    throw new ModelError(`${file}: ${tr.rotary.layersKey} has ${ropeLayersRaw.length} entries but num_hidden_layers is ${numLayers} — fix config.json`, 'SWAY_MODEL_INVALID');
  }
  const ropeLayers = Array.isArray(ropeLayersRaw)
    ? Array.from({ length: numLayers }, (_, i) => Boolean(ropeLayersRaw[i]))
    : Array.from({ length: numLayers }, (_, i) => tr.positions === 'rotary' && (interval === null || (i + 1) % interval !== 0));
  if (scaling.type === 'longrope') {
    for (const key of ['short_factor', 'long_factor'] as const) {
      const n = (key === 'short_factor' ? scaling.shortFactor : scaling.longFactor).length;
      if (n !== rotaryDim / 2) throw new ModelError(`${file}: rope_scaling.${key} has ${n} entries but the rotary dimension ${rotaryDim} needs ${rotaryDim / 2} — fix config.json`, 'SWAY_MODEL_INVALID');
    }
  }
  const localThetaKeyed = optionalPositive(cfg, file, tr.rotary.localThetaKey);
  let ropeLocal: ArchSpec['ropeLocal'] = null;
  if (hasLocalRope) {
    const localDim = ropeHeadDim(true);
    const localRotary = Math.round(localDim * partial);
    if (blocks.local) {
      const local = parseRopeScaling(file, blocks.local, localDim, cfg);
      ropeLocal = { theta: local.theta ?? localThetaKeyed ?? 10000, rotaryDim: localRotary, scaling: local.scaling };
    } else {
      // Older configs: rope_local_base_freq (default 10000) with plain RoPE on sliding layers; rope_scaling applies to global layers only.
      ropeLocal = { theta: localThetaKeyed ?? 10000, rotaryDim: localRotary, scaling: { type: 'default' } };
    }
  }
  for (const r of tr.refusedKeys ?? []) {
    const v = cfg[r.key];
    if (v === undefined || v === null) continue;
    const why = r.refuse(v, cfg);
    if (why) throw refuse(file, r.key, `${why} — sway cannot score this ${family} checkpoint faithfully`);
  }
  const pli = tr.perLayerInputs;
  const pliSize = pli && cfg[pli.sizeKey] ? size(cfg, file, pli.sizeKey) : null;
  const scale = tr.attentionScale;
  const attentionScale =
    scale === 'head_dim' ? 1 / Math.sqrt(headDim) : scale === 'unscaled' ? 1 : 'inverseSqrtOf' in scale ? 1 / Math.sqrt(positive(cfg, file, scale.inverseSqrtOf, headDim)) : positive(cfg, file, scale.key, scale.default);
  const emb = tr.embeddingScale;
  const embeddingScale = emb === 'none' ? 1 : emb === 'sqrt_hidden' ? Math.sqrt(hiddenSize) : positive(cfg, file, emb.key, emb.default);
  const epsKey = tr.norm.epsKeys.find((k) => cfg[k] !== undefined && cfg[k] !== null) ?? tr.norm.epsKeys[0]!;

  const eos = ids(generation?.['eos_token_id']);
  for (const e of ids(cfg['eos_token_id'])) if (!eos.includes(e)) eos.push(e);
  return {
    family,
    hiddenSize,
    intermediateSize,
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    ...(heads && heads.some((h) => h.headDim !== headDim || h.numKvHeads !== numKvHeads) ? { layerHeads: heads } : {}),
    ...(sharing ? { kvSource: sharing.source } : {}),
    ...(tr.keysAsValues && cfg[tr.keysAsValues.key] === true ? { keysAsValues: windows.map((w, l) => w === null && (sharing?.source[l] ?? l) === l) } : {}),
    ...(sharing?.doubleWide ? { layerIntermediate: sharing.source.map((s, l) => (s === l ? intermediateSize : 2 * intermediateSize)) } : {}),
    vocabSize: size(cfg, file, 'vocab_size'),
    maxPositionEmbeddings: size(cfg, file, 'max_position_embeddings', 4096),
    norm: { kind: tr.norm.kind, weightOffset: tr.norm.weightOffset, bias: tr.norm.bias, eps: positive(cfg, file, epsKey, tr.norm.epsDefault) },
    normPlacement: tr.normPlacement,
    hiddenAct,
    mlp: tr.mlp,
    embeddingScale,
    residual: typeof tr.residual === 'string' ? tr.residual : bool(cfg, tr.residual.parallelKey, tr.residual.default) ? 'parallel' : 'sequential',
    positions: tr.positions,
    rope: { theta, rotaryDim, scaling },
    ropeLayers,
    ropeLocal,
    vNorm: tr.vNorm ?? false,
    perLayerInput: pliSize === null ? null : { size: pliSize, vocab: size(cfg, file, pli!.vocabKey, size(cfg, file, 'vocab_size')) },
    layerScalar: tr.layerScalar ?? false,
    attentionScale,
    attnSoftcap: optionalPositive(cfg, file, tr.softcap.attention),
    finalLogitSoftcap: optionalPositive(cfg, file, tr.softcap.finalLogits),
    residualMultiplier: optionalPositive(cfg, file, tr.multipliers.residual) ?? 1,
    logitsDivisor: optionalPositive(cfg, file, tr.multipliers.logitsDivisor) ?? 1,
    tieWordEmbeddings: bool(cfg, 'tie_word_embeddings', tr.tieWordEmbeddings),
    qkvBias: flag(cfg, file, tr.bias.qkv),
    oBias: flag(cfg, file, tr.bias.o),
    mlpBias: flag(cfg, file, tr.bias.mlp),
    qkNorm: tr.qkNorm,
    fused: { ...tr.fused },
    qkvLayout: tr.qkvLayout ?? 'blocks',
    transposedLinear: tr.transposedLinear,
    weights: naming,
    slidingWindow: windows,
    bosTokenId: typeof cfg['bos_token_id'] === 'number' ? (cfg['bos_token_id'] as number) : null,
    eosTokenIds: eos,
    padTokenId: typeof cfg['pad_token_id'] === 'number' ? (cfg['pad_token_id'] as number) : null,
  };
}

function readJson(path: string): Json {
  let text: string;
  let v: unknown;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ModelError(`${path}: cannot read file`, 'SWAY_MODEL_NOT_FOUND');
  }
  try {
    v = JSON.parse(text) as unknown;
  } catch {
    throw new ModelError(`${path}: not valid JSON`, 'SWAY_MODEL_INVALID');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ModelError(`${path}: not a JSON object`, 'SWAY_MODEL_INVALID');
  return v as Json;
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

/**
 * A checkpoint saved from the bare base model (e.g. the original GPT-2 files: `wte.weight`,
 * `h.0.attn.c_attn.weight`) seen under the text-tower root the family's names use; the
 * head, outside the root, keeps its name.
 */
function underRoot(weights: WeightSource, root: string, head: string): WeightSource {
  const inner = (name: string) => (name.startsWith(root) ? name.slice(root.length) : name);
  return {
    description: weights.description,
    names: () => weights.names().map((n) => (n.startsWith(`${head}.`) ? n : `${root}${n}`)),
    has: (name) => weights.has(inner(name)),
    shape: (name) => weights.shape(inner(name)),
    dtype: (name) => weights.dtype(inner(name)),
    readF32: (name, options) => weights.readF32(inner(name), options),
    readF32Into: (name, out, options) => readWeightInto(weights, inner(name), out, options),
    close: () => weights.close(),
  };
}

/**
 * Holds config.json against the checkpoint before anything else reads sizes from it, so a
 * wrong size is reported as config.json's fault (not as an adapter or graph mismatch).
 * Returns the weights to read: `weights` itself, or the same tensors under the family's
 * root when the checkpoint was saved without it.
 */
export function checkArchAgainstWeights(arch: ArchSpec, source: WeightSource, modelDir: string): WeightSource {
  const cfgPath = join(modelDir, 'config.json');
  const embed = weightName(arch.weights, { module: 'embed' });
  const root = arch.weights.root;
  const weights = !source.has(embed) && root !== '' && source.has(embed.slice(root.length)) ? underRoot(source, root, arch.weights.head) : source;
  if (!weights.has(embed)) {
    throw new ModelError(`${weights.description}: tensor '${embed}' is missing — does model_type '${arch.family}' in ${cfgPath} match this checkpoint?`, 'SWAY_MODEL_INVALID');
  }
  const shape = weights.shape(embed);
  if (shape.length !== 2 || shape[0] !== arch.vocabSize || shape[1] !== arch.hiddenSize) {
    throw new ModelError(
      `${cfgPath}: vocab_size ${arch.vocabSize} and hidden_size ${arch.hiddenSize} do not match tensor '${embed}' of shape [${shape.join(', ')}] in ${weights.description} — fix config.json`,
      'SWAY_MODEL_INVALID',
    );
  }
  return weights;
}
